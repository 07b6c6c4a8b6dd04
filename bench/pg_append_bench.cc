// pg_append_bench: durable append throughput of PgStore::Append with 1, 8 and 64 concurrent
// appenders, each figure printed beside the limit it chases, measured in the same run against the
// same server: a multi-row INSERT of the same rows into the same table and index (migration 1 of
// storage/postgres/migrations.cc, run in a scratch database), 1000 rows per transaction with
// synchronous_commit on, through libpq; and one row per transaction for orientation. Without
// --postgres-url it starts its own PostgreSQL 15 cluster (tools/pg_test_cluster.py) and stops it
// at the end. See docs/benchmarks.md.
#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bench/appenders.h"
#include "bench/report.h"
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projectors.h"
#include "aliquot/core/check.h"
#include "aliquot/core/clock.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/postgres/connection.h"
#include "aliquot/storage/postgres/migrations.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "tests/support/temp_dir.h"

// The process environment, for the child that stops the cluster from a signal handler.
extern char** environ;

namespace aliquot::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Each benchmark runs in rounds, and every round measures the limit and the store back to back,
// so that a burst of load on this shared machine lands on a figure and its limit alike. The same
// plans as append_bench.
struct Plan {
  int appenders;
  std::int64_t rounds;             // Before --scale.
  std::int64_t appends_per_round;  // Per appender thread.
};
constexpr std::array<Plan, 3> kPlans{{
    {1, 40, 50},    // 2,000 appends, each beside one raw one-row commit.
    {8, 60, 50},    // 24,000 appends.
    {64, 100, 10},  // 64,000 appends.
}};
constexpr std::int64_t kRawRowsPerTransaction = 1000;
constexpr std::int64_t kRawTransactionsPerRound = 2;
constexpr std::int64_t kBulkRounds = 50;  // 100,000 events in 1000-event requests.

// libpq's type ids (pg_type.oid) of the events table's columns.
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kByteaOid = 17;
constexpr std::array<Oid, 12> kEventColumnTypes{kInt8Oid, kTextOid, kTextOid,  kTextOid,
                                                kTextOid, kTextOid, kTextOid,  kTextOid,
                                                kInt8Oid, kTextOid, kByteaOid, kByteaOid};

double scale = 1.0;
std::string url_flag;  // --postgres-url

std::int64_t Scaled(std::int64_t count) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(count) * scale));
}

std::string Trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  const auto end = text.find_last_not_of(" \t\r\n");
  return begin == std::string_view::npos ? "" : std::string(text.substr(begin, end - begin + 1));
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return Trimmed(contents.str());
}

// The fields of /proc/PID/stat after the command name: [0] is the state, [1] the parent's pid,
// [13] and [14] the CPU ticks of reaped children (cutime, cstime). Empty if the process is gone.
std::vector<std::string> ProcStatFields(int pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  std::vector<std::string> fields;
  const std::size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return fields;
  std::istringstream rest(stat.substr(name_end + 1));
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// Stops the benchmark: without the server there is nothing to report.
[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "pg_append_bench: %s\n", message.c_str());
  ALIQUOT_CHECK_MSG(false, "pg_append_bench failed (see the message above)");
  std::abort();  // Not reached: a failed check aborts.
}

// ---------------------------------------------------------------------------------------------
// The server.

// One libpq connection; any error stops the benchmark.
class PgLink {
 public:
  explicit PgLink(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      Fail("cannot connect to " + storage::RedactUrl(url) + ": " + Trimmed(PQerrorMessage(conn_)));
    }
  }
  ~PgLink() { PQfinish(conn_); }
  PgLink(const PgLink&) = delete;
  PgLink& operator=(const PgLink&) = delete;

  // Runs `sql` (one statement or several) as text.
  void Exec(const std::string& sql) { Check(PQexec(conn_, sql.c_str()), sql); }

  // The first column of the first row of `sql`, as text ("" for NULL or no row).
  std::string Value(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    std::string value;
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
      value = PQgetvalue(result, 0, 0);
    }
    Check(result, sql);
    return value;
  }

  // Checks and frees `result`, the outcome of `what`.
  void Check(PGresult* result, std::string_view what) {
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = Trimmed(PQresultErrorMessage(result));
      if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
      PQclear(result);
      Fail(std::string(what.substr(0, 200)) + ": " + message);
    }
    PQclear(result);
  }

  PGconn* Get() const { return conn_; }

 private:
  PGconn* conn_;
};

// The server the run measures: the maintenance database's URL, and when this run started the
// cluster, its state folder and postmaster's pid (for the server's CPU time).
struct Server {
  std::string url;
  std::optional<testing::TempDir> state_dir;  // Set while our cluster runs.
  int postmaster_pid = 0;
  std::string data_dir;
  std::string description;  // Version and durability settings, for the summary.
};

Server& TheServer() {
  static Server server;
  return server;
}

