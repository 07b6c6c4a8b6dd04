#include "aliquot/domain/system/installation.h"

namespace aliquot::system {

ledger::StreamRef InstallationStream() { return {"system", "installation"}; }

ledger::Actor SystemActor() { return {"system", "Aliquot server"}; }

bool InstallationState::IsRunning(const std::string& server_id) const {
  for (const std::string& running : running_servers) {
    if (running == server_id) return true;
  }
  return false;
}

Result<ledger::NewEvent> Initialise(const InstallationState& state,
                                    const InitialiseCommand& command) {
  if (state.initialised) {
    return Unexpected(AlreadyExists("this data folder is already initialised"));
  }
  if (command.site_name.empty() || command.site_name.size() > 200) {
    return Unexpected(InvalidArgument("site name must be 1-200 characters", "site_name"));
  }
  ledger::NewEvent event;
  event.stream = InstallationStream();
  event.event_type = "system.initialised";
  event.actor = SystemActor();
  event.terminal = command.terminal;
  event.payload.Set("site_name", command.site_name);
  event.payload.Set("checkpoint_key_id", command.checkpoint_key_id);
  event.payload.Set("software_version", command.software_version);
  return event;
}

Result<ledger::NewEvent> ServerStarted(const InstallationState& state, const ServerStart& start) {
  if (!state.initialised) {
    return Unexpected(FailedPrecondition("the data folder is not initialised; run 'aliquot init'"));
  }
  ledger::NewEvent event;
  event.stream = InstallationStream();
  event.event_type = "system.server_started";
  event.actor = SystemActor();
  event.terminal = start.terminal;
  event.payload.Set("software_version", start.software_version);
  event.payload.Set("listen_address", start.listen_address);
  event.payload.Set("server_id", start.server_id);
  event.payload.Set("previous_run_ended_cleanly", !state.IsRunning(start.server_id));
  return event;
}

Result<ledger::NewEvent> ServerStopped(const InstallationState& state, const std::string& server_id,
                                       const std::string& cause, const std::string& terminal) {
  if (!state.IsRunning(server_id)) {
    return Unexpected(
        FailedPrecondition("the server " + server_id + " is not recorded as running"));
  }
  ledger::NewEvent event;
  event.stream = InstallationStream();
  event.event_type = "system.server_stopped";
  event.actor = SystemActor();
  event.terminal = terminal;
  event.payload.Set("server_id", server_id);
  event.payload.Set("cause", cause);
  return event;
}

}  // namespace aliquot::system
