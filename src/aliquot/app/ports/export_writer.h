// ExportWriter: where an export's files go (a folder, storage/files). Files appear whole or not
// at all: a file is published only when Commit succeeds.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot::app {

class ExportFile {
 public:
  virtual ~ExportFile() = default;
  virtual Status Append(std::string_view bytes) = 0;
  // Makes the file durable and visible under its name.
  virtual Status Commit() = 0;
};

class ExportWriter {
 public:
  virtual ~ExportWriter() = default;
  // Starts the file `name` (a plain file name, no folders). Returns kAlreadyExists if it exists.
  virtual Result<std::unique_ptr<ExportFile>> Create(const std::string& name) = 0;
};

}  // namespace aliquot::app