// What a signal handler needs to stop our cluster, prepared before any signal can arrive: a
// signal handler may only call async-signal-safe functions (fork, execve, waitpid).
struct StopCommand {
  std::string python;
  std::string script;
  std::string state_dir;
  std::string lock_file;  // The one file the script's stop leaves in state_dir.
  char* argv[5] = {};
};
StopCommand stop_command;
volatile std::sig_atomic_t stop_armed = 0;

// On a fatal signal (a failed check aborts) and on Ctrl-C: stop the cluster rather than leave a
// server running on a shared machine, then die of the signal as before.
extern "C" void StopClusterAndDie(int signal_number) {
  if (stop_armed != 0) {
    stop_armed = 0;
    const pid_t child = fork();
    if (child == 0) {
      execve(stop_command.argv[0], stop_command.argv, environ);
      _exit(127);
    }
    if (child > 0) {
      int status = 0;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
    }
    // What testing::TempDir's destructor would have removed.
    unlink(stop_command.lock_file.c_str());
    rmdir(stop_command.state_dir.c_str());
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// The absolute path of `program` on PATH, or "" (execve searches nothing).
std::string FindOnPath(const std::string& program) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): main thread, before any other thread starts.
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    std::string candidate = std::string(rest.substr(0, colon)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return "";
}

std::string ClusterCommand(const char* verb) {
  return "'" + stop_command.python + "' '" + stop_command.script + "' " + verb + " '" +
         stop_command.state_dir + "'";
}

// Starts a throwaway cluster with tools/pg_test_cluster.py: fsync and synchronous_commit on, on
// 127.0.0.1, data in the system's temporary folder (TMPDIR chooses the filesystem).
void StartCluster(Server& server) {
  server.state_dir.emplace();
  stop_command.python = FindOnPath("python3");
  if (stop_command.python.empty()) Fail("python3 is not on PATH: it runs tools/pg_test_cluster.py");
  stop_command.script = (testing::SourceDir() / "tools" / "pg_test_cluster.py").string();
  stop_command.state_dir = server.state_dir->Path().string();
  stop_command.lock_file = (server.state_dir->Path() / "lock").string();
  static char stop_verb[] = "stop";
  stop_command.argv[0] = stop_command.python.data();
  stop_command.argv[1] = stop_command.script.data();
  stop_command.argv[2] = stop_verb;
  stop_command.argv[3] = stop_command.state_dir.data();
  stop_command.argv[4] = nullptr;
  for (const int signal_number : {SIGABRT, SIGINT, SIGTERM, SIGSEGV, SIGBUS}) {
    std::signal(signal_number, StopClusterAndDie);
  }
  stop_armed = 1;
  std::fflush(stdout);
  // NOLINTNEXTLINE(concurrency-mt-unsafe, cert-env33-c): no other thread runs yet.
  if (std::system(ClusterCommand("start").c_str()) != 0) {
    Fail("tools/pg_test_cluster.py could not start a cluster (its message is above)");
  }
  server.url = ReadFile(server.state_dir->Path() / "url");
  server.data_dir = ReadFile(server.state_dir->Path() / "datadir");
  server.postmaster_pid = std::atoi(ReadFile(server.state_dir->Path() / "pid").c_str());
  if (server.url.empty()) Fail("tools/pg_test_cluster.py wrote no URL");
}

void StopCluster(Server& server) {
  if (!server.state_dir || stop_armed == 0) return;
  stop_armed = 0;
  std::fflush(stdout);
  // NOLINTNEXTLINE(concurrency-mt-unsafe, cert-env33-c): the benchmarks' threads have ended.
  if (std::system(ClusterCommand("stop").c_str()) != 0) {
    std::fprintf(stderr, "pg_append_bench: tools/pg_test_cluster.py stop %s failed\n",
                 stop_command.state_dir.c_str());
  }
  server.state_dir.reset();
}

// The server from --postgres-url, else ALIQUOT_BENCH_POSTGRES_URL, else a cluster of our own.
void ConnectServer(Server& server) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): main thread, before any other thread starts.
  const char* env_url = std::getenv("ALIQUOT_BENCH_POSTGRES_URL");
  if (!url_flag.empty()) {
    server.url = url_flag;
  } else if (env_url != nullptr && *env_url != 0) {
    server.url = env_url;
  } else {
    StartCluster(server);
  }
  PgLink link(server.url);
  server.description = link.Value(
      "SELECT 'PostgreSQL ' || current_setting('server_version') || "
      "', fsync=' || current_setting('fsync') || "
      "', synchronous_commit=' || current_setting('synchronous_commit') "
      "|| ', wal_sync_method=' || current_setting('wal_sync_method') || "
      "', full_page_writes=' || current_setting('full_page_writes') || "
      "', shared_buffers=' || current_setting('shared_buffers')");
  if (server.postmaster_pid == 0) {
    // A server on this machine: our session's backend is a child of its postmaster. A backend pid
    // that names no postgres process here means the server runs elsewhere, and its CPU is n/a.
    const int backend = std::atoi(link.Value("SELECT pg_backend_pid()").c_str());
    const auto fields = ProcStatFields(backend);
    if (fields.size() > 1 && ReadFile("/proc/" + std::to_string(backend) + "/comm") == "postgres") {
      const int parent = std::atoi(fields[1].c_str());
      if (ReadFile("/proc/" + std::to_string(parent) + "/comm") == "postgres") {
        server.postmaster_pid = parent;
      }
    }
  }
  if (link.Value("SELECT current_setting('fsync')") != "on") {
    std::fprintf(stderr,
                 "pg_append_bench: WARNING: the server runs with fsync off; no commit here is "
                 "durable and every figure is meaningless as a durable rate\n");
  }
}

