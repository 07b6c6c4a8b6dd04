// The demo site: realistic data for a CAR-T unit, created through the same use cases a site's
// people would run, so the demo shows the system working rather than rows typed into tables.
// Each capability adds its part here (docs/demo.md lists what there is and the demo passwords).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "aliquot/app/demo_clock.h"
#include "aliquot/app/services.h"
#include "aliquot/core/result.h"
#include "aliquot/core/timestamp.h"

namespace aliquot::app {

// Every demo account's password (demo only; docs/demo.md).
inline constexpr std::string_view kDemoPassword = "Leiden-demo-2026";
// The demo QA workstation's terminal token (demo only; docs/demo.md).
inline constexpr std::string_view kDemoQaTerminalToken =
    "de30000000000000000000000000000000000000000000000000000000000002";
// The demo suite 2 tablet's terminal token, where the operators work (demo only; docs/demo.md).
inline constexpr std::string_view kDemoSuiteTabletToken =
    "de30000000000000000000000000000000000000000000000000000000000001";

// How far back the demo's history reaches: it is recorded on a DemoClock running from this many
// days before the demo runs up to then.
inline constexpr int kDemoHistoryDays = 75;
// Where the demo's history begins when the demo runs at `now`: where its clock must stand.
Timestamp DemoStart(Timestamp now);

// Creates the demo site, recording 75 days of its history in the order it happened on `clock`,
// which the services (and their store) run on: it stands at DemoStart(real now) and is released
// when this returns, whatever it returns. When the history begins: site LEI, one user per role
// (two operators, two QA approvers), terminals, access approvals, the CAR-T document set, curricula
// and training with deliberate gaps; the materials of the CAR-T process (qualified suppliers, one
// conditional, one lapsing five days after the end; specifications; lots with their certificates,
// one out of specification, one expiring three days after the end); the equipment of the CAR-T
// suites, qualified, with calibration and maintenance history from certificates dated before then.
// Along the way: master batch record MBR-CAR19 version 1 (Phase 1) and version 2 (current), the
// document revisions, an incubator taken out of service, and seven batches of the CAR-T process,
// each for the patient of its own apheresis collection, executed by the operators across shifts
// with values from a fixed-seed generator: three Phase 1 batches released, one current batch
// released, one with an action-limit excursion and its deviation and one with a corrected typing
// error (both under review), and one in progress. At the end (now): two collections at goods-in
// (one held, one awaiting eligibility), the cabinets cleaned (one awaiting its verification), about
// 90 days of environmental monitoring results and today's, with an action-level excursion whose
// deviation lists the batch in the room, and a pipette found out of tolerance whose deviation lists
// the batches it served. `terminal` names where the command runs ("cli:<host>"); `say` receives
// one line per group of steps. Returns kFailedPrecondition when the site already has users.
Status CreateDemoSite(Services& services, DemoClock& clock, const std::string& terminal,
                      const std::function<void(std::string_view)>& say);

}  // namespace aliquot::app
