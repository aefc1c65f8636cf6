#include "server/VodHandler.hpp"

#include <fstream>
#include <iterator>
#include <regex>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/RecordingJobs.hpp"
#include "server/ResourceService.hpp"
#include "server/Validation.hpp"

namespace server {

using common::ApiError;

std::string VodHandler::mimeType(const std::string& file) {
    static const std::regex segment("seg_[0-9]{5}\\.m4s"), thumb("thumb_[1-9]\\.jpg");
    if (file == "index.m3u8") return "application/vnd.apple.mpegurl";
    if (file == "lesson.mp4" || file == "init.mp4") return "video/mp4";
    if (std::regex_match(file, segment)) return "video/iso.segment";
    if (file == "poster.jpg" || std::regex_match(file, thumb)) return "image/jpeg";
    return "";
}

signaling::Response VodHandler::handle(signaling::Request& req) {
    const std::string& file = req.param("file");
    if (file.find("..") != std::string::npos || file.find('/') != std::string::npos ||
        file.find('\\') != std::string::npos)
        throw ApiError::badRequest("invalid_path", "no such file name");
    int64_t id = parseId(req.param("id"));
    std::string mime = mimeType(file);
    if (mime.empty()) throw ApiError::notFound("no such file");

    // A token is optional (public resources); when given it must be valid.
    std::optional<Principal> who;
    if (!req.header("authorization").empty() || !req.queryParam("token").empty())
        who = auth_.authenticate(req);
    ResourceRow row = resources_.row(id);
    resources_.requireView(row, who ? &*who : nullptr);
    if (row.processing != "ready")
        throw ApiError::notFound("the resource is still being processed");

    auto path = RecordingJobs::vodDir(dataDir_, id) / file;
    std::string range = req.header("range");
    bool startsPlayback =
        file == "index.m3u8" ||
        (file == "lesson.mp4" && (range.empty() || range.rfind("bytes=0-", 0) == 0));
    if (startsPlayback && req.method == "GET")
        resources_.countView(id,
                             who ? "u:" + std::to_string(who->userId) : "ip:" + req.remoteAddress);

    signaling::Response r;
    r.contentType = mime;
    bool isPublic = row.visibility == "public";
    // Segments and pictures of a version never change (a re-trim renames nothing but is
    // rare and unpublished first): cache them; playlists briefly.
    std::string age = file == "index.m3u8" ? "60" : "3600";
    r.headers.emplace_back("Cache-Control",
                           (isPublic ? "public, max-age=" : "private, max-age=") + age);
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    std::string token = req.queryParam("token");
    if (file == "index.m3u8" && !token.empty()) {
        // Players cannot add headers to segment requests: carry the token into the URIs.
        std::ifstream in(path);
        if (!in) throw ApiError::notFound("no such file");
        std::string line, out;
        while (std::getline(in, line)) {
            if (!line.empty() && line[0] != '#') line += "?token=" + token;
            auto map = line.find("URI=\"init.mp4\"");
            if (map != std::string::npos)
                line.replace(map, 14, "URI=\"init.mp4?token=" + token + "\"");
            out += line + "\n";
        }
        r.body = std::move(out);
        return r;
    }
    r.filePath = path.string();
    return r;
}

}  // namespace server
