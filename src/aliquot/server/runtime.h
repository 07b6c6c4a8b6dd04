// AliquotRuntime: the composition root's implementation of cli::Runtime. The one place that
// knows every adapter: the SQLite and PostgreSQL stores, key file, data folder, HTTP server.
#pragma once

#include "aliquot/cli/cli.h"

namespace aliquot::server {

class AliquotRuntime final : public cli::Runtime {
 public:
  Result<Ed25519PublicKey> CreateDataFolder(const cli::Location& location) override;
  Result<std::unique_ptr<cli::Installation>> Open(const cli::Location& location, cli::Access access,
                                                  Clock* clock = nullptr) override;
  Result<std::unique_ptr<app::ExportWriter>> CreateExportFolder(const std::string& folder) override;
  int Serve(const cli::Location& location, const cli::ServeOptions& options) override;
};

}  // namespace aliquot::server
