#include "server/Validation.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>

#include "common/Error.hpp"

namespace server {

using common::ApiError;

size_t utf8Length(std::string_view s) {
    size_t count = 0;
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<uint8_t>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return SIZE_MAX;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<uint8_t>(s[i + k]) >> 6) != 2) return SIZE_MAX;
        i += n;
        ++count;
    }
    return count;
}

JsonBody JsonBody::parse(const signaling::Request& request,
                         std::initializer_list<std::string_view> allowed) {
    std::string type = request.header("content-type");
    std::string base = type.substr(0, type.find(';'));
    std::transform(base.begin(), base.end(), base.begin(), ::tolower);
    while (!base.empty() && base.back() == ' ') base.pop_back();
    if (base != "application/json")
        throw ApiError(415, "unsupported_media_type", "send the body as application/json");
    return parseText(request.body, allowed);
}

JsonBody JsonBody::parseText(std::string_view text,
                             std::initializer_list<std::string_view> allowed) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number too large for a double ("1e400").
        throw ApiError::badRequest("bad_json", std::string("body is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw ApiError::badRequest("bad_json", "body must be a JSON object");
    for (const auto& [key, value] : j.items()) {
        (void)value;
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            throw ApiError::badRequest("unknown_field",
                                       "unknown field \"" + key.substr(0, 64) + "\"");
    }
    return JsonBody(std::move(j));
}

bool JsonBody::has(const std::string& name) const {
    return json_.contains(name);
}
bool JsonBody::isNull(const std::string& name) const {
    return json_.contains(name) && json_[name].is_null();
}

const nlohmann::json& JsonBody::field(const std::string& name) const {
    auto it = json_.find(name);
    if (it == json_.end() || it->is_null())
        throw ApiError::badRequest("missing_field", "field \"" + name + "\" is required");
    return *it;
}

std::string JsonBody::checkString(const std::string& name, const nlohmann::json& v, size_t minLen,
                                  size_t maxLen) const {
    if (!v.is_string())
        throw ApiError::badRequest("wrong_type", "\"" + name + "\" must be a string");
    std::string s = v.get<std::string>();
    auto notSpace = [](unsigned char c) { return c != ' ' && c != '\t'; };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
    s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f)
            throw ApiError::badRequest("invalid_value",
                                       "\"" + name + "\" contains control characters");
    size_t len = utf8Length(s);
    if (len == SIZE_MAX)
        throw ApiError::badRequest("invalid_value", "\"" + name + "\" is not UTF-8");
    if (len < minLen)
        throw ApiError::badRequest("invalid_value", "\"" + name + "\" must have at least " +
                                                        std::to_string(minLen) + " characters");
    if (len > maxLen)
        throw ApiError::badRequest("invalid_value", "\"" + name + "\" must have at most " +
                                                        std::to_string(maxLen) + " characters");
    return s;
}

std::string JsonBody::requiredString(const std::string& name, size_t minLen, size_t maxLen) const {
    return checkString(name, field(name), minLen, maxLen);
}

std::optional<std::string> JsonBody::optString(const std::string& name, size_t minLen,
                                               size_t maxLen) const {
    if (!has(name)) return std::nullopt;
    return checkString(name, field(name), minLen, maxLen);
}

namespace {
int64_t checkId(const std::string& name, const nlohmann::json& v) {
    if (!v.is_number_integer())
        throw ApiError::badRequest("wrong_type", "\"" + name + "\" must be an integer id");
    // nlohmann stores non-negative literals as unsigned: compare in the matching type.
    bool valid = v.is_number_unsigned()
                     ? (v.get<uint64_t>() >= 1 && v.get<uint64_t>() <= (1ull << 53))
                     : (v.get<int64_t>() >= 1 && v.get<int64_t>() <= (1ll << 53));
    if (!valid) throw ApiError::badRequest("invalid_value", "\"" + name + "\" is not a valid id");
    return v.get<int64_t>();
}
}  // namespace

int64_t JsonBody::requiredId(const std::string& name) const {
    return checkId(name, field(name));
}

std::optional<int64_t> JsonBody::optId(const std::string& name) const {
    if (!has(name) || json_[name].is_null()) return std::nullopt;
    return checkId(name, json_[name]);
}

std::optional<bool> JsonBody::optBool(const std::string& name) const {
    if (!has(name)) return std::nullopt;
    const auto& v = field(name);
    if (!v.is_boolean())
        throw ApiError::badRequest("wrong_type", "\"" + name + "\" must be true or false");
    return v.get<bool>();
}

std::vector<int64_t> JsonBody::idList(const std::string& name, size_t maxItems) const {
    if (!has(name)) return {};
    const auto& v = field(name);
    if (!v.is_array())
        throw ApiError::badRequest("wrong_type", "\"" + name + "\" must be an array of ids");
    if (v.size() > maxItems)
        throw ApiError::badRequest("invalid_value", "\"" + name + "\" has more than " +
                                                        std::to_string(maxItems) + " items");
    std::vector<int64_t> out;
    for (const auto& item : v) out.push_back(checkId(name, item));
    return out;
}

std::string JsonBody::requiredEnum(const std::string& name,
                                   std::initializer_list<std::string_view> choices) const {
    const auto& v = field(name);
    if (!v.is_string())
        throw ApiError::badRequest("wrong_type", "\"" + name + "\" must be a string");
    auto s = v.get<std::string>();
    if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
        std::string list;
        for (auto c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
        throw ApiError::badRequest("invalid_value", "\"" + name + "\" must be one of: " + list);
    }
    return s;
}

std::optional<std::string> JsonBody::optEnum(
    const std::string& name, std::initializer_list<std::string_view> choices) const {
    if (!has(name)) return std::nullopt;
    return requiredEnum(name, choices);
}

int64_t parseId(const std::string& text) {
    if (text.empty() || text.size() > 16 || text[0] == '0' ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw ApiError::badRequest("invalid_id", "not a valid id");
    int64_t v = std::stoll(text);
    if (v > (1ll << 53)) throw ApiError::badRequest("invalid_id", "not a valid id");
    return v;
}

bool validUsername(std::string_view n) {
    if (n.size() < 3 || n.size() > 64) return false;
    auto ok = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    };
    if (!std::all_of(n.begin(), n.end(), ok)) return false;
    return n[0] != '.' && n[0] != '_' && n[0] != '-';
}

}  // namespace server
