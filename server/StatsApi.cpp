#include "server/StatsApi.hpp"

#include <cmath>
#include <ctime>
#include <map>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/Store.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;
using signaling::Request;

namespace {

int64_t parseBound(const std::string& name, const std::string& v, int64_t def) {
    if (v.empty()) return def;
    std::string s = v;
    if (s.size() == 10) s += "T00:00:00Z";  // a plain date: midnight UTC
    try {
        return LessonService::parseTime(s);
    } catch (const std::invalid_argument&) {
        throw ApiError::badRequest("invalid_value",
                                   name + " must be an RFC 3339 time or YYYY-MM-DD");
    }
}

std::string isoWeek(int64_t t) {
    return LessonService::formatUtc(t, "%G-W%V");
}

double round2(double v) {
    return std::round(v * 100) / 100;
}

std::string csvField(const std::string& s) {
    // Quote always; a leading = + - @ is prefixed so spreadsheets do not run it as a formula.
    std::string out = "\"";
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) out += '\'';
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

void StatsApi::registerRoutes(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/stats/lessons", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin", "staff"});
        int64_t now = LessonService::now();
        int64_t from = parseBound("from", r.queryParam("from"), now - 30 * 86400);
        int64_t to = parseBound("to", r.queryParam("to"), now + 30 * 86400);
        if (to <= from) throw ApiError::badRequest("invalid_time_range", "to must be after from");
        std::string by = r.queryParam("by");
        if (by.empty()) by = "school";
        if (by != "school" && by != "subject" && by != "mode" && by != "week")
            throw ApiError::badRequest("invalid_value", "by must be school, subject, mode or week");

        struct Row {
            int64_t scheduled = 0, held = 0;
            double hours = 0;
        };
        std::map<std::string, Row> rows;
        Row total;
        {
            std::lock_guard lock(ctx_.store.mutex());
            auto q = ctx_.store.query(
                "SELECT s.name, l.subject, l.mode, l.starts_at, l.ends_at, l.started_at FROM "
                "lessons l "
                "JOIN classrooms c ON c.id = l.host_classroom_id JOIN schools s ON s.id = "
                "c.school_id "
                "WHERE l.starts_at >= ? AND l.starts_at < ?",
                from, to);
            while (q.step()) {
                std::string key = by == "school"    ? q.text(0)
                                  : by == "subject" ? q.text(1)
                                  : by == "mode"    ? q.text(2)
                                                    : isoWeek(q.integer(3));
                bool held = !q.isNull(5);
                double hours = held ? (q.integer(4) - q.integer(3)) / 3600.0 : 0;
                for (Row* row : {&rows[key], &total}) {
                    row->scheduled++;
                    row->held += held;
                    row->hours += hours;
                }
            }
        }
        auto rate = [](const Row& row) {
            return row.scheduled ? round2(double(row.held) / row.scheduled) : 0.0;
        };
        std::string accept = r.header("accept");
        if (accept.find("text/csv") != std::string::npos || r.queryParam("format") == "csv") {
            std::string csv = by + ",scheduled,held,opening_rate,class_hours\r\n";
            char buf[128];
            for (const auto& [key, row] : rows) {
                std::snprintf(buf, sizeof buf, ",%lld,%lld,%.2f,%.2f\r\n", (long long)row.scheduled,
                              (long long)row.held, rate(row), round2(row.hours));
                csv += csvField(key) + buf;
            }
            signaling::Response resp;
            resp.contentType = "text/csv; charset=utf-8";
            resp.headers.emplace_back("Content-Disposition",
                                      "attachment; filename=\"lesson-stats.csv\"");
            resp.body = std::move(csv);
            return resp;
        }
        json list = json::array();
        for (const auto& [key, row] : rows)
            list.push_back({{"key", key},
                            {"scheduled", row.scheduled},
                            {"held", row.held},
                            {"opening_rate", rate(row)},
                            {"class_hours", round2(row.hours)}});
        return jsonResponse(200, {{"from", LessonService::formatTime(from)},
                                  {"to", LessonService::formatTime(to)},
                                  {"by", by},
                                  {"rows", list},
                                  {"total",
                                   {{"scheduled", total.scheduled},
                                    {"held", total.held},
                                    {"opening_rate", rate(total)},
                                    {"class_hours", round2(total.hours)}}}});
    });
}

}  // namespace server
