// TempDir: a fresh folder under the system's temporary directory, removed with its contents when
// the test ends.
#pragma once

#include <filesystem>

namespace aliquot::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& Path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The source tree the tests were built from, for tests that read tools/ or docs/.
std::filesystem::path SourceDir();

}  // namespace aliquot::testing
