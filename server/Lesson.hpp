#pragma once
// A lesson as the store holds it. Times are RFC 3339 UTC strings ("2026-11-30T08:00:00Z")
// for the API plus epoch seconds for arithmetic.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace server {

struct Lesson {
    int64_t id = 0;
    std::string title, mode, subject, grade;  // mode: dedicated|famous_teacher|famous_school
    int64_t teacherId = 0;
    int64_t hostClassroomId = 0;
    std::vector<int64_t> memberClassroomIds;
    std::string startsAt, endsAt;  // RFC 3339, UTC
    bool record = true;
    std::string status;  // scheduled|live|ended
    int64_t startsAtUnix = 0, endsAtUnix = 0;
    std::optional<int64_t> startedAtUnix, endedAtUnix;  // when it really went live / ended

    bool involvesClassroom(int64_t classroomId) const {
        if (classroomId == hostClassroomId) return true;
        for (auto id : memberClassroomIds)
            if (id == classroomId) return true;
        return false;
    }
};

}  // namespace server
