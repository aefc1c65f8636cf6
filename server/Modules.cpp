#include "server/Modules.hpp"

#include "server/ModuleContext.hpp"
#include "server/RtcModule.hpp"

namespace server {

std::vector<std::unique_ptr<Module>> makeModules(ModuleContext& context) {
    (void)context;
    std::vector<std::unique_ptr<Module>> modules;
    // One line per feature module, e.g.:
    // modules.push_back(std::make_unique<RtcModule>(context));
    modules.push_back(std::make_unique<RtcModule>(context));  // WHIP/WHEP
    return modules;
}

}  // namespace server