// A database of its own for one benchmark run, created fresh and dropped (with any session still
// connected) when done, so that no run inherits another's tables, bloat or cache. Every session
// on it commits with synchronous_commit on, whatever the server's default. The store uses its
// public schema, each raw table a schema of its own.
class ScratchDatabase {
 public:
  ScratchDatabase() {
    static int counter = 0;
    name_ = "aliquot_bench_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    PgLink admin(TheServer().url);
    admin.Exec("CREATE DATABASE " + name_ + " TEMPLATE template0 ENCODING 'UTF8'");
    admin.Exec("ALTER DATABASE " + name_ + " SET synchronous_commit = on");
    url_ = storage::WithDatabase(TheServer().url, name_);
  }
  ~ScratchDatabase() {
    PgLink admin(TheServer().url);
    admin.Exec("DROP DATABASE " + name_ + " WITH (FORCE)");
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& Url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

// Seconds a set of threads or processes spent running, and runnable but waiting for a core: the
// first two fields of /proc/PID/schedstat (nanoseconds).
struct SchedTimes {
  double running = 0;
  double waiting = 0;

  SchedTimes& operator+=(const SchedTimes& other) {
    running += other.running;
    waiting += other.waiting;
    return *this;
  }
  SchedTimes operator-(const SchedTimes& other) const {
    return {running - other.running, waiting - other.waiting};
  }
};

// A process's or thread's schedstat; zeros if it has gone.
SchedTimes ReadSchedstat(const std::string& path) {
  std::istringstream fields(ReadFile(path));
  double running_ns = 0;
  double waiting_ns = 0;
  fields >> running_ns >> waiting_ns;
  return {running_ns * 1e-9, waiting_ns * 1e-9};
}

// This process's threads: the bench, its appenders and the store's leader among them.
SchedTimes BenchSchedTimes() {
  SchedTimes times;
  std::error_code error;
  for (std::filesystem::directory_iterator entry("/proc/self/task", error), end;
       !error && entry != end; entry.increment(error)) {
    times += ReadSchedstat((entry->path() / "schedstat").string());
  }
  return times;
}

// What the server has spent up to a moment: the WAL it generated (pg_current_wal_insert_lsn,
// cluster-wide) and, when it runs on this machine, the schedstat times of all its processes
// (backends, WAL writer, checkpointer; children reaped meanwhile count their CPU only).
struct ServerUse {
  double wal_bytes = 0;
  std::optional<SchedTimes> sched;
};

class ServerMeter {
 public:
  ServerMeter() : link_(TheServer().url), postmaster_pid_(TheServer().postmaster_pid) { Refresh(); }

  // Lists the server's processes again: call once the connections a phase uses are open.
  void Refresh() {
    pids_.clear();
    if (postmaster_pid_ == 0) return;
    pids_.push_back(postmaster_pid_);
    // Processes come and go while we list them: an error ends the listing, never the run.
    std::error_code error;
    for (std::filesystem::directory_iterator entry("/proc", error), end; !error && entry != end;
         entry.increment(error)) {
      const std::string name = entry->path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      const auto fields = ProcStatFields(std::atoi(name.c_str()));
      if (fields.size() > 1 && std::atoi(fields[1].c_str()) == postmaster_pid_) {
        pids_.push_back(std::atoi(name.c_str()));
      }
    }
  }

  // Readings taken so that the meter's own query falls outside the interval: Before queries and
  // then reads /proc, After reads /proc and then queries.
  ServerUse Before() {
    ServerUse use;
    use.wal_bytes = WalBytes();
    use.sched = ServerSchedTimes();
    return use;
  }
  ServerUse After() {
    ServerUse use;
    use.sched = ServerSchedTimes();
    use.wal_bytes = WalBytes();
    return use;
  }

 private:
  double WalBytes() {
    return std::strtod(
        link_.Value("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')").c_str(), nullptr);
  }

  // The schedstat times of the processes listed, plus the CPU ticks of the postmaster's reaped
  // children; nullopt when we do not know the server's processes.
  std::optional<SchedTimes> ServerSchedTimes() const {
    if (pids_.empty()) return std::nullopt;
    SchedTimes times;
    for (const int pid : pids_) {
      times += ReadSchedstat("/proc/" + std::to_string(pid) + "/schedstat");
    }
    const auto fields = ProcStatFields(postmaster_pid_);
    if (fields.size() > 14) {
      times.running +=
          (std::strtod(fields[13].c_str(), nullptr) + std::strtod(fields[14].c_str(), nullptr)) /
          static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return times;
  }

  PgLink link_;
  int postmaster_pid_;
  std::vector<int> pids_;
};

// ---------------------------------------------------------------------------------------------
// The raw limit.

// The row the raw limit inserts: the event the store would seal.
const ledger::Event& SampleRow() {
  static const ledger::Event kRow =
      ledger::SealEvent(MeasurementEvent(0), 1, SystemClock().Now(), ledger::kGenesisPrevHash);
  return kRow;
}

void PutInt64(std::array<char, 8>& bytes, std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  for (int i = 7; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<char>(bits & 0xff);
    bits >>= 8;
  }
}

// Plain libpq inserts of the store's rows into the events table of migration 1, run in a schema
// of its own in the run's database, so the limit pays for exactly the table and the B-trees the
// store does
// (the primary key and events_by_stream; the append-only triggers fire on UPDATE, DELETE and
// TRUNCATE only). Each commit is one multi-row INSERT sent on its own (autocommit), so a
// transaction costs one round trip: the cheapest durable shape libpq offers.
class RawTable {
 public:
  RawTable(const ScratchDatabase& database, const std::string& schema)
      : link_(database.Url()), rows_(kRawRowsPerTransaction) {
    link_.Exec("CREATE SCHEMA " + schema + "; SET search_path = " + schema);
    link_.Exec(std::string(storage::PostgresMigrations().front().sql));
    link_.Exec("SET synchronous_commit = on");
    const std::size_t params = kEventColumnTypes.size() * rows_.size();
    values_.resize(params);
    lengths_.resize(params);
    formats_.assign(params, 1);  // Binary: nothing is escaped or parsed as text.
    Prepare(1);
    Prepare(kRawRowsPerTransaction);
    link_.Check(PQprepare(link_.Get(), "round_trip", "SELECT 1", 0, nullptr), "PREPARE round_trip");
  }
  RawTable(const RawTable&) = delete;
  RawTable& operator=(const RawTable&) = delete;

  // One transaction of `rows` rows (1 or kRawRowsPerTransaction): one INSERT, one WAL flush.
  void Commit(std::int64_t rows) {
    for (std::int64_t i = 0; i < rows; ++i) Bind(static_cast<std::size_t>(i), ++seq_);
    const std::string name = StatementName(rows);
    link_.Check(PQexecPrepared(link_.Get(), name.c_str(),
                               static_cast<int>(rows * std::ssize(kEventColumnTypes)),
                               values_.data(), lengths_.data(), formats_.data(), 1),
                name);
  }

  // One round trip that does nothing (a prepared SELECT 1): what each statement of a commit pays
  // before the server does any work.
  void RoundTrip() {
    link_.Check(PQexecPrepared(link_.Get(), "round_trip", 0, nullptr, nullptr, nullptr, 1),
                "round_trip");
  }

 private:
  // A row's values that differ from row to row; the rest point into SampleRow().
  struct RowValues {
    std::array<char, 8> seq{};
    char stream_id[16]{};
    std::array<char, 8> time{};
    std::array<std::uint8_t, 32> prev_hash{};
    std::array<std::uint8_t, 32> hash{};
  };

  static std::string StatementName(std::int64_t rows) { return "insert_" + std::to_string(rows); }

  // INSERT INTO events (...) VALUES ($1, ..., $12), ($13, ...), ...: `rows` rows.
  void Prepare(std::int64_t rows) {
    std::string sql =
        "INSERT INTO events (seq, stream_type, stream_id, event_type, payload, actor_id, "
        "actor_name, terminal, time_us, reason, prev_hash, hash) VALUES ";
    std::vector<Oid> types;
    int param = 0;
    for (std::int64_t row = 0; row < rows; ++row) {
      sql += row == 0 ? "(" : ", (";
      for (std::size_t column = 0; column < kEventColumnTypes.size(); ++column) {
        sql += (column == 0 ? "$" : ", $") + std::to_string(++param);
        types.push_back(kEventColumnTypes[column]);
      }
      sql += ")";
    }
    const std::string name = StatementName(rows);
    link_.Check(PQprepare(link_.Get(), name.c_str(), sql.c_str(), param, types.data()),
                "PREPARE " + name);
  }

  // Row `index` of the next statement is row `seq`: the sample row with its number, stream, time
  // and hashes varied, as append_bench's raw limit does.
  void Bind(std::size_t index, std::int64_t seq) {
    const ledger::Event& event = SampleRow();
    RowValues& row = rows_[index];
    PutInt64(row.seq, seq);
    const int stream_id_size = std::snprintf(row.stream_id, sizeof row.stream_id, "B-%05d",
                                             17 + static_cast<int>(seq % kStreams));
    PutInt64(row.time, event.time.Micros() + seq);
    row.prev_hash = event.prev_hash.bytes;
    row.hash = event.hash.bytes;
    std::memcpy(row.prev_hash.data(), &seq, sizeof seq);
    const std::int64_t next = seq + 1;
    std::memcpy(row.hash.data(), &next, sizeof next);

    const std::size_t first = index * kEventColumnTypes.size();
    const auto set = [&](std::size_t column, const void* data, std::size_t size) {
      values_[first + column] = static_cast<const char*>(data);
      lengths_[first + column] = static_cast<int>(size);
    };
    set(0, row.seq.data(), row.seq.size());
    set(1, event.stream.type.data(), event.stream.type.size());
    set(2, row.stream_id, static_cast<std::size_t>(stream_id_size));
    set(3, event.event_type.data(), event.event_type.size());
    set(4, event.payload.data(), event.payload.size());
    set(5, event.actor.id.data(), event.actor.id.size());
    set(6, event.actor.name.data(), event.actor.name.size());
    set(7, event.terminal.data(), event.terminal.size());
    set(8, row.time.data(), row.time.size());
    set(9, nullptr, 0);  // reason: NULL.
    set(10, row.prev_hash.data(), row.prev_hash.size());
    set(11, row.hash.data(), row.hash.size());
  }

  PgLink link_;
  std::vector<RowValues> rows_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::int64_t seq_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The store.

std::unique_ptr<storage::PgStore> OpenStore(const std::string& url, aliquot::Clock& clock,
                                            const app::Projector& projector) {
  auto opened = storage::PgStore::Open({.url = url}, clock, projector);
  if (!opened) Fail("cannot open the store: " + opened.error().Message());
  return std::move(*opened);
}

// Accumulates the wall time, this process's CPU time and the server's use of one kind of work
// across rounds.
struct Phase {
  double seconds = 0;
  double cpu_seconds = 0;
  double wal_bytes = 0;
  SchedTimes bench;
  std::optional<SchedTimes> server = SchedTimes{};  // nullopt once any reading was missing.

  template <typename Work>
  void Time(ServerMeter& meter, Work&& work) {
    const ServerUse before = meter.Before();
    const SchedTimes bench_before = BenchSchedTimes();
    const double cpu_began = ProcessCpuSeconds();
    const Clock::time_point began = Clock::now();
    work();
    seconds += Seconds(Clock::now() - began);
    cpu_seconds += ProcessCpuSeconds() - cpu_began;
    bench += BenchSchedTimes() - bench_before;
    const ServerUse after = meter.After();
    wal_bytes += after.wal_bytes - before.wal_bytes;
    if (server && before.sched && after.sched) {
      *server += *after.sched - *before.sched;
    } else {
      server.reset();
    }
  }
};

// Records the per-unit costs of `phase` under `name` (count events or rows): this process's and
// the server's CPU, the cores they kept busy, how many of their threads waited for a core on
// average, and the WAL.
void RecordCosts(const std::string& name, const Phase& phase, double count) {
  count = std::max(1.0, count);
  Record(name + "_cpu", phase.cpu_seconds * 1e6 / count);
  Record(name + "_wal", phase.wal_bytes / count);
  if (phase.server) {
    Record(name + "_server_cpu", phase.server->running * 1e6 / count);
    Record(name + "_cores", (phase.cpu_seconds + phase.server->running) / phase.seconds);
    Record(name + "_waiting", (phase.bench.waiting + phase.server->waiting) / phase.seconds);
  }
}

// One benchmark per appender count (state.range(0)). Each round (iteration) commits
// kRawTransactionsPerRound raw transactions of 1000 rows, then lets the appenders append. With
// one appender, each append is also paired with one raw one-row commit, so that latency and its
// limit come from the same moments.
void AppendBench(benchmark::State& state) {
  const auto appenders = static_cast<int>(state.range(0));
  const std::int64_t appends_per_round = state.range(1);
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SystemClock clock;
  ScratchDatabase database;
  std::unique_ptr<storage::PgStore> store = OpenStore(database.Url(), clock, *projector);
  RawTable raw_batched(database, "raw_batched");

  Phase raw_batched_phase;
  Phase store_phase;
  Phase raw_single_phase;
  std::vector<double> append_latencies;
  std::vector<double> raw_single_latencies;
  std::vector<double> round_trips;
  std::int64_t raw_batched_rows = 0;
  std::int64_t raw_single_rows = 0;
  if (appenders == 1) {
    // Sequential and paired: append, one-row commit, append, ...
    RawTable raw_single(database, "raw_single");
    ServerMeter meter;
    app::AppendRequest request;
    request.events.push_back(MeasurementEvent(0));
    while (state.KeepRunning()) {
      raw_batched_phase.Time(meter, [&] {
        for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
          raw_batched.Commit(kRawRowsPerTransaction);
        }
      });
      raw_batched_rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
      for (std::int64_t i = 0; i < appends_per_round; ++i) {
        store_phase.Time(meter, [&] {
          const Clock::time_point start = Clock::now();
          auto appended = store->Append(request);
          if (!appended) Fail("append failed: " + appended.error().Message());
          append_latencies.push_back(Micros(Clock::now() - start));
        });
        raw_single_phase.Time(meter, [&] {
          const Clock::time_point start = Clock::now();
          raw_single.Commit(1);
          raw_single_latencies.push_back(Micros(Clock::now() - start));
        });
        const Clock::time_point start = Clock::now();
        raw_single.RoundTrip();
        round_trips.push_back(Micros(Clock::now() - start));
        ++raw_single_rows;
      }
    }
  } else {
    AppenderPool pool(*store, appenders, appends_per_round);
    ServerMeter meter;
    while (state.KeepRunning()) {
      meter.Refresh();
      raw_batched_phase.Time(meter, [&] {
        for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
          raw_batched.Commit(kRawRowsPerTransaction);
        }
      });
      raw_batched_rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
      store_phase.Time(meter, [&] { pool.RunRound(); });
    }
    append_latencies = pool.Latencies();
  }
  const app::StoreStats stats = store->Stats();
  store.reset();

  const auto events = static_cast<double>(stats.events);
  const double commits = std::max<double>(1, static_cast<double>(stats.commits));
  const double rate = events / store_phase.seconds;
  const auto raw_rows = static_cast<double>(raw_batched_rows);
  const double raw_rate = raw_rows / raw_batched_phase.seconds;
  const std::string name = "append_" + std::to_string(appenders);
  state.counters["events/s"] = rate;
  state.counters["raw1000_rows/s"] = raw_rate;
  state.counters["of_raw1000"] = rate / raw_rate;
  state.counters["p50_us"] = Percentile(append_latencies, 0.50);
  state.counters["p99_us"] = Percentile(append_latencies, 0.99);
  state.counters["batch"] = events / commits;
  state.counters["commit_us"] = stats.commit_seconds_total * 1e6 / commits;
  state.counters["cpu_us/event"] = store_phase.cpu_seconds * 1e6 / std::max(1.0, events);
  state.counters["wal_B/event"] = store_phase.wal_bytes / std::max(1.0, events);
  Record(name, rate);
  Record(name + "_raw1000", raw_rate);
  Record(name + "_p50", Percentile(append_latencies, 0.50));
  Record(name + "_p99", Percentile(append_latencies, 0.99));
  Record(name + "_batch", events / commits);
  Record(name + "_commit", stats.commit_seconds_total * 1e6 / commits);
  Record(name + "_commits_per_s", commits / store_phase.seconds);
  Record(name + "_ceiling", appenders * commits / std::max(1e-9, stats.commit_seconds_total));
  const double raw_transactions =
      static_cast<double>(raw_batched_rows) / static_cast<double>(kRawRowsPerTransaction);
  Record(name + "_raw1000_txn", raw_batched_phase.seconds * 1e6 / raw_transactions);
  RecordCosts(name, store_phase, events);
  RecordCosts(name + "_raw1000", raw_batched_phase, raw_rows);
  if (appenders == 1) {
    const auto single_rows = static_cast<double>(raw_single_rows);
    const double raw_single_rate = single_rows / raw_single_phase.seconds;
    state.counters["raw1_rows/s"] = raw_single_rate;
    Record("raw_1", raw_single_rate);
    Record("raw_1_p50", Percentile(raw_single_latencies, 0.50));
    Record("raw_1_p99", Percentile(raw_single_latencies, 0.99));
    Record("round_trip_p50", Percentile(round_trips, 0.50));
    Record("round_trip_p99", Percentile(round_trips, 0.99));
    RecordCosts("raw_1", raw_single_phase, single_rows);
  }
}

// A diagnostic: requests of 1000 events each, so that every commit has the raw limit's shape
// (one transaction of 1000 rows over 64 streams) and the difference is the store's own work per
// event (validation, sealing, hashing, the projectors, the tip, the round trips), without group
// commit.
void BulkAppendBench(benchmark::State& state) {
  std::unique_ptr<app::Projector> projector = app::MakeAllProjectors();
  SystemClock clock;
  ScratchDatabase database;
  std::unique_ptr<storage::PgStore> store = OpenStore(database.Url(), clock, *projector);
  RawTable raw_batched(database, "raw_batched");
  ServerMeter meter;
  app::AppendRequest request;
  for (std::int64_t i = 0; i < kRawRowsPerTransaction; ++i) {
    request.events.push_back(MeasurementEvent(static_cast<int>(i % kStreams)));
  }
  Phase raw_phase;
  Phase store_phase;
  std::int64_t rows = 0;
  while (state.KeepRunning()) {
    raw_phase.Time(meter, [&] {
      for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
        raw_batched.Commit(kRawRowsPerTransaction);
      }
    });
    store_phase.Time(meter, [&] {
      for (std::int64_t t = 0; t < kRawTransactionsPerRound; ++t) {
        auto appended = store->Append(request);
        if (!appended) Fail("append failed: " + appended.error().Message());
      }
    });
    rows += kRawTransactionsPerRound * kRawRowsPerTransaction;
  }
  store.reset();
  const auto count = static_cast<double>(rows);
  const double rate = count / store_phase.seconds;
  const double raw_rate = count / raw_phase.seconds;
  state.counters["events/s"] = rate;
  state.counters["raw1000_rows/s"] = raw_rate;
  state.counters["of_raw1000"] = rate / raw_rate;
  state.counters["cpu_us/event"] = store_phase.cpu_seconds * 1e6 / count;
  Record("bulk", rate);
  Record("bulk_raw1000", raw_rate);
  RecordCosts("bulk", store_phase, count);
  RecordCosts("bulk_raw1000", raw_phase, count);
}

// ---------------------------------------------------------------------------------------------
// The summary: every figure beside its limit.

// "58.3 us + 120.4 us = 1.2 cores": this process's and the server's CPU per unit.
std::string Cpu(const std::string& name) {
  return Number(Figure(name + "_cpu"), "us") + " + " + Number(Figure(name + "_server_cpu"), "us");
}

// The headline: each appender count's rate as a share of the raw multi-row INSERT.
void PrintHeadline() {
  std::printf("\nPostgreSQL append, medians over repetitions:\n");
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const auto rate = Figure(name);
    const auto raw = Figure(name + "_raw1000");
    const auto ratio = Ratio(rate, raw);
    std::string goal;
    if (plan.appenders == 64) {
      goal = "; goal >= 50%: " + Met(ratio ? std::optional<bool>(*ratio >= 0.5) : std::nullopt);
    }
    std::printf("  %s: %s = %s of raw multi-row INSERT (%s, 1000 rows/transaction%s)\n",
                Appenders(plan.appenders).c_str(), Number(rate, "events/s").c_str(),
                Percent(ratio).c_str(), Number(raw, "rows/s").c_str(), goal.c_str());
  }
  std::printf("  raw single-row commits (orientation): %s, p50 %s, p99 %s\n",
              Number(Figure("raw_1"), "rows/s").c_str(), Number(Figure("raw_1_p50"), "us").c_str(),
              Number(Figure("raw_1_p99"), "us").c_str());
  std::printf("  PgStore mean commit time (Stats), 64 appenders: %s for %s\n",
              Number(Figure("append_64_commit"), "us").c_str(),
              Number(Figure("append_64_batch"), "events").c_str());
}

