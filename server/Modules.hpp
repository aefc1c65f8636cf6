#pragma once
#include <memory>
#include <vector>

#include "server/Module.hpp"

namespace server {
struct ModuleContext;
// Feature modules in start order. Each helper adds its one line in Modules.cpp.
std::vector<std::unique_ptr<Module>> makeModules(ModuleContext& context);
}  // namespace server
