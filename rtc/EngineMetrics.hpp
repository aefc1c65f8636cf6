#pragma once
// Counters of one media worker. Written only by its thread (relaxed atomics, so no
// cache line is shared between workers); read by /metrics from the HTTP thread.
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace rtc {

struct EngineMetrics {
    using Counter = std::atomic<uint64_t>;
    Counter packetsIn{0}, bytesIn{0}, packetsOut{0}, bytesOut{0};
    Counter rtcpIn{0}, rtcpOut{0};
    Counter nacksReceived{0}, nacksSent{0}, rtxSent{0}, rtxMissed{0};
    Counter plisReceived{0}, keyframeRequests{0};
    Counter twccFeedbackSent{0};
    Counter srtpErrors{0}, sendErrors{0}, drops{0}, sourceQueueDrops{0};
    Counter sessionsClosedByTimeout{0}, sessionsClosed{0};

    void add(Counter& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

// Prometheus lines for the sum of all workers' counters.
std::string formatMetrics(const std::vector<const EngineMetrics*>& workers);

}  // namespace rtc
