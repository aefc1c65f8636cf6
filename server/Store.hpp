#pragma once
// RAII adapter for one SQLite connection (WAL, foreign keys on, busy timeout).
// The connection is used on the HTTP loop thread; any other thread must hold mutex()
// for the duration of its statements (transaction() takes it).
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace server {

class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;

    // Binding is 1-based, like SQLite.
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
    Statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, std::nullopt_t);
// GCC 12 reports the payload of an engaged std::optional<double> that was reset() on
// another path as "maybe uninitialized" (a known false positive); the read is guarded.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
    template <class T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
#pragma GCC diagnostic pop

    // True while a row is available; throws std::runtime_error on errors (constraint
    // violations throw ConstraintError).
    bool step();
    void run() {
        while (step()) {
        }
    }
    void reset();

    bool isNull(int col) const;  // 0-based, like SQLite
    int64_t integer(int col) const;
    double real(int col) const;
    std::string text(int col) const;
    std::optional<int64_t> optInteger(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

class ConstraintError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Store {
public:
    static std::unique_ptr<Store> open(const std::filesystem::path& file);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    void exec(std::string_view sql);
    template <class... Args>
    Statement query(std::string_view sql, const Args&... args) {
        Statement s(db_, sql);
        int i = 1;
        (s.bind(i++, args), ...);
        return s;
    }
    // Runs a statement that returns no rows; returns sqlite3_changes().
    template <class... Args>
    int run(std::string_view sql, const Args&... args) {
        query(sql, args...).run();
        return changes();
    }
    int64_t lastInsertId() const;
    int changes() const;

    // fn() inside BEGIN IMMEDIATE ... COMMIT; any exception rolls back and is rethrown.
    // Nested calls join the outer transaction.
    template <class F>
    auto transaction(F&& fn) -> decltype(fn()) {
        std::lock_guard lock(mutex_);
        if (depth_ > 0) {
            ++depth_;
            struct Dec {
                int& d;
                ~Dec() { --d; }
            } dec{depth_};
            return fn();
        }
        exec("BEGIN IMMEDIATE");
        ++depth_;
        try {
            if constexpr (std::is_void_v<decltype(fn())>) {
                fn();
                --depth_;
                exec("COMMIT");
            } else {
                auto result = fn();
                --depth_;
                exec("COMMIT");
                return result;
            }
        } catch (...) {
            if (depth_ > 0) --depth_;
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }

    std::recursive_mutex& mutex() { return mutex_; }
    sqlite3* handle() { return db_; }

private:
    explicit Store(sqlite3* db) : db_(db) {}
    sqlite3* db_;
    std::recursive_mutex mutex_;
    int depth_ = 0;
};

}  // namespace server
