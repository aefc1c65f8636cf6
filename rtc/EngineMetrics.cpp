#include "rtc/EngineMetrics.hpp"

#include <fmt/format.h>

namespace rtc {

std::string formatMetrics(const std::vector<const EngineMetrics*>& workers) {
    struct Row {
        const char* name;
        const char* help;
        EngineMetrics::Counter EngineMetrics::*field;
    };
    static const Row rows[] = {
        {"cb_rtc_router_packets_in_total", "RTP packets received from publishers and sources",
         &EngineMetrics::packetsIn},
        {"cb_rtc_router_bytes_in_total", "RTP bytes received", &EngineMetrics::bytesIn},
        {"cb_rtc_router_packets_out_total", "RTP packets sent to subscribers",
         &EngineMetrics::packetsOut},
        {"cb_rtc_router_bytes_out_total", "RTP bytes sent to subscribers",
         &EngineMetrics::bytesOut},
        {"cb_rtc_rtcp_in_total", "RTCP packets received", &EngineMetrics::rtcpIn},
        {"cb_rtc_rtcp_out_total", "RTCP packets sent", &EngineMetrics::rtcpOut},
        {"cb_rtc_nacks_received_total", "NACKed packets requested by subscribers",
         &EngineMetrics::nacksReceived},
        {"cb_rtc_nacks_sent_total", "Packets NACKed to publishers", &EngineMetrics::nacksSent},
        {"cb_rtc_rtx_sent_total", "Retransmissions sent", &EngineMetrics::rtxSent},
        {"cb_rtc_rtx_missed_total", "NACKed packets no longer held", &EngineMetrics::rtxMissed},
        {"cb_rtc_plis_received_total", "PLI/FIR received from subscribers",
         &EngineMetrics::plisReceived},
        {"cb_rtc_keyframe_requests_total", "Keyframe requests sent to sources (after throttling)",
         &EngineMetrics::keyframeRequests},
        {"cb_rtc_twcc_feedback_sent_total", "Transport-cc feedback packets sent to publishers",
         &EngineMetrics::twccFeedbackSent},
        {"cb_rtc_drops_total", "Malformed or unroutable packets dropped", &EngineMetrics::drops},
        {"cb_rtc_source_queue_drops_total", "In-process source packets dropped (queue full)",
         &EngineMetrics::sourceQueueDrops},
        {"cb_rtc_sessions_closed_total", "Sessions closed (DELETE, lesson end, failure)",
         &EngineMetrics::sessionsClosed},
        {"cb_rtc_sessions_timed_out_total", "Sessions freed by consent expiry or DTLS failure",
         &EngineMetrics::sessionsClosedByTimeout},
    };
    std::string out;
    for (const Row& r : rows) {
        uint64_t sum = 0;
        for (const EngineMetrics* w : workers)
            sum += (w->*(r.field)).load(std::memory_order_relaxed);
        out += fmt::format("# HELP {} {}\n# TYPE {} counter\n{} {}\n", r.name, r.help, r.name,
                           r.name, sum);
    }
    return out;
}

}  // namespace rtc
