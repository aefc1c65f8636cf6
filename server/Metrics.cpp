#include "server/Metrics.hpp"

#include <cmath>
#include <cstdio>

namespace server {

void Metrics::add(const std::string& name, const std::string& labels, double delta) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    if (f.type == "untyped") f.type = "counter";
    f.series[labels] += delta;
}

void Metrics::set(const std::string& name, const std::string& labels, double value) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    if (f.type == "untyped") f.type = "gauge";
    f.series[labels] = value;
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
    std::lock_guard lock(mutex_);
    auto& f = families_[name];
    f.type = type;
    f.help = help;
}

std::string Metrics::text() const {
    std::lock_guard lock(mutex_);
    std::string out;
    char num[64];
    for (const auto& [name, f] : families_) {
        if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
        out += "# TYPE " + name + " " + f.type + "\n";
        for (const auto& [labels, value] : f.series) {
            if (std::floor(value) == value && std::fabs(value) < 1e15)
                std::snprintf(num, sizeof num, "%.0f", value);
            else
                std::snprintf(num, sizeof num, "%.6g", value);
            out += name;
            if (!labels.empty()) out += "{" + labels + "}";
            out += " ";
            out += num;
            out += "\n";
        }
    }
    return out;
}

std::string Metrics::escapeLabel(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

}  // namespace server
