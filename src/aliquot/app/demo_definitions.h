// The demo's master batch record definition files (app/demo/*.yaml), embedded when the server is
// built, so the demo imports exactly the files a process engineer would read, diff and commit.
#pragma once

#include <string_view>

namespace aliquot::app {

// MBR-CAR19 version 1: the Phase 1 process.
std::string_view DemoCarTDefinitionPhase1();
// MBR-CAR19 version 2: the current process (Phases 2 and 3), with the limits Phase 1 taught.
std::string_view DemoCarTDefinitionCurrent();

}  // namespace aliquot::app
