// Error: the one vocabulary for failures across every layer. The codes are abseil's closed set,
// chosen by what the caller should do next, so a handler maps them to a response without
// knowing which layer failed.
#pragma once

#include <string>
#include <string_view>

namespace aliquot {

enum class ErrorCode {
  kInvalidArgument,     // The request itself is wrong; retrying it unchanged fails again.
  kNotFound,            // The thing named does not exist.
  kAlreadyExists,       // The thing to create exists already.
  kFailedPrecondition,  // The state must change first ("batch B-17 has an open deviation").
  kPermissionDenied,    // Authenticated, but not allowed to do this.
  kUnauthenticated,     // Who is asking is not established.
  kAborted,             // A concurrent change won; retry from the start.
  kUnavailable,         // A resource is down or busy; retry later.
  kDataLoss,            // Stored data is corrupt or has been tampered with.
  kInternal,            // An invariant of ours broke.
};

// The stable name of a code, as it appears in JSON error bodies and logs: "failed_precondition".
std::string_view ErrorCodeName(ErrorCode code);

// An error carries a code, a message a person can act on, and optionally the input field at
// fault ("payload.viability", "--data"), so that a screen can point at it.
class Error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  ErrorCode Code() const { return code_; }
  const std::string& Message() const { return message_; }
  const std::string& Field() const { return field_; }

  // Returns a copy whose message is prefixed with context: "opening data/aliquot.db: ...".
  Error WithContext(std::string_view context) const;

  // "failed_precondition: batch B-17 has an open deviation (field: batch)".
  std::string ToString() const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
  std::string field_;
};

// Shorthands that read as the sentence they produce: InvalidArgument("limit must be positive").
Error InvalidArgument(std::string message, std::string field = {});
Error NotFound(std::string message, std::string field = {});
Error AlreadyExists(std::string message, std::string field = {});
Error FailedPrecondition(std::string message, std::string field = {});
Error PermissionDenied(std::string message, std::string field = {});
Error Unauthenticated(std::string message, std::string field = {});
Error Aborted(std::string message, std::string field = {});
Error Unavailable(std::string message, std::string field = {});
Error DataLoss(std::string message, std::string field = {});
Error Internal(std::string message, std::string field = {});

}  // namespace aliquot
