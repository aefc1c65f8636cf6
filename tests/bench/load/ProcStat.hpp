#pragma once
// CPU time and memory of a process from /proc (server cost, and the load client's own).
#include <cstdint>
#include <string>
#include <vector>

namespace load {

struct ProcSample {
    double cpuSeconds = 0;  // user + system, all threads
    int64_t hwmKiB = 0;     // VmHWM: peak resident set
    int64_t rssKiB = 0;     // VmRSS
    int threads = 0;
};

ProcSample sampleProc(int pid);  // pid 0: this process

// Busy and total jiffies of each CPU (/proc/stat), including irq/softirq and other processes:
// the whole core's load, since kernel receive work may run outside the server's own account.
struct CoreTimes {
    std::vector<uint64_t> busy, total;
};
CoreTimes sampleCores();
std::vector<double> busyPercent(const CoreTimes& a, const CoreTimes& b);

}  // namespace load
