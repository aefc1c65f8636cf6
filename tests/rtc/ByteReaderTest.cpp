#include <gtest/gtest.h>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

TEST(ByteReader, ReadsBigEndianAndStopsAtEnd) {
    const uint8_t d[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    rtc::ByteReader r(d, sizeof d);
    EXPECT_EQ(r.u8(), 0x01);
    EXPECT_EQ(r.u16(), 0x0203);
    EXPECT_EQ(r.u24(), 0x040506u);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.u32(), 0u);  // only one byte left
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.u8(), 0);  // sticky
    EXPECT_EQ(r.bytes(0), nullptr);
}

TEST(ByteWriter, WritesBigEndianAndRefusesOverflow) {
    uint8_t buf[8] = {};
    rtc::ByteWriter w(buf, sizeof buf);
    w.u16(0xA1B2);
    w.u32(0xC3D4E5F6);
    EXPECT_TRUE(w.ok());
    w.u32(0x11223344);  // needs 4, 2 left
    EXPECT_FALSE(w.ok());
    EXPECT_EQ(w.size(), 6u);
    EXPECT_EQ(rtc::load16(buf), 0xA1B2);
    EXPECT_EQ(rtc::load32(buf + 2), 0xC3D4E5F6u);
    EXPECT_EQ(buf[6], 0);
    uint8_t b64[8];
    rtc::store64(b64, 0x0102030405060708ull);
    EXPECT_EQ(rtc::load64(b64), 0x0102030405060708ull);
}
