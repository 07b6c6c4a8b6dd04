// The installation's own life as a business area: initialised once for a site, and every server
// start and stop recorded, so that the audit trail shows when the system ran and whether it went
// down uncleanly (EU GMP Annex 11 section 13, incident management: A11-05).
// Pure rules: state in, events or a refusal out.
#pragma once

#include <string>
#include <vector>

#include "aliquot/core/result.h"
#include "aliquot/ledger/event.h"

namespace aliquot::system {

// The stream every installation event belongs to.
ledger::StreamRef InstallationStream();

// The actor of events the server records on its own behalf.
ledger::Actor SystemActor();

struct InstallationState {
  bool initialised = false;
  // Servers with a start and no matching stop, by server id. Several servers may share one
  // PostgreSQL database; each runs from its own data folder, which names it.
  std::vector<std::string> running_servers;
  bool IsRunning(const std::string& server_id) const;
};

struct InitialiseCommand {
  std::string site_name;
  std::string checkpoint_key_id;  // Hex SHA-256 of the checkpoint public key.
  std::string software_version;
  std::string terminal;
};

// The event that opens a ledger. Returns kAlreadyExists if the installation is initialised, and
// kInvalidArgument (field "site_name") for an empty or over-long site name.
Result<ledger::NewEvent> Initialise(const InstallationState& state,
                                    const InitialiseCommand& command);

struct ServerStart {
  std::string software_version;
  std::string listen_address;  // "127.0.0.1:8080"
  std::string terminal;
  std::string server_id;  // "<host>:<data folder>": the same for every run of one server.
};

// Records a server start. When this server's previous run has no stop event, the start says so:
// it went down without shutting down (crash, power loss, kill -9). Returns kFailedPrecondition
// before initialisation.
Result<ledger::NewEvent> ServerStarted(const InstallationState& state, const ServerStart& start);

// Records an orderly stop of server `server_id` and why ("SIGTERM"). Returns kFailedPrecondition
// unless that server is recorded as running.
Result<ledger::NewEvent> ServerStopped(const InstallationState& state, const std::string& server_id,
                                       const std::string& cause, const std::string& terminal);

}  // namespace aliquot::system
