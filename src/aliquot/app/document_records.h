// The documents and training areas' projection: documents and their versions, curricula, training
// completions, assignments and instructor-led sessions awaiting signature, kept as plain tables
// from the documents.* and training.* events, and the functions that read them back into the
// domain's types. A document's state is rebuilt by the domain's own ApplyDocumentEvent, so the
// projection and the rules cannot disagree on what an event means.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/result.h"
#include "aliquot/domain/documents/document.h"
#include "aliquot/domain/training/training.h"

namespace aliquot::app {

// Tables: documents (with a compact schedule of its versions), document_versions (document,
// version), curricula, training_records (user, document: every completion and assignment) and
// training_sessions (user, document, version).
std::unique_ptr<Projector> MakeDocumentsProjector();

// The document with `exists` false when there is none; kDataLoss for a row that does not read
// back.
Result<documents::DocumentState> LoadDocument(StoreReader& reader, const std::string& document_id);
// Every document, in id order.
// The same, or kNotFound naming `field` when there is no such document.
Result<documents::DocumentState> ExistingDocument(StoreReader& reader,
                                                  const std::string& document_id,
                                                  std::string_view field);
Result<std::vector<documents::DocumentState>> LoadDocuments(StoreReader& reader);
// The document with only what the qualification question needs of its versions (number, stage,
// revision, effective dates), from its own row: one point read, for the gate.
Result<documents::DocumentState> LoadDocumentSchedule(StoreReader& reader,
                                                      const std::string& document_id);
Result<std::vector<std::string>> LoadDocumentIds(StoreReader& reader);

Result<training::Curriculum> LoadCurriculum(StoreReader& reader, const std::string& curriculum_id);
Result<std::vector<training::Curriculum>> LoadCurricula(StoreReader& reader);

// One person's training on one document: completions and assignments, oldest first (one read).
struct TrainingOnDocument {
  std::vector<training::Completion> completions;
  std::vector<training::Assignment> assignments;
};
Result<TrainingOnDocument> LoadTrainingOn(StoreReader& reader, const std::string& user_id,
                                          const std::string& document_id);
// Every completion and assignment, grouped by (user, document): for the matrix and reports.
struct TrainingRecords {
  std::string user;
  std::string document;
  TrainingOnDocument training;
};
Result<std::vector<TrainingRecords>> LoadAllTraining(StoreReader& reader);

Result<training::PendingSession> LoadPendingSession(StoreReader& reader, const std::string& user_id,
                                                    const std::string& document_id, int version);

}  // namespace aliquot::app
