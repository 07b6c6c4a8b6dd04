// The demo site: realistic data for a CAR-T unit, created through the same use cases a site's
// people would run, so the demo shows the system working rather than rows typed into tables.
// Each capability adds its part here (docs/demo.md lists what there is and the demo passwords).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "aliquot/app/identity_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/result.h"

namespace aliquot::app {

// Every demo account's password (demo only; docs/demo.md).
inline constexpr std::string_view kDemoPassword = "Leiden-demo-2026";
// The demo QA workstation's terminal token (demo only; docs/demo.md).
inline constexpr std::string_view kDemoQaTerminalToken =
    "de30000000000000000000000000000000000000000000000000000000000002";

struct DemoServices {
  IdentityService& identity;
  SessionService& sessions;
  SignatureService& signatures;
};

// Creates the demo site: site LEI, one user per role, terminals, access approvals. `terminal`
// names where the command runs ("cli:<host>"); `say` receives one line per step. Returns
// kFailedPrecondition when the site already has users.
Status CreateDemoSite(const DemoServices& services, const std::string& terminal,
                      const std::function<void(std::string_view)>& say);

}  // namespace aliquot::app