void PrintSummary() {
  const Server& server = TheServer();
  const std::string where =
      server.state_dir
          ? "started by this run (tools/pg_test_cluster.py) on this machine, data in " +
                server.data_dir
          : "given: " + storage::RedactUrl(server.url);
  const std::string cpu = server.postmaster_pid != 0
                              ? "/proc, postmaster pid " + std::to_string(server.postmaster_pid)
                              : "n/a (not on this machine)";
  std::printf("\nServer: %s\n        %s; its CPU from %s\n", server.description.c_str(),
              where.c_str(), cpu.c_str());
  PrintHeadline();

  std::vector<Line> lines;
  const auto raw_1 = Figure("raw_1");
  lines.push_back(
      {"raw libpq, 1 row per transaction", Number(raw_1, "rows/s"), "-", "", "orientation", ""});
  lines.push_back({"raw 1 row per transaction: latency p50 / p99",
                   Number(Figure("raw_1_p50"), "us") + " / " + Number(Figure("raw_1_p99"), "us"),
                   "-", "", "orientation", ""});
  lines.push_back(
      {"raw round trip (prepared SELECT 1) p50 / p99",
       Number(Figure("round_trip_p50"), "us") + " / " + Number(Figure("round_trip_p99"), "us"), "-",
       "", "orientation", ""});
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const auto rate = Figure(name);
    const auto raw = Figure(name + "_raw1000");
    const auto ratio = Ratio(rate, raw);
    const bool is_goal = plan.appenders == 64;
    std::optional<bool> met;
    if (ratio) met = *ratio >= 0.5;
    lines.push_back({"append, " + Appenders(plan.appenders), Number(rate, "events/s"),
                     "raw 1000/txn " + Number(raw, "rows/s"), Percent(ratio),
                     is_goal ? ">= 50%" : "-", is_goal ? Met(met) : ""});
  }
  const auto rate_1 = Figure("append_1");
  lines.push_back({"append, 1 appender, vs one-row commits", Number(rate_1, "events/s"),
                   "raw 1/txn " + Number(raw_1, "rows/s"), Percent(Ratio(rate_1, raw_1)), "-", ""});
  lines.push_back(
      {"append latency p50 / p99, 1 appender",
       Number(Figure("append_1_p50"), "us") + " / " + Number(Figure("append_1_p99"), "us"),
       "raw 1/txn " + Number(Figure("raw_1_p50"), "us") + " / " + Number(Figure("raw_1_p99"), "us"),
       "", "-", ""});
  for (const Plan& plan : kPlans) {
    const std::string name = "append_" + std::to_string(plan.appenders);
    const std::string appenders = ", " + Appenders(plan.appenders);
    if (plan.appenders > 1) {
      lines.push_back(
          {"append latency p50 / p99" + appenders,
           Number(Figure(name + "_p50"), "us") + " / " + Number(Figure(name + "_p99"), "us"), "",
           "", "-", ""});
    }
    lines.push_back({"mean batch" + appenders, Number(Figure(name + "_batch"), "events/commit"),
                     "at most " + std::to_string(plan.appenders), "", "-", ""});
    lines.push_back({"mean commit time (Stats)" + appenders, Number(Figure(name + "_commit"), "us"),
                     "raw 1000-row txn " + Number(Figure(name + "_raw1000_txn"), "us"), "", "-",
                     ""});
    lines.push_back({"commits per second" + appenders,
                     Number(Figure(name + "_commits_per_s"), "/s"),
                     "raw 1/txn " + Number(raw_1, "/s"), "", "-", ""});
    if (plan.appenders > 1) {
      // Each appender has one request in flight: however well batched, N appenders cannot
      // append faster than N per commit time.
      const auto ceiling = Figure(name + "_ceiling");
      lines.push_back({"ceiling: every commit takes all" + appenders, Number(ceiling, "events/s"),
                       "raw 1000/txn " + Number(Figure(name + "_raw1000"), "rows/s"),
                       Percent(Ratio(ceiling, Figure(name + "_raw1000"))), "-", ""});
    }
    // With one appender every event pays a whole commit, so its costs compare with one row per
    // transaction; with many, with the batched rows.
    const bool single = plan.appenders == 1;
    const std::string limit = single ? "raw_1" : name + "_raw1000";
    const char* limit_name = single ? "raw 1/txn " : "raw 1000/txn ";
    lines.push_back({"CPU per event, bench + server" + appenders, Cpu(name),
                     limit_name + Cpu(limit) + " per row", "", "-", ""});
    lines.push_back({"cores busy (bench + server)" + appenders,
                     Number(Figure(name + "_cores"), "cores"),
                     limit_name + Number(Figure(limit + "_cores"), "cores"), "", "-", ""});
    lines.push_back({"threads waiting for a core (bench + server)" + appenders,
                     Number(Figure(name + "_waiting"), "on average"),
                     limit_name + Number(Figure(limit + "_waiting"), "on average"), "", "-", ""});
    lines.push_back({"WAL per event" + appenders, Number(Figure(name + "_wal"), "B"),
                     limit_name + Number(Figure(limit + "_wal"), "B/row"), "", "-", ""});
  }
  const auto bulk = Figure("bulk");
  const auto bulk_raw = Figure("bulk_raw1000");
  lines.push_back({"diagnostic: append, 1000-event requests", Number(bulk, "events/s"),
                   "raw 1000/txn " + Number(bulk_raw, "rows/s"), Percent(Ratio(bulk, bulk_raw)),
                   "-", ""});
  lines.push_back({"diagnostic: CPU per event, bench + server", Cpu("bulk"),
                   "raw 1000/txn " + Cpu("bulk_raw1000") + " per row", "", "-", ""});
  lines.push_back({"diagnostic: WAL per event", Number(Figure("bulk_wal"), "B"),
                   "raw 1000/txn " + Number(Figure("bulk_raw1000_wal"), "B/row"), "", "-", ""});
  std::printf("\nSummary (medians over repetitions):\n");
  PrintTable(lines);
}

