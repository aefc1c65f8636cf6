#include "server/Config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace server {

namespace {

void flatten(const toml::table& table, const std::string& prefix,
             std::map<std::string, std::string>& out) {
    for (const auto& [k, node] : table) {
        std::string key =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (auto* t = node.as_table()) {
            flatten(*t, key, out);
        } else if (auto* s = node.as_string()) {
            out[key] = s->get();
        } else if (auto* i = node.as_integer()) {
            out[key] = std::to_string(i->get());
        } else if (auto* b = node.as_boolean()) {
            out[key] = b->get() ? "true" : "false";
        } else if (auto* f = node.as_floating_point()) {
            std::ostringstream os;
            os << f->get();
            out[key] = os.str();
        }
        // arrays and dates: not used by any setting yet
    }
}

uint16_t toPort(const std::string& key, int64_t v) {
    if (v < 0 || v > 65535) throw std::runtime_error(key + ": port out of range");
    return static_cast<uint16_t>(v);
}

}  // namespace

Config Config::fromFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read config file " + file.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return fromToml(ss.str(), file.string());
}

Config Config::fromToml(std::string_view text, const std::string& sourceName) {
    toml::table table;
    try {
        table = toml::parse(text, sourceName);
    } catch (const toml::parse_error& e) {
        std::ostringstream os;
        os << sourceName << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
           << e.description();
        throw std::runtime_error(os.str());
    }
    Config c;
    flatten(table, "", c.values_);
    try {
        c.dataDir = c.getString("data_dir", c.dataDir.string());
        if (auto http = c.get("http.listen")) {
            auto [h, p] = parseHostPort(*http);
            c.httpHost = h;
            c.httpPort = p;
        }
        c.certFile = c.getString("http.cert_file", c.certFile);
        c.keyFile = c.getString("http.key_file", c.keyFile);
        c.staticDir = c.getString("http.static_dir", c.staticDir.string());
        c.maxBodyBytes = static_cast<size_t>(c.getInt("http.max_body_bytes", c.maxBodyBytes));
        c.rtcPort = toPort("rtc.port", c.getInt("rtc.port", c.rtcPort));
        c.publicIp = c.getString("rtc.public_ip", c.publicIp);
        c.rtmpPort = toPort("ingest.rtmp_port", c.getInt("ingest.rtmp_port", c.rtmpPort));
        c.srtPort = toPort("ingest.srt_port", c.getInt("ingest.srt_port", c.srtPort));
        c.adminPassword = c.getString("auth.admin_password", c.adminPassword);
        c.tokenTtlSeconds = c.getInt("auth.token_ttl_seconds", c.tokenTtlSeconds);
        c.logLevel = c.getString("log.level", c.logLevel);
        c.metricsPublic = c.getBool("metrics.public", c.metricsPublic);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(sourceName + ": " + e.what());
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(sourceName + ": " + e.what());
    }
    if (c.tokenTtlSeconds <= 0)
        throw std::runtime_error(sourceName + ": auth.token_ttl_seconds must be > 0");
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    bool ok = false;
    for (auto* l : levels) ok = ok || c.logLevel == l;
    if (!ok)
        throw std::runtime_error(
            sourceName + ": log.level must be one of trace|debug|info|warn|error|critical|off");
    return c;
}

void Config::apply(const ConfigOverrides& f) {
    if (f.dataDir) dataDir = *f.dataDir;
    if (f.http) {
        auto [h, p] = parseHostPort(*f.http);
        httpHost = h;
        httpPort = p;
    }
    if (f.publicIp) publicIp = *f.publicIp;
    if (f.adminPassword) adminPassword = *f.adminPassword;
    if (f.logLevel) logLevel = *f.logLevel;
    if (f.rtcPort) rtcPort = *f.rtcPort;
    if (f.rtmpPort) rtmpPort = *f.rtmpPort;
    if (f.srtPort) srtPort = *f.srtPort;
    if (f.tlsSelfSigned) tlsSelfSigned = true;
}

std::optional<std::string> Config::get(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::string Config::getString(const std::string& key, const std::string& def) const {
    return get(key).value_or(def);
}

int64_t Config::getInt(const std::string& key, int64_t def) const {
    auto v = get(key);
    if (!v) return def;
    int64_t out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size())
        throw std::invalid_argument(key + ": expected an integer, got \"" + *v + "\"");
    return out;
}

bool Config::getBool(const std::string& key, bool def) const {
    auto v = get(key);
    if (!v) return def;
    if (*v == "true") return true;
    if (*v == "false") return false;
    throw std::invalid_argument(key + ": expected true or false");
}

std::pair<std::string, uint16_t> Config::parseHostPort(const std::string& text) {
    std::string host;
    std::string port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw std::invalid_argument("bad address \"" + text + "\" (want [IPv6]:PORT)");
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos)
            throw std::invalid_argument("bad address \"" + text + "\" (want HOST:PORT)");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty()) host = "0.0.0.0";
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535)
        throw std::invalid_argument("bad port in \"" + text + "\"");
    return {host, static_cast<uint16_t>(value)};
}

}  // namespace server
