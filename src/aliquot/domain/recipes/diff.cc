#include "aliquot/domain/recipes/diff.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aliquot/core/enum_names.h"

namespace aliquot::recipes {
namespace {

constexpr std::array<std::string_view, 4> kChangeKindNames = {"added", "removed", "changed",
                                                              "moved"};
constexpr std::array<std::string_view, 12> kSubjectNames = {
    "record",   "unit_procedure", "step",        "parameter",  "limit",     "calculation",
    "material", "sample",         "batch_input", "identifier", "time_rule", "expiry_clock"};

// Elements are matched by their id and, for an id that repeats (a material used twice in one
// step, or a draft that is not yet valid), by which occurrence of it they are.
using Key = std::pair<std::string, std::size_t>;

struct Pairing {
  std::optional<std::size_t> from;  // Index in the `from` list; nullopt: only in `to`.
  std::optional<std::size_t> to;    // Index in the `to` list; nullopt: only in `from`.
};

// Both lists merged in the order of `to`, an element only in `from` placed just before the next
// element that followed it in `from` and is in both, so that a removed step is shown where it
// stood. Keys are unique within each list.
std::vector<Pairing> Pair(const std::vector<Key>& from, const std::vector<Key>& to) {
  std::map<Key, std::size_t> from_index;
  for (std::size_t i = 0; i < from.size(); ++i) from_index.emplace(from[i], i);
  std::map<Key, std::size_t> to_index;
  for (std::size_t i = 0; i < to.size(); ++i) to_index.emplace(to[i], i);

  std::vector<Pairing> pairings;
  pairings.reserve(from.size() + to.size());
  std::size_t cursor = 0;  // Every `from` element before it has been placed.
  const auto place_removed_before = [&](std::size_t end) {
    for (; cursor < end; ++cursor) {
      if (!to_index.contains(from[cursor])) pairings.push_back({cursor, std::nullopt});
    }
  };
  for (std::size_t i = 0; i < to.size(); ++i) {
    const auto found = from_index.find(to[i]);
    if (found == from_index.end()) {
      pairings.push_back({std::nullopt, i});
      continue;
    }
    place_removed_before(found->second);
    pairings.push_back({found->second, i});
  }
  place_removed_before(from.size());
  return pairings;
}

// For each pairing, whether it is an element in both lists whose order relative to the others in
// both changed: every common element but a longest subsequence that kept its order. Inserting or
// removing an element therefore moves nothing, and moving one element to the end moves it alone.
std::vector<bool> OutOfOrder(const std::vector<Pairing>& pairings) {
  std::vector<std::size_t> common;  // Indexes into `pairings`, in the order of `to`.
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    if (pairings[i].from && pairings[i].to) common.push_back(i);
  }
  const auto from_position = [&](std::size_t c) { return *pairings[common[c]].from; };
  // Longest increasing subsequence of `from` positions (patience sorting): tails[k] ends the one of
  // length k + 1 with the smallest last position found so far.
  std::vector<std::size_t> tails;
  std::vector<std::optional<std::size_t>> previous(common.size());
  for (std::size_t c = 0; c < common.size(); ++c) {
    const auto at = std::lower_bound(
        tails.begin(), tails.end(), c,
        [&](std::size_t a, std::size_t b) { return from_position(a) < from_position(b); });
    if (at != tails.begin()) previous[c] = *(at - 1);
    if (at == tails.end()) {
      tails.push_back(c);
    } else {
      *at = c;
    }
  }
  std::vector<bool> moved(pairings.size(), false);
  for (const std::size_t c : common) moved[c] = true;
  std::optional<std::size_t> kept;
  if (!tails.empty()) kept = tails.back();
  while (kept) {
    moved[common[*kept]] = false;
    kept = previous[*kept];
  }
  return moved;
}

// An array member; DefinitionToJson leaves an empty list out, so absence reads as empty.
const Json::Array& Elements(const Json& object, std::string_view name) {
  static const Json::Array kEmpty;
  const Json* member = object.Find(name);
  return member != nullptr && member->IsArray() ? member->AsArray() : kEmpty;
}

// The id an element is matched by and named in paths.
std::string Label(const Json& element, std::string_view id_member) {
  const Json* id = element.Find(id_member);
  return id != nullptr && id->IsString() ? id->AsString() : std::string();
}

// Numbers repeats of a label: the first "MAT-IL2" is {"MAT-IL2", 0}, the second {"MAT-IL2", 1}.
class Keyer {
 public:
  Key Next(std::string label) {
    const std::size_t occurrence = seen_[label]++;
    return {std::move(label), occurrence};
  }

