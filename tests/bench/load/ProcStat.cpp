#include "ProcStat.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace load {

ProcSample sampleProc(int pid) {
    ProcSample s;
    std::string dir = pid ? "/proc/" + std::to_string(pid) : std::string("/proc/self");
    std::ifstream stat(dir + "/stat");
    std::string line;
    if (std::getline(stat, line)) {
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        auto close = line.rfind(')');
        std::istringstream in(line.substr(close + 2));
        std::string f;
        unsigned long long utime = 0, stime = 0;
        for (int i = 3; i <= 15 && in >> f; ++i) {
            if (i == 14) utime = std::stoull(f);
            if (i == 15) stime = std::stoull(f);
        }
        s.cpuSeconds =
            static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    std::ifstream status(dir + "/status");
    while (std::getline(status, line)) {
        std::istringstream in(line);
        std::string key;
        int64_t v = 0;
        in >> key >> v;
        if (key == "VmHWM:") s.hwmKiB = v;
        if (key == "VmRSS:") s.rssKiB = v;
        if (key == "Threads:") s.threads = static_cast<int>(v);
    }
    return s;
}

}  // namespace load
