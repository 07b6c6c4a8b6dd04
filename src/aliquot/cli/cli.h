// The `aliquot` command line: init, serve, verify, export, proof, checkpoint, version. The CLI
// knows the use cases (app) but no adapter: it reaches the database, key file and HTTP server
// through Runtime, which the composition root (server/) implements.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "aliquot/app/ports/blob_store.h"
#include "aliquot/app/ports/export_writer.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/clock.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/result.h"
#include "aliquot/core/secret_box.h"

namespace aliquot::cli {

// An open installation: its store, signing key and clock, and (when serving) its lock.
class Installation {
 public:
  virtual ~Installation() = default;
  virtual app::Store& Store() = 0;
  // Files the record cites (SOP files, scans), in the same database as the Store.
  virtual app::BlobStore& Blobs() = 0;
  virtual const Ed25519SigningKey& SigningKey() = 0;
  // The system's clock, or the clock the installation was opened with.
  virtual Clock& SystemClock() = 0;
  virtual const app::Projector& Projector() = 0;
  // The site's credentials key (keys/credentials.key), which seals password hashes and
  // authenticator secrets.
  virtual const SecretKey& CredentialKey() = 0;
};

enum class Access {
  kExclusive,  // serve and init: the server lock, read-write.
  kShared,     // export, proof, checkpoint: read-write for checkpoints only, beside a server.
  kReadOnly,   // verify: reads only; may run while a server appends.
};

// Where an installation lives: its data folder (signing key, lock, and the embedded database) and,
// for a site on PostgreSQL, the database URL. Several servers on one PostgreSQL database each have
// their own data folder holding a copy of the site's key.
struct Location {
  std::string data = "data";
  std::string database;  // postgresql://...; empty: the data folder's own SQLite file.
};

struct ServeOptions {
  // Names this server in the records of its starts and stops: "<host>:<data folder>", the same for
  // every run of it, and different for each server sharing a PostgreSQL database.
  std::string server_id;
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned max_connections = 64;
  std::int64_t checkpoint_interval_seconds = 60;
  // The largest file an upload may carry (a document's PDF, a scanned certificate).
  std::uint64_t max_upload_mib = 64;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  // Creates a data folder, its signing key and the database's schema. Returns kAlreadyExists for
  // an initialised folder, or a PostgreSQL database that already holds a ledger.
  virtual Result<Ed25519PublicKey> CreateDataFolder(const Location& location) = 0;
  // `clock`, when given, is the clock the installation's store seals events with (and its
  // SystemClock()): only `aliquot demo` gives one, its DemoClock (docs/demo.md).
  virtual Result<std::unique_ptr<Installation>> Open(const Location& location, Access access,
                                                     Clock* clock = nullptr) = 0;
  virtual Result<std::unique_ptr<app::ExportWriter>> CreateExportFolder(
      const std::string& folder) = 0;
  // Serves the installation over HTTP until SIGTERM or SIGINT, holding its data folder's server
  // lock; waits, with backoff, for a PostgreSQL database that is unreachable. Returns the exit
  // code.
  virtual int Serve(const Location& location, const ServeOptions& options) = 0;
};

// The terminal this process acts from, for the events it records: "<role>:<host name>"
// ("cli:qa-laptop-3", "server:mes-01"), so each record names the machine it came from (P11-08).
std::string HostTerminal(std::string_view role);

// Runs the command line. Returns the process exit code: 0 success, 1 failure (including a
// failed verification), 2 usage error.
int Main(int argc, char** argv, Runtime& runtime);

}  // namespace aliquot::cli
