#include "aliquot/domain/batches/review.h"

#include <array>
#include <utility>

#include "aliquot/core/enum_names.h"
#include "aliquot/core/text.h"
#include "aliquot/domain/materials/codec.h"

namespace aliquot::batches {
namespace {

constexpr std::array<std::string_view, 10> kKindNames = {
    "alert_limit", "action_limit",     "correction",        "not_applicable",  "override",
    "late_entry",  "hold_time_breach", "duration_exceeded", "refused_attempt", "deviation"};

using materials::JsonFields;

}  // namespace

std::string_view ExceptionKindName(ExceptionKind kind) { return EnumName(kKindNames, kind); }
std::optional<ExceptionKind> ExceptionKindFromName(std::string_view name) {
  return EnumFromName<ExceptionKind>(kKindNames, name);
}

Json ExceptionToJson(const BatchException& exception) {
  Json json = Json::MakeObject();
  json.Set("key", exception.key);
  Json kinds = Json::MakeArray();
  for (ExceptionKind kind : exception.kinds) kinds.Push(ExceptionKindName(kind));
  json.Set("kinds", std::move(kinds));
  json.Set("step", exception.step);
  json.Set("summary", exception.summary);
  if (exception.reviewed_at) {
    json.Set("reviewed_at", materials::TimeToJson(*exception.reviewed_at));
    json.Set("reviewed_by", exception.reviewed_by);
    json.Set("review_comment", exception.review_comment);
  }
  return json;
}

Result<BatchException> ExceptionFromJson(const Json& json) {
  const JsonFields fields(json, "exception");
  BatchException exception;
  ALIQUOT_ASSIGN_OR_RETURN(exception.key, fields.String("key"));
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<std::string> kinds, fields.Strings("kinds"));
  for (const std::string& name : kinds) {
    const std::optional<ExceptionKind> kind = ExceptionKindFromName(name);
    if (!kind) return Unexpected(fields.Corrupt("unknown exception kind " + name));
    exception.kinds.push_back(*kind);
  }
  ALIQUOT_ASSIGN_OR_RETURN(exception.step, fields.String("step"));
  ALIQUOT_ASSIGN_OR_RETURN(exception.summary, fields.String("summary"));
  ALIQUOT_ASSIGN_OR_RETURN(exception.reviewed_at, fields.OptionalTime("reviewed_at"));
  if (exception.reviewed_at) {
    ALIQUOT_ASSIGN_OR_RETURN(exception.reviewed_by, fields.String("reviewed_by"));
    ALIQUOT_ASSIGN_OR_RETURN(exception.review_comment, fields.String("review_comment"));
  }
  return exception;
}

Result<std::vector<BatchException>> ExceptionsOf(const ledger::Event& event,
                                                 const ledger::PayloadReader& payload) {
  std::vector<BatchException> exceptions;
  const Json* array = payload.Find("exceptions");
  if (array == nullptr) return exceptions;
  if (!array->IsArray()) return Unexpected(payload.Corrupt("exceptions is not an array"));
  for (const Json& json : array->AsArray()) {
    ALIQUOT_ASSIGN_OR_RETURN(BatchException exception, ExceptionFromJson(json));
    exception.at = event.time;
    exceptions.push_back(std::move(exception));
  }
  return exceptions;
}

Result<std::optional<ExceptionReview>> ReviewOf(const ledger::Event& event,
                                                const ledger::PayloadReader& payload) {
  if (event.event_type != kExceptionReviewed) return std::optional<ExceptionReview>();
  ExceptionReview review;
  ALIQUOT_ASSIGN_OR_RETURN(review.key, payload.String("exception"));
  ALIQUOT_ASSIGN_OR_RETURN(review.comment, payload.String("comment"));
  review.at = event.time;
  review.by = event.actor.id;
  return std::optional<ExceptionReview>(std::move(review));
}

