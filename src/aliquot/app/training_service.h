// TrainingService: curricula, assignments, completions and the qualification gate (21 CFR 211.25,
// G-11; 11.10(i), P11-09). Completing training is an e-signature on the record type "training"
// ("<user>:<document>:<version>"): the trainee's read-and-understood, or the trainer's signature
// on an instructor-led session with its assessment. The gate is what every GMP action governed by
// a document calls: refused, with the exact reason, for anyone not qualified on the version
// effective at that moment, and the refused attempt is an event.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/training/training.h"

namespace aliquot::app {

struct AssignInput {
  std::string user;
  std::string document;
  Timestamp due;
  std::string reason;
};

struct SessionInput {
  std::string trainee;
  std::string document;
  int version = 0;
  bool passed = true;
  std::optional<std::string> score;
  std::optional<std::string> comment;
};

// One cell of the training matrix: a person and a document their roles require.
struct MatrixCell {
  std::string document;
  training::Qualification qualification;
  std::optional<training::Assignment> open_assignment;
};

struct MatrixRow {
  std::string user;
  std::string printed_name;
  std::vector<MatrixCell> cells;  // In document id order.
};

struct TrainingMatrix {
  std::string site;
  Timestamp at;
  std::vector<std::string> documents;  // Every document some curriculum at the site requires.
  std::vector<MatrixRow> users;
};

struct OverdueTraining {
  std::string user;
  std::string printed_name;
  training::Assignment assignment;
};

class TrainingService {
 public:
  TrainingService(Store& store, Clock& clock, SessionService& sessions);

  // Creates or replaces a curriculum; a replacement needs a reason.
  Status SetCurriculum(const RequestContext& context, const training::CurriculumCommand& command,
                       const std::string& reason);
  Result<std::vector<training::Curriculum>> Curricula(const RequestContext& context);

  // Assigns the version of the document that is approved and next to be worked to (the pending
  // one, else the effective one). kNotFound for an unknown user or document, kFailedPrecondition
  // when the document has no approved version, kInvalidArgument (field "due") for a past date.
  Status Assign(const RequestContext& context, const AssignInput& input);
  // Records an instructor-led session for the trainer (the caller) to sign as performed.
  Status RecordSession(const RequestContext& context, const SessionInput& input);

  // Whether `user` is qualified on `document` at `at` (training.view, or one's own).
  Result<training::Qualification> Qualification(const RequestContext& context,
                                                const std::string& user,
                                                const std::string& document, Timestamp at);

  // The gate, through the API: may the caller now perform work governed by `document`? Returns
  // the qualification when they may; otherwise records the attempt (training.gate_refused) and
  // returns kPermissionDenied (field "document") with the exact reason.
  Result<training::Qualification> Gate(const RequestContext& context, const std::string& document,
                                       const std::string& purpose);

  // The same decision for another area's use case, within its snapshot and without
  // authorisation: the qualification of `user` on `document` at `at`. Cheap: it reads one
  // document and one person's training on it (bench/training_bench.cc).
  static Result<training::Qualification> QualificationIn(StoreReader& reader,
                                                         const std::string& user,
                                                         const std::string& document, Timestamp at);

  // Users of the site x documents their curricula require, with each cell's status now (or at
  // `at`). `role` narrows the rows to holders of one role.
  Result<TrainingMatrix> Matrix(const RequestContext& context, const std::string& site,
                                std::optional<identity::Role> role, std::optional<Timestamp> at);
  // Open assignments past their due date, oldest first.
  Result<std::vector<OverdueTraining>> Overdue(const RequestContext& context);
  // The caller's own row of the matrix at their terminal's site: what they must train on.
  Result<MatrixRow> OwnTraining(const RequestContext& context);

 private:
  Result<TrainingMatrix> MatrixAt(StoreReader& reader, const std::string& site,
                                  std::optional<identity::Role> role, Timestamp at,
                                  const std::optional<std::string>& only_user);

  Store& store_;
  Clock& clock_;
  SessionService& sessions_;
};

// The signable record type "training" ("oliver:SOP-CT-004:3"): signed as performed by the trainee
// (read and understood) or by the trainer of a recorded session; the signature completes the
// training, expiring after the shortest requalification interval of the trainee's curricula.
SignableRecord TrainingRecord();
// The id of that record: "oliver:SOP-CT-004:3".
std::string TrainingRecordId(std::string_view user, std::string_view document_id, int version);

}  // namespace aliquot::app
