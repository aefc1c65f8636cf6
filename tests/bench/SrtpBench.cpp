// Per-packet SRTP cost on this machine: protect one 1,200-byte RTP packet with each suite,
// libsrtp2 (Debian: NSS crypto) vs rtc::SrtpProtector (OpenSSL EVP). The figures and the
// subscribers-per-core bound they imply are in docs/rtc-wire.md.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpSession.hpp"

namespace {

constexpr size_t kPacket = 1200;

std::vector<uint8_t> rtpTemplate() {
    std::vector<uint8_t> p(kPacket + 64, 0x5A);
    p[0] = 0x80;
    p[1] = 96;
    rtc::store32(p.data() + 4, 123456);
    rtc::store32(p.data() + 8, 0x01020304);
    return p;
}

rtc::SrtpProfile profileOf(const benchmark::State& st) {
    return st.range(0) ? rtc::SrtpProfile::AeadAes128Gcm : rtc::SrtpProfile::AesCm128HmacSha1_80;
}

template <typename Protector>
void run(benchmark::State& st, Protector& p) {
    auto tmpl = rtpTemplate();
    std::vector<uint8_t> buf(tmpl.size());
    uint16_t seq = 0;
    for (auto _ : st) {
        std::memcpy(buf.data(), tmpl.data(), kPacket);
        rtc::store16(buf.data() + 2, seq++);
        size_t len = kPacket;
        if (!p.protectRtp(buf.data(), len, buf.size())) st.SkipWithError("protect failed");
        benchmark::DoNotOptimize(buf.data());
    }
    st.SetItemsProcessed(st.iterations());
    st.SetBytesProcessed(st.iterations() * int64_t{kPacket});
    st.SetLabel(st.range(0) ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
}

const uint8_t kKey[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const uint8_t kSalt[14] = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34};

void BM_LibsrtpProtect(benchmark::State& st) {
    const auto prof = profileOf(st);
    rtc::SrtpSession s(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof),
                       rtc::SrtpSession::Direction::Outbound);
    run(st, s);
}

void BM_OpensslProtect(benchmark::State& st) {
    const auto prof = profileOf(st);
    rtc::SrtpProtector s(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof));
    run(st, s);
}

void BM_Memcpy1200(benchmark::State& st) {  // the copy both loops include, for reference
    auto tmpl = rtpTemplate();
    std::vector<uint8_t> buf(tmpl.size());
    for (auto _ : st) {
        std::memcpy(buf.data(), tmpl.data(), kPacket);
        benchmark::DoNotOptimize(buf.data());
    }
    st.SetItemsProcessed(st.iterations());
}

}  // namespace

BENCHMARK(BM_LibsrtpProtect)->Arg(0)->Arg(1);
BENCHMARK(BM_OpensslProtect)->Arg(0)->Arg(1);
BENCHMARK(BM_Memcpy1200);
BENCHMARK_MAIN();
