// Result<T>: a value or an Error. The one place that names tl::expected, so the project can move
// to std::expected (C++23) by editing this header alone.
#pragma once

#include <utility>

#include <tl/expected.hpp>

#include "aliquot/core/error.h"

namespace aliquot {

template <typename T>
using Result = tl::expected<T, Error>;

// Status is a Result that carries no value: Status ok = {}; Status bad = Unexpected(error).
using Status = Result<void>;

inline tl::unexpected<Error> Unexpected(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace aliquot

#define ALIQUOT_CONCAT_INNER(a, b) a##b
#define ALIQUOT_CONCAT(a, b) ALIQUOT_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result or Status) from the enclosing function, if any.
#define ALIQUOT_RETURN_IF_ERROR(expr)                                            \
  do {                                                                           \
    auto&& aliquot_status_ = (expr);                                             \
    if (!aliquot_status_) return ::aliquot::Unexpected(aliquot_status_.error()); \
  } while (false)

// ALIQUOT_ASSIGN_OR_RETURN(auto value, Compute()); declares `value` from a Result, or returns its
// error from the enclosing function.
#define ALIQUOT_ASSIGN_OR_RETURN(lhs, expr) \
  ALIQUOT_ASSIGN_OR_RETURN_IMPL(ALIQUOT_CONCAT(aliquot_result_, __LINE__), lhs, expr)
// `lhs` is a declaration ("auto value"), which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ALIQUOT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)             \
  auto tmp = (expr);                                              \
  if (!tmp) return ::aliquot::Unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
// NOLINTEND(bugprone-macro-parentheses)
