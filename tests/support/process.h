// Process: a child process for tests that drive the real binaries (the `aliquot` CLI, a server on
// port 0, the stand-alone Python verifier). Spawns with posix_spawn, sends signals, waits with a
// timeout, and reads what the child writes, so a test asserts what a user would see.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "aliquot/core/result.h"

namespace aliquot::testing {

// How a child ended: an exit code, or the signal that killed it.
struct ExitStatus {
  bool exited = false;  // True: `code` is the exit code; false: `signal` killed it.
  int code = -1;
  int signal = 0;

  bool Succeeded() const { return exited && code == 0; }
  // "exit code 1", "killed by signal 9": for failure messages.
  std::string Describe() const;
};

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program's path.
  // Where the child's stdout and stderr go: a file (created or truncated) or, when empty, a pipe
  // this object reads. A chatty child (a server's access log) goes to a file, so it never blocks
  // on a full pipe. stdin is always /dev/null.
  std::filesystem::path stdout_file;
  std::filesystem::path stderr_file;
};

// A command run to completion, its output captured through pipes (so the child sees no
// terminal, as in a script or a CI log).
struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
  bool timed_out = false;
};

class Process {
 public:
  // Starts the child. Returns kInternal when it cannot be spawned (no such program, no pipe).
  static Result<std::unique_ptr<Process>> Start(const ProcessOptions& options);

  // Kills the child with SIGKILL and reaps it, unless it was reaped already.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t Pid() const { return pid_; }

  // Sends `signal`. False once the child has been reaped.
  bool Signal(int signal) const;

  // Waits for the child to end. nullopt when it is still running after `timeout`.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);

  // Reads stdout (a pipe) line by line until a line contains `pattern`; returns that line without
  // its newline. nullopt on timeout or end of output. Every line read is kept in StdoutSoFar().
  std::optional<std::string> ReadLineContaining(std::string_view pattern,
                                                std::chrono::milliseconds timeout);

  // Reads stdout (a pipe) to its end: the child exited or closed it. Returns all of it, including
  // what earlier calls read. nullopt on timeout.
  std::optional<std::string> ReadStdoutToEnd(std::chrono::milliseconds timeout);
  // The same for stderr (a pipe).
  std::optional<std::string> ReadStderrToEnd(std::chrono::milliseconds timeout);

  // What ReadLineContaining and ReadStdoutToEnd have read so far.
  const std::string& StdoutSoFar() const { return stdout_text_; }

 private:
  friend RunResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

  Process() = default;

  pid_t pid_ = -1;
  bool reaped_ = false;
  int stdout_fd_ = -1;  // Read end of the stdout pipe, or -1 (file, or end of output reached).
  int stderr_fd_ = -1;
  std::string stdout_text_;
  std::size_t stdout_scanned_ = 0;  // Bytes of stdout_text_ already handed out as lines.
  std::string stderr_text_;
};

// Runs `argv` to completion. On timeout the child is killed and `timed_out` set.
RunResult Run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(120));

// The file's bytes; an empty string when it cannot be read.
std::string ReadFileBytes(const std::filesystem::path& path);
// Writes `bytes` to the file, replacing it. False on failure.
bool WriteFileBytes(const std::filesystem::path& path, std::string_view bytes);

}  // namespace aliquot::testing
