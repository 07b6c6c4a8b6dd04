#include "aliquot/server/runtime.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <pthread.h>

#include "aliquot/app/identity_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/services.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/mutex.h"
#include "aliquot/http/api_routes.h"
#include "aliquot/http/metrics.h"
#include "aliquot/http/router.h"
#include "aliquot/http/server.h"
#include "aliquot/server/deferred_store.h"
#include "aliquot/storage/files/data_folder.h"
#include "aliquot/storage/files/key_file.h"
#include "aliquot/storage/files/secret_key_file.h"
#include "aliquot/storage/postgres/pg_store.h"
#include "aliquot/storage/sqlite/sqlite_store.h"

#ifndef ALIQUOT_VERSION
#define ALIQUOT_VERSION "0.0.0"
#endif

namespace aliquot::server {
namespace {

// A store and the blob store it also is (both engines implement both ports on one database).
struct OpenedStore {
  std::unique_ptr<app::Store> store;
  app::BlobStore* blobs = nullptr;
};

class StoreInstallation final : public cli::Installation {
 public:
  app::Store& Store() override { return *store_.store; }
  app::BlobStore& Blobs() override { return *store_.blobs; }
  const Ed25519SigningKey& SigningKey() override { return *key_; }
  Clock& SystemClock() override { return clock_override_ != nullptr ? *clock_override_ : clock_; }
  const app::Projector& Projector() override { return *projector_; }
  const SecretKey& CredentialKey() override { return *credential_key_; }

