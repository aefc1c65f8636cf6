#pragma once
// A small registry of counters and gauges rendered in the Prometheus text format.
// Thread-safe (a mutex; it is not on any per-packet path).
#include <map>
#include <mutex>
#include <string>

namespace server {

class Metrics {
public:
    // labels: already formatted, e.g. R"(route="/api/v1/lessons",status="200")"; may be empty.
    void add(const std::string& name, const std::string& labels, double delta = 1);
    void set(const std::string& name, const std::string& labels, double value);
    void describe(const std::string& name, const std::string& type, const std::string& help);
    std::string text() const;
    static std::string escapeLabel(const std::string& value);
    // One unlabelled series with its HELP/TYPE lines, for modules' appendMetrics().
    static void appendOne(std::string& out, const std::string& name, const std::string& type,
                          const std::string& help, double value);

private:
    struct Family {
        std::string type = "untyped", help;
        std::map<std::string, double> series;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
};

}  // namespace server
