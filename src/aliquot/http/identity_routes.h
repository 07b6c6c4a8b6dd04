// The identity API: signing in and out, one's own session and account, administration of sites,
// users and terminals, the permission table, and electronic signatures on records. Every route
// but sign-in needs a session (Authorization: Bearer <token>); every route, sign-in included,
// needs the terminal's token (X-Aliquot-Terminal). docs/api.md lists the routes with the action
// each performs.
#pragma once

#include "aliquot/app/identity_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/result.h"
#include "aliquot/http/route_support.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct IdentityApi {
  app::SessionService& sessions;
  app::IdentityService& identity;
  app::SignatureService& signatures;
};

// Adds the routes; the services must outlive the router.
void AddIdentityRoutes(Router& router, const IdentityApi& api);

}  // namespace aliquot::http
