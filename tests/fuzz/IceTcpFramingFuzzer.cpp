// libFuzzer target: RFC 4571 framing of ICE-TCP (rtc::IceTcpConnection) and ICE-lite's
// Binding-request handling on arbitrary bytes. The first input byte chooses how the stream
// is cut into reads, so that frames split at every position are exercised.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtc/IceLite.hpp"
#include "rtc/IceTcpConnection.hpp"
#include "rtc/NetUtil.hpp"

namespace {
struct Sink : rtc::IceTcpConnection::Listener {
    rtc::IceLite ice{"remote", "remote-password-0123456789"};
    size_t frames = 0;
    bool closed = false;
    void onTcpFrame(rtc::IceTcpConnection& conn, uint8_t* data, size_t len) override {
        ++frames;
        if (len > rtc::IceTcpConnection::kMaxFrame ||
            !rtc::IceTcpConnection::plausibleFrame(data, len))
            __builtin_trap();  // the framer must only deliver plausible frames
        uint8_t out[512];
        auto r = ice.handle(data, len, conn.remote(), out, sizeof(out));
        if (r.responseSize > sizeof(out)) __builtin_trap();
        (void)rtc::IceLite::localUfragOf(data, len);
    }
    void onTcpClosed(rtc::IceTcpConnection&, const char*) override { closed = true; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    size_t chunk = 1 + data[0] % 64;
    ++data;
    --size;
    Sink sink;
    rtc::IceTcpConnection conn(-1, rtc::SocketAddress::parse("192.0.2.1", 5000), &sink);
    size_t pos = 0;
    while (pos < size && !conn.closed()) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        conn.feed(data + pos, n);
        pos += n;
    }
    if (sink.closed != conn.closed()) __builtin_trap();
    return 0;
}
