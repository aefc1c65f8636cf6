#include "server/LessonService.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Store.hpp"

namespace server {

using common::ApiError;

namespace {

constexpr const char* kColumns =
    "id, title, mode, subject, grade, teacher_id, host_classroom_id, starts_at, ends_at, record, "
    "status, started_at, ended_at";

Lesson readLesson(Statement& q) {
    Lesson l;
    l.id = q.integer(0);
    l.title = q.text(1);
    l.mode = q.text(2);
    l.subject = q.text(3);
    l.grade = q.text(4);
    l.teacherId = q.integer(5);
    l.hostClassroomId = q.integer(6);
    l.startsAtUnix = q.integer(7);
    l.endsAtUnix = q.integer(8);
    l.startsAt = LessonService::formatTime(l.startsAtUnix);
    l.endsAt = LessonService::formatTime(l.endsAtUnix);
    l.record = q.integer(9) != 0;
    l.status = q.text(10);
    l.startedAtUnix = q.optInteger(11);
    l.endedAtUnix = q.optInteger(12);
    return l;
}

void loadMembers(Store& store, Lesson& l) {
    auto q = store.query(
        "SELECT classroom_id FROM lesson_members WHERE lesson_id = ? ORDER BY classroom_id", l.id);
    l.memberClassroomIds.clear();
    while (q.step()) l.memberClassroomIds.push_back(q.integer(0));
}

bool validMode(const std::string& m) {
    return m == "dedicated" || m == "famous_teacher" || m == "famous_school";
}

}  // namespace

void audit(Store& store, const Principal* actor, const std::string& action,
           const std::string& entity, int64_t entityId, const std::string& detailJson) {
    store.run(
        "INSERT INTO audit_log(user_id, username, action, entity, entity_id, detail) VALUES "
        "(?, ?, ?, ?, ?, ?)",
        actor ? std::optional<int64_t>(actor->userId) : std::nullopt,
        actor ? actor->username : std::string("system"), action, entity, entityId, detailJson);
}

LessonService::LessonService(Store& store) : store_(store) {}

int64_t LessonService::now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t LessonService::parseTime(const std::string& s) {
    // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
    int Y, M, D, h, m, sec, n = 0;
    if (s.size() < 20 || s.size() > 40 ||
        std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) !=
            6 ||
        n != 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        throw std::invalid_argument("not an RFC 3339 time: " + s);
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        ++i;
        size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
        if (digits == 0) throw std::invalid_argument("not an RFC 3339 time: " + s);
    }
    int offset = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = 0, om = 0;
        if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
            throw std::invalid_argument("bad time zone offset: " + s);
        offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        throw std::invalid_argument("RFC 3339 time needs Z or an offset: " + s);
    }
    if (i != s.size()) throw std::invalid_argument("not an RFC 3339 time: " + s);
    if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        throw std::invalid_argument("time out of range: " + s);
    std::tm tm{};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    std::tm back{};
    gmtime_r(&t, &back);
    if (back.tm_mday != D) throw std::invalid_argument("no such date: " + s);  // Feb 30 ...
    return static_cast<int64_t>(t) - offset;
}

std::string LessonService::formatTime(int64_t unixSeconds) {
    return formatUtc(unixSeconds, "%Y-%m-%dT%H:%M:%SZ");
}

std::string LessonService::formatUtc(int64_t unixSeconds, const char* strftimeFormat) {
    time_t t = static_cast<time_t>(unixSeconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, strftimeFormat, &tm);
    return buf;
}

std::optional<Lesson> LessonService::find(int64_t id) const {
    std::lock_guard lock(store_.mutex());
    auto q = store_.query(std::string("SELECT ") + kColumns + " FROM lessons WHERE id = ?", id);
    if (!q.step()) return std::nullopt;
    Lesson l = readLesson(q);
    loadMembers(store_, l);
    return l;
}

Lesson LessonService::get(int64_t id) const {
    auto l = find(id);
    if (!l) throw ApiError::notFound("no lesson " + std::to_string(id));
    return *l;
}

std::vector<Lesson> LessonService::list(const LessonFilter& f) const {
    std::lock_guard lock(store_.mutex());
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM lessons WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR "
                      "teacher_id = ?2) AND (?3 IS NULL OR host_classroom_id = ?3 OR id IN "
                      "(SELECT lesson_id FROM lesson_members WHERE classroom_id = ?3)) ORDER BY "
                      "starts_at, id";
    auto q = store_.query(sql, f.status, f.teacherId, f.classroomId);
    std::vector<Lesson> out;
    while (q.step()) out.push_back(readLesson(q));
    for (auto& l : out) loadMembers(store_, l);
    return out;
}

