// A master batch record of one step, for the tests of areas that meet batches without executing a
// whole process: a real batch, created from an approved version, to consume lots into through its
// step and to make product units, without the demo's 25-step CAR-T process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aliquot::testing {

// The definition file (YAML) of `record`, a version of autologous `product`'s record: one
// chain-of-identity identifier, `patient_code` (format coi_code), scanned at its one step, `step`,
// which `sop` governs and whose bill of materials takes up to 1000 mL of each of `materials` (each
// counted in a unit of volume).
inline std::string OneStepDefinition(std::string_view record, std::string_view product,
                                     std::string_view step, std::string_view sop,
                                     const std::vector<std::string>& materials) {
  std::string text = "format: aliquot.mbr/1\nmaster_batch_record: " + std::string(record) +
                     "\nproduct: " + std::string(product) +
                     "\ntitle: One step of the process\n"
                     "batch_size: One patient dose\n"
                     "phases: [phase_1]\n"
                     "identifiers:\n"
                     "  - id: patient_code\n"
                     "    name: Patient code (COI)\n"
                     "    format: coi_code\n"
                     "unit_procedures:\n"
                     "  - id: manufacture\n"
                     "    name: Manufacture\n"
                     "    operations:\n"
                     "      - id: " +
                     std::string(step) +
                     "\n"
                     "        name: Seed and feed the culture\n"
                     "        sop: " +
                     std::string(sop) +
                     "\n"
                     "        scan_identity: [patient_code]\n"
                     "        materials:\n";
  for (const std::string& material : materials) {
    text += "          - material: " + material + "\n            quantity: 1000 mL\n";
  }
  return text;
}

}  // namespace aliquot::testing
