#include <gtest/gtest.h>

#include "common/Error.hpp"
#include "server/Validation.hpp"

using server::JsonBody;

namespace {

struct Rule {
    const char* body;
    int status;        // 0: accepted
    const char* code;  // expected error code
};

// Reads a body the way POST /api/v1/classrooms-like handlers do.
void readLike(const JsonBody& b) {
    b.requiredString("name", 1, 10);
    b.requiredId("school_id");
    b.requiredEnum("kind", {"recording", "interactive"});
    b.optBool("record");
    b.idList("members", 3);
}

}  // namespace

TEST(Validation, TableOfBodies) {
    const Rule rules[] = {
        {R"({"name":"A","school_id":1,"kind":"recording"})", 0, ""},
        {R"({"name":"  A  ","school_id":1,"kind":"interactive","record":false,"members":[1,2,3]})",
         0, ""},
        {R"({"name":"音乐教室","school_id":1,"kind":"recording"})", 0, ""},  // 4 code points
        {R"({"name":"A","school_id":1,"kind":"recording")", 400, "bad_json"},
        {R"([1,2])", 400, "bad_json"},
        {R"({"name":19e330})", 400, "bad_json"},  // out of a double's range (found by fuzzing)
        {R"("text")", 400, "bad_json"},
        {"", 400, "bad_json"},
        {R"({"name":"A","school_id":1,"kind":"recording","extra":1})", 400, "unknown_field"},
        {R"({"school_id":1,"kind":"recording"})", 400, "missing_field"},
        {R"({"name":null,"school_id":1,"kind":"recording"})", 400, "missing_field"},
        {R"({"name":5,"school_id":1,"kind":"recording"})", 400, "wrong_type"},
        {R"({"name":"A","school_id":"1","kind":"recording"})", 400, "wrong_type"},
        {R"({"name":"A","school_id":1.5,"kind":"recording"})", 400, "wrong_type"},
        {R"({"name":"A","school_id":0,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"A","school_id":-4,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"A","school_id":18446744073709551615,"kind":"recording"})", 400,
         "invalid_value"},
        {R"({"name":"A","school_id":1,"kind":"studio"})", 400, "invalid_value"},
        {R"({"name":"A","school_id":1,"kind":["recording"]})", 400, "wrong_type"},
        {R"({"name":"","school_id":1,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"   ","school_id":1,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"ABCDEFGHIJK","school_id":1,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"A\u0000B","school_id":1,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"A\nB","school_id":1,"kind":"recording"})", 400, "invalid_value"},
        {R"({"name":"A","school_id":1,"kind":"recording","record":"yes"})", 400, "wrong_type"},
        {R"({"name":"A","school_id":1,"kind":"recording","members":[1,2,3,4]})", 400,
         "invalid_value"},
        {R"({"name":"A","school_id":1,"kind":"recording","members":"1,2"})", 400, "wrong_type"},
        {R"({"name":"A","school_id":1,"kind":"recording","members":[1,"2"]})", 400, "wrong_type"},
    };
    for (const auto& r : rules) {
        int status = 0;
        std::string code;
        try {
            readLike(
                JsonBody::parseText(r.body, {"name", "school_id", "kind", "record", "members"}));
        } catch (const common::ApiError& e) {
            status = e.status();
            code = e.code();
        }
        EXPECT_EQ(status, r.status) << r.body;
        EXPECT_EQ(code, r.code) << r.body;
    }
}

TEST(Validation, ContentTypeMustBeJson) {
    signaling::Request r;
    r.body = R"({"name":"A"})";
    auto statusOf = [&] {
        try {
            JsonBody::parse(r, {"name"});
            return 0;
        } catch (const common::ApiError& e) {
            return e.status();
        }
    };
    EXPECT_EQ(statusOf(), 415);
    r.headers["content-type"] = "text/plain";
    EXPECT_EQ(statusOf(), 415);
    r.headers["content-type"] = "application/json; charset=utf-8";
    EXPECT_EQ(statusOf(), 0);
    r.headers["content-type"] = "Application/JSON";
    EXPECT_EQ(statusOf(), 0);
}

TEST(Validation, Ids) {
    EXPECT_EQ(server::parseId("1"), 1);
    EXPECT_EQ(server::parseId("9007199254740992"), 9007199254740992LL);
    for (const char* bad :
         {"", "0", "01", "-1", "1a", "abc", "1.0", " 1", "99999999999999999", "1%00"}) {
        try {
            server::parseId(bad);
            ADD_FAILURE() << bad;
        } catch (const common::ApiError& e) {
            EXPECT_EQ(e.status(), 400) << bad;
            EXPECT_EQ(e.code(), "invalid_id");
        }
    }
}

TEST(Validation, Usernames) {
    for (const char* ok : {"admin", "teacher.li", "classroom-a", "a_b", "A12"})
        EXPECT_TRUE(server::validUsername(ok)) << ok;
    for (const char* bad :
         {"ab", "-abc", ".abc", "a b", "a/b", "x'; DROP TABLE users;--", "用户名字"})
        EXPECT_FALSE(server::validUsername(bad)) << bad;
    EXPECT_FALSE(server::validUsername(std::string(65, 'a')));
}

TEST(Validation, Utf8Length) {
    EXPECT_EQ(server::utf8Length("abc"), 3u);
    EXPECT_EQ(server::utf8Length("课堂"), 2u);
    EXPECT_EQ(server::utf8Length("\xff"), SIZE_MAX);
    EXPECT_EQ(server::utf8Length("\xe8\xaf"), SIZE_MAX);
}
