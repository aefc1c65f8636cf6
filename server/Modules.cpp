#include "server/Modules.hpp"

#include "server/IngestModule.hpp"
#include "server/LibraryModule.hpp"
#include "server/ModuleContext.hpp"
#include "server/RoomModule.hpp"
#include "server/RtcModule.hpp"

namespace server {

std::vector<std::unique_ptr<Module>> makeModules(ModuleContext& context) {
    std::vector<std::unique_ptr<Module>> modules;
    // One line per feature module, in start order (stopped in reverse).
    modules.push_back(std::make_unique<RtcModule>(context));      // WHIP/WHEP
    modules.push_back(std::make_unique<IngestModule>(context));   // sources, RTMP, SRT
    modules.push_back(std::make_unique<LibraryModule>(context));  // recording, library, VOD
    modules.push_back(std::make_unique<RoomModule>(context));     // room WebSocket
    return modules;
}

}  // namespace server