  // Members are destroyed in reverse: the store closes before the lock is released.
  std::unique_ptr<storage::ServerLock> lock_;
  aliquot::SystemClock clock_;
  Clock* clock_override_ = nullptr;  // The demo's clock, for `aliquot demo` only.
  std::unique_ptr<app::Projector> projector_ = app::MakeAllProjectors();
  std::optional<Ed25519SigningKey> key_;
  std::optional<SecretKey> credential_key_;
  OpenedStore store_;
};

// The credentials key of a data folder. A folder made before accounts existed gets one; a server
// joining a site with accounts must be given the site's copy, which CheckCredentialKey confirms.
Result<SecretKey> LoadCredentialKey(const storage::DataFolder& folder) {
  storage::SecretKeyFile file(folder.CredentialKey());
  auto key = file.Load();
  if (!key && key.error().Code() == ErrorCode::kNotFound) return file.Create();
  return key;
}

bool IsPostgresUrl(const std::string& database) {
  return database.starts_with("postgresql://") || database.starts_with("postgres://");
}

// The store a location names: the data folder's SQLite file, or a PostgreSQL database.
// `sqlite_file` is the data folder's database file, used when the location names no database.
// `readers`: the PostgreSQL reader connections kept open between reads, one for each thread that
// reads at once (a server's connections and its checkpoint thread).
Result<OpenedStore> OpenStore(const cli::Location& location, const std::string& sqlite_file,
                              storage::OpenMode mode, Clock& clock, const app::Projector& projector,
                              std::size_t readers = storage::PgStoreOptions().pool_size) {
  if (location.database.empty()) {
    storage::SqliteStoreOptions options;
    options.path = sqlite_file;
    options.mode = mode;
    ALIQUOT_ASSIGN_OR_RETURN(auto store, storage::SqliteStore::Open(options, clock, projector));
    app::BlobStore* blobs = store.get();
    return OpenedStore{std::move(store), blobs};
  }
  if (!IsPostgresUrl(location.database)) {
    return Unexpected(
        InvalidArgument("--database must be a PostgreSQL URL (postgresql://user@"
                        "host:5432/database), got '" +
                            storage::RedactUrl(location.database) + "'",
                        "--database"));
  }
  storage::PgStoreOptions options;
  options.url = location.database;
  options.read_only = mode == storage::OpenMode::kReadOnly;
  options.pool_size = readers;
  ALIQUOT_ASSIGN_OR_RETURN(auto store, storage::PgStore::Open(options, clock, projector));
  app::BlobStore* blobs = store.get();
  return OpenedStore{std::move(store), blobs};
}

// Signs checkpoints every `interval` while the server runs, so an auditor can fetch a recent one.
class Checkpointer {
 public:
  Checkpointer(app::LedgerService& ledger, std::chrono::seconds interval)
      : ledger_(ledger), interval_(interval), thread_([this] { Run(); }) {}
  ~Checkpointer() {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    wake_.NotifyAll();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void Run() {
    mutex_.Lock();
    while (!stopping_) {
      wake_.WaitFor(mutex_, interval_);
      if (stopping_) break;
      mutex_.Unlock();
      if (auto signed_head = ledger_.Checkpoint(); !signed_head) {
        std::cerr << "aliquot: checkpoint failed: " << signed_head.error().ToString() << "\n";
      }
      mutex_.Lock();
    }
    mutex_.Unlock();
  }

  app::LedgerService& ledger_;
  const std::chrono::seconds interval_;
  Mutex mutex_;
  CondVar wake_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace

Result<Ed25519PublicKey> AliquotRuntime::CreateDataFolder(const cli::Location& location) {
  SystemClock clock;
  const auto projector = app::MakeAllProjectors();
  if (!location.database.empty()) {
    // A shared database is checked before any file is made: a second `init` against a site's
    // database must not mint a key nobody's ledger knows.
    ALIQUOT_ASSIGN_OR_RETURN(
        auto store,
        OpenStore(location, {}, storage::OpenMode::kReadWriteCreate, clock, *projector));
    ALIQUOT_ASSIGN_OR_RETURN(app::LedgerHead head, store.store->Head());
    if (head.size > 0) {
      return Unexpected(AlreadyExists(
          "the database " + storage::RedactUrl(location.database) + " already holds a ledger (" +
          std::to_string(head.size) +
          " events); to add a server to it, copy the site's keys/checkpoint.key into a new data "
          "folder and run 'aliquot serve' there (docs/deploy-postgresql.md)"));
    }
  }
  ALIQUOT_ASSIGN_OR_RETURN(storage::DataFolder folder, storage::DataFolder::Create(location.data));
  storage::FileKeyStore keys(folder.SigningKey());
  ALIQUOT_ASSIGN_OR_RETURN(Ed25519PublicKey key, keys.CreateSigningKey());
  ALIQUOT_ASSIGN_OR_RETURN(SecretKey credentials,
                           storage::SecretKeyFile(folder.CredentialKey()).Create());
  (void)credentials;
  // Creates the database with its schema, so that Open finds an initialised folder.
  ALIQUOT_ASSIGN_OR_RETURN(auto store,
                           OpenStore(location, folder.Database().string(),
                                     storage::OpenMode::kReadWriteCreate, clock, *projector));
  return key;
}

Result<std::unique_ptr<cli::Installation>> AliquotRuntime::Open(const cli::Location& location,
                                                                cli::Access access, Clock* clock) {
  ALIQUOT_ASSIGN_OR_RETURN(storage::DataFolder folder,
                           storage::DataFolder::Existing(location.data));
  auto installation = std::make_unique<StoreInstallation>();
  if (access == cli::Access::kExclusive) {
    // One server per data folder, on either engine: several servers on one PostgreSQL database
    // each run from their own folder.
    ALIQUOT_ASSIGN_OR_RETURN(installation->lock_, storage::ServerLock::Acquire(folder));
  }
  storage::FileKeyStore keys(folder.SigningKey());
  ALIQUOT_ASSIGN_OR_RETURN(Ed25519SigningKey key, keys.LoadSigningKey());
  installation->key_.emplace(std::move(key));
  if (access == cli::Access::kReadOnly) {
    // verify reads the record only; a missing credentials key is no reason to refuse it.
    auto credentials = storage::SecretKeyFile(folder.CredentialKey()).Load();
    installation->credential_key_.emplace(credentials ? *credentials : SecretKey::Generate());
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(SecretKey credentials, LoadCredentialKey(folder));
    installation->credential_key_.emplace(std::move(credentials));
  }
  const storage::OpenMode mode = access == cli::Access::kReadOnly ? storage::OpenMode::kReadOnly
                                                                  : storage::OpenMode::kReadWrite;
  installation->clock_override_ = clock;
  ALIQUOT_ASSIGN_OR_RETURN(installation->store_,
                           OpenStore(location, folder.Database().string(), mode,
                                     installation->SystemClock(), *installation->projector_));
  return std::unique_ptr<cli::Installation>(std::move(installation));
}

Result<std::unique_ptr<app::ExportWriter>> AliquotRuntime::CreateExportFolder(
    const std::string& folder) {
  ALIQUOT_ASSIGN_OR_RETURN(auto writer, storage::FolderExportWriter::Create(folder));
  return std::unique_ptr<app::ExportWriter>(std::move(writer));
}

int AliquotRuntime::Serve(const cli::Location& location, const cli::ServeOptions& options) {
  // Signals are taken by sigwait below, not by handlers: every thread started from here on
  // inherits the mask, so SIGTERM reaches only this thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const auto fail = [](const Error& error) {
    std::cerr << "aliquot: " << error.ToString() << "\n";
    return 1;
  };

  // What waiting cannot fix fails at once: the folder, another server on it, the key.
  auto folder = storage::DataFolder::Existing(location.data);
  if (!folder) return fail(folder.error());
  auto lock = storage::ServerLock::Acquire(*folder);
  if (!lock) return fail(lock.error());
  auto key = storage::FileKeyStore(folder->SigningKey()).LoadSigningKey();
  if (!key) return fail(key.error());
  auto credential_key = LoadCredentialKey(*folder);
  if (!credential_key) return fail(credential_key.error());
  SystemClock clock;
  const auto projector = app::MakeAllProjectors();

  // The HTTP server starts before the database is reached, answering /healthz with 503 until it
  // is; every other route answers 503 too, through the DeferredStore.
  DeferredStore store;
  app::LedgerService ledger(store, clock, *key, *projector);
  app::SystemService system(store);
  app::ServicesOptions service_options;
  service_options.max_upload_bytes = options.max_upload_mib << 20;
  auto services = app::Services::Create(store, store, clock, *credential_key, service_options);
  if (!services) return fail(services.error());
  app::Services& areas = **services;
  http::Metrics metrics;
  http::AddStoreCollector(metrics, store);
  http::Router router;
  http::AddApiRoutes(router, areas, ledger, metrics, [&store]() -> Status {
    return store.Head().map([](const app::LedgerHead&) {});
  });
  http::ServerOptions http_options;
  http_options.address = options.address;
  http_options.port = options.port;
  http_options.max_connections = options.max_connections;
  // A file upload is one body as large as the largest file allowed; every other body stays a
  // small JSON object.
  http_options.upload_path_prefix = "/api/v1/files/";
  http_options.max_upload_bytes = options.max_upload_mib << 20;
  http_options.clock = &clock;
  http_options.access_log = [](std::string_view line) {
    std::string text(line);
    text += '\n';
    std::fputs(text.c_str(), stderr);
  };
  auto server = http::HttpServer::Start(http_options, router, metrics);
  if (!server) return fail(server.error());
  const std::string address = options.address + ":" + std::to_string((*server)->Port());

  // A database server that is down (restarting, failing over) is waited for, with backoff; one
  // that answers and refuses (a newer schema, a damaged ledger) is not.
  std::chrono::seconds backoff(1);
  for (;;) {
    auto opened = OpenStore(location, folder->Database().string(), storage::OpenMode::kReadWrite,
                            clock, *projector, std::size_t{options.max_connections} + 1);
    if (opened) {
      app::BlobStore& blobs = *opened->blobs;
      store.Attach(std::move(opened->store), blobs);
      break;
    }
    if (opened.error().Code() != ErrorCode::kUnavailable || location.database.empty()) {
      (*server)->Shutdown(std::chrono::seconds(1));
      return fail(opened.error());
    }
    store.SetReason(opened.error().Message());
    std::cerr << "aliquot: " << opened.error().ToString() << "; listening at http://" << address
              << "/ with /healthz unavailable; retrying in " << backoff.count() << " s"
              << std::endl;
    const timespec wait{static_cast<time_t>(backoff.count()), 0};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) {
      std::cout << "Stopped before the database became available." << std::endl;
      (*server)->Shutdown(std::chrono::seconds(1));
      return 1;
    }
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }

