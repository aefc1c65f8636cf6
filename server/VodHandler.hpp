#pragma once
// GET /vod/{id}/{file}: the files of a processed resource (lesson.mp4, index.m3u8, init.mp4,
// seg_NNNNN.m4s, poster.jpg, thumb_N.jpg) streamed by the HTTP server with Range support.
// Only those names are served (anything else, `..` included, is a 404/400); access follows
// the resource's visibility; a view is counted once per viewer per hour.
#include <filesystem>

#include "signaling/Http.hpp"

namespace server {

class Auth;
class ResourceService;

class VodHandler {
public:
    VodHandler(Auth& auth, ResourceService& resources, std::filesystem::path dataDir)
        : auth_(auth), resources_(resources), dataDir_(std::move(dataDir)) {}
    signaling::Response handle(signaling::Request& request);

    // The Content-Type of a servable file name, or "" when the name is not servable.
    static std::string mimeType(const std::string& file);

private:
    Auth& auth_;
    ResourceService& resources_;
    std::filesystem::path dataDir_;
};

}  // namespace server
