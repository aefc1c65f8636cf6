#pragma once
// CPU time and memory of a process from /proc (server cost, and the load client's own).
#include <cstdint>
#include <string>

namespace load {

struct ProcSample {
    double cpuSeconds = 0;  // user + system, all threads
    int64_t hwmKiB = 0;     // VmHWM: peak resident set
    int64_t rssKiB = 0;     // VmRSS
    int threads = 0;
};

ProcSample sampleProc(int pid);  // pid 0: this process

}  // namespace load
