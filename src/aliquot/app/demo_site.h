// The demo site: realistic data for a CAR-T unit, created through the same use cases a site's
// people would run, so the demo shows the system working rather than rows typed into tables.
// Each capability adds its part here (docs/demo.md lists what there is and the demo passwords).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "aliquot/app/services.h"
#include "aliquot/core/result.h"

namespace aliquot::app {

// Every demo account's password (demo only; docs/demo.md).
inline constexpr std::string_view kDemoPassword = "Leiden-demo-2026";
// The demo QA workstation's terminal token (demo only; docs/demo.md).
inline constexpr std::string_view kDemoQaTerminalToken =
    "de30000000000000000000000000000000000000000000000000000000000002";
// The demo suite 2 tablet's terminal token, where the operators work (demo only; docs/demo.md).
inline constexpr std::string_view kDemoSuiteTabletToken =
    "de30000000000000000000000000000000000000000000000000000000000001";

// Creates the demo site: site LEI, one user per role (two operators, two QA approvers), terminals,
// access approvals, the CAR-T document set (version 1 of each effective now, revisions effective
// now and in 14 days, a draft in review), curricula and training with deliberate gaps, one refused
// gate attempt; and the materials of the CAR-T process: qualified suppliers (one conditional, one
// lapsing five days later), specifications, lots with their certificates (one out of
// specification, one expiring in three days), apheresis collections, a complete medium and two
// batches' consumption, with a product unit traced back to its lots and forward to its patient;
// and the equipment and environment of the CAR-T suites: rooms, sixteen pieces of equipment, each
// qualified and verified, with calibration and maintenance history entered from certificates
// dated in the past (a balance falling due seven days later, an incubator out of service), the
// two batches' uses and cleanings in the logbooks (a refused use, a cleaning awaiting its second
// person's verification), a monitoring plan monitored since 120 days before now with about 90
// days of routine results before today's (exactly one alert, weeks ago; exactly one action-level
// excursion, today; the values from a fixed-seed generator, so each run has the same shape) and
// the deviations the excursion and a pipette found out of tolerance raise, each listing both
// batches. Everything is recorded now (effective dates cannot lie in the past; past samples and
// calibrations carry the time they were taken or performed). `terminal` names where the command
// runs ("cli:<host>"); `say` receives one line per group of steps. Returns kFailedPrecondition
// when the site already has users.
Status CreateDemoSite(Services& services, const std::string& terminal,
                      const std::function<void(std::string_view)>& say);

}  // namespace aliquot::app
