#include "signaling/Http.hpp"

#include <nlohmann/json.hpp>

namespace signaling {

Response Response::error(int status, const std::string& code, const std::string& message) {
    nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
    // Replace invalid UTF-8 rather than throwing: messages may quote client input.
    return json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace signaling
