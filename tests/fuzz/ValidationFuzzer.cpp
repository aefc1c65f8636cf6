// Request-body validation and the small text parsers of server/: JSON bodies, path ids,
// RFC 3339 times, base64url (tokens), HOST:PORT. Every input either parses or throws the
// documented exception; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Config.hpp"
#include "server/LessonService.hpp"
#include "server/Validation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        auto b = server::JsonBody::parseText(text, {"name", "id", "kind", "flag", "ids"});
        try {
            b.optString("name", 1, 50);
            b.optId("id");
            b.optEnum("kind", {"recording", "interactive"});
            b.optBool("flag");
            b.idList("ids", 10);
            b.requiredString("name", 0, 10);
        } catch (const common::ApiError&) {
        }
    } catch (const common::ApiError&) {
    }
    try {
        server::parseId(text);
    } catch (const common::ApiError&) {
    }
    try {
        int64_t t = server::LessonService::parseTime(text);
        // Whatever parses formats back to a time that parses to the same instant.
        if (server::LessonService::parseTime(server::LessonService::formatTime(t)) != t)
            __builtin_trap();
    } catch (const std::invalid_argument&) {
    }
    if (auto decoded = server::base64UrlDecode(text)) {
        if (server::base64UrlEncode(*decoded) != text) __builtin_trap();
    }
    try {
        server::Config::parseHostPort(text);
    } catch (const std::invalid_argument&) {
    }
    server::utf8Length(text);
    return 0;
}
