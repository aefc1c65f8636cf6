#pragma once
// Just enough of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1) to size the
// MP4 track: profile, level and the cropped picture size.
#include <cstddef>
#include <cstdint>
#include <optional>

namespace recorder {

struct SpsInfo {
    uint8_t profile = 0, constraints = 0, level = 0;
    int width = 0, height = 0;
};

// nal: the SPS NAL unit including its header byte. nullopt when malformed.
std::optional<SpsInfo> parseSps(const uint8_t* nal, size_t size);

}  // namespace recorder
