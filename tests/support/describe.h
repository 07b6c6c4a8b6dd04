// Describe: a Result as one line for assertions, "ok" or the error's text, so that a failing
// ASSERT_EQ(Describe(x), "ok") prints what went wrong.
#pragma once

#include <string>

#include "aliquot/core/result.h"

namespace aliquot::testing {

template <typename T>
std::string Describe(const Result<T>& result) {
  return result ? "ok" : result.error().ToString();
}

}  // namespace aliquot::testing