 private:
  std::map<std::string, std::size_t> seen_;
};

std::vector<Key> ElementKeys(const Json::Array& elements, std::string_view id_member) {
  Keyer keyer;
  std::vector<Key> keys;
  keys.reserve(elements.size());
  for (const Json& element : elements) keys.push_back(keyer.Next(Label(element, id_member)));
  return keys;
}

std::vector<Key> MemberKeys(const Json& object) {
  std::vector<Key> keys;
  if (!object.IsObject()) return keys;
  for (const auto& [name, value] : object.AsObject()) keys.emplace_back(name, 0);
  return keys;
}

// Calls visit(name, before, after) for every member of either object, `before` or `after` null
// when the member is left out on that side, in the order of `to` (members only in `from` where
// they stood).
template <typename Visit>
void ForEachMember(const Json& from, const Json& to, Visit visit) {
  static const Json kNull;
  const std::vector<Key> from_keys = MemberKeys(from);
  const std::vector<Key> to_keys = MemberKeys(to);
  for (const Pairing& pairing : Pair(from_keys, to_keys)) {
    const std::string& name =
        pairing.to ? to_keys[*pairing.to].first : from_keys[*pairing.from].first;
    const Json& before = pairing.from ? from.AsObject()[*pairing.from].second : kNull;
    const Json& after = pairing.to ? to.AsObject()[*pairing.to].second : kNull;
    visit(name, before, after);
  }
}

std::string Join(std::string_view prefix, std::string_view name) {
  std::string path(prefix);
  path += '/';
  path += name;
  return path;
}

Json Position(std::size_t position) { return Json(static_cast<std::int64_t>(position)); }

Json PlaceJson(std::string_view unit_procedure, std::size_t position) {
  Json json = Json::MakeObject();
  json.Set("unit_procedure", unit_procedure);
  json.Set("position", Position(position));
  return json;
}

Json PositionJson(std::size_t position) {
  Json json = Json::MakeObject();
  json.Set("position", Position(position));
  return json;
}

// How the fields of one kind of element are reported.
struct Fields {
  Subject subject;
  // A parameter's, calculation's or batch input's target and limits are kLimit differences.
  bool limits = false;
  Subject Of(std::string_view member) const {
    if (limits && (member == "target" || member == "alert" || member == "action")) {
      return Subject::kLimit;
    }
    return subject;
  }
};

// One kChanged difference per member that differs, at `path`/member.
void DiffMembers(const Json& from, const Json& to, std::string_view path, Fields fields,
                 std::vector<Difference>& out) {
  ForEachMember(from, to, [&](const std::string& name, const Json& before, const Json& after) {
    if (before == after) return;
    out.push_back({ChangeKind::kChanged, fields.Of(name), Join(path, name), before, after});
  });
}

// A list of elements matched by `id_member`, each named `prefix` + id: added and removed whole,
// moved by position, changed member by member.
void DiffElements(const Json::Array& from, const Json::Array& to, std::string_view id_member,
                  std::string_view prefix, Fields fields, std::vector<Difference>& out) {
  const std::vector<Key> from_keys = ElementKeys(from, id_member);
  const std::vector<Key> to_keys = ElementKeys(to, id_member);
  const std::vector<Pairing> pairings = Pair(from_keys, to_keys);
  const std::vector<bool> moved = OutOfOrder(pairings);
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    const Pairing& pairing = pairings[i];
    std::string path(prefix);
    path += pairing.to ? to_keys[*pairing.to].first : from_keys[*pairing.from].first;
    if (!pairing.from) {
      out.push_back({ChangeKind::kAdded, fields.subject, path, Json(), to[*pairing.to]});
    } else if (!pairing.to) {
      out.push_back({ChangeKind::kRemoved, fields.subject, path, from[*pairing.from], Json()});
    } else {
      if (moved[i]) {
        out.push_back({ChangeKind::kMoved, fields.subject, path, PositionJson(*pairing.from),
                       PositionJson(*pairing.to)});
      }
      DiffMembers(from[*pairing.from], to[*pairing.to], path, fields, out);
    }
  }
}

