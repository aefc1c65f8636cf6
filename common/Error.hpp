#pragma once
// Control-path errors: thrown below, turned into {"error":{"code","message"}} with the
// HTTP status at the boundary (signaling::HttpServer catches ApiError).
#include <stdexcept>
#include <string>

namespace common {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }

    static ApiError badRequest(const std::string& code, const std::string& msg) {
        return {400, code, msg};
    }
    static ApiError unauthorized(const std::string& msg) { return {401, "unauthorized", msg}; }
    static ApiError forbidden(const std::string& msg) { return {403, "forbidden", msg}; }
    static ApiError notFound(const std::string& msg) { return {404, "not_found", msg}; }
    static ApiError conflict(const std::string& code, const std::string& msg) {
        return {409, code, msg};
    }

private:
    int status_;
    std::string code_;
};

}  // namespace common
