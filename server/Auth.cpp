#include "server/Auth.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/Error.hpp"
#include "server/Store.hpp"

namespace server {

using common::ApiError;

namespace {
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

std::string base64UrlEncode(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    auto b = [&](size_t k) { return static_cast<uint8_t>(in[k]); };
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
        out += kB64Url[v >> 18];
        out += kB64Url[(v >> 12) & 63];
        out += kB64Url[(v >> 6) & 63];
        out += kB64Url[v & 63];
    }
    if (in.size() - i == 1) {
        uint32_t v = b(i) << 16;
        out += kB64Url[v >> 18];
        out += kB64Url[(v >> 12) & 63];
    } else if (in.size() - i == 2) {
        uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
        out += kB64Url[v >> 18];
        out += kB64Url[(v >> 12) & 63];
        out += kB64Url[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64UrlDecode(std::string_view in) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (in.size() % 4 == 1) return std::nullopt;
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = val(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    // Non-canonical trailing bits would let two strings decode alike: refuse them.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

std::string randomBytes(size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

std::string randomPassword(size_t length) {
    std::string s = base64UrlEncode(randomBytes(length));
    s.resize(length);
    return s;
}

namespace password {

namespace {
std::string pbkdf2(const std::string& pw, const std::string& salt, int rounds) {
    std::string out(32, '\0');
    if (PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), rounds, EVP_sha256(), 32,
                          reinterpret_cast<unsigned char*>(out.data())) != 1)
        throw std::runtime_error("PBKDF2 failed");
    return out;
}
}  // namespace

std::string hash(const std::string& pw, int rounds) {
    std::string salt = randomBytes(16);
    return "pbkdf2-sha256$" + std::to_string(rounds) + "$" + base64UrlEncode(salt) + "$" +
           base64UrlEncode(pbkdf2(pw, salt, rounds));
}

bool verify(const std::string& pw, const std::string& encoded) {
    std::vector<std::string> parts;
    std::stringstream ss(encoded);
    std::string part;
    while (std::getline(ss, part, '$')) parts.push_back(part);
    if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
    int rounds = 0;
    try {
        rounds = std::stoi(parts[1]);
    } catch (...) {
        return false;
    }
    if (rounds < 1 || rounds > 10'000'000) return false;
    auto salt = base64UrlDecode(parts[2]);
    auto expected = base64UrlDecode(parts[3]);
    if (!salt || !expected || expected->size() != 32) return false;
    std::string got = pbkdf2(pw, *salt, rounds);
    return CRYPTO_memcmp(got.data(), expected->data(), 32) == 0;
}

}  // namespace password

Auth::Auth(Store& store, std::string key) : store_(store), key_(std::move(key)) {
    if (key_.size() < 32) throw std::invalid_argument("server key must be at least 32 bytes");
}

std::string Auth::loadOrCreateKey(const std::filesystem::path& dataDir) {
    auto file = dataDir / "server.key";
    if (std::filesystem::exists(file)) {
        std::ifstream in(file, std::ios::binary);
        std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (key.size() != 32) throw std::runtime_error(file.string() + ": expected 32 bytes");
        return key;
    }
    std::string key = randomBytes(32);
    // Write to a temp file and rename, so a crash never leaves a short key behind.
    auto tmp = dataDir / "server.key.tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp.string());
    bool ok =
        ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + tmp.string());
    std::filesystem::rename(tmp, file);
    return key;
}

std::string Auth::sign(std::string_view data) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
}

std::string Auth::issueToken(const Principal& who, std::chrono::seconds ttl) const {
    nlohmann::json p = {{"uid", who.userId},
                        {"usr", who.username},
                        {"rol", who.role},
                        {"exp", unixNow() + ttl.count()}};
    if (who.classroomId) p["cls"] = *who.classroomId;
    std::string head = "cb1." + base64UrlEncode(p.dump());
    return head + "." + base64UrlEncode(sign(head));
}

Principal Auth::verifyToken(std::string_view token) const {
    if (token.size() > 4096 || token.substr(0, 4) != "cb1.")
        throw ApiError::unauthorized("malformed token");
    auto dot = token.rfind('.');
    if (dot <= 3) throw ApiError::unauthorized("malformed token");
    auto mac = base64UrlDecode(token.substr(dot + 1));
    std::string expected = sign(token.substr(0, dot));
    if (!mac || mac->size() != expected.size() ||
        CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) != 0)
        throw ApiError::unauthorized("invalid token signature");
    auto payload = base64UrlDecode(token.substr(4, dot - 4));
    if (!payload) throw ApiError::unauthorized("malformed token");
    try {
        auto p = nlohmann::json::parse(*payload);
        if (p.at("exp").get<int64_t>() <= unixNow()) throw ApiError::unauthorized("token expired");
        Principal who;
        who.userId = p.at("uid").get<int64_t>();
        who.username = p.at("usr").get<std::string>();
        who.role = p.at("rol").get<std::string>();
        if (p.contains("cls")) who.classroomId = p["cls"].get<int64_t>();
        return who;
    } catch (const nlohmann::json::exception&) {
        throw ApiError::unauthorized("malformed token");
    }
}

Principal Auth::authenticate(const signaling::Request& request) const {
    std::string token;
    std::string h = request.header("authorization");
    if (!h.empty()) {
        if (h.size() < 7 || strncasecmp(h.c_str(), "Bearer ", 7) != 0)
            throw ApiError::unauthorized("Authorization must be \"Bearer TOKEN\"");
        token = h.substr(7);
    } else {
        token = request.queryParam("token");
    }
    if (token.empty()) throw ApiError::unauthorized("authentication required");
    Principal who = verifyToken(token);
    std::lock_guard lock(store_.mutex());
    auto q = store_.query("SELECT role, classroom_id FROM users WHERE id = ? AND username = ?",
                          who.userId, who.username);
    if (!q.step() || q.text(0) != who.role)
        throw ApiError::unauthorized("token no longer valid for this user");
    who.classroomId = q.optInteger(1);
    return who;
}

Principal Auth::login(const std::string& username, const std::string& pw) const {
    std::string hashValue;
    Principal who;
    {
        std::lock_guard lock(store_.mutex());
        auto q = store_.query(
            "SELECT id, username, role, classroom_id, password_hash FROM users WHERE username = ?",
            username);
        if (q.step()) {
            who.userId = q.integer(0);
            who.username = q.text(1);
            who.role = q.text(2);
            who.classroomId = q.optInteger(3);
            hashValue = q.text(4);
        }
    }
    // Hash even for unknown users so timing does not reveal which names exist.
    static const std::string dummy = password::hash("dummy-password");
    bool ok = password::verify(pw, hashValue.empty() ? dummy : hashValue);
    if (hashValue.empty() || !ok) throw ApiError::unauthorized("wrong username or password");
    return who;
}

Principal Auth::principalFor(const std::string& username) const {
    std::lock_guard lock(store_.mutex());
    auto q = store_.query("SELECT id, username, role, classroom_id FROM users WHERE username = ?",
                          username);
    if (!q.step()) throw ApiError::notFound("no user named " + username);
    return Principal{q.integer(0), q.text(1), q.text(2), q.optInteger(3)};
}

void Auth::requireRole(const Principal& who, std::initializer_list<std::string_view> roles) const {
    if (std::find(roles.begin(), roles.end(), who.role) == roles.end())
        throw ApiError::forbidden("role " + who.role + " may not do this");
}

bool Auth::canPublish(const Principal& who, const Lesson& lesson) const {
    if (who.role == "admin") return true;
    if (who.role == "teacher") return who.userId == lesson.teacherId;
    if (who.role == "classroom")
        return who.classroomId && *who.classroomId == lesson.hostClassroomId;
    return false;
}

bool Auth::canPlay(const Principal& who, const Lesson& lesson) const {
    if (canPublish(who, lesson)) return true;
    if (who.role == "staff") return true;
    if (who.role == "classroom")
        return who.classroomId && lesson.involvesClassroom(*who.classroomId);
    return false;
}

void Auth::requirePublish(const Principal& who, const Lesson& lesson) const {
    if (!canPublish(who, lesson))
        throw ApiError::forbidden("not the teacher or host classroom of lesson " +
                                  std::to_string(lesson.id));
}

void Auth::requirePlay(const Principal& who, const Lesson& lesson) const {
    if (!canPlay(who, lesson))
        throw ApiError::forbidden("not a member of lesson " + std::to_string(lesson.id));
}

bool Auth::validRole(std::string_view role) {
    return role == "admin" || role == "teacher" || role == "classroom" || role == "staff" ||
           role == "viewer";
}

}  // namespace server