Json DispositionContent(const BatchState& state) {
  Json json = BatchStateToJson(state);
  Json content = Json::MakeObject();
  // Members that a workflow step changes stay out; everything the record says stays in.
  for (auto& [name, value] : json.AsObject()) {
    if (name == "status" || name == "status_before_hold" || name == "hold_reason" ||
        name == "unreviewed" || name == "review_started_at" || name == "disposition") {
      continue;
    }
    content.Set(name, std::move(value));
  }
  return content;
}

Result<Decision> StartReview(const Context& context) {
  const BatchState& batch = *context.batch;
  if (batch.status != BatchStatus::kCompleted) {
    return Unexpected(FailedPrecondition("batch " + batch.id + " is " +
                                             std::string(BatchStatusName(batch.status)) +
                                             ": review starts once every step is done",
                                         "batch"));
  }
  Decision decision;
  decision.events.push_back(BatchEvent(context, context.batch->id, kReviewStarted));
  return decision;
}

Result<Decision> ReviewException(const Context& context, std::string_view key,
                                 std::string_view comment) {
  const BatchState& batch = *context.batch;
  if (!comment.empty()) ALIQUOT_RETURN_IF_ERROR(CheckParagraph(comment, "comment", 1, 4000));
  if (batch.status != BatchStatus::kUnderReview) {
    return Unexpected(FailedPrecondition(
        "batch " + batch.id + " is " + std::string(BatchStatusName(batch.status)) +
            ": exceptions are reviewed once its review has started",
        "batch"));
  }
  if (!batch.unreviewed.contains(std::string(key))) {
    // Either it was reviewed, or the batch has no such exception; the caller tells them apart by
    // reading the list, so the message says both.
    return Unexpected(NotFound("batch " + batch.id + " has no exception '" +
                                   std::string(key.substr(0, 64)) + "' awaiting review",
                               "exception"));
  }
  Decision decision;
  ledger::NewEvent event = BatchEvent(context, context.batch->id, kExceptionReviewed);
  event.payload.Set("exception", std::string(key));
  event.payload.Set("comment", std::string(comment));
  decision.events.push_back(std::move(event));
  return decision;
}

Result<Decision> Dispose(const Context& context, DispositionKind kind,
                         const std::vector<std::string>& open_deviations,
                         std::string_view comment) {
  const BatchState& batch = *context.batch;
  if (!comment.empty()) ALIQUOT_RETURN_IF_ERROR(CheckParagraph(comment, "comment", 1, 4000));
  const std::string status(BatchStatusName(batch.status));
  if (kind == DispositionKind::kReject) {
    if (batch.status != BatchStatus::kUnderReview && batch.status != BatchStatus::kOnHold) {
      return Unexpected(FailedPrecondition(
          "batch " + batch.id + " is " + status + ": a batch is rejected under review or on hold",
          "batch"));
    }
  } else {
    // G-04, 211.192: QA releases only a record reviewed in full, with every deviation closed.
    if (batch.status != BatchStatus::kUnderReview) {
      return Unexpected(FailedPrecondition(
          "batch " + batch.id + " is " + status + ": a batch is released once under review",
          "batch"));
    }
    std::string blockers;
    if (!batch.unreviewed.empty()) {
      blockers = std::to_string(batch.unreviewed.size()) + " exception" +
                 (batch.unreviewed.size() == 1 ? " is" : "s are") + " not reviewed (";
      std::size_t shown = 0;
      for (const std::string& key : batch.unreviewed) {
        if (shown++ == 10) {
          blockers += ", ...";
          break;
        }
        blockers += (shown == 1 ? "" : ", ") + key;
      }
      blockers += ")";
    }
    for (const std::string& deviation : open_deviations) {
      blockers += (blockers.empty() ? "" : "; ") + deviation + " is not closed";
    }
    if (!blockers.empty()) {
      return Unexpected(
          FailedPrecondition("batch " + batch.id + " cannot be released: " + blockers, "batch"));
    }
  }
  Decision decision;
  ledger::NewEvent event =
      BatchEvent(context, context.batch->id,
                 kind == DispositionKind::kRelease ? kBatchReleased : kBatchRejected);
  event.payload.Set("comment", std::string(comment));
  decision.events.push_back(std::move(event));
  return decision;
}

}  // namespace aliquot::batches