std::vector<Lesson> LessonService::live() const {
    LessonFilter f;
    f.status = "live";
    return list(f);
}

void LessonService::validate(const Lesson& l) const {
    if (!validMode(l.mode))
        throw ApiError::badRequest("invalid_mode",
                                   "mode must be dedicated, famous_teacher or famous_school");
    if (l.endsAtUnix <= l.startsAtUnix)
        throw ApiError::badRequest("invalid_time_range", "ends_at must be after starts_at");
    if (l.endsAtUnix - l.startsAtUnix > 24 * 3600)
        throw ApiError::badRequest("invalid_time_range", "a lesson lasts at most 24 hours");
    {
        auto q = store_.query("SELECT role FROM users WHERE id = ?", l.teacherId);
        if (!q.step())
            throw ApiError::badRequest("unknown_teacher", "no user " + std::to_string(l.teacherId));
        if (q.text(0) != "teacher" && q.text(0) != "admin")
            throw ApiError::badRequest("invalid_teacher",
                                       "user " + std::to_string(l.teacherId) + " is not a teacher");
    }
    auto classroomExists = [&](int64_t id) {
        auto q = store_.query("SELECT 1 FROM classrooms WHERE id = ?", id);
        return q.step();
    };
    if (!classroomExists(l.hostClassroomId))
        throw ApiError::badRequest("unknown_classroom",
                                   "no classroom " + std::to_string(l.hostClassroomId));
    std::vector<int64_t> seen;
    for (auto id : l.memberClassroomIds) {
        if (id == l.hostClassroomId)
            throw ApiError::badRequest("member_is_host",
                                       "the host classroom cannot also be a member");
        if (std::find(seen.begin(), seen.end(), id) != seen.end())
            throw ApiError::badRequest("duplicate_member",
                                       "classroom " + std::to_string(id) + " listed twice");
        if (!classroomExists(id))
            throw ApiError::badRequest("unknown_classroom", "no classroom " + std::to_string(id));
        seen.push_back(id);
    }
    // Double booking: another not-ended lesson overlapping [starts, ends).
    auto overlapping = store_.query(
        "SELECT id, teacher_id, host_classroom_id FROM lessons WHERE id != ? AND status != 'ended' "
        "AND starts_at < ? AND ends_at > ?",
        l.id, l.endsAtUnix, l.startsAtUnix);
    while (overlapping.step()) {
        int64_t other = overlapping.integer(0);
        if (overlapping.integer(1) == l.teacherId)
            throw ApiError::conflict("teacher_busy", "the teacher already has lesson " +
                                                         std::to_string(other) + " at that time");
        Lesson o;
        o.id = other;
        o.hostClassroomId = overlapping.integer(2);
        loadMembers(store_, o);
        if (l.involvesClassroom(o.hostClassroomId))
            throw ApiError::conflict(
                "classroom_busy", "classroom " + std::to_string(o.hostClassroomId) +
                                      " is in lesson " + std::to_string(other) + " at that time");
        for (auto c : o.memberClassroomIds)
            if (l.involvesClassroom(c))
                throw ApiError::conflict("classroom_busy",
                                         "classroom " + std::to_string(c) + " is in lesson " +
                                             std::to_string(other) + " at that time");
    }
}

void LessonService::save(Lesson& l, bool isNew) {
    if (isNew) {
        store_.run(
            "INSERT INTO lessons(title, mode, subject, grade, teacher_id, host_classroom_id, "
            "starts_at, ends_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            l.title, l.mode, l.subject, l.grade, l.teacherId, l.hostClassroomId, l.startsAtUnix,
            l.endsAtUnix, l.record);
        l.id = store_.lastInsertId();
    } else {
        store_.run(
            "UPDATE lessons SET title=?, mode=?, subject=?, grade=?, teacher_id=?, "
            "host_classroom_id=?, starts_at=?, ends_at=?, record=? WHERE id=?",
            l.title, l.mode, l.subject, l.grade, l.teacherId, l.hostClassroomId, l.startsAtUnix,
            l.endsAtUnix, l.record, l.id);
        store_.run("DELETE FROM lesson_members WHERE lesson_id = ?", l.id);
    }
    for (auto c : l.memberClassroomIds)
        store_.run("INSERT INTO lesson_members(lesson_id, classroom_id) VALUES (?, ?)", l.id, c);
}

