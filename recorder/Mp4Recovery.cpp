// Mp4Writer::recover: closing what a crash (kill -9, power loss) left of a recording.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "recorder/Mp4Writer.hpp"

namespace recorder {
namespace {

struct Entry {
    std::string extinf;  // the "#EXTINF:..." line
    double seconds = 0;
    uint64_t length = 0, offset = 0;
};

bool parseByteRange(const std::string& s, uint64_t& length, uint64_t& offset) {
    auto at = s.find('@');
    if (at == std::string::npos) return false;
    try {
        size_t used = 0;
        length = std::stoull(s.substr(0, at), &used);
        if (used != at) return false;
        offset = std::stoull(s.substr(at + 1), &used);
        return used == s.size() - at - 1;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

RecoveryResult Mp4Writer::recover(const std::filesystem::path& dir) {
    RecoveryResult result;
    auto media = dir / kMediaFile, list = dir / kPlaylistFile;
    std::error_code ec;
    if (!std::filesystem::exists(media, ec) || !std::filesystem::exists(list, ec)) return result;
    result.found = true;
    uint64_t size = std::filesystem::file_size(media, ec);
    if (ec) return result;

    std::ifstream in(list);
    std::string line, header;
    std::vector<Entry> entries;
    Entry pending;
    bool havePending = false, ended = false;
    uint64_t initEnd = 0;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // a last line without its newline was cut by the crash
        if (line.rfind("#EXT-X-MAP:", 0) == 0) {
            auto p = line.find("BYTERANGE=\"");
            uint64_t off = 0;
            if (p != std::string::npos) {
                auto q = line.find('"', p + 11);
                parseByteRange(line.substr(p + 11, q - p - 11), initEnd, off);
            }
            header += line + "\n";
        } else if (line.rfind("#EXTINF:", 0) == 0) {
            pending = Entry{};
            pending.extinf = line;
            pending.seconds = std::atof(line.c_str() + 8);
            havePending = true;
        } else if (line.rfind("#EXT-X-BYTERANGE:", 0) == 0 && havePending) {
            if (!parseByteRange(line.substr(17), pending.length, pending.offset))
                havePending = false;
        } else if (line == "#EXT-X-ENDLIST") {
            ended = true;
        } else if (!line.empty() && line[0] != '#' && havePending) {
            entries.push_back(pending);
            havePending = false;
        } else if (entries.empty() && !havePending) {
            header += line + "\n";
        }
    }
    // Keep the listed fragments that are wholly on disk and follow one another.
    uint64_t end = initEnd;
    size_t keep = 0;
    for (const auto& e : entries) {
        if (e.offset != end || e.offset + e.length > size) break;
        end += e.length;
        ++keep;
    }
    entries.resize(keep);
    if (initEnd == 0 || initEnd > size) end = 0;  // not even the header made it
    result.fragments = keep;
    for (const auto& e : entries) result.durationSeconds += e.seconds;
    result.bytes = end;
    if (ended && end == size) return result;  // finished cleanly: nothing to do

    if (size > end) {
        result.truncated = true;
        if (truncate(media.c_str(), off_t(end)) != 0) return result;
    }
    std::ostringstream out;
    out << header;
    for (const auto& e : entries)
        out << e.extinf << "\n#EXT-X-BYTERANGE:" << e.length << "@" << e.offset << "\n"
            << kMediaFile << "\n";
    out << "#EXT-X-ENDLIST\n";
    auto tmp = dir / (std::string(kPlaylistFile) + ".tmp");
    {
        std::ofstream o(tmp, std::ios::trunc);
        o << out.str();
    }
    std::filesystem::rename(tmp, list, ec);
    return result;
}

}  // namespace recorder
