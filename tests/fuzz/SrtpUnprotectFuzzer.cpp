// libFuzzer target: SrtpUnprotector (inbound SRTP/SRTCP) with a fixed key. The input is
// a profile byte, then records [flags u8][length u16][bytes]: each record goes in as it is
// (arbitrary bytes: parsed against their length, refused) or first protected with the same
// key by SrtpProtector (genuine: must come out as the same plaintext, or be refused only as
// a replay), optionally with one bit flipped (tampered: must be refused). Fresh objects
// per input keep runs reproducible.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtc/ByteReader.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpUnprotector.hpp"

namespace {
const uint8_t kKey[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
const uint8_t kSalt[14] = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const auto profile =
        data[0] & 1 ? rtc::SrtpProfile::AeadAes128Gcm : rtc::SrtpProfile::AesCm128HmacSha1_80;
    const size_t saltLen = rtc::srtpSaltLength(profile);
    // Tampered packets come from a second sender: the first one's indices then stay those
    // the receiver accepted (its ROC guesses must agree with the receiver's).
    rtc::SrtpProtector tx(profile, kKey, 16, kSalt, saltLen),
        tamperTx(profile, kKey, 16, kSalt, saltLen);
    rtc::SrtpUnprotector rx(profile, kKey, 16, kSalt, saltLen);
    rtc::ByteReader r(data + 1, size - 1);
    using Result = rtc::SrtpUnprotector::Result;
    while (r.remaining() >= 3) {
        const uint8_t flags = r.u8();
        const size_t n = r.u16();
        const uint8_t* p = r.bytes(n < r.remaining() ? n : r.remaining());
        if (!p) break;
        const size_t plainLen = static_cast<size_t>(r.current() - p);
        const bool rtcp = flags & 1, genuine = flags & 2, tamper = flags & 4;
        // Exactly sized heap copy: reads past the packet are ASan errors.
        std::vector<uint8_t> buf(p, p + plainLen);
        size_t wireLen = plainLen;
        if (genuine) {
            buf.resize(plainLen + 32);
            rtc::SrtpProtector& t = tamper ? tamperTx : tx;
            if (!(rtcp ? t.protectRtcp(buf.data(), wireLen, buf.size())
                       : t.protectRtp(buf.data(), wireLen, buf.size())))
                continue;  // not RTP/RTCP: nothing to send
            buf.resize(wireLen);
            if (tamper) buf[(flags >> 3) * 37 % wireLen] ^= static_cast<uint8_t>(0x80 >> (n & 7));
        }
        size_t out = wireLen;
        const bool ok = rtcp ? rx.unprotectRtcp(buf.data(), out) : rx.unprotectRtp(buf.data(), out);
        if (genuine && !tamper) {
            if (ok && (out != plainLen || std::memcmp(buf.data(), p, plainLen) != 0))
                __builtin_trap();  // accepted but not the plaintext sent
            if (!ok && rx.lastResult() != Result::Replay && rx.lastResult() != Result::TooManySsrcs)
                __builtin_trap();  // a genuine packet refused as forged or malformed
        } else if (genuine && tamper && ok) {
            __builtin_trap();  // a modified packet authenticated
        }
        if (!ok && out != wireLen) __builtin_trap();  // len changed on failure
    }
    return 0;
}
