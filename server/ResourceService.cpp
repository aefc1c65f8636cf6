#include "server/ResourceService.hpp"

#include <ctime>

#include "common/Error.hpp"
#include "server/LessonService.hpp"
#include "server/Store.hpp"
#include "server/Validation.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;

namespace {

constexpr const char* kCols =
    "SELECT r.id, r.recording_id, r.lesson_id, r.title, r.description, r.mode, r.subject, "
    "r.grade, r.teacher_id, r.teacher, r.school_id, r.school, r.taken_on, r.status, "
    "r.reject_reason, r.visibility, r.trim_start, r.trim_end, r.processing, "
    "r.processing_error, r.duration, r.size, r.views, r.created_at, r.updated_at, "
    "r.published_at, (SELECT AVG(stars) FROM resource_ratings WHERE resource_id = r.id), "
    "(SELECT COUNT(*) FROM resource_ratings WHERE resource_id = r.id), "
    "(SELECT COUNT(*) FROM resource_comments WHERE resource_id = r.id AND hidden = 0) "
    "FROM resources r";

json optInt(Statement& q, int col) {
    return q.isNull(col) ? json(nullptr) : json(q.integer(col));
}

json toJson(Statement& q) {
    int64_t id = q.integer(0);
    std::string base = "/vod/" + std::to_string(id) + "/";
    json j = {{"id", id},
              {"recording_id", optInt(q, 1)},
              {"lesson_id", optInt(q, 2)},
              {"title", q.text(3)},
              {"description", q.text(4)},
              {"mode", q.text(5)},
              {"subject", q.text(6)},
              {"grade", q.text(7)},
              {"teacher_id", optInt(q, 8)},
              {"teacher", q.text(9)},
              {"school_id", optInt(q, 10)},
              {"school", q.text(11)},
              {"date", q.text(12)},
              {"status", q.text(13)},
              {"reject_reason", q.text(14)},
              {"visibility", q.text(15)},
              {"trim_start", q.real(16)},
              {"trim_end", q.isNull(17) ? json(nullptr) : json(q.real(17))},
              {"processing", q.text(18)},
              {"processing_error", q.text(19)},
              {"duration", q.real(20)},
              {"size", q.integer(21)},
              {"views", q.integer(22)},
              {"created_at", LessonService::formatTime(q.integer(23))},
              {"updated_at", LessonService::formatTime(q.integer(24))},
              {"published_at",
               q.isNull(25) ? json(nullptr) : json(LessonService::formatTime(q.integer(25)))},
              {"rating", {{"average", q.isNull(26) ? 0.0 : q.real(26)}, {"count", q.integer(27)}}},
              {"comments", q.integer(28)}};
    if (q.text(18) == "ready")
        j["urls"] = {{"hls", base + "index.m3u8"},
                     {"mp4", base + "lesson.mp4"},
                     {"poster", base + "poster.jpg"},
                     {"thumbnails",
                      {base + "thumb_1.jpg", base + "thumb_2.jpg", base + "thumb_3.jpg",
                       base + "thumb_4.jpg"}}};
    return j;
}

ResourceRow readRow(Store& store, int64_t id) {
    auto q = store.query(
        "SELECT id, recording_id, lesson_id, teacher_id, school_id, status, visibility, "
        "processing, trim_start, trim_end, duration FROM resources WHERE id = ?",
        id);
    if (!q.step()) throw ApiError::notFound("no resource " + std::to_string(id));
    ResourceRow r;
    r.id = q.integer(0);
    r.recordingId = q.optInteger(1);
    r.lessonId = q.optInteger(2);
    r.teacherId = q.optInteger(3);
    r.schoolId = q.optInteger(4);
    r.status = q.text(5);
    r.visibility = q.text(6);
    r.processing = q.text(7);
    r.trimStart = q.real(8);
    if (!q.isNull(9)) r.trimEnd = q.real(9);
    r.duration = q.real(10);
    return r;
}

bool owns(const ResourceRow& r, const Principal& who) {
    return who.role == "teacher" && r.teacherId && *r.teacherId == who.userId;
}

int64_t intParam(const std::map<std::string, std::string>& q, const char* name, int64_t def,
                 int64_t lo, int64_t hi) {
    auto it = q.find(name);
    if (it == q.end() || it->second.empty()) return def;
    try {
        size_t used = 0;
        int64_t v = std::stoll(it->second, &used);
        if (used != it->second.size() || v < lo || v > hi) throw std::invalid_argument("range");
        return v;
    } catch (const std::exception&) {
        throw ApiError::badRequest("invalid_value", std::string(name) + " must be an integer in [" +
                                                        std::to_string(lo) + ", " +
                                                        std::to_string(hi) + "]");
    }
}

}  // namespace

