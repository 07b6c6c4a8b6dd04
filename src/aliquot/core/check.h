// ALIQUOT_CHECK: always-on invariant checks. In a GMP record, carrying on after a broken
// invariant corrupts evidence, so a failed check stops the process. Never for user input: input
// gets an Error.
#pragma once

namespace aliquot::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line,
                              const char* message);
}  // namespace aliquot::internal

#define ALIQUOT_CHECK(condition)                                                            \
  do {                                                                                      \
    if (!(condition)) ::aliquot::internal::CheckFailed(#condition, __FILE__, __LINE__, ""); \
  } while (false)

#define ALIQUOT_CHECK_MSG(condition, message)                                                    \
  do {                                                                                           \
    if (!(condition)) ::aliquot::internal::CheckFailed(#condition, __FILE__, __LINE__, message); \
  } while (false)
