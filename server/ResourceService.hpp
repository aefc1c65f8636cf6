#pragma once
// The on-demand library: resources made from finished recordings, their metadata, the
// review workflow (draft -> submitted -> approved/rejected -> published -> unpublished),
// visibility (public | region | school), views, ratings and comments.
// Used on the HTTP thread and (createDraft / processing updates) on recorder and job
// threads: every method takes the store's mutex.
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/Auth.hpp"

namespace server {

class Store;

struct ResourceRow {
    int64_t id = 0;
    std::optional<int64_t> recordingId, lessonId, teacherId, schoolId;
    std::string status, visibility, processing;
    double trimStart = 0;
    std::optional<double> trimEnd;
    double duration = 0;
};

class ResourceService {
public:
    explicit ResourceService(Store& store) : store_(store) {}

    // A draft for a finished recording, metadata from its lesson. Returns its id.
    int64_t createDraft(int64_t recordingId);
    ResourceRow row(int64_t id) const;  // ApiError 404
    nlohmann::json get(int64_t id, const Principal* who) const;

    // GET /api/v1/resources: {"items":[...],"total":N,"page":P,"per_page":K}
    nlohmann::json list(const std::map<std::string, std::string>& query,
                        const Principal& who) const;
    nlohmann::json patch(int64_t id, const std::string& body, const Principal& who);
    // action: submit|approve|reject|publish|unpublish. Throws 403 / 409 invalid_transition.
    nlohmann::json transition(int64_t id, const std::string& action, const std::string& body,
                              const Principal& who);

    // Watching: null principal = anonymous. Throws 401/403/404 unless allowed.
    void requireView(const ResourceRow& r, const Principal* who) const;
    // Counts one view per viewer (user, else address) per hour; true when counted.
    bool countView(int64_t id, const std::string& viewerKey);
    nlohmann::json rate(int64_t id, const std::string& body, const Principal& who);
    nlohmann::json comments(int64_t id, const Principal& who) const;
    nlohmann::json addComment(int64_t id, const std::string& body, const Principal& who);
    nlohmann::json setCommentHidden(int64_t id, int64_t commentId, bool hidden,
                                    const Principal& who);

    // Processing (job thread).
    void setProcessing(int64_t id, const std::string& state, const std::string& error,
                       double duration = 0, uint64_t size = 0);

    std::optional<int64_t> schoolOf(const Principal& who) const;
    static bool isReviewer(const Principal& who) {
        return who.role == "admin" || who.role == "staff";
    }

    // Called (inside the store lock) when a resource must be post-processed again (trim).
    std::function<void(int64_t resourceId)> onReprocess;

private:
    Store& store_;
};

}  // namespace server
