// The `aliquot` executable: the command line over the real adapters.
#include "aliquot/cli/cli.h"
#include "aliquot/server/runtime.h"

int main(int argc, char** argv) {
  aliquot::server::AliquotRuntime runtime;
  return aliquot::cli::Main(argc, argv, runtime);
}