std::optional<int64_t> ResourceService::schoolOf(const Principal& who) const {
    if (!who.classroomId) return std::nullopt;
    std::lock_guard lock(store_.mutex());
    auto q = store_.query("SELECT school_id FROM classrooms WHERE id = ?", *who.classroomId);
    if (!q.step()) return std::nullopt;
    return q.integer(0);
}

int64_t ResourceService::createDraft(int64_t recordingId) {
    return store_.transaction([&] {
        auto q = store_.query(
            "SELECT l.id, l.title, l.mode, l.subject, l.grade, l.teacher_id, "
            "COALESCE(NULLIF(u.display_name, ''), u.username), s.id, s.name, s.region, "
            "COALESCE(l.started_at, l.starts_at), rec.source "
            "FROM recordings rec JOIN lessons l ON l.id = rec.lesson_id "
            "LEFT JOIN users u ON u.id = l.teacher_id "
            "LEFT JOIN classrooms c ON c.id = l.host_classroom_id "
            "LEFT JOIN schools s ON s.id = c.school_id WHERE rec.id = ?",
            recordingId);
        if (!q.step()) throw ApiError::notFound("no recording " + std::to_string(recordingId));
        time_t t = time_t(q.integer(10));
        tm utc{};
        gmtime_r(&t, &utc);
        char date[16];
        strftime(date, sizeof date, "%Y-%m-%d", &utc);
        std::string title = q.text(1);
        std::string source = q.text(11);
        // Sources other than the usual camera are named in the title so staff tell them apart.
        if (source != "teacher" && source != "main" && !source.empty())
            title += " (" + source + ")";
        store_.run(
            "INSERT INTO resources (recording_id, lesson_id, title, mode, subject, grade, "
            "teacher_id, teacher, school_id, school, region, taken_on) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            recordingId, q.integer(0), title, q.text(2), q.text(3), q.text(4), q.integer(5),
            q.text(6), q.optInteger(7), q.text(8), q.text(9), std::string(date));
        int64_t id = store_.lastInsertId();
        audit(store_, nullptr, "create", "resource", id,
              json{{"recording_id", recordingId}, {"status", "draft"}}.dump());
        return id;
    });
}

ResourceRow ResourceService::row(int64_t id) const {
    std::lock_guard lock(store_.mutex());
    return readRow(store_, id);
}

json ResourceService::get(int64_t id, const Principal* who) const {
    std::lock_guard lock(store_.mutex());
    ResourceRow r = readRow(store_, id);
    requireView(r, who);
    auto q = store_.query(std::string(kCols) + " WHERE r.id = ?", id);
    q.step();
    return toJson(q);
}

void ResourceService::requireView(const ResourceRow& r, const Principal* who) const {
    if (who && (isReviewer(*who) || owns(r, *who))) return;
    if (r.status != "published") throw ApiError::notFound("no resource " + std::to_string(r.id));
    if (r.visibility == "public") return;
    if (!who) throw ApiError::unauthorized("sign in to watch this resource");
    if (r.visibility == "region") return;
    auto school = schoolOf(*who);
    if (!school || !r.schoolId || *school != *r.schoolId)
        throw ApiError::forbidden("this resource is visible to its school only");
}

