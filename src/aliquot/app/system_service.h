// SystemService: the installation's use cases (init, server start and stop) and the projection
// of its state.
#pragma once

#include <memory>
#include <string>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/domain/system/installation.h"
#include "aliquot/ledger/event.h"

namespace aliquot::app {

// The installation table (one row: the site, and how many servers run) and the servers table
// (one row per server that ever started on the site's database).
std::unique_ptr<Projector> MakeSystemProjector();

struct InstallationView {
  system::InstallationState state;
  std::string site_name;
  std::string checkpoint_key_id;
  std::int64_t server_starts = 0;
};

class SystemService {
 public:
  explicit SystemService(Store& store) : store_(store) {}

  Result<InstallationView> Installation();
  Result<ledger::Event> Initialise(const system::InitialiseCommand& command);
  Result<ledger::Event> RecordServerStarted(const system::ServerStart& start);
  Result<ledger::Event> RecordServerStopped(const std::string& server_id, const std::string& cause,
                                            const std::string& terminal);

 private:
  // Loads the state, decides, appends expecting the stream unchanged; retries on a lost race.
  template <typename Decide>
  Result<ledger::Event> Run(Decide decide);

  Store& store_;
};

}  // namespace aliquot::app
