#include "aliquot/app/quality_service.h"

#include <algorithm>
#include <utility>

#include "aliquot/app/quality_records.h"
#include "aliquot/app/use_case.h"

namespace aliquot::app {
namespace {

using identity::Action;
using identity::Meaning;
using quality::DeviationState;

Result<DeviationState> ExistingDeviation(StoreReader& reader, const std::string& id) {
  ALIQUOT_ASSIGN_OR_RETURN(DeviationState deviation, LoadDeviation(reader, id));
  if (!deviation.exists) {
    return Unexpected(NotFound("no deviation " + id.substr(0, 60), "deviation_id"));
  }
  return deviation;
}

}  // namespace

SignableRecord DeviationRecord() {
  SignableRecord record;
  record.read = [](StoreReader& reader,
                   const std::string& id) -> Result<std::optional<RecordContent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const DeviationState deviation, LoadDeviation(reader, id));
    if (!deviation.exists) return std::optional<RecordContent>();
    RecordContent content;
    content.content = quality::DeviationContent(deviation);
    // No authors: QA may close a deviation they assessed, and whoever raised it (often the system
    // on an operator's entry) signs nothing here.
    content.streams = {quality::DeviationStream(id)};
    return std::optional<RecordContent>(std::move(content));
  };
  record.view_action = Action::kViewDeviations;
  record.action_for = [](Meaning meaning) -> std::optional<Action> {
    if (meaning == Meaning::kApproved) return Action::kCloseDeviation;
    return std::nullopt;
  };
  record.consequences = [](StoreReader& reader,
                           const Signing& signing) -> Result<std::vector<ledger::NewEvent>> {
    ALIQUOT_ASSIGN_OR_RETURN(const DeviationState deviation,
                             ExistingDeviation(reader, signing.record.id));
    return quality::CloseDeviation(deviation, signing.comment.value_or(""),
                                   signing.context->Actor(), signing.context->terminal.id)
        .transform(One);
  };
  return record;
}

QualityService::QualityService(Store& store, SessionService& sessions)
    : store_(store), sessions_(sessions) {}

Result<std::vector<DeviationState>> QualityService::Deviations(
    const RequestContext& context, const std::optional<std::string>& batch) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDeviations));
  std::vector<DeviationState> deviations;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    if (batch) {
      ALIQUOT_ASSIGN_OR_RETURN(deviations,
                               LoadDeviationsOfBatch(reader, *batch, DeviationFilter::kAll));
    } else {
      ALIQUOT_ASSIGN_OR_RETURN(deviations, LoadDeviations(reader));
    }
    return {};
  }));
  std::sort(deviations.begin(), deviations.end(),
            [](const DeviationState& a, const DeviationState& b) {
              return a.raised_at != b.raised_at ? a.raised_at > b.raised_at : a.id > b.id;
            });
  return deviations;
}

Result<DeviationState> QualityService::Deviation(const RequestContext& context,
                                                 const std::string& id) {
  ALIQUOT_RETURN_IF_ERROR(sessions_.Authorize(context, Action::kViewDeviations));
  DeviationState deviation;
  ALIQUOT_RETURN_IF_ERROR(store_.Read([&](StoreReader& reader) -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(deviation, ExistingDeviation(reader, id));
    return {};
  }));
  return deviation;
}

Status QualityService::Assess(const RequestContext& context, const std::string& id,
                              const quality::DeviationAssessment& assessment) {
  auto appended = RunUseCase(
      store_, sessions_, context, Action::kAssessDeviation,
      [&](StoreReader& reader) -> Result<std::vector<ledger::NewEvent>> {
        ALIQUOT_ASSIGN_OR_RETURN(const DeviationState deviation, ExistingDeviation(reader, id));
        return quality::AssessDeviation(deviation, assessment, context.Actor(), context.terminal.id)
            .transform(One);
      });
  if (!appended) return Unexpected(appended.error());
  return {};
}

Result<std::vector<DeviationState>> QualityService::OpenDeviationsIn(StoreReader& reader,
                                                                     const std::string& batch) {
  return LoadDeviationsOfBatch(reader, batch, DeviationFilter::kNotClosed);
}

}  // namespace aliquot::app