json ResourceService::list(const std::map<std::string, std::string>& query,
                           const Principal& who) const {
    int64_t page = intParam(query, "page", 1, 1, 1'000'000);
    int64_t perPage = intParam(query, "per_page", 20, 1, 100);
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    auto eq = [&](const char* param, const char* column) {
        auto it = query.find(param);
        if (it == query.end() || it->second.empty()) return;
        where += std::string(" AND ") + column + " = ?";
        args.push_back(it->second);
    };
    eq("subject", "r.subject");
    eq("grade", "r.grade");
    eq("mode", "r.mode");
    eq("status", "r.status");
    eq("visibility", "r.visibility");
    eq("date", "r.taken_on");
    eq("lesson_id", "CAST(r.lesson_id AS TEXT)");
    if (auto it = query.find("from"); it != query.end() && !it->second.empty()) {
        where += " AND r.taken_on >= ?";
        args.push_back(it->second);
    }
    if (auto it = query.find("to"); it != query.end() && !it->second.empty()) {
        where += " AND r.taken_on <= ?";
        args.push_back(it->second);
    }
    // teacher / school: an id, or (part of) a name.
    for (auto [param, idCol, nameCol] : {std::tuple{"teacher", "r.teacher_id", "r.teacher"},
                                         std::tuple{"school", "r.school_id", "r.school"}}) {
        auto it = query.find(param);
        if (it == query.end() || it->second.empty()) continue;
        where += std::string(" AND (CAST(") + idCol + " AS TEXT) = ? OR " + nameCol + " LIKE ?)";
        args.push_back(it->second);
        args.push_back("%" + it->second + "%");
    }
    if (auto it = query.find("q"); it != query.end() && !it->second.empty()) {
        where +=
            " AND (r.title LIKE ? OR r.description LIKE ? OR r.teacher LIKE ? OR r.school LIKE ? "
            "OR r.subject LIKE ?)";
        for (int i = 0; i < 5; ++i) args.push_back("%" + it->second + "%");
    }
    // What the caller may see at all.
    if (!isReviewer(who)) {
        std::string mine =
            who.role == "teacher" ? "r.teacher_id = " + std::to_string(who.userId) : "0";
        auto school = schoolOf(who);
        where += " AND (" + mine +
                 " OR (r.status = 'published' AND (r.visibility IN ('public','region')" +
                 (school ? " OR r.school_id = " + std::to_string(*school) : std::string()) + ")))";
    }
    std::lock_guard lock(store_.mutex());
    auto count = store_.query("SELECT COUNT(*) FROM resources r" + where);
    for (size_t i = 0; i < args.size(); ++i) count.bind(int(i + 1), args[i]);
    count.step();
    int64_t total = count.integer(0);
    auto q = store_.query(std::string(kCols) + where +
                          " ORDER BY r.taken_on DESC, r.id DESC LIMIT ? OFFSET ?");
    int i = 1;
    for (const auto& a : args) q.bind(i++, a);
    q.bind(i++, perPage);
    q.bind(i++, (page - 1) * perPage);
    nlohmann::json items = nlohmann::json::array();
    while (q.step()) items.push_back(toJson(q));
    return {{"items", items}, {"total", total}, {"page", page}, {"per_page", perPage}};
}