// A step's own fields as kStep differences; its parameters, calculations, materials and samples
// as differences of their own.
void DiffStep(const Json& from, const Json& to, const std::string& step,
              std::vector<Difference>& out) {
  ForEachMember(from, to, [&](const std::string& name, const Json& before, const Json& after) {
    if (name == "parameters") {
      DiffElements(Elements(from, name), Elements(to, name), "id", step + "/",
                   {Subject::kParameter, true}, out);
    } else if (name == "calculations") {
      DiffElements(Elements(from, name), Elements(to, name), "id", step + "/",
                   {Subject::kCalculation, true}, out);
    } else if (name == "materials") {
      DiffElements(Elements(from, name), Elements(to, name), "material", step + "/materials/",
                   {Subject::kMaterial}, out);
    } else if (name == "samples") {
      DiffElements(Elements(from, name), Elements(to, name), "id", step + "/samples/",
                   {Subject::kSample}, out);
    } else if (before != after) {
      out.push_back({ChangeKind::kChanged, Subject::kStep, Join(step, name), before, after});
    }
  });
}

// One side's procedure: its unit procedures and, since steps are matched across the whole
// definition, where each step stands.
struct Procedure {
  struct Unit {
    const Json* json = nullptr;
    std::vector<Key> steps;
  };
  struct Place {
    const Json* json = nullptr;
    std::size_t unit = 0;  // Index into `units`.
    std::size_t position = 0;
  };
  std::vector<Key> unit_keys;
  std::vector<Unit> units;
  std::map<Key, Place> steps;

  explicit Procedure(const Json& definition) {
    const Json::Array& unit_procedures = Elements(definition, "unit_procedures");
    unit_keys = ElementKeys(unit_procedures, "id");
    Keyer step_keyer;
    for (std::size_t u = 0; u < unit_procedures.size(); ++u) {
      Unit unit{&unit_procedures[u], {}};
      const Json::Array& operations = Elements(unit_procedures[u], "operations");
      for (std::size_t s = 0; s < operations.size(); ++s) {
        Key key = step_keyer.Next(Label(operations[s], "id"));
        steps.emplace(key, Place{&operations[s], u, s});
        unit.steps.push_back(std::move(key));
      }
      units.push_back(std::move(unit));
    }
  }

  const std::string& UnitLabel(std::size_t unit) const { return unit_keys[unit].first; }
};

// A unit procedure as its own difference shows it: without its steps, which are differences of
// their own.
Json WithoutOperations(const Json& unit_procedure) {
  Json json = Json::MakeObject();
  if (!unit_procedure.IsObject()) return json;
  for (const auto& [name, value] : unit_procedure.AsObject()) {
    if (name != "operations") json.Set(name, value);
  }
  return json;
}

// The steps of one unit procedure (either side may lack it): those in `to`'s in order, moved in
// from another unit procedure or not, and those removed from the definition where they stood in
// `from`'s. A step that moved out of it is shown where it went.
void DiffSteps(const Procedure& from, std::optional<std::size_t> from_unit, const Procedure& to,
               std::optional<std::size_t> to_unit, std::vector<Difference>& out) {
  std::vector<Key> from_keys;
  if (from_unit) {
    for (const Key& key : from.units[*from_unit].steps) {
      const auto there = to.steps.find(key);
      if (there == to.steps.end() || (to_unit && there->second.unit == *to_unit)) {
        from_keys.push_back(key);
      }
    }
  }
  const std::vector<Key> no_steps;
  const std::vector<Key>& to_keys = to_unit ? to.units[*to_unit].steps : no_steps;
  const std::vector<Pairing> pairings = Pair(from_keys, to_keys);
  const std::vector<bool> moved = OutOfOrder(pairings);
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    const Pairing& pairing = pairings[i];
    const Key& key = pairing.to ? to_keys[*pairing.to] : from_keys[*pairing.from];
    const std::string& step = key.first;
    if (!pairing.to) {
      out.push_back({ChangeKind::kRemoved, Subject::kStep, step, *from.steps.at(key).json, Json()});
      continue;
    }
    const Procedure::Place& after = to.steps.at(key);
    const auto before = from.steps.find(key);
    if (before == from.steps.end()) {
      out.push_back({ChangeKind::kAdded, Subject::kStep, step, Json(), *after.json});
      continue;
    }
    if (!pairing.from || moved[i]) {
      out.push_back({ChangeKind::kMoved, Subject::kStep, step,
                     PlaceJson(from.UnitLabel(before->second.unit), before->second.position),
                     PlaceJson(to.UnitLabel(after.unit), after.position)});
    }
    DiffStep(*before->second.json, *after.json, step, out);
  }
}

