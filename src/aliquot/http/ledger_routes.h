// The read-only ledger API (/api/v1/ledger/...) an auditor uses to fetch events, checkpoints and
// proofs, and the operational routes /healthz and /metrics. Every body is canonical JSON, so a
// fetched event or checkpoint is byte for byte the line of an export.
#pragma once

#include <functional>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/core/result.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

// The default and the largest page of GET /api/v1/ledger/events.
inline constexpr std::uint64_t kDefaultEventPage = 100;
inline constexpr std::uint64_t kMaxEventPage = 1000;

// Adds, for `ledger` (which must outlive the router):
//   GET /api/v1/ledger/head                  {"head_hash","last_time","public_key","root_hash",
//                                             "tree_size"}; last_time null while empty
//   GET /api/v1/ledger/events?from=1&limit=100
//                                            {"events":[...],"next":<seq>|null}, limit 1-1000
//   GET /api/v1/ledger/events/{seq}          the event as its export line (with "hash")
//   GET /api/v1/ledger/events/{seq}/proof    the inclusion proof document
//   GET /api/v1/ledger/checkpoints           {"checkpoints":[...]}, increasing tree size
//   GET /api/v1/ledger/checkpoints/latest    the latest checkpoint; 404 while there is none
// Errors are the service's, through ErrorResponse; bad parameters are kInvalidArgument naming
// the parameter.
// Every route needs a session whose roles permit audit_trail.read, from a registered terminal
// (P11-04, P11-07): the audit trail is for the quality unit, inspectors and administrators.
void AddLedgerRoutes(Router& router, app::LedgerService& ledger, app::SessionService& sessions);

// Adds GET /healthz (200 {"status":"ok"}, or 503 {"message","status":"unavailable"} when
// `health` returns an error) and GET /metrics (the Prometheus text of `metrics`). `metrics`
// must outlive the router.
void AddHealthRoutes(Router& router, std::function<Status()> health, Metrics& metrics);

}  // namespace aliquot::http
