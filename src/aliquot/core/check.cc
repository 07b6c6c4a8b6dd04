#include "aliquot/core/check.h"

#include <cstdio>
#include <cstdlib>

namespace aliquot::internal {

void CheckFailed(const char* condition, const char* file, int line, const char* message) {
  std::fprintf(stderr, "aliquot: invariant broken at %s:%d: %s %s\n", file, line, condition,
               message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace aliquot::internal
