// The server's fan-out hot path in one process, without network peers: one published video
// packet goes Router -> every Consumer (header rewrite) -> its Output, which does what
// SubscriberSession + WebRtcTransport do for a UDP subscriber (copy into the sendmmsg slot,
// SRTP protect with the subscriber's own keys, queue) -> one sendmmsg flush per packet, as
// the worker's iteration hook does. Sends go to loopback sockets nobody reads (the kernel
// drops what does not fit), so the CPU figure is a lower bound of the kernel's part;
// the point is A/B comparison of our code:
//   valgrind --tool=callgrind --toggle-collect='*fanOut*' build-bench/bench/FanoutBench --count 200
// prints instructions per packet-subscriber (docs/BENCHMARKS.md, "What each optimisation
// bought"). Without --count it is a Google Benchmark (CPU time per packet-subscriber).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/Consumer.hpp"
#include "rtc/EngineMetrics.hpp"
#include "rtc/NetUtil.hpp"
#include "rtc/Router.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/UdpSocket.hpp"

namespace {

constexpr size_t kPacket = 1200;
constexpr int kSinks = 16;  // distinct destinations (kernel cost per send is what matters)

// What SubscriberSession::sendRtp + WebRtcTransport::sendProtected do for a UDP path.
class BenchOutput final : public rtc::Consumer::Output {
public:
    BenchOutput(rtc::SendBatch& batch, const rtc::SocketAddress& to, uint8_t seed)
        : batch_(batch), to_(to) {
        uint8_t key[16], salt[14];
        for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(seed * 31 + i);
        for (int i = 0; i < 14; ++i) salt[i] = static_cast<uint8_t>(seed * 17 + i);
        protector_ = std::make_unique<rtc::SrtpProtector>(rtc::SrtpProfile::AesCm128HmacSha1_80,
                                                          key, 16, salt, 14);
    }
    void sendRtp(uint8_t* data, size_t size, size_t) override {
        uint8_t* buf = batch_.reserve();
        std::memcpy(buf, data, size);
        size_t n = size;
        if (protector_->protectRtp(buf, n, rtc::SendBatch::kSlotSize)) batch_.commit(n, to_);
    }
    void sendRtcp(uint8_t*, size_t, size_t) override {}
    void hotLines(rtc::HotLines& out) const override {
        out.add(this, sizeof *this);
        protector_->hotLines(out);
    }

private:
    rtc::SendBatch& batch_;
    rtc::SocketAddress to_;
    std::unique_ptr<rtc::SrtpProtector> protector_;
};

struct Fanout {
    rtc::EngineMetrics metrics;
    rtc::Router router{"bench", metrics};
    rtc::UdpSocket socket{rtc::SocketAddress::parse("127.0.0.1", 0), false};
    rtc::SendBatch batch{socket.fd()};
    std::vector<std::unique_ptr<rtc::UdpSocket>> sinks;  // never read: the kernel drops
    std::vector<std::unique_ptr<BenchOutput>> outputs;
    std::vector<std::unique_ptr<rtc::Consumer>> consumers;
    rtc::Router::Source* source = nullptr;
    uint8_t packet[kPacket] = {};
    uint16_t seq = 1000;
    uint32_t ts = 90000;

    explicit Fanout(int subscribers) {
        for (int i = 0; i < kSinks; ++i)
            sinks.push_back(
                std::make_unique<rtc::UdpSocket>(rtc::SocketAddress::parse("127.0.0.1", 0), false));
        source = router.addSource("teacher", nullptr, 0);
        for (int i = 0; i < subscribers; ++i) {
            outputs.push_back(std::make_unique<BenchOutput>(
                batch, sinks[i % kSinks]->localAddress(), static_cast<uint8_t>(i)));
            rtc::Consumer::Track audio, video;
            audio.enabled = true, audio.ssrc = 0x1000 + i, audio.payloadType = 111;
            audio.clockRate = 48000;
            video.enabled = true, video.ssrc = 0x2000 + i, video.payloadType = 96;
            consumers.push_back(
                std::make_unique<rtc::Consumer>(i + 1, audio, video, outputs.back().get()));
            router.addConsumer(consumers.back().get(), 0);
        }
        for (size_t i = 12; i < kPacket; ++i) packet[i] = static_cast<uint8_t>(i);
    }
    ~Fanout() {
        for (auto& c : consumers) router.removeConsumer(c.get());
    }
    // One published packet to every subscriber, then the iteration hook's flush.
    void publishOne(int64_t nowMs) {
        packet[0] = 0x80;
        packet[1] = 96;
        rtc::store16(packet + 2, seq++);
        rtc::store32(packet + 4, ts);
        rtc::store32(packet + 8, 0xabcdef01);
        if (seq % 4 == 0) ts += 3000;
        router.onSourceRtp(source, rtc::MediaKind::Video, packet, kPacket, nowMs);
        batch.flush();
    }
};

// Named so that callgrind's --toggle-collect='*fanOut*' counts exactly this.
__attribute__((noinline)) void fanOutPackets(Fanout& f, int packets) {
    for (int i = 0; i < packets; ++i) f.publishOne(1000 + i / 10);
}

void countPacketSubscribers(benchmark::State& state) {
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["ns_per_pkt_sub"] =
        benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Fanout(benchmark::State& state) {
    Fanout f(static_cast<int>(state.range(0)));
    for (int i = 0; i < 10; ++i) f.publishOne(1000);  // first packets start the segments
    for (auto _ : state) fanOutPackets(f, 1);
    countPacketSubscribers(state);
}
// The same with the caches flushed between packets (untimed), as in the server, where the
// kernel's send and receive work for hundreds of sockets runs between two published packets
// and evicts the subscribers' state: what the Router's prefetch is for (CB_RTC_PREFETCH=0
// turns it off for an A/B run of this binary).
void BM_FanoutCold(benchmark::State& state) {
    Fanout f(static_cast<int>(state.range(0)));
    for (int i = 0; i < 10; ++i) f.publishOne(1000);
    std::vector<uint8_t> evict(64 << 20);
    uint8_t round = 0;
    for (auto _ : state) {
        state.PauseTiming();
        ++round;
        for (size_t i = 0; i < evict.size(); i += 64) evict[i] = round;
        state.ResumeTiming();
        fanOutPackets(f, 1);
    }
    benchmark::DoNotOptimize(evict.data());
    countPacketSubscribers(state);
}
BENCHMARK(BM_FanoutCold)->Arg(500)->Arg(1000)->Arg(2000)->Unit(benchmark::kMicrosecond);

BENCHMARK(BM_Fanout)->Arg(100)->Arg(500)->Arg(1000)->Arg(2000)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
    // --count K [--subscribers N]: K packets to N subscribers, no timing (for callgrind).
    int count = 0, subscribers = 500;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::strcmp(argv[i], "--count") == 0) count = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--subscribers") == 0) subscribers = std::atoi(argv[i + 1]);
    }
    if (count > 0) {
        Fanout f(subscribers);
        for (int i = 0; i < 10; ++i) f.publishOne(1000);
        fanOutPackets(f, count);
        std::printf("%d packets x %d subscribers = %lld packet-subscribers\n", count, subscribers,
                    static_cast<long long>(count) * subscribers);
        return 0;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
