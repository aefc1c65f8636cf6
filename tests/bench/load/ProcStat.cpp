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

CoreTimes sampleCores() {
    CoreTimes t;
    std::ifstream stat("/proc/stat");
    std::string line;
    while (std::getline(stat, line)) {
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
        std::istringstream in(line);
        std::string name;
        uint64_t user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
        in >> name >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal;
        uint64_t busy = user + nice + sys + irq + softirq + steal;
        t.busy.push_back(busy);
        t.total.push_back(busy + idle + iowait);
    }
    return t;
}

std::vector<double> busyPercent(const CoreTimes& a, const CoreTimes& b) {
    std::vector<double> r;
    for (size_t i = 0; i < a.busy.size() && i < b.busy.size(); ++i) {
        uint64_t total = b.total[i] - a.total[i];
        r.push_back(total ? 100.0 * static_cast<double>(b.busy[i] - a.busy[i]) / total : 0.0);
    }
    return r;
}

}  // namespace load