// Takes our own flags out of argv: --scale=F multiplies the number of rounds (0.2 for a quick
// look); --postgres-url=URL measures an existing server (a role that may CREATE DATABASE) instead
// of starting one.
void ParseOwnFlags(int& argc, char** argv) {
  TakeOwnFlags(
      argc, argv,
      {{"--scale=",
        [](std::string_view value) {
          scale = std::stod(std::string(value));
          ALIQUOT_CHECK_MSG(scale > 0, "--scale must be positive");
        }},
       {"--postgres-url=", [](std::string_view value) { url_flag = std::string(value); }}});
}

}  // namespace
}  // namespace aliquot::bench

// Google Benchmark's registry owns what RegisterBenchmark allocates; the analyzer cannot see it,
// and reports the leak along any path through main.
// NOLINTBEGIN(clang-analyzer-cplusplus.NewDeleteLeaks)
int main(int argc, char** argv) {
  using namespace aliquot::bench;
  benchmark::Initialize(&argc, argv);
  ParseOwnFlags(argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ConnectServer(TheServer());

  for (const Plan& plan : kPlans) {
    benchmark::RegisterBenchmark("pg_append", AppendBench)
        ->Args({plan.appenders, plan.appends_per_round})
        ->ArgNames({"appenders", "per_round"})
        ->Iterations(Scaled(plan.rounds))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("pg_append_1000_event_requests", BulkAppendBench)
      ->Iterations(Scaled(kBulkRounds))
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  PrintSummary();
  benchmark::Shutdown();
  StopCluster(TheServer());
  return 0;
}
// NOLINTEND(clang-analyzer-cplusplus.NewDeleteLeaks)
