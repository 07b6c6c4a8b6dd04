// NoteProjector and its helpers: the smallest projector that exercises a Store (reads its own
// rows, refuses an event on request, changes its definition, keeps a table with a composite key),
// shared by the contract suite and the engine-specific store tests so that each engine is held to
// the same example.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/app/ports/store.h"
#include "aliquot/app/projection.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/ledger/event.h"
#include "aliquot/ledger/verifier.h"
#include "tests/support/describe.h"

namespace aliquot::testing {

// An event type NoteProjector refuses, as a projector refuses an event that contradicts the state.
inline constexpr char kPoison[] = "note.poison";
// An event type NoteProjector records in note_signatures rather than notes.
inline constexpr char kSigned[] = "note.signed";

// A row of note_signatures: `signer` signed note `id` with `meaning` in event `seq`.
inline app::Row SignatureValues(const std::string& id, const std::string& meaning,
                                std::uint64_t seq, const std::string& signer = "u-17") {
  return app::Row{id, meaning, static_cast<std::int64_t>(seq), signer};
}

// A projection of "note" streams: one row per note with its latest body and how many events it
// has had; with `with_length`, a fourth column (a changed definition, for the rebuild test). A
// kSigned event instead adds a row to note_signatures, keyed by (note id, meaning, seq) as the
// signatures of a record are, and leaves the notes row alone.
class NoteProjector final : public app::Projector {
 public:
  explicit NoteProjector(bool with_length = false) : with_length_(with_length) {
    app::TableSpec table{"notes",
                         {{"id", app::ColumnType::kText},
                          {"body", app::ColumnType::kText},
                          {"count", app::ColumnType::kInteger}},
                         1};
    if (with_length) table.columns.push_back({"length", app::ColumnType::kInteger});
    tables_.push_back(std::move(table));
    tables_.push_back({"note_signatures",
                       {{"note_id", app::ColumnType::kText},
                        {"meaning", app::ColumnType::kText},
                        {"seq", app::ColumnType::kInteger},
                        {"signer", app::ColumnType::kText}},
                       3});
  }

  const std::vector<app::TableSpec>& Tables() const override { return tables_; }
  const app::TableSpec& Notes() const { return tables_[0]; }
  const app::TableSpec& Signatures() const { return tables_[1]; }

  Status Apply(const ledger::Event& event, app::ProjectionWriter& writer) const override {
    if (event.stream.type != "note") return {};
    if (event.event_type == kPoison) {
      return Unexpected(
          DataLoss("event seq " + std::to_string(event.seq) + ": the projector refuses it"));
    }
    ALIQUOT_ASSIGN_OR_RETURN(Json payload, ParseJson(event.payload));
    const auto field = [&](const char* name) {
      const Json* value = payload.Find(name);
      return value != nullptr && value->IsString() ? value->AsString() : std::string();
    };
    if (event.event_type == kSigned) {
      return writer.Upsert(Signatures(), SignatureValues(event.stream.id, field("meaning"),
                                                         event.seq, event.actor.id));
    }
    const std::string text = field("body");
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<app::Row> current,
                             writer.Get(Notes(), app::Row{event.stream.id}));
    const std::int64_t count = current ? std::get<std::int64_t>((*current)[2]) + 1 : 1;
    app::Row row{event.stream.id, text, count};
    if (with_length_) row.emplace_back(static_cast<std::int64_t>(text.size()));
    return writer.Upsert(Notes(), row);
  }

 private:
  bool with_length_;
  std::vector<app::TableSpec> tables_;
};

inline ledger::NewEvent Note(const std::string& id, const std::string& body,
                             const std::string& event_type = "note.written") {
  ledger::NewEvent event;
  event.stream = {"note", id};
  event.event_type = event_type;
  event.payload.Set("body", body);
  event.actor = {"u-17", "Ada Lovelace"};
  event.terminal = "bench-3";
  return event;
}

// A row of the notes table; with `length`, as NoteProjector(with_length) writes it.
inline app::Row NoteValues(const std::string& id, const std::string& body, std::int64_t count,
                           std::optional<std::int64_t> length = std::nullopt) {
  app::Row row{id, body, count};
  if (length) row.emplace_back(*length);
  return row;
}

// A kSigned event: `signer` signs note `id` with `meaning`.
inline ledger::NewEvent Signature(const std::string& id, const std::string& meaning,
                                  const std::string& signer = "u-17") {
  ledger::NewEvent event = Note(id, "", kSigned);
  event.payload = Json::MakeObject();
  event.payload.Set("meaning", meaning);
  event.actor.id = signer;
  return event;
}

inline app::AppendRequest Request(std::vector<ledger::NewEvent> events,
                                  std::vector<app::StreamExpectation> expectations = {}) {
  return {std::move(events), std::move(expectations)};
}

// Every event of the ledger, in order; a failed scan fails the current test.
inline std::vector<ledger::Event> AllEvents(app::StoreReader& store) {
  std::vector<ledger::Event> events;
  auto scanned = store.ScanEvents(1, UINT64_MAX, [&](const ledger::Event& event) -> Status {
    events.push_back(event);
    return {};
  });
  EXPECT_TRUE(scanned) << scanned.error().ToString();
  return events;
}

// The notes row of `id`, or nullopt; a failed read fails the current test.
inline std::optional<app::Row> NoteRow(app::StoreReader& store, const NoteProjector& projector,
                                       const std::string& id) {
  auto row = store.GetRow(projector.Notes(), app::Row{id});
  EXPECT_TRUE(row) << row.error().ToString();
  return row ? *row : std::nullopt;
}

// Checks numbering, chain, hashes and time order the way `aliquot verify` does.
inline Status VerifyChain(const std::vector<ledger::Event>& events) {
  const auto key = Ed25519SigningKey::FromSeed({});
  ledger::LedgerVerifier verifier(key.PublicKey(), {});
  for (const ledger::Event& event : events) ALIQUOT_RETURN_IF_ERROR(verifier.Add(event));
  ALIQUOT_RETURN_IF_ERROR(verifier.Finish());
  return {};
}

// After a refused request on a store that held one event, `kept` (note n-1 "kept"), with head
// `before`: nothing of the request is stored (no note n-2), the head is unchanged, and the next
// append links to the kept event and the chain verifies.
inline void ExpectNothingOfTheRefusedRequestAndTheChainGoesOn(
    app::Store& store, const NoteProjector& projector, const std::vector<ledger::Event>& kept,
    const app::LedgerHead& before) {
  EXPECT_EQ(AllEvents(store), kept);
  EXPECT_EQ(NoteRow(store, projector, "n-1"), NoteValues("n-1", "kept", 1));
  EXPECT_EQ(NoteRow(store, projector, "n-2"), std::nullopt);
  auto head = store.Head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->size, before.size);
  EXPECT_EQ(head->head_hash, before.head_hash);
  EXPECT_EQ(head->root_hash, before.root_hash);

  auto next = store.Append(Request({Note("n-2", "after")}));
  ASSERT_TRUE(next) << next.error().ToString();
  EXPECT_EQ(next->front().seq, 2u);
  EXPECT_EQ(next->front().prev_hash, kept.front().hash);
  EXPECT_EQ(NoteRow(store, projector, "n-2"), NoteValues("n-2", "after", 1));
  EXPECT_EQ(Describe(VerifyChain(AllEvents(store))), "ok");
}

}  // namespace aliquot::testing
