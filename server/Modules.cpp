#include "server/Modules.hpp"

#include "server/ModuleContext.hpp"

namespace server {

std::vector<std::unique_ptr<Module>> makeModules(ModuleContext& context) {
    (void)context;
    std::vector<std::unique_ptr<Module>> modules;
    // One line per feature module, e.g.:
    // modules.push_back(std::make_unique<RtcModule>(context));
    return modules;
}

}  // namespace server
