#pragma once
// Tokens, passwords and role checks.
// Token: "cb1.<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, 'cb1.'+payload))>",
// payload {"uid","usr","rol","cls"?,"exp"}. Every request re-reads the user row, so a
// deleted user or a changed role invalidates its tokens at once.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "server/Lesson.hpp"
#include "signaling/Http.hpp"

namespace server {

class Store;

struct Principal {
    int64_t userId = 0;
    std::string username;
    std::string role;  // admin|teacher|classroom|staff|viewer
    std::optional<int64_t> classroomId;
};

class Auth {
public:
    Auth(Store& store, std::string key);

    // DATA/server.key: 32 random bytes, created 0600 on first use.
    static std::string loadOrCreateKey(const std::filesystem::path& dataDir);

    std::string issueToken(const Principal& who, std::chrono::seconds ttl) const;
    // Signature and expiry only (no store access); throws ApiError 401.
    Principal verifyToken(std::string_view token) const;
    // Bearer header or ?token=; verifies and checks the user still exists with that role.
    Principal authenticate(const signaling::Request& request) const;
    // Username + password against the store; throws ApiError 401 (same message for
    // unknown user and wrong password).
    Principal login(const std::string& username, const std::string& password) const;
    // A principal for a stored user by name (the token CLI); throws ApiError 404.
    Principal principalFor(const std::string& username) const;

    void requireRole(const Principal& who, std::initializer_list<std::string_view> roles) const;
    // Publish into / run a lesson: admin, its teacher, or a classroom user of its host.
    bool canPublish(const Principal& who, const Lesson& lesson) const;
    // Watch / join a lesson: the publishers, plus staff and classroom users of members.
    bool canPlay(const Principal& who, const Lesson& lesson) const;
    void requirePublish(const Principal& who, const Lesson& lesson) const;  // 403
    void requirePlay(const Principal& who, const Lesson& lesson) const;     // 403

    static bool validRole(std::string_view role);

private:
    std::string sign(std::string_view data) const;
    Store& store_;
    std::string key_;
};

// PBKDF2-HMAC-SHA256, 120,000 rounds, 16-byte random salt:
// "pbkdf2-sha256$120000$<b64 salt>$<b64 hash>".
namespace password {
std::string hash(const std::string& password, int rounds = 120000);
bool verify(const std::string& password, const std::string& encoded);
}  // namespace password

std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);
std::string randomBytes(size_t n);
std::string randomPassword(size_t length = 16);

}  // namespace server