void DiffProcedure(const Json& from_json, const Json& to_json, std::vector<Difference>& out) {
  const Procedure from(from_json);
  const Procedure to(to_json);
  const std::vector<Pairing> pairings = Pair(from.unit_keys, to.unit_keys);
  const std::vector<bool> moved = OutOfOrder(pairings);
  for (std::size_t i = 0; i < pairings.size(); ++i) {
    const Pairing& pairing = pairings[i];
    const std::string& unit =
        pairing.to ? to.UnitLabel(*pairing.to) : from.UnitLabel(*pairing.from);
    if (!pairing.from) {
      out.push_back({ChangeKind::kAdded, Subject::kUnitProcedure, unit, Json(),
                     WithoutOperations(*to.units[*pairing.to].json)});
    } else if (!pairing.to) {
      out.push_back({ChangeKind::kRemoved, Subject::kUnitProcedure, unit,
                     WithoutOperations(*from.units[*pairing.from].json), Json()});
    } else {
      if (moved[i]) {
        out.push_back({ChangeKind::kMoved, Subject::kUnitProcedure, unit,
                       PositionJson(*pairing.from), PositionJson(*pairing.to)});
      }
      DiffMembers(WithoutOperations(*from.units[*pairing.from].json),
                  WithoutOperations(*to.units[*pairing.to].json), unit, {Subject::kUnitProcedure},
                  out);
    }
    DiffSteps(from, pairing.from, to, pairing.to, out);
  }
}

}  // namespace

std::string_view ChangeKindName(ChangeKind kind) { return EnumName(kChangeKindNames, kind); }

std::string_view SubjectName(Subject subject) { return EnumName(kSubjectNames, subject); }

std::vector<Difference> DiffDefinitions(const Definition& from, const Definition& to) {
  // Comparing the definitions as DefinitionToJson writes them makes every before and after the
  // text of the definition file and every path segment a member name a reviewer sees in it.
  const Json from_json = DefinitionToJson(from);
  const Json to_json = DefinitionToJson(to);
  std::vector<Difference> out;
  ForEachMember(from_json, to_json,
                [&](const std::string& name, const Json& before, const Json& after) {
                  if (name == "unit_procedures") {
                    DiffProcedure(from_json, to_json, out);
                  } else if (name == "batch_inputs") {
                    DiffElements(Elements(from_json, name), Elements(to_json, name), "id",
                                 "batch_inputs/", {Subject::kBatchInput, true}, out);
                  } else if (name == "identifiers") {
                    DiffElements(Elements(from_json, name), Elements(to_json, name), "id",
                                 "identifiers/", {Subject::kIdentifier}, out);
                  } else if (name == "time_rules") {
                    DiffElements(Elements(from_json, name), Elements(to_json, name), "id",
                                 "time_rules/", {Subject::kTimeRule}, out);
                  } else if (name == "expiry_clocks") {
                    DiffElements(Elements(from_json, name), Elements(to_json, name), "id",
                                 "expiry_clocks/", {Subject::kExpiryClock}, out);
                  } else if (before != after) {
                    out.push_back({ChangeKind::kChanged, Subject::kRecord, name, before, after});
                  }
                });
  return out;
}

Json DifferenceToJson(const Difference& difference) {
  Json json = Json::MakeObject();
  json.Set("kind", ChangeKindName(difference.kind));
  json.Set("subject", SubjectName(difference.subject));
  json.Set("path", difference.path);
  json.Set("before", difference.before);
  json.Set("after", difference.after);
  return json;
}

}  // namespace aliquot::recipes