nlohmann::json ResourceService::patch(int64_t id, const std::string& body, const Principal& who) {
    auto b = JsonBody::parseText(
        body, {"title", "description", "subject", "grade", "visibility", "trim_start", "trim_end"});
    store_.transaction([&] {
        ResourceRow r = readRow(store_, id);
        bool reviewer = isReviewer(who);
        if (!reviewer && !(owns(r, who) && (r.status == "draft" || r.status == "rejected")))
            throw ApiError::forbidden("only staff, or the teacher while it is a draft, may edit");
        bool trim = b.has("trim_start") || b.has("trim_end");
        if (trim && r.status == "published")
            throw ApiError::conflict("published", "unpublish the resource before trimming it");
        double start = r.trimStart;
        std::optional<double> end = r.trimEnd;
        if (b.has("trim_start")) {
            if (!b.json()["trim_start"].is_number())
                throw ApiError::badRequest("wrong_type", "trim_start must be a number of seconds");
            start = b.json()["trim_start"].get<double>();
        }
        if (b.has("trim_end")) {
            if (b.isNull("trim_end")) {
                end.reset();
            } else if (!b.json()["trim_end"].is_number()) {
                throw ApiError::badRequest("wrong_type",
                                           "trim_end must be a number of seconds or null");
            } else {
                end = b.json()["trim_end"].get<double>();
            }
        }
        double length = 0;
        if (r.recordingId) {
            auto q = store_.query("SELECT duration FROM recordings WHERE id = ?", *r.recordingId);
            if (q.step()) length = q.real(0);
        }
        if (start < 0 || (end && *end <= start) || (length > 0 && start >= length) ||
            (end && length > 0 && *end > length + 1))
            throw ApiError::badRequest("invalid_value",
                                       "trim must satisfy 0 <= trim_start < trim_end <= duration");
        auto set = [&](const char* col, const std::optional<std::string>& v) {
            if (v)
                store_.run(std::string("UPDATE resources SET ") + col + " = ? WHERE id = ?", *v,
                           id);
        };
        set("title", b.optString("title", 1, 200));
        set("description", b.optString("description", 0, 4000));
        set("subject", b.optString("subject", 1, 64));
        set("grade", b.optString("grade", 1, 32));
        if (auto v = b.optEnum("visibility", {"public", "region", "school"})) {
            if (!reviewer) throw ApiError::forbidden("only staff set the visibility");
            set("visibility", v);
        }
        if (trim) {
            store_.run("UPDATE resources SET trim_start = ?, trim_end = ? WHERE id = ?", start, end,
                       id);
            if (onReprocess) onReprocess(id);
        }
        store_.run("UPDATE resources SET updated_at = unixepoch() WHERE id = ?", id);
        audit(store_, &who, "update", "resource", id, b.json().dump());
    });
    return get(id, &who);
}

nlohmann::json ResourceService::transition(int64_t id, const std::string& action,
                                           const std::string& body, const Principal& who) {
    struct Rule {
        const char* action;
        std::vector<std::string> from;
        const char* to;
        bool ownerMay;
    };
    static const std::vector<Rule> rules = {
        {"submit", {"draft", "rejected", "unpublished"}, "submitted", true},
        {"approve", {"submitted"}, "approved", false},
        {"reject", {"submitted", "approved"}, "rejected", false},
        {"publish", {"approved", "unpublished"}, "published", false},
        {"unpublish", {"published"}, "unpublished", false},
    };
    const Rule* rule = nullptr;
    for (const auto& r : rules)
        if (action == r.action) rule = &r;
    if (!rule) throw ApiError::notFound("no action " + action);
    std::string reason;
    if (action == "reject") {
        auto b = JsonBody::parseText(body.empty() ? "{}" : body, {"reason"});
        reason = b.requiredString("reason", 1, 1000);
    }
    store_.transaction([&] {
        ResourceRow r = readRow(store_, id);
        if (!isReviewer(who) && !(rule->ownerMay && owns(r, who)))
            throw ApiError::forbidden("role " + who.role + " may not " + action + " resources");
        if (std::find(rule->from.begin(), rule->from.end(), r.status) == rule->from.end())
            throw ApiError::conflict("invalid_transition",
                                     "cannot " + action + " a resource that is " + r.status);
        if (action == "publish" && r.processing != "ready")
            throw ApiError::conflict(
                "not_ready", "the resource is still being processed (" + r.processing + ")");
        store_.run(
            "UPDATE resources SET status = ?, reject_reason = ?, updated_at = unixepoch(), "
            "published_at = CASE WHEN ? = 'published' THEN unixepoch() ELSE published_at END "
            "WHERE id = ?",
            std::string(rule->to), reason, std::string(rule->to), id);
        nlohmann::json detail = {{"from", r.status}, {"to", rule->to}};
        if (!reason.empty()) detail["reason"] = reason;
        audit(store_, &who, action, "resource", id, detail.dump());
    });
    return get(id, &who);
}

bool ResourceService::countView(int64_t id, const std::string& viewerKey) {
    return store_.transaction([&] {
        // Counted when the viewer has no counted view in the last hour; otherwise the upsert's
        // WHERE leaves the row alone and changes() is 0.
        store_.run(
            "INSERT INTO resource_view_last (resource_id, viewer, counted_at) VALUES (?, ?, ?) "
            "ON CONFLICT (resource_id, viewer) DO UPDATE SET counted_at = excluded.counted_at "
            "WHERE resource_view_last.counted_at <= excluded.counted_at - 3600",
            id, viewerKey, int64_t(time(nullptr)));
        if (store_.changes() == 0) return false;
        store_.run("UPDATE resources SET views = views + 1 WHERE id = ?", id);
        return true;
    });
}

