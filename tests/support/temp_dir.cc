#include "tests/support/temp_dir.h"

#include <string>
#include <system_error>

#include "aliquot/core/check.h"

namespace aliquot::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "aliquot-test-XXXXXX").string();
  ALIQUOT_CHECK_MSG(mkdtemp(pattern.data()) != nullptr, "cannot create a temporary folder");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  // Tests may leave read-only files behind (permission tests); make them removable first.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path_, ignored)) {
    std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
  }
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path SourceDir() { return ALIQUOT_SOURCE_DIR; }

}  // namespace aliquot::testing
