// QualityService: deviations (21 CFR 211.100(b), 211.192; G-04, G-05). Equipment, environmental
// monitoring and batch execution raise them; QA assesses them (deviation.assess) and closes them
// by an electronic signature meaning approved, with its justification as the comment, on the
// record type "deviation" (deviation.close). Batch release reads the same deviations as
// OpenDeviationsIn (LoadDeviationsOfBatch), in the release's own snapshot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/domain/quality/deviation.h"

namespace aliquot::app {

// The record type QA signs: "deviation" (<deviation id>: approved, with the justification as its
// comment, closes an assessed deviation). Its content is quality::DeviationContent: what was
// raised and the assessment that stands.
SignableRecord DeviationRecord();

class QualityService {
 public:
  QualityService(Store& store, SessionService& sessions);

  // Newest first; only those that may affect `batch` when given (deviation.view).
  Result<std::vector<quality::DeviationState>> Deviations(const RequestContext& context,
                                                          const std::optional<std::string>& batch);
  // Errors: kNotFound (field "deviation_id").
  Result<quality::DeviationState> Deviation(const RequestContext& context, const std::string& id);

  // Records QA's assessment of deviation `id` (deviation.assess; G-04, 211.192): the latest
  // stands, each is kept. Errors: kPermissionDenied, and quality::AssessDeviation's: kNotFound
  // (field "deviation_id"), kFailedPrecondition (field "status") once it is closed,
  // kInvalidArgument naming the field.
  Status Assess(const RequestContext& context, const std::string& id,
                const quality::DeviationAssessment& assessment);

  // The deviations that may affect `batch` and are not closed, in the snapshot `reader` reads
  // (no authorisation: the caller's use case has it), in id order: what refuses a batch's
  // release (G-04). One index range and one row per deviation returned.
  static Result<std::vector<quality::DeviationState>> OpenDeviationsIn(StoreReader& reader,
                                                                       const std::string& batch);

 private:
  Store& store_;
  SessionService& sessions_;
};

}  // namespace aliquot::app
