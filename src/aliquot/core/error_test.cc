#include "aliquot/core/error.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/core/result.h"

namespace aliquot {
namespace {

TEST(Error, PrintsCodeMessageAndField) {
  const Error error = FailedPrecondition("batch B-17 has an open deviation", "batch");
  EXPECT_EQ(error.ToString(),
            "failed_precondition: batch B-17 has an open deviation (field: batch)");
}

TEST(Error, PrintsNoFieldWhenNoneIsNamed) {
  EXPECT_EQ(NotFound("no batch B-17").ToString(), "not_found: no batch B-17");
}

TEST(Error, WithContextPrefixesTheMessageAndKeepsCodeAndField) {
  const Error original = DataLoss("page 7 is corrupt", "--data");
  const Error wrapped = original.WithContext("opening data/aliquot.db");
  EXPECT_EQ(wrapped.Code(), ErrorCode::kDataLoss);
  EXPECT_EQ(wrapped.Message(), "opening data/aliquot.db: page 7 is corrupt");
  EXPECT_EQ(wrapped.Field(), "--data");
  EXPECT_EQ(wrapped.ToString(),
            "data_loss: opening data/aliquot.db: page 7 is corrupt (field: --data)");
  // The original is a value and stays as it was.
  EXPECT_EQ(original.Message(), "page 7 is corrupt");
}

TEST(Error, ContextsNestOutermostFirst) {
  const Error error =
      Internal("disk full").WithContext("writing events.jsonl").WithContext("exporting the ledger");
  EXPECT_EQ(error.Message(), "exporting the ledger: writing events.jsonl: disk full");
}

TEST(Error, EveryCodeHasItsStableSnakeCaseName) {
  // These names appear in JSON error bodies and logs; clients match on them.
  const std::vector<std::pair<ErrorCode, std::string>> names = {
      {ErrorCode::kInvalidArgument, "invalid_argument"},
      {ErrorCode::kNotFound, "not_found"},
      {ErrorCode::kAlreadyExists, "already_exists"},
      {ErrorCode::kFailedPrecondition, "failed_precondition"},
      {ErrorCode::kPermissionDenied, "permission_denied"},
      {ErrorCode::kUnauthenticated, "unauthenticated"},
      {ErrorCode::kAborted, "aborted"},
      {ErrorCode::kUnavailable, "unavailable"},
      {ErrorCode::kDataLoss, "data_loss"},
      {ErrorCode::kInternal, "internal"},
  };
  for (const auto& [code, name] : names) EXPECT_EQ(ErrorCodeName(code), name);
}

TEST(Error, EachShorthandMakesItsCode) {
  const std::vector<std::pair<Error, ErrorCode>> cases = {
      {InvalidArgument("m", "f"), ErrorCode::kInvalidArgument},
      {NotFound("m", "f"), ErrorCode::kNotFound},
      {AlreadyExists("m", "f"), ErrorCode::kAlreadyExists},
      {FailedPrecondition("m", "f"), ErrorCode::kFailedPrecondition},
      {PermissionDenied("m", "f"), ErrorCode::kPermissionDenied},
      {Unauthenticated("m", "f"), ErrorCode::kUnauthenticated},
      {Aborted("m", "f"), ErrorCode::kAborted},
      {Unavailable("m", "f"), ErrorCode::kUnavailable},
      {DataLoss("m", "f"), ErrorCode::kDataLoss},
      {Internal("m", "f"), ErrorCode::kInternal},
  };
  for (const auto& [error, code] : cases) {
    EXPECT_EQ(error.Code(), code) << error.ToString();
    EXPECT_EQ(error.Message(), "m");
    EXPECT_EQ(error.Field(), "f");
  }
}

TEST(Error, EqualityComparesCodeMessageAndField) {
  EXPECT_EQ(NotFound("x", "f"), NotFound("x", "f"));
  EXPECT_NE(NotFound("x", "f"), AlreadyExists("x", "f"));
  EXPECT_NE(NotFound("x", "f"), NotFound("y", "f"));
  EXPECT_NE(NotFound("x", "f"), NotFound("x", "g"));
}

Result<int> ParsePositive(int value) {
  if (value <= 0) return Unexpected(InvalidArgument("must be positive", "value"));
  return value;
}

Result<int> DoubleIt(int value) {
  ALIQUOT_ASSIGN_OR_RETURN(const int checked, ParsePositive(value));
  return checked * 2;
}

Status CheckBoth(int a, int b, int& checked) {
  ALIQUOT_RETURN_IF_ERROR(ParsePositive(a));
  ++checked;
  ALIQUOT_RETURN_IF_ERROR(ParsePositive(b));
  ++checked;
  return {};
}

TEST(Result, AssignOrReturnYieldsTheValueOrPassesTheErrorOn) {
  EXPECT_EQ(DoubleIt(21), 42);
  const Result<int> failed = DoubleIt(-1);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), InvalidArgument("must be positive", "value"));
}

TEST(Result, ReturnIfErrorStopsAtTheFirstError) {
  int checked = 0;
  EXPECT_TRUE(CheckBoth(1, 2, checked).has_value());
  EXPECT_EQ(checked, 2);

  checked = 0;
  const Status failed = CheckBoth(1, -2, checked);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), InvalidArgument("must be positive", "value"));
  EXPECT_EQ(checked, 1);

  checked = 0;
  EXPECT_FALSE(CheckBoth(-1, 2, checked).has_value());
  EXPECT_EQ(checked, 0);
}

}  // namespace
}  // namespace aliquot
