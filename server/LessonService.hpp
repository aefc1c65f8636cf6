#pragma once
// The lessons and their lifecycle. Mutations run in a store transaction, validate
// (times, double booking, members), write an audit entry, then notify listeners
// (modules) on the calling thread, which is the HTTP loop thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/Lesson.hpp"

namespace server {

class Store;
struct Principal;

class LessonListener {
public:
    virtual ~LessonListener() = default;
    virtual void onLessonLive(const Lesson&) = 0;
    virtual void onLessonEnded(const Lesson&) = 0;
};

struct LessonFilter {
    std::optional<std::string> status;
    std::optional<int64_t> teacherId;    // lessons of this teacher
    std::optional<int64_t> classroomId;  // host or member
};

class LessonService {
public:
    explicit LessonService(Store& store);

    Lesson get(int64_t id) const;  // ApiError 404
    std::optional<Lesson> find(int64_t id) const;
    std::vector<Lesson> list(const LessonFilter& filter = {}) const;
    std::vector<Lesson> live() const;

    // `lesson.id`, `status`, the *Unix fields are ignored on input; times must be set.
    // Throws ApiError (400 validation, 409 double booking / wrong state).
    Lesson create(Lesson lesson, const Principal& actor);
    Lesson update(const Lesson& changed, const Principal& actor);  // scheduled lessons only
    void remove(int64_t id, const Principal& actor);               // not while live
    Lesson start(int64_t id, const Principal& actor);              // scheduled -> live
    Lesson end(int64_t id, const Principal& actor);                // live/scheduled -> ended

    // Scheduler step: starts lessons whose start time has come, ends those past their
    // end. Returns how many changed. `now` in epoch seconds.
    int tick(int64_t now);

    void addListener(LessonListener* listener);
    void removeListener(LessonListener* listener);

    static int64_t parseTime(const std::string& rfc3339);  // throws std::invalid_argument
    static std::string formatTime(int64_t unixSeconds);    // "YYYY-MM-DDTHH:MM:SSZ"
    static std::string formatUtc(int64_t unixSeconds, const char* strftimeFormat);
    static int64_t now();

private:
    void validate(const Lesson& lesson) const;
    void save(Lesson& lesson, bool isNew);
    void notify(const Lesson& lesson, bool live);
    Lesson setStatus(int64_t id, const std::string& status, const Principal* actor);
    Store& store_;
    std::vector<LessonListener*> listeners_;
};

// Appends one row to audit_log; actor may be null for the system (scheduler, demo).
void audit(Store& store, const Principal* actor, const std::string& action,
           const std::string& entity, int64_t entityId, const std::string& detailJson);

}  // namespace server
