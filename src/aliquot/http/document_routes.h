// The documents and training API: files in the content-addressed store, controlled documents and
// their versions, which version was effective when, periodic reviews, curricula, assignments,
// instructor-led sessions, the qualification query, the gate, and the training reports (matrix,
// overdue). Transitions and training completions are electronic signatures, made through
// POST /api/v1/records/{type}/{id}/signatures. docs/api.md lists every route and its action.
#pragma once

#include "aliquot/app/document_service.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/training_service.h"
#include "aliquot/http/router.h"

namespace aliquot::http {

struct DocumentsApi {
  app::SessionService& sessions;
  app::DocumentService& documents;
  app::TrainingService& training;
};

// Adds the routes; the services must outlive the router.
void AddDocumentRoutes(Router& router, const DocumentsApi& api);

}  // namespace aliquot::http
