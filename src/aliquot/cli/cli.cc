#include "aliquot/cli/cli.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "aliquot/app/demo_clock.h"
#include "aliquot/app/demo_site.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/services.h"
#include "aliquot/app/store_copy.h"
#include "aliquot/app/system_service.h"
#include "aliquot/core/sha256.h"
#include "aliquot/ledger/export_format.h"
#include "aliquot/ledger/verifier.h"

#ifndef ALIQUOT_VERSION
#define ALIQUOT_VERSION "0.0.0"
#endif

namespace aliquot::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Fail(const Error& error) {
  std::cerr << "aliquot: " << error.ToString() << "\n";
  return kExitFailure;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected(NotFound("cannot read " + path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Progress on a terminal only: a log file or a pipe gets the result line alone.
std::function<void(std::uint64_t, std::uint64_t)> ProgressPrinter(const char* doing) {
  if (::isatty(STDERR_FILENO) == 0) return nullptr;
  return [doing](std::uint64_t done, std::uint64_t total) {
    std::fprintf(stderr, "\r%s: %llu / %llu events", doing, static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total));
    if (done >= total) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

Result<std::optional<ledger::Checkpoint>> LoadTrusted(const std::string& path) {
  if (path.empty()) return std::optional<ledger::Checkpoint>();
  ALIQUOT_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto checkpoint = ledger::ParseCheckpointJson(text);
  if (!checkpoint) return Unexpected(checkpoint.error().WithContext("the checkpoint file " + path));
  return std::optional<ledger::Checkpoint>(*checkpoint);
}

// What a data folder's verify checked beyond the ledger; an export holds neither.
struct StoreChecks {
  std::uint64_t projection_rows = 0;
  std::uint64_t files = 0;
  std::uint64_t file_bytes = 0;
};

void PrintReport(const ledger::VerifyReport& report, const Ed25519PublicKey& key, bool trusted,
                 const std::optional<StoreChecks>& store) {
  std::cout << "OK: " << report.events << " events, " << report.checkpoints
            << " checkpoints verified, root " << report.root_hash.Hex() << " at size "
            << report.events << ", key " << key.KeyId().Hex();
  if (store) {
    std::cout << ", " << store->projection_rows << " projection rows match a rebuild, "
              << store->files << " files (" << store->file_bytes << " bytes) match their SHA-256";
  }
  if (trusted) std::cout << "; trusted checkpoint matches";
  std::cout << "\n";
}

// Checks manifest.json: the hash of every file it lists, and the counts, head and root it states.
Status CheckManifest(const std::string& folder, const ledger::VerifyReport& report,
                     std::uint64_t checkpoint_count) {
  const auto bad = [](const std::string& why) {
    return Unexpected(DataLoss("manifest.json: " + why));
  };
  ALIQUOT_ASSIGN_OR_RETURN(std::string text, ReadFile(folder + "/manifest.json"));
  auto manifest = ledger::ParseManifestJson(text);
  if (!manifest) return bad(manifest.error().Message());
  for (const auto& [name, hash] : manifest->files) {
    ALIQUOT_ASSIGN_OR_RETURN(std::string content, ReadFile(folder + "/" += name));
    if (Sha256::Of(content) != hash)
      return bad(name + " does not match its SHA-256 in the manifest");
  }
  if (manifest->events != report.events) {
    return bad("states another number of events than events.jsonl holds (" +
               std::to_string(report.events) + ")");
  }
  if (manifest->checkpoints != checkpoint_count) {
    return bad("states another number of checkpoints than checkpoints.jsonl holds");
  }
  if (manifest->head_hash != ledger::ExportHeadHash(report.events, report.head_hash) ||
      manifest->root_hash != report.root_hash) {
    return bad("head_hash or root_hash differs from the ledger's");
  }
  return {};
}

// Verifies an export folder with the same verifier the server uses (tools/verify_ledger.py does
// the same without our code).
Result<ledger::VerifyReport> VerifyExport(const std::string& folder,
                                          const std::optional<ledger::Checkpoint>& trusted,
                                          Ed25519PublicKey& key) {
  ALIQUOT_ASSIGN_OR_RETURN(std::string key_text, ReadFile(folder + "/public_key.json"));
  auto parsed_key = ledger::ParsePublicKeyJson(key_text);
  if (!parsed_key) return Unexpected(parsed_key.error().WithContext("public_key.json"));
  key = *parsed_key;
  ALIQUOT_ASSIGN_OR_RETURN(std::string checkpoints_text, ReadFile(folder + "/checkpoints.jsonl"));
  std::vector<ledger::Checkpoint> checkpoints;
  std::istringstream checkpoint_lines(checkpoints_text);
  std::string line;
  for (std::size_t number = 1; std::getline(checkpoint_lines, line); ++number) {
    auto checkpoint = ledger::ParseCheckpointJson(line);
    // An auditor's checkpoint file may be formatted freely; the export's own lines are canonical
    // (docs/ledger-format.md), as tools/verify_ledger.py also requires.
    if (checkpoint && ledger::CheckpointJson(*checkpoint) != line) {
      checkpoint = Unexpected(InvalidArgument("checkpoint is not in canonical form (RFC 8785)"));
    }
    if (!checkpoint) {
      return Unexpected(
          DataLoss(checkpoint.error()
                       .WithContext("checkpoints.jsonl line " + std::to_string(number))
                       .Message()));
    }
    checkpoints.push_back(*checkpoint);
  }
  const std::uint64_t last_checkpoint_size = checkpoints.empty() ? 0 : checkpoints.back().tree_size;
  const std::uint64_t checkpoint_count = checkpoints.size();
  ledger::LedgerVerifier verifier(key, std::move(checkpoints), trusted);
  std::ifstream events(folder + "/events.jsonl", std::ios::binary);
  if (!events) return Unexpected(NotFound("cannot read " + folder + "/events.jsonl"));
  for (std::size_t number = 1; std::getline(events, line); ++number) {
    auto event = ledger::ParseEventJson(line);
    if (!event) {
      return Unexpected(DataLoss(
          event.error().WithContext("events.jsonl line " + std::to_string(number)).Message()));
    }
    ALIQUOT_RETURN_IF_ERROR(verifier.Add(*event));
  }
  ALIQUOT_ASSIGN_OR_RETURN(ledger::VerifyReport report, verifier.Finish());
  // An export ends with a checkpoint over all of it (docs/ledger-format.md): an event after the
  // last signature was appended by someone without the key.
  const std::uint64_t signed_size = last_checkpoint_size;
  if (signed_size != report.events) {
    return Unexpected(DataLoss("event seq " + std::to_string(signed_size + 1) +
                               ": not covered by any signed checkpoint (the export's last "
                               "checkpoint covers " +
                               std::to_string(signed_size) + " of " +
                               std::to_string(report.events) + " events)"));
  }
  ALIQUOT_RETURN_IF_ERROR(CheckManifest(folder, report, checkpoint_count));
  return report;
}

}  // namespace

namespace {

std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "unknown-host";
  return host;
}

}  // namespace

std::string HostTerminal(std::string_view role) { return std::string(role) + ":" + HostName(); }

int Main(int argc, char** argv, Runtime& runtime) {
  CLI::App app{"Aliquot: manufacturing execution and quality records for cell and gene therapy"};
  app.require_subcommand(1);
  Location location;
  const auto add_data = [&](CLI::App* command) {
    command->add_option("--data", location.data, "Data folder (signing key, embedded database)")
        ->capture_default_str();
    command
        ->add_option("--database", location.database,
                     "PostgreSQL database URL (postgresql://user@host:5432/aliquot); default: "
                     "the data folder's own SQLite file")
        ->envname("ALIQUOT_DATABASE");
  };
  const std::string& data = location.data;

  CLI::App* init =
      app.add_subcommand("init", "Create a data folder: database, signing key, first event");
  add_data(init);
  std::string site = "Aliquot site";
  init->add_option("--site", site, "The site's name, as it appears on records")
      ->capture_default_str();

  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM");
  add_data(serve);
  ServeOptions serve_options;
  std::string listen = "127.0.0.1:8080";
  serve->add_option("--listen", listen, "Address and port to listen on (port 0: any free port)")
      ->capture_default_str();
  serve
      ->add_option("--max-connections", serve_options.max_connections,
                   "HTTP connections served at once, each by a thread of its own")
      ->check(CLI::Range(1U, 1024U))
      ->capture_default_str();
  serve
      ->add_option("--checkpoint-interval", serve_options.checkpoint_interval_seconds,
                   "Seconds between signed checkpoints while events arrive")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve
      ->add_option("--max-upload-mib", serve_options.max_upload_mib,
                   "Largest file an upload may carry, in MiB (a document's PDF, a scan)")
      // The stores take files up to app::kMaxBlobBytes (just under 1 GB).
      ->check(CLI::Range(std::uint64_t{1}, app::kMaxBlobBytes >> 20))
      ->capture_default_str();

  CLI::App* verify =
      app.add_subcommand("verify", "Verify the ledger, checkpoints, projections and files");
  add_data(verify);
  std::string export_folder;
  std::string trusted_path;
  verify->add_option("--export", export_folder, "Verify an export folder instead of a data folder");
  verify->add_option("--checkpoint", trusted_path,
                     "A checkpoint kept outside the system (catches truncation and rollback)");

  CLI::App* export_command =
      app.add_subcommand("export", "Export the ledger and checkpoints to a folder");
  add_data(export_command);
  std::string out;
  export_command->add_option("--out", out, "New folder to write the export into")->required();

  CLI::App* proof = app.add_subcommand("proof", "Print the inclusion proof of one event");
  add_data(proof);
  std::uint64_t seq = 0;
  proof->add_option("seq", seq, "The event's sequence number")
      ->required()
      ->check(CLI::PositiveNumber);

  CLI::App* checkpoint = app.add_subcommand(
      "checkpoint", "Sign a checkpoint at the head and print it (keep a copy outside the system)");
  add_data(checkpoint);

  CLI::App* migrate_store = app.add_subcommand(
      "migrate-store",
      "Copy a site's ledger, projections and files from its SQLite data folder into an empty "
      "PostgreSQL database, unchanged, and verify the copy");
  std::string from;
  std::string to;
  migrate_store->add_option("--from", from, "The site's data folder (SQLite)")->required();
  migrate_store->add_option("--to", to, "The empty PostgreSQL database (postgresql://user@host/db)")
      ->required();

  CLI::App* bootstrap = app.add_subcommand(
      "bootstrap",
      "Create the first site, its first system administrator (temporary password, printed once) "
      "and the terminal they sign in on (token, printed once)");
  add_data(bootstrap);
  app::BootstrapCommand first;
  first.terminal.id = "ADMIN-CONSOLE";
  first.terminal.name = "Administration console";
  first.terminal.location = "Administration office";
  first.terminal.kind = identity::TerminalKind::kWorkstation;
  bootstrap->add_option("--site-id", first.site.id, "Site code: 2-16 of A-Z, 0-9, '-' (LEI)")
      ->required();
  bootstrap->add_option("--site-name", first.site.name, "Site name (Leiden Cell Therapy Unit)")
      ->required();
  bootstrap->add_option("--admin", first.administrator_id, "The administrator's user name")
      ->required();
  bootstrap->add_option("--admin-name", first.administrator_name, "Their printed name")->required();
  bootstrap->add_option("--terminal-id", first.terminal.id, "The console terminal's id")
      ->capture_default_str();
  bootstrap->add_option("--terminal-location", first.terminal.location, "Where the console is")
      ->capture_default_str();

  CLI::App* demo = app.add_subcommand(
      "demo",
      "Create a data folder holding the demo site (docs/demo.md): 75 days of a CAR-T unit's "
      "records, on a simulated clock");
  add_data(demo);
  std::string demo_site = "Leiden Cell Therapy Unit (demo)";
  demo->add_option("--site", demo_site, "The installation's name")->capture_default_str();

  CLI::App* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitUsage;
  }

  if (*version) {
    std::cout << "aliquot " << ALIQUOT_VERSION << " (ledger event format " << ledger::kEventFormat
              << ")\n";
    return 0;
  }

  if (*init) {
    auto key = runtime.CreateDataFolder(location);
    if (!key) return Fail(key.error());
    auto installation = runtime.Open(location, Access::kExclusive);
    if (!installation) return Fail(installation.error());
    app::SystemService system((*installation)->Store());
    auto initialised =
        system.Initialise({site, key->KeyId().Hex(), ALIQUOT_VERSION, HostTerminal("cli")});
    if (!initialised) return Fail(initialised.error());
    app::LedgerService ledger((*installation)->Store(), (*installation)->SystemClock(),
                              (*installation)->SigningKey(), (*installation)->Projector());
    auto signed_head = ledger.Checkpoint();
    if (!signed_head) return Fail(signed_head.error());
    std::cout << "Initialised " << data << " for site \"" << site << "\".\n"
              << "Checkpoint signing key id: " << key->KeyId().Hex() << "\n"
              << "Keep this key id outside the system: verifiers compare against it.\n";
    return 0;
  }

  if (*demo) {
    // The demo's history is recorded on a simulated clock running through the past 75 days
    // (docs/demo.md); a real site's server never does that (AL-01). A ledger's events never go
    // back in time, so the demo's must be its first: it initialises the data folder itself.
    aliquot::SystemClock real;
    app::DemoClock clock(real, app::DemoStart(real.Now()));
    auto key = runtime.CreateDataFolder(location);
    if (!key) {
      if (key.error().Code() != ErrorCode::kAlreadyExists) return Fail(key.error());
      return Fail(FailedPrecondition(
          "aliquot demo records 75 days of history on a simulated clock, so it writes a new "
          "ledger from its first event: give --data a folder that does not exist yet (it is "
          "initialised as 'aliquot init' would); " +
          key.error().Message()));
    }
    auto installation = runtime.Open(location, Access::kExclusive, &clock);
    if (!installation) return Fail(installation.error());
    app::SystemService system((*installation)->Store());
    auto initialised =
        system.Initialise({demo_site, key->KeyId().Hex(), ALIQUOT_VERSION, HostTerminal("cli")});
    if (!initialised) return Fail(initialised.error());
    auto services = app::Services::Create((*installation)->Store(), (*installation)->Blobs(), clock,
                                          (*installation)->CredentialKey(), {});
    if (!services) return Fail(services.error());
    const Status created =
        app::CreateDemoSite(**services, clock, HostTerminal("cli"),
                            [](std::string_view line) { std::cout << "  " << line << "\n"; });
    if (!created) return Fail(created.error());
    // The whole history under one checkpoint, signed now: the demo's clock is released.
    app::LedgerService ledger((*installation)->Store(), clock, (*installation)->SigningKey(),
                              (*installation)->Projector());
    auto signed_head = ledger.Checkpoint();
    if (!signed_head) return Fail(signed_head.error());
    std::cout << "Initialised " << data << " for site \"" << demo_site << "\".\n"
              << "Checkpoint signing key id: " << key->KeyId().Hex() << "\n"
              << "Demo site ready. Every demo account's password: " << app::kDemoPassword
              << "\nQA workstation terminal token (X-Aliquot-Terminal): "
              << app::kDemoQaTerminalToken << "\nSee docs/demo.md.\n";
    return 0;
  }

  if (*bootstrap) {
    // Exclusive: an embedded store keeps its chain's tip in the serving process, so this runs
    // before `serve` (or beside servers on PostgreSQL, each in its own data folder).
    auto installation = runtime.Open(location, Access::kExclusive);
    if (!installation) return Fail(installation.error());
    auto services =
        app::Services::Create((*installation)->Store(), (*installation)->Blobs(),
                              (*installation)->SystemClock(), (*installation)->CredentialKey(), {});
    if (!services) return Fail(services.error());
    auto outcome = (*services)->Identity().identity.Bootstrap(first, HostTerminal("cli"));
    if (!outcome) return Fail(outcome.error());
    std::cout << "Site " << first.site.id << " created with system administrator "
              << first.administrator_id << ".\n"
              << "Temporary password (change it at first sign-in): " << outcome->temporary_password
              << "\n"
              << "Terminal " << first.terminal.id
              << " token (send as X-Aliquot-Terminal): " << outcome->terminal_token << "\n"
              << "Both are shown once and stored only as hashes.\n";
    return 0;
  }

  if (*migrate_store) {
    // The source's server lock: no server may append while its ledger is copied.
    auto source = runtime.Open({from, ""}, Access::kExclusive);
    if (!source) return Fail(source.error());
    auto target = runtime.Open({from, to}, Access::kShared);
    if (!target) return Fail(target.error());
    auto copied =
        app::CopyStore((*source)->Store(), (*source)->Blobs(), (*target)->Store(),
                       (*target)->Blobs(), (*target)->Projector(), ProgressPrinter("copying"));
    if (!copied) return Fail(copied.error().WithContext("copying " + from));
    // The copy is verified as an auditor would: chain, signatures, projections against a rebuild,
    // every file hashed again as the target reads it.
    app::LedgerService ledger((*target)->Store(), (*target)->SystemClock(), (*target)->SigningKey(),
                              (*target)->Projector());
    auto outcome = ledger.Verify({std::nullopt, nullptr, &(*target)->Blobs()});
    if (!outcome) {
      std::cout << "FAIL: the copy does not verify: " << outcome.error().Message() << "\n";
      return kExitFailure;
    }
    // A file keeps its bytes, media type and time of storing: stored_at is the source's.
    std::cout << "Copied " << copied->events << " events, " << copied->checkpoints
              << " checkpoints and " << copied->files << " files (" << copied->file_bytes
              << " bytes) from " << from << "; the copy verifies (root " << copied->root_hash.Hex()
              << ", " << copied->projection_rows
              << " projection rows match the source and a rebuild, " << outcome->files
              << " files match their SHA-256).\n"
              << "Serve the site from PostgreSQL now: aliquot serve --data " << from
              << " --database <the same URL>\n"
              << "Keep " << from << "/aliquot.db as it is; do not serve it again, or the site "
              << "would have two ledgers.\n";
    return 0;
  }

  if (*serve) {
    const std::size_t colon = listen.rfind(':');
    unsigned port = 0;
    const char* port_begin =
        listen.data() + (colon == std::string::npos ? listen.size() : colon + 1);
    const char* port_end = listen.data() + listen.size();
    const auto [parsed_end, parse_error] = std::from_chars(port_begin, port_end, port);
    if (colon == std::string::npos || colon == 0 || port_begin == port_end ||
        parse_error != std::errc() || parsed_end != port_end || port > 65535) {
      return Fail(InvalidArgument(
          "--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080, got '" + listen + "'", "--listen"));
    }
    std::error_code absolute_error;
    const std::filesystem::path folder = std::filesystem::absolute(data, absolute_error);
    serve_options.server_id =
        HostName() + ":" + (absolute_error ? data : folder.lexically_normal().string());
    serve_options.address = listen.substr(0, colon);
    serve_options.port = static_cast<std::uint16_t>(port);
    return runtime.Serve(location, serve_options);
  }

  if (*verify) {
    auto trusted = LoadTrusted(trusted_path);
    if (!trusted) return Fail(trusted.error());
    if (!export_folder.empty()) {
      Ed25519PublicKey key;
      auto report = VerifyExport(export_folder, *trusted, key);
      if (!report) {
        std::cout << "FAIL: " << report.error().Message() << "\n";
        return kExitFailure;
      }
      PrintReport(*report, key, trusted->has_value(), std::nullopt);
      return 0;
    }
    auto installation = runtime.Open(location, Access::kReadOnly);
    if (!installation) return Fail(installation.error());
    app::LedgerService ledger((*installation)->Store(), (*installation)->SystemClock(),
                              (*installation)->SigningKey(), (*installation)->Projector());
    auto outcome =
        ledger.Verify({*trusted, ProgressPrinter("verifying"), &(*installation)->Blobs()});
    if (!outcome) {
      std::cout << "FAIL: " << outcome.error().Message() << "\n";
      return kExitFailure;
    }
    PrintReport(outcome->ledger, ledger.PublicKey(), trusted->has_value(),
                StoreChecks{outcome->projection_rows, outcome->files, outcome->file_bytes});
    return 0;
  }

  auto installation = runtime.Open(location, Access::kShared);
  if (!installation) return Fail(installation.error());
  app::LedgerService ledger((*installation)->Store(), (*installation)->SystemClock(),
                            (*installation)->SigningKey(), (*installation)->Projector());
  if (*export_command) {
    auto writer = runtime.CreateExportFolder(out);
    if (!writer) return Fail(writer.error());
    auto summary = ledger.Export(**writer);
    if (!summary) return Fail(summary.error());
    std::cout << "Exported " << summary->events << " events and " << summary->checkpoints
              << " checkpoints to " << out << " (root " << summary->root_hash.Hex() << ").\n"
              << "Check it without Aliquot: python3 tools/verify_ledger.py " << out << "\n";
    return 0;
  }
  if (*proof) {
    auto document = ledger.InclusionProofJson(seq);
    if (!document) return Fail(document.error());
    std::cout << *document << "\n";
    return 0;
  }
  if (*checkpoint) {
    auto signed_head = ledger.Checkpoint();
    if (!signed_head) return Fail(signed_head.error());
    std::cout << ledger::CheckpointJson(*signed_head) << "\n";
    return 0;
  }
  return kExitUsage;
}

}  // namespace aliquot::cli