namespace {
std::string lessonDetail(const Lesson& l) {
    return nlohmann::json{{"title", l.title},
                          {"mode", l.mode},
                          {"teacher_id", l.teacherId},
                          {"host_classroom_id", l.hostClassroomId},
                          {"member_classroom_ids", l.memberClassroomIds},
                          {"starts_at", l.startsAt},
                          {"ends_at", l.endsAt}}
        .dump();
}
}  // namespace

Lesson LessonService::create(Lesson l, const Principal& actor) {
    l.startsAtUnix = parseTime(l.startsAt);
    l.endsAtUnix = parseTime(l.endsAt);
    l.id = 0;
    l.status = "scheduled";
    store_.transaction([&] {
        validate(l);
        save(l, true);
        audit(store_, &actor, "create", "lesson", l.id, lessonDetail(l));
    });
    return get(l.id);
}

Lesson LessonService::update(const Lesson& changed, const Principal& actor) {
    Lesson l = changed;
    l.startsAtUnix = parseTime(l.startsAt);
    l.endsAtUnix = parseTime(l.endsAt);
    store_.transaction([&] {
        Lesson current = get(l.id);
        if (current.status != "scheduled")
            throw ApiError::conflict("lesson_not_scheduled",
                                     "only a scheduled lesson can be changed");
        validate(l);
        save(l, false);
        audit(store_, &actor, "update", "lesson", l.id, lessonDetail(l));
    });
    return get(l.id);
}

void LessonService::remove(int64_t id, const Principal& actor) {
    store_.transaction([&] {
        Lesson current = get(id);
        if (current.status == "live")
            throw ApiError::conflict("lesson_live", "end the lesson before deleting it");
        try {
            store_.run("DELETE FROM lessons WHERE id = ?", id);
        } catch (const ConstraintError&) {
            throw ApiError::conflict("in_use", "the lesson still has recordings or sources");
        }
        audit(store_, &actor, "delete", "lesson", id, lessonDetail(current));
    });
}

Lesson LessonService::setStatus(int64_t id, const std::string& status, const Principal* actor) {
    Lesson l = store_.transaction([&] {
        Lesson cur = get(id);
        int64_t t = now();
        if (status == "live") {
            if (cur.status != "scheduled")
                throw ApiError::conflict("lesson_" + cur.status, "lesson is already " + cur.status);
            store_.run("UPDATE lessons SET status='live', started_at=? WHERE id=?", t, id);
        } else {
            if (cur.status == "ended")
                throw ApiError::conflict("lesson_ended", "lesson already ended");
            store_.run("UPDATE lessons SET status='ended', ended_at=? WHERE id=?", t, id);
        }
        audit(store_, actor, status == "live" ? "start" : "end", "lesson", id, "{}");
        return get(id);
    });
    notify(l, status == "live");
    return l;
}

Lesson LessonService::start(int64_t id, const Principal& actor) {
    return setStatus(id, "live", &actor);
}
Lesson LessonService::end(int64_t id, const Principal& actor) {
    return setStatus(id, "ended", &actor);
}

int LessonService::tick(int64_t t) {
    std::vector<int64_t> toStart, toEnd;
    {
        std::lock_guard lock(store_.mutex());
        auto q = store_.query(
            "SELECT id FROM lessons WHERE status='scheduled' AND starts_at <= ? AND ends_at > ?", t,
            t);
        while (q.step()) toStart.push_back(q.integer(0));
        auto e = store_.query("SELECT id FROM lessons WHERE status != 'ended' AND ends_at <= ?", t);
        while (e.step()) toEnd.push_back(e.integer(0));
    }
    int changed = 0;
    for (auto id : toStart) {
        try {
            setStatus(id, "live", nullptr);
            ++changed;
        } catch (const ApiError&) {  // raced with a manual start/end: fine
        }
    }
    for (auto id : toEnd) {
        try {
            setStatus(id, "ended", nullptr);
            ++changed;
        } catch (const ApiError&) {
        }
    }
    return changed;
}

void LessonService::notify(const Lesson& l, bool live) {
    for (auto* listener : listeners_) {
        if (live)
            listener->onLessonLive(l);
        else
            listener->onLessonEnded(l);
    }
}

void LessonService::addListener(LessonListener* listener) {
    listeners_.push_back(listener);
}
void LessonService::removeListener(LessonListener* listener) {
    listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

}  // namespace server
