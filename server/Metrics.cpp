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

namespace {

void appendHeader(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help) {
    if (!help.empty()) out += "# HELP " + name + " " + help + "\n";
    out += "# TYPE " + name + " " + type + "\n";
}

void appendSample(std::string& out, const std::string& name, const std::string& labels,
                  double value) {
    char num[64];
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

}  // namespace

std::string Metrics::text() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        appendHeader(out, name, f.type, f.help);
        for (const auto& [labels, value] : f.series) appendSample(out, name, labels, value);
    }
    return out;
}

void Metrics::appendOne(std::string& out, const std::string& name, const std::string& type,
                        const std::string& help, double value) {
    appendHeader(out, name, type, help);
    appendSample(out, name, "", value);
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
