#include "tests/support/process.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): <unistd.h> needs _GNU_SOURCE.

namespace aliquot::testing {
namespace {

using Clock = std::chrono::steady_clock;

Error SpawnError(std::string what, int error) {
  return Internal(std::move(what) + ": " + std::generic_category().message(error));
}

// Milliseconds left until `deadline`, for poll(2); 0 once it has passed.
int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

// Reads what `fd` has into `out`, waiting up to `deadline` for the first byte. Returns false at
// end of output (and closes `fd`, setting it to -1); true when bytes arrived or time ran out.
bool ReadSome(int& fd, std::string& out, Clock::time_point deadline) {
  pollfd entry{fd, POLLIN, 0};
  const int ready = ::poll(&entry, 1, MillisLeft(deadline));
  if (ready < 0 && errno == EINTR) return true;
  if (ready <= 0) return true;
  char buffer[16384];
  const ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (got <= 0) {
    ::close(fd);
    fd = -1;
    return false;
  }
  out.append(buffer, static_cast<std::size_t>(got));
  return true;
}

ExitStatus Decode(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.exited = true;
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  return status;
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (exited) return "exit code " + std::to_string(code);
  const char* name = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + " (SIG" + (name != nullptr ? name : "?") +
         ")";
}

Result<std::unique_ptr<Process>> Process::Start(const ProcessOptions& options) {
  if (options.argv.empty()) return Unexpected(InvalidArgument("no program to start", "argv"));
  std::unique_ptr<Process> process(new Process());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  struct Cleanup {
    posix_spawn_file_actions_t* actions;
    posix_spawnattr_t* attributes;
    int fds[4] = {-1, -1, -1, -1};  // Write ends, closed in the parent once the child has them.
    ~Cleanup() {
      posix_spawn_file_actions_destroy(actions);
      posix_spawnattr_destroy(attributes);
      for (int fd : fds) {
        if (fd >= 0) ::close(fd);
      }
    }
  } cleanup{&actions, &attributes};

  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const auto route = [&](int target, const std::filesystem::path& file, int& read_end,
                         int& write_slot) -> Status {
    if (!file.empty()) {
      posix_spawn_file_actions_addopen(&actions, target, file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
      return {};
    }
    int ends[2];
    // O_CLOEXEC: a pipe must not leak into another child, or its end of output never comes.
    if (::pipe2(ends, O_CLOEXEC) != 0) return Unexpected(SpawnError("pipe", errno));
    read_end = ends[0];
    write_slot = ends[1];
    posix_spawn_file_actions_adddup2(&actions, ends[1], target);
    return {};
  };
  ALIQUOT_RETURN_IF_ERROR(
      route(STDOUT_FILENO, options.stdout_file, process->stdout_fd_, cleanup.fds[0]));
  ALIQUOT_RETURN_IF_ERROR(
      route(STDERR_FILENO, options.stderr_file, process->stderr_fd_, cleanup.fds[1]));

  // The child starts with default dispositions and nothing blocked, whatever the test runner set.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGTERM, SIGINT, SIGPIPE, SIGCHLD, SIGHUP}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int spawned = ::posix_spawn(&process->pid_, options.argv[0].c_str(), &actions, &attributes,
                                    argv.data(), environ);
  if (spawned != 0) {
    process->reaped_ = true;
    return Unexpected(SpawnError("cannot start " + options.argv[0], spawned));
  }
  return process;
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int wait_status = 0;
    while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

bool Process::Signal(int signal) const { return !reaped_ && ::kill(pid_, signal) == 0; }

std::optional<ExitStatus> Process::Wait(std::chrono::milliseconds timeout) {
  if (reaped_) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (auto pause = std::chrono::milliseconds(1);;
       pause = std::min(pause * 2, decltype(pause)(20))) {
    int wait_status = 0;
    const pid_t done = ::waitpid(pid_, &wait_status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return Decode(wait_status);
    }
    if (done < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(pause);
  }
}

std::optional<std::string> Process::ReadLineContaining(std::string_view pattern,
                                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (std::size_t end; (end = stdout_text_.find('\n', stdout_scanned_)) != std::string::npos;) {
      std::string line = stdout_text_.substr(stdout_scanned_, end - stdout_scanned_);
      stdout_scanned_ = end + 1;
      if (line.find(pattern) != std::string::npos) return line;
    }
    if (stdout_fd_ < 0 || Clock::now() >= deadline) return std::nullopt;
    ReadSome(stdout_fd_, stdout_text_, deadline);
  }
}

std::optional<std::string> Process::ReadStdoutToEnd(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (stdout_fd_ >= 0) {
    if (Clock::now() >= deadline) return std::nullopt;
    ReadSome(stdout_fd_, stdout_text_, deadline);
  }
  return stdout_text_;
}

std::optional<std::string> Process::ReadStderrToEnd(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (stderr_fd_ >= 0) {
    if (Clock::now() >= deadline) return std::nullopt;
    ReadSome(stderr_fd_, stderr_text_, deadline);
  }
  return stderr_text_;
}

RunResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  RunResult result;
  auto started = Process::Start({argv, {}, {}});
  if (!started) {
    result.err = started.error().ToString();
    return result;
  }
  Process& process = **started;
  const auto deadline = Clock::now() + timeout;
  // Both pipes at once: a child that fills one while the other is being read would block.
  while (process.stdout_fd_ >= 0 || process.stderr_fd_ >= 0) {
    if (Clock::now() >= deadline) break;
    pollfd entries[2] = {{process.stdout_fd_, POLLIN, 0}, {process.stderr_fd_, POLLIN, 0}};
    const int ready = ::poll(entries, 2, MillisLeft(deadline));
    if (ready <= 0) continue;
    if (entries[0].revents != 0) ReadSome(process.stdout_fd_, process.stdout_text_, deadline);
    if (entries[1].revents != 0) ReadSome(process.stderr_fd_, process.stderr_text_, deadline);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  std::optional<ExitStatus> status = process.Wait(std::max(left, std::chrono::milliseconds(0)));
  if (!status) {
    result.timed_out = true;
    process.Signal(SIGKILL);
    status = process.Wait(std::chrono::seconds(10));
  }
  if (status) result.status = *status;
  result.out = process.stdout_text_;
  result.err = process.stderr_text_;
  return result;
}

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

bool WriteFileBytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace aliquot::testing
