#pragma once
// Default-on optimisations that an environment variable set to "0" turns off, for A/B
// measurements with one binary (CB_RTC_PREFETCH, CB_RTC_GSO). Read once at start-up.
#include <cstdlib>
#include <string_view>

namespace rtc {

inline bool envSwitchOn(const char* name) {
    const char* v = std::getenv(name);
    return !(v && std::string_view(v) == "0");
}

}  // namespace rtc
