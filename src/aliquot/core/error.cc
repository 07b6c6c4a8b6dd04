#include "aliquot/core/error.h"

namespace aliquot {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kAborted:
      return "aborted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kDataLoss:
      return "data_loss";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

Error Error::WithContext(std::string_view context) const {
  std::string message(context);
  message += ": ";
  message += message_;
  return Error(code_, std::move(message), field_);
}

std::string Error::ToString() const {
  std::string text(ErrorCodeName(code_));
  text += ": ";
  text += message_;
  if (!field_.empty()) {
    text += " (field: ";
    text += field_;
    text += ")";
  }
  return text;
}

Error InvalidArgument(std::string message, std::string field) {
  return {ErrorCode::kInvalidArgument, std::move(message), std::move(field)};
}
Error NotFound(std::string message, std::string field) {
  return {ErrorCode::kNotFound, std::move(message), std::move(field)};
}
Error AlreadyExists(std::string message, std::string field) {
  return {ErrorCode::kAlreadyExists, std::move(message), std::move(field)};
}
Error FailedPrecondition(std::string message, std::string field) {
  return {ErrorCode::kFailedPrecondition, std::move(message), std::move(field)};
}
Error PermissionDenied(std::string message, std::string field) {
  return {ErrorCode::kPermissionDenied, std::move(message), std::move(field)};
}
Error Unauthenticated(std::string message, std::string field) {
  return {ErrorCode::kUnauthenticated, std::move(message), std::move(field)};
}
Error Aborted(std::string message, std::string field) {
  return {ErrorCode::kAborted, std::move(message), std::move(field)};
}
Error Unavailable(std::string message, std::string field) {
  return {ErrorCode::kUnavailable, std::move(message), std::move(field)};
}
Error DataLoss(std::string message, std::string field) {
  return {ErrorCode::kDataLoss, std::move(message), std::move(field)};
}
Error Internal(std::string message, std::string field) {
  return {ErrorCode::kInternal, std::move(message), std::move(field)};
}

}  // namespace aliquot