nlohmann::json ResourceService::rate(int64_t id, const std::string& body, const Principal& who) {
    auto b = JsonBody::parseText(body, {"stars"});
    const auto& s = b.json().contains("stars") ? b.json()["stars"] : nlohmann::json();
    if (!s.is_number_integer() || s.get<int64_t>() < 1 || s.get<int64_t>() > 5)
        throw ApiError::badRequest("invalid_value", "stars must be an integer from 1 to 5");
    std::lock_guard lock(store_.mutex());
    requireView(readRow(store_, id), &who);
    store_.run(
        "INSERT INTO resource_ratings (resource_id, user_id, stars) VALUES (?, ?, ?) "
        "ON CONFLICT (resource_id, user_id) DO UPDATE SET stars = excluded.stars, at = unixepoch()",
        id, who.userId, s.get<int64_t>());
    auto q =
        store_.query("SELECT AVG(stars), COUNT(*) FROM resource_ratings WHERE resource_id = ?", id);
    q.step();
    return {{"average", q.real(0)}, {"count", q.integer(1)}, {"mine", s.get<int64_t>()}};
}

nlohmann::json ResourceService::comments(int64_t id, const Principal& who) const {
    std::lock_guard lock(store_.mutex());
    requireView(readRow(store_, id), &who);
    bool all = isReviewer(who);
    auto q = store_.query(
        "SELECT id, user_id, username, body, hidden, created_at FROM resource_comments "
        "WHERE resource_id = ? AND (hidden = 0 OR ?) ORDER BY id",
        id, all);
    nlohmann::json out = nlohmann::json::array();
    while (q.step())
        out.push_back({{"id", q.integer(0)},
                       {"user_id", q.integer(1)},
                       {"username", q.text(2)},
                       {"body", q.text(3)},
                       {"hidden", q.integer(4) != 0},
                       {"created_at", LessonService::formatTime(q.integer(5))}});
    return out;
}

nlohmann::json ResourceService::addComment(int64_t id, const std::string& body,
                                           const Principal& who) {
    auto b = JsonBody::parseText(body, {"body"});
    std::string text = b.requiredString("body", 1, 2000);
    std::lock_guard lock(store_.mutex());
    requireView(readRow(store_, id), &who);
    store_.run(
        "INSERT INTO resource_comments (resource_id, user_id, username, body) VALUES (?, ?, ?, ?)",
        id, who.userId, who.username, text);
    int64_t cid = store_.lastInsertId();
    return {{"id", cid},
            {"user_id", who.userId},
            {"username", who.username},
            {"body", text},
            {"hidden", false}};
}

nlohmann::json ResourceService::setCommentHidden(int64_t id, int64_t commentId, bool hidden,
                                                 const Principal& who) {
    if (!isReviewer(who)) throw ApiError::forbidden("only staff may hide comments");
    store_.transaction([&] {
        if (store_.run("UPDATE resource_comments SET hidden = ? WHERE id = ? AND resource_id = ?",
                       hidden, commentId, id) == 0)
            throw ApiError::notFound("no comment " + std::to_string(commentId));
        audit(store_, &who, hidden ? "hide_comment" : "unhide_comment", "resource", id,
              nlohmann::json{{"comment_id", commentId}}.dump());
    });
    return {{"id", commentId}, {"hidden", hidden}};
}

void ResourceService::setProcessing(int64_t id, const std::string& state, const std::string& error,
                                    double duration, uint64_t size) {
    std::lock_guard lock(store_.mutex());
    if (state == "ready")
        store_.run(
            "UPDATE resources SET processing = ?, processing_error = '', duration = ?, size = ?, "
            "updated_at = unixepoch() WHERE id = ?",
            state, duration, int64_t(size), id);
    else
        store_.run("UPDATE resources SET processing = ?, processing_error = ? WHERE id = ?", state,
                   error, id);
}

}  // namespace server
