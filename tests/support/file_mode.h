// File permission helpers for tests of what the system writes to disk (key files, data folders).
#pragma once

#include <filesystem>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace aliquot::testing {

// The permission bits of `path` (07777), failing the test if it cannot be examined.
inline mode_t ModeOf(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Sets the process umask for the life of the object.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace aliquot::testing
