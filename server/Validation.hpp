#pragma once
// Strict reading of JSON request bodies: a body is an object with only known fields,
// each of the right type and size; anything else is a 400/415 ApiError with a code the
// client can act on (bad_json, unknown_field, missing_field, wrong_type, invalid_value).
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/Http.hpp"

namespace server {

class JsonBody {
public:
    // Checks Content-Type (415 unless application/json), parses (400 bad_json), requires
    // an object whose keys are all in `allowed` (400 unknown_field).
    static JsonBody parse(const signaling::Request& request,
                          std::initializer_list<std::string_view> allowed);
    static JsonBody parseText(std::string_view text,
                              std::initializer_list<std::string_view> allowed);

    bool has(const std::string& name) const;
    bool isNull(const std::string& name) const;
    // Strings are trimmed of surrounding spaces; length counts UTF-8 code points; control
    // characters are refused.
    std::string requiredString(const std::string& name, size_t minLen, size_t maxLen) const;
    std::optional<std::string> optString(const std::string& name, size_t minLen,
                                         size_t maxLen) const;
    int64_t requiredId(const std::string& name) const;            // a positive integer
    std::optional<int64_t> optId(const std::string& name) const;  // absent or null: nullopt
    std::optional<bool> optBool(const std::string& name) const;
    std::vector<int64_t> idList(const std::string& name, size_t maxItems) const;  // absent: {}
    // One of `choices`.
    std::string requiredEnum(const std::string& name,
                             std::initializer_list<std::string_view> choices) const;
    std::optional<std::string> optEnum(const std::string& name,
                                       std::initializer_list<std::string_view> choices) const;

    const nlohmann::json& json() const { return json_; }

private:
    explicit JsonBody(nlohmann::json json) : json_(std::move(json)) {}
    const nlohmann::json& field(const std::string& name) const;
    std::string checkString(const std::string& name, const nlohmann::json& v, size_t minLen,
                            size_t maxLen) const;
    nlohmann::json json_;
};

// A path id segment: decimal digits, 1 .. 2^53. Otherwise 400 invalid_id.
int64_t parseId(const std::string& text);
// "admin-1", "teacher.li": 3-64 of [A-Za-z0-9._-], starting with a letter or digit.
bool validUsername(std::string_view name);
size_t utf8Length(std::string_view text);  // code points; SIZE_MAX if not valid UTF-8

}  // namespace server