  const std::string terminal = cli::HostTerminal("server");
  auto site = system.Installation();
  if (!site) {
    std::cerr << "aliquot: " << site.error().ToString() << "\n";
    return 1;
  }
  if (auto checked = app::CheckCredentialKey(store, *credential_key); !checked) {
    std::cerr << "aliquot: " << checked.error().Message()
              << " (the data folder's keys/credentials.key is not the site's)\n";
    return 1;
  }
  // Checkpoints signed with another key would not verify against the site's: a server whose data
  // folder holds the wrong key must not start.
  const std::string key_id = key->PublicKey().KeyId().Hex();
  if (site->state.initialised && site->checkpoint_key_id != key_id) {
    std::cerr << "aliquot: this data folder's signing key (id " << key_id
              << ") is not the site's checkpoint key (id " << site->checkpoint_key_id
              << "); copy the site's keys/checkpoint.key into the data folder\n";
    return 1;
  }

  if (auto started =
          system.RecordServerStarted({ALIQUOT_VERSION, address, terminal, options.server_id});
      !started) {
    std::cerr << "aliquot: cannot record the server start: " << started.error().ToString() << "\n";
    (*server)->Shutdown(std::chrono::seconds(1));
    return 1;
  }
  std::cout << "Aliquot " << ALIQUOT_VERSION << " is serving \"" << site->site_name
            << "\" at http://" << address << "/ (health: http://" << address
            << "/healthz). Stop with Ctrl-C or SIGTERM." << std::endl;

  int received = 0;
  {
    Checkpointer checkpointer(ledger, std::chrono::seconds(options.checkpoint_interval_seconds));
    sigwait(&signals, &received);
    std::cout << "Stopping: finishing requests in flight..." << std::endl;
    // Stop accepting, let requests in flight finish, then close.
    (*server)->Shutdown(std::chrono::seconds(10));
  }
  const std::string cause = received == SIGINT ? "SIGINT" : "SIGTERM";
  int exit_code = 0;
  if (auto stopped = system.RecordServerStopped(options.server_id, cause, terminal); !stopped) {
    std::cerr << "aliquot: cannot record the server stop: " << stopped.error().ToString() << "\n";
    exit_code = 1;
  }
  if (auto signed_head = ledger.Checkpoint(); !signed_head) {
    std::cerr << "aliquot: final checkpoint failed: " << signed_head.error().ToString() << "\n";
    exit_code = 1;
  } else {
    std::cout << "Stopped. Ledger head: " << signed_head->tree_size << " events, root "
              << signed_head->root_hash.Hex() << " (signed)." << std::endl;
  }
  return exit_code;
}

}  // namespace aliquot::server
