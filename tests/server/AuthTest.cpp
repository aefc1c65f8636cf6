#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vector>

#include "TestDir.hpp"
#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Bootstrap.hpp"
#include "server/Store.hpp"

using namespace server;

namespace {
struct AuthFixture : ::testing::Test {
    TestDir dir;
    std::unique_ptr<Store> store = openStore(dir.path);
    Auth auth{*store, Auth::loadOrCreateKey(dir.path)};
    Principal alice{7, "alice", "teacher", std::nullopt};

    int expectStatus(const std::function<void()>& fn) {
        try {
            fn();
        } catch (const common::ApiError& e) {
            return e.status();
        }
        return 0;
    }
};
}  // namespace

TEST_F(AuthFixture, TokenRoundTrip) {
    Principal room{9, "room-a", "classroom", 42};
    auto p = auth.verifyToken(auth.issueToken(room, std::chrono::seconds(60)));
    EXPECT_EQ(p.userId, 9);
    EXPECT_EQ(p.username, "room-a");
    EXPECT_EQ(p.role, "classroom");
    ASSERT_TRUE(p.classroomId);
    EXPECT_EQ(*p.classroomId, 42);
    auto t = auth.verifyToken(auth.issueToken(alice, std::chrono::seconds(60)));
    EXPECT_FALSE(t.classroomId);
}

TEST_F(AuthFixture, ExpiredTokenIsRefused) {
    auto token = auth.issueToken(alice, std::chrono::seconds(-1));
    EXPECT_EQ(expectStatus([&] { auth.verifyToken(token); }), 401);
}

TEST_F(AuthFixture, TamperedTokensAreRefused) {
    auto token = auth.issueToken(alice, std::chrono::seconds(600));
    auto dot = token.rfind('.');
    // Every single-character change anywhere in the token must be refused.
    for (size_t i = 0; i < token.size(); ++i) {
        std::string t = token;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        if (t == token) continue;
        EXPECT_EQ(expectStatus([&] { auth.verifyToken(t); }), 401) << "position " << i;
    }
    // A payload claiming admin, re-encoded, with the old signature.
    std::string forged =
        "cb1." + base64UrlEncode(R"({"uid":7,"usr":"alice","rol":"admin","exp":99999999999})") +
        token.substr(dot);
    EXPECT_EQ(expectStatus([&] { auth.verifyToken(forged); }), 401);
    EXPECT_EQ(expectStatus([&] { auth.verifyToken(""); }), 401);
    EXPECT_EQ(expectStatus([&] { auth.verifyToken("cb1.."); }), 401);
    EXPECT_EQ(expectStatus([&] { auth.verifyToken(token.substr(0, dot)); }), 401);
    // Signed by another server's key.
    TestDir other;
    Auth foreign(*store, Auth::loadOrCreateKey(other.path));
    EXPECT_EQ(expectStatus(
                  [&] { auth.verifyToken(foreign.issueToken(alice, std::chrono::seconds(60))); }),
              401);
}

TEST_F(AuthFixture, KeyFileIsPrivateAndStable) {
    struct stat st {};
    ASSERT_EQ(::stat((dir.path / "server.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    EXPECT_EQ(st.st_size, 32);
    EXPECT_EQ(Auth::loadOrCreateKey(dir.path), Auth::loadOrCreateKey(dir.path));
}

TEST(Password, VerifyRightAndWrong) {
    auto h = password::hash("correct horse", 1000);
    EXPECT_TRUE(password::verify("correct horse", h));
    EXPECT_FALSE(password::verify("correct horsE", h));
    EXPECT_FALSE(password::verify("", h));
    EXPECT_FALSE(password::verify("correct horse", "pbkdf2-sha256$1000$bad"));
    EXPECT_FALSE(password::verify("correct horse", ""));
}

TEST(Password, SaltDiffersAndRoundsAreSlow) {
    auto a = password::hash("same");
    auto b = password::hash("same");
    EXPECT_NE(a, b);
    EXPECT_TRUE(password::verify("same", a));
    EXPECT_TRUE(password::verify("same", b));
    EXPECT_EQ(a.rfind("pbkdf2-sha256$120000$", 0), 0u) << a;
    EXPECT_EQ(a.find("same"), std::string::npos);
}

TEST_F(AuthFixture, LoginAndRequestAuthentication) {
    auto generated = ensureAdmin(*store, "");
    ASSERT_TRUE(generated);
    EXPECT_FALSE(ensureAdmin(*store, ""));  // only once
    auto p = auth.login("admin", *generated);
    EXPECT_EQ(p.role, "admin");
    EXPECT_EQ(expectStatus([&] { auth.login("admin", "wrong-password"); }), 401);
    EXPECT_EQ(expectStatus([&] { auth.login("nobody", *generated); }), 401);

    signaling::Request r;
    EXPECT_EQ(expectStatus([&] { auth.authenticate(r); }), 401);
    auto token = auth.issueToken(p, std::chrono::seconds(60));
    r.headers["authorization"] = "Bearer " + token;
    EXPECT_EQ(auth.authenticate(r).username, "admin");
    r.headers["authorization"] = "Basic abc";
    EXPECT_EQ(expectStatus([&] { auth.authenticate(r); }), 401);
    r.headers.clear();
    r.query["token"] = token;
    EXPECT_EQ(auth.authenticate(r).userId, p.userId);
    // A token for a user that no longer exists (or changed role) stops working.
    store->run("UPDATE users SET role = 'viewer' WHERE id = ?", p.userId);
    EXPECT_EQ(expectStatus([&] { auth.authenticate(r); }), 401);
}

TEST_F(AuthFixture, Roles) {
    Lesson l;
    l.id = 1;
    l.teacherId = 7;
    l.hostClassroomId = 10;
    l.memberClassroomIds = {11, 12};
    Principal admin{1, "admin", "admin", std::nullopt};
    Principal other{8, "bob", "teacher", std::nullopt};
    Principal host{20, "rec", "classroom", 10};
    Principal member{21, "a", "classroom", 11};
    Principal outsider{22, "z", "classroom", 99};
    Principal staff{23, "s", "staff", std::nullopt};
    Principal viewer{24, "v", "viewer", std::nullopt};
    struct Case {
        const Principal& who;
        bool publish, play;
    };
    const Case cases[] = {
        {admin, true, true},   {alice, true, true},    {host, true, true},
        {other, false, false}, {member, false, true},  {outsider, false, false},
        {staff, false, true},  {viewer, false, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.who.username);
        EXPECT_EQ(auth.canPublish(c.who, l), c.publish);
        EXPECT_EQ(auth.canPlay(c.who, l), c.play);
    }
    EXPECT_EQ(expectStatus([&] { auth.requireRole(viewer, {"admin", "staff"}); }), 403);
    EXPECT_EQ(expectStatus([&] { auth.requireRole(staff, {"admin", "staff"}); }), 0);
    EXPECT_EQ(expectStatus([&] { auth.requirePlay(outsider, l); }), 403);
}

TEST(Base64Url, RoundTripAndRejects) {
    const std::vector<std::string> samples = {
        "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)};
    for (const std::string& s : samples) EXPECT_EQ(base64UrlDecode(base64UrlEncode(s)), s);
    EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
    EXPECT_FALSE(base64UrlDecode("a"));
    EXPECT_FALSE(base64UrlDecode("ab=c"));
    EXPECT_FALSE(base64UrlDecode("Zh"));  // non-canonical trailing bits
}
