#include "recorder/H264Sps.hpp"

#include <vector>

namespace recorder {
namespace {

// Exp-Golomb reader over the RBSP (emulation-prevention bytes already removed).
class BitReader {
public:
    explicit BitReader(const std::vector<uint8_t>& d) : d_(d) {}
    bool ok() const { return ok_; }
    uint32_t bit() {
        if (pos_ >= d_.size() * 8) {
            ok_ = false;
            return 0;
        }
        uint32_t b = (d_[pos_ / 8] >> (7 - pos_ % 8)) & 1;
        ++pos_;
        return b;
    }
    uint32_t bits(int n) {
        uint32_t v = 0;
        while (n-- > 0) v = v << 1 | bit();
        return v;
    }
    uint32_t ue() {
        int zeros = 0;
        while (ok_ && bit() == 0) {
            if (++zeros > 31) {
                ok_ = false;
                return 0;
            }
        }
        return ((1u << zeros) - 1) + bits(zeros);
    }
    int32_t se() {
        uint32_t v = ue();
        return (v & 1) ? int32_t((v + 1) / 2) : -int32_t(v / 2);
    }

private:
    const std::vector<uint8_t>& d_;
    size_t pos_ = 0;
    bool ok_ = true;
};

void skipScalingList(BitReader& r, int size) {
    int last = 8, next = 8;
    for (int i = 0; i < size && r.ok(); ++i) {
        if (next != 0) next = (last + r.se() + 256) % 256;
        last = next == 0 ? last : next;
    }
}

}  // namespace

std::optional<SpsInfo> parseSps(const uint8_t* nal, size_t size) {
    if (size < 4 || (nal[0] & 0x1f) != 7) return std::nullopt;
    std::vector<uint8_t> rbsp;
    rbsp.reserve(size);
    for (size_t i = 1; i < size; ++i) {
        if (i + 2 < size && nal[i] == 0 && nal[i + 1] == 0 && nal[i + 2] == 3) {
            rbsp.push_back(0);
            rbsp.push_back(0);
            i += 2;  // skip the 0x03
            continue;
        }
        rbsp.push_back(nal[i]);
    }
    BitReader r(rbsp);
    SpsInfo info;
    info.profile = uint8_t(r.bits(8));
    info.constraints = uint8_t(r.bits(8));
    info.level = uint8_t(r.bits(8));
    r.ue();  // seq_parameter_set_id
    uint32_t chroma = 1;
    if (info.profile == 100 || info.profile == 110 || info.profile == 122 || info.profile == 244 ||
        info.profile == 44 || info.profile == 83 || info.profile == 86 || info.profile == 118 ||
        info.profile == 128 || info.profile == 138 || info.profile == 139 || info.profile == 134 ||
        info.profile == 135) {
        chroma = r.ue();
        if (chroma > 3) return std::nullopt;
        if (chroma == 3) r.bit();  // separate_colour_plane_flag
        r.ue();                    // bit_depth_luma
        r.ue();                    // bit_depth_chroma
        r.bit();                   // qpprime_y_zero_transform_bypass
        if (r.bit()) {             // seq_scaling_matrix_present
            for (int i = 0; i < (chroma != 3 ? 8 : 12); ++i)
                if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
        }
    }
    r.ue();  // log2_max_frame_num_minus4
    uint32_t pocType = r.ue();
    if (pocType == 0) {
        r.ue();
    } else if (pocType == 1) {
        r.bit();
        r.se();
        r.se();
        uint32_t n = r.ue();
        if (n > 255) return std::nullopt;
        for (uint32_t i = 0; i < n; ++i) r.se();
    } else if (pocType != 2) {
        return std::nullopt;
    }
    r.ue();   // max_num_ref_frames
    r.bit();  // gaps_in_frame_num_allowed
    uint32_t wMbs = r.ue() + 1;
    uint32_t hMapUnits = r.ue() + 1;
    uint32_t frameMbsOnly = r.bit();
    if (!frameMbsOnly) r.bit();  // mb_adaptive_frame_field
    r.bit();                     // direct_8x8_inference
    uint32_t cropL = 0, cropR = 0, cropT = 0, cropB = 0;
    if (r.bit()) {
        cropL = r.ue();
        cropR = r.ue();
        cropT = r.ue();
        cropB = r.ue();
    }
    if (!r.ok() || wMbs > 1024 || hMapUnits > 1024) return std::nullopt;
    uint32_t cropUnitX = (chroma == 1 || chroma == 2) ? 2 : 1;
    uint32_t cropUnitY = (chroma == 1 ? 2 : 1) * (2 - frameMbsOnly);
    int64_t w = int64_t(wMbs) * 16 - int64_t(cropL + cropR) * cropUnitX;
    int64_t h = int64_t(hMapUnits) * 16 * (2 - frameMbsOnly) - int64_t(cropT + cropB) * cropUnitY;
    if (w <= 0 || h <= 0) return std::nullopt;
    info.width = int(w);
    info.height = int(h);
    return info;
}

}  // namespace recorder
