#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "rtc/UdpSocket.hpp"

namespace rtc {
namespace {

SocketAddress loopback() {
    return SocketAddress::parse("127.0.0.1", 0);
}

// Datagrams as the receiver sees them (waits up to ~2 s for `count`).
std::vector<std::vector<uint8_t>> receiveAll(const UdpSocket& rx, size_t count) {
    std::vector<std::vector<uint8_t>> got;
    std::vector<uint8_t> buf(65536);
    for (int tries = 0; got.size() < count && tries < 400; ++tries) {
        ssize_t n = recv(rx.fd(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
            usleep(5000);
            continue;
        }
        got.emplace_back(buf.begin(), buf.begin() + n);
    }
    return got;
}

// Queues a datagram of `len` bytes whose bytes all say `tag`.
std::vector<uint8_t> queue(SendBatch& batch, size_t len, uint8_t tag, const SocketAddress& to) {
    uint8_t* slot = batch.reserve();
    std::memset(slot, tag, len);
    batch.commit(len, to);
    return std::vector<uint8_t>(len, tag);
}

class SendBatchTest : public ::testing::Test {
protected:
    UdpSocket tx{loopback(), false};
    UdpSocket a{loopback(), false};
    UdpSocket b{loopback(), false};
};

TEST_F(SendBatchTest, RunOfEqualDatagramsToOneDestinationIsOneGsoSendOfTheSameDatagrams) {
    SendBatch batch(tx.fd());
    ASSERT_TRUE(batch.gsoEnabled());
    std::vector<std::vector<uint8_t>> want;
    for (uint8_t i = 0; i < 5; ++i) want.push_back(queue(batch, 1210, i, a.localAddress()));
    want.push_back(queue(batch, 700, 9, a.localAddress()));  // a shorter last one joins too
    batch.flush();
    EXPECT_EQ(batch.syscalls(), 1u);
    EXPECT_EQ(batch.sent(), 6u);
    EXPECT_EQ(batch.sentInGso(), 6u);
    EXPECT_EQ(receiveAll(a, want.size()), want);  // same boundaries, same bytes, in order
}

TEST_F(SendBatchTest, DestinationOrSizeChangesStartANewMessage) {
    SendBatch batch(tx.fd());
    std::vector<std::vector<uint8_t>> wantA, wantB;
    wantA.push_back(queue(batch, 1000, 1, a.localAddress()));
    wantB.push_back(queue(batch, 1000, 2, b.localAddress()));
    wantA.push_back(queue(batch, 1000, 3, a.localAddress()));
    wantA.push_back(queue(batch, 500, 4, a.localAddress()));   // shorter: ends that run
    wantA.push_back(queue(batch, 1000, 5, a.localAddress()));  // after a short one: new
    wantA.push_back(queue(batch, 1200, 6, a.localAddress()));  // longer: new
    batch.flush();
    EXPECT_EQ(batch.sent(), 6u);
    EXPECT_EQ(batch.sentInGso(), 2u);  // only {3, 4} shared a message
    EXPECT_EQ(receiveAll(a, wantA.size()), wantA);
    EXPECT_EQ(receiveAll(b, wantB.size()), wantB);
}

TEST_F(SendBatchTest, LongRunsAreSplitAtTheSegmentLimitAndAFullBatchFlushes) {
    SendBatch batch(tx.fd());
    std::vector<std::vector<uint8_t>> want;
    const size_t n = SendBatch::kMaxBatch + SendBatch::kMaxSegments + 3;  // forces a flush
    for (size_t i = 0; i < n; ++i)
        want.push_back(queue(batch, 1210, static_cast<uint8_t>(i), a.localAddress()));
    batch.flush();
    EXPECT_EQ(batch.sent(), n);
    EXPECT_EQ(batch.sendErrors(), 0u);
    EXPECT_EQ(receiveAll(a, want.size()), want);
}

TEST_F(SendBatchTest, WithoutGsoEveryDatagramIsItsOwnMessage) {
    SendBatch batch(tx.fd());
    batch.disableGso();
    std::vector<std::vector<uint8_t>> want;
    for (uint8_t i = 0; i < 4; ++i) want.push_back(queue(batch, 1210, i, a.localAddress()));
    batch.flush();
    EXPECT_EQ(batch.sent(), 4u);
    EXPECT_EQ(batch.sentInGso(), 0u);
    EXPECT_EQ(receiveAll(a, want.size()), want);
}

}  // namespace
}  // namespace rtc
