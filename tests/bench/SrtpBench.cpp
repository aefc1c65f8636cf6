// Per-packet SRTP cost on this machine, libsrtp2 (Debian: NSS crypto) vs ours (OpenSSL
// EVP): protect one 1,200-byte RTP packet (rtc::SrtpProtector), unprotect a 1,200-byte RTP
// packet and a 68-byte RTCP receiver report as SRTCP (rtc::SrtpUnprotector), each suite; and the
// heap one inbound session holds. The figures are in docs/rtc-wire.md, docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpSession.hpp"
#include "rtc/SrtpUnprotector.hpp"

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

// Unprotect: a receiver accepts each index once, so kBatch packets are protected up front
// and the receiver is replaced (untimed) after each pass over them. range(1): 0 RTP, 1 RTCP.
constexpr size_t kBatch = 2048;
constexpr size_t kRtcpPlain = 68;  // RR + report block + feedback: 82 B (CM), 88 B (GCM) sent

std::vector<std::vector<uint8_t>> protectedBatch(rtc::SrtpProfile prof, bool rtcp) {
    rtc::SrtpProtector tx(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof));
    std::vector<std::vector<uint8_t>> out;
    auto tmpl = rtpTemplate();
    for (size_t i = 0; i < kBatch; ++i) {
        std::vector<uint8_t> p(tmpl);
        size_t len = kPacket;
        if (rtcp) {
            p[1] = 201;  // RR
            rtc::store16(p.data() + 2, kRtcpPlain / 4 - 1);
            rtc::store32(p.data() + 4, 0x0A0B0C0D);
            len = kRtcpPlain;
        } else {
            rtc::store16(p.data() + 2, static_cast<uint16_t>(i));
        }
        if (!(rtcp ? tx.protectRtcp(p.data(), len, p.size())
                   : tx.protectRtp(p.data(), len, p.size())))
            return {};
        p.resize(len);
        out.push_back(std::move(p));
    }
    return out;
}

template <typename Make>
void runUnprotect(benchmark::State& st, Make make) {
    const auto prof = profileOf(st);
    const bool rtcp = st.range(1);
    const auto batch = protectedBatch(prof, rtcp);
    std::vector<uint8_t> buf(kPacket + 64);
    auto rx = make(prof);
    size_t i = 0;
    for (auto _ : st) {
        if (i == kBatch) {
            st.PauseTiming();
            rx = make(prof);
            i = 0;
            st.ResumeTiming();
        }
        const auto& p = batch[i++];
        std::memcpy(buf.data(), p.data(), p.size());
        size_t len = p.size();
        if (!(rtcp ? rx->unprotectRtcp(buf.data(), len) : rx->unprotectRtp(buf.data(), len)))
            st.SkipWithError("unprotect failed");
        benchmark::DoNotOptimize(buf.data());
    }
    st.SetItemsProcessed(st.iterations());
    st.SetLabel(std::string(st.range(0) ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80") +
                (rtcp ? " SRTCP RR 68 B" : " RTP 1200 B"));
}

std::unique_ptr<rtc::SrtpSession> libsrtpInbound(rtc::SrtpProfile prof) {
    return std::make_unique<rtc::SrtpSession>(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof),
                                              rtc::SrtpSession::Direction::Inbound);
}
std::unique_ptr<rtc::SrtpUnprotector> opensslInbound(rtc::SrtpProfile prof) {
    return std::make_unique<rtc::SrtpUnprotector>(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof));
}

void BM_LibsrtpUnprotect(benchmark::State& st) {
    runUnprotect(st, libsrtpInbound);
}
void BM_OpensslUnprotect(benchmark::State& st) {
    runUnprotect(st, opensslInbound);
}

// Heap per inbound session (mallinfo2 difference over 1,000 sessions), each after one
// SRTCP packet from one SSRC: what a subscriber's transport holds for its receiver reports.
template <typename Make>
void heapPerSession(benchmark::State& st, Make make) {
    const auto prof = profileOf(st);
    const auto rr = protectedBatch(prof, true).front();
    constexpr int kSessions = 1000;
    double perSession = 0;
    for (auto _ : st) {
        std::vector<decltype(make(prof))> keep;
        keep.reserve(kSessions);
        const size_t before = mallinfo2().uordblks;
        for (int i = 0; i < kSessions; ++i) {
            keep.push_back(make(prof));
            std::vector<uint8_t> b = rr;
            size_t len = b.size();
            if (!keep.back()->unprotectRtcp(b.data(), len)) st.SkipWithError("unprotect failed");
        }
        perSession = double(mallinfo2().uordblks - before) / kSessions;
    }
    st.counters["heap_bytes_per_session"] = perSession;
    st.SetLabel(st.range(0) ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
}

void BM_LibsrtpInboundHeap(benchmark::State& st) {
    heapPerSession(st, libsrtpInbound);
}
void BM_OpensslInboundHeap(benchmark::State& st) {
    heapPerSession(st, opensslInbound);
}

}  // namespace

BENCHMARK(BM_LibsrtpProtect)->Arg(0)->Arg(1);
BENCHMARK(BM_OpensslProtect)->Arg(0)->Arg(1);
BENCHMARK(BM_Memcpy1200);
BENCHMARK(BM_LibsrtpUnprotect)->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK(BM_OpensslUnprotect)->ArgsProduct({{0, 1}, {0, 1}});
BENCHMARK(BM_LibsrtpInboundHeap)->Arg(0)->Arg(1)->Iterations(1);
BENCHMARK(BM_OpensslInboundHeap)->Arg(0)->Arg(1)->Iterations(1);
BENCHMARK_MAIN();
