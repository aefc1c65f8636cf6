#pragma once
// First-start work on a data dir, shared by `serve`, `demo`, `token` and `migrate`.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace server {

class Store;
class Auth;
class LessonService;

// Creates the dir (0700) if needed, opens DATA/classbridge.db and applies migrations.
std::unique_ptr<Store> openStore(const std::filesystem::path& dataDir);
// Creates user "admin" when no admin exists. Returns the password when it was generated
// (to be printed once), nullopt otherwise.
std::optional<std::string> ensureAdmin(Store& store, const std::string& configuredPassword);

struct DemoInfo {
    int64_t lessonId = 0;
    std::string adminPassword, userPassword;
};
// `classbridge demo`: schools, classrooms, users and a lesson live now; idempotent.
DemoInfo seedDemo(Store& store, LessonService& lessons, const std::string& adminPassword);

}  // namespace server
