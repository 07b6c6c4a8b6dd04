// What changed between two master batch record versions, as data: the basis of a change control's
// impact assessment and of comparability later (A11-05, CMP-01: quality attributes compared before
// and after a change, keyed to the process version). Elements are matched by id, not by position,
// so inserting a step shows one step added rather than every later step changed; a step or
// parameter that moved is shown moved.
#pragma once

#include <string>
#include <vector>

#include "aliquot/core/json.h"
#include "aliquot/domain/recipes/definition.h"

namespace aliquot::recipes {

enum class ChangeKind { kAdded, kRemoved, kChanged, kMoved };
std::string_view ChangeKindName(ChangeKind kind);  // "added", "removed", "changed", "moved"

// What a change is about, so a reviewer can filter ("every limit that changed"). kLimit covers a
// parameter's or calculation's target, alert and action limits.
enum class Subject {
  kRecord,  // title, batch size, phases, product
  kUnitProcedure,
  kStep,  // a step's own fields: name, instructions, sop, after, equipment, duration...
  kParameter,
  kLimit,
  kCalculation,
  kMaterial,
  kSample,
  kBatchInput,
  kIdentifier,
  kTimeRule,
  kExpiryClock,
};
std::string_view SubjectName(Subject subject);  // "record", "unit_procedure", "step", ...

struct Difference {
  ChangeKind kind = ChangeKind::kChanged;
  Subject subject = Subject::kRecord;
  // Where, by ids rather than positions, as a reviewer reads it: "expansion/temperature/action",
  // "transduction" (a step), "expansion/materials/MAT-IL2", "time_rules/transduction_window/max",
  // "title". Steps are named by id alone, since step ids are unique in a definition.
  std::string path;
  Json before;  // The element or value in `from` (null when added).
  Json after;   // In `to` (null when removed).
  friend bool operator==(const Difference&, const Difference&) = default;
};

// Every difference from `from` to `to`, in the order of `to` (removed elements where they stood
// in `from`). For a parameter or calculation, a change of target, alert or action limits is one
// kLimit difference per changed member ("expansion/temperature/action" with before {"low": 36.5,
// "high": 37.5}); other changed fields are one kParameter / kCalculation difference each
// ("expansion/temperature/unit"). A step's changed fields are one kStep difference each
// ("harvest/sop"). A step moved to another unit procedure, or reordered within one, is kMoved
// with before/after {"unit_procedure": ..., "position": ...}. Equal definitions give none.
std::vector<Difference> DiffDefinitions(const Definition& from, const Definition& to);

// {"kind", "subject", "path", "before", "after"}: as the API shows a difference.
Json DifferenceToJson(const Difference& difference);

}  // namespace aliquot::recipes
