#include "aliquot/app/projection.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/core/json.h"
#include "aliquot/ledger/event.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::testing::HasSubstr;

// "ok", or the error: an assertion on it prints what went wrong.
// Stock levels per (material, lot number): a composite key of text and integer.
TableSpec StockTable() {
  return {"stock",
          {{"material", ColumnType::kText},
           {"lot", ColumnType::kInteger},
           {"quantity", ColumnType::kReal},
           {"note", ColumnType::kText, /*nullable=*/true}},
          2};
}

Row Stock(std::string material, std::int64_t lot, double quantity, Value note = {}) {
  return {std::move(material), lot, quantity, std::move(note)};
}

TEST(ProjectionModel, GetReturnsTheRowUpsertedUnderItsKey) {
  const TableSpec table = StockTable();
  ProjectionModel model;
  ASSERT_EQ(Describe(model.Upsert(table, Stock("ethanol", 7, 2.5, std::string("shelf B")))), "ok");
  auto found = model.Get(table, {std::string("ethanol"), std::int64_t{7}});
  ASSERT_EQ(Describe(found), "ok");
  EXPECT_EQ(*found, Stock("ethanol", 7, 2.5, std::string("shelf B")));

  auto other_lot = model.Get(table, {std::string("ethanol"), std::int64_t{8}});
  ASSERT_TRUE(other_lot);
  EXPECT_EQ(*other_lot, std::nullopt);
  TableSpec empty_table = StockTable();
  empty_table.name = "stock_history";
  auto other_table = model.Get(empty_table, {std::string("ethanol"), std::int64_t{7}});
  ASSERT_TRUE(other_table);
  EXPECT_EQ(*other_table, std::nullopt);
}

TEST(ProjectionModel, UpsertReplacesTheRowWithTheSameKey) {
  const TableSpec table = StockTable();
  ProjectionModel model;
  ASSERT_TRUE(model.Upsert(table, Stock("ethanol", 7, 2.5, std::string("shelf B"))));
  ASSERT_TRUE(model.Upsert(table, Stock("ethanol", 7, 1.0)));
  EXPECT_EQ(model.Rows(table), std::vector<Row>{Stock("ethanol", 7, 1.0)});
}

TEST(ProjectionModel, DeleteRemovesOnlyThatRow) {
  const TableSpec table = StockTable();
  ProjectionModel model;
  ASSERT_TRUE(model.Upsert(table, Stock("ethanol", 7, 2.5)));
  ASSERT_TRUE(model.Upsert(table, Stock("ethanol", 8, 3.5)));
  ASSERT_EQ(Describe(model.Delete(table, {std::string("ethanol"), std::int64_t{7}})), "ok");
  EXPECT_EQ(model.Rows(table), std::vector<Row>{Stock("ethanol", 8, 3.5)});
  // Deleting what is not there changes nothing and is no error.
  ASSERT_EQ(Describe(model.Delete(table, {std::string("ethanol"), std::int64_t{7}})), "ok");
  EXPECT_EQ(model.Rows(table), std::vector<Row>{Stock("ethanol", 8, 3.5)});
}

TEST(ProjectionModel, RowsComeInPrimaryKeyOrder) {
  const TableSpec table = StockTable();
  ProjectionModel model;
  for (const Row& row : {Stock("glucose", 1, 1), Stock("ethanol", 10, 2), Stock("ethanol", -3, 3),
                         Stock("Ethanol", 2, 4), Stock("ethanol", 2, 5)}) {
    ASSERT_TRUE(model.Upsert(table, row));
  }
  EXPECT_EQ(model.Rows(table), (std::vector<Row>{Stock("Ethanol", 2, 4), Stock("ethanol", -3, 3),
                                                 Stock("ethanol", 2, 5), Stock("ethanol", 10, 2),
                                                 Stock("glucose", 1, 1)}));
  EXPECT_TRUE(model.Rows(TableSpec{"unknown", {{"id", ColumnType::kText}}, 1}).empty());
}

TEST(ProjectionModel, RefusesRowsThatDoNotFitTheTableAndKeepsNothingOfThem) {
  const TableSpec table = StockTable();
  ProjectionModel model;
  auto upserted = model.Upsert(table, {std::string("ethanol"), std::int64_t{7}, 2.5});
  ASSERT_FALSE(upserted);
  EXPECT_EQ(upserted.error().Code(), ErrorCode::kInternal);
  upserted = model.Upsert(table, {std::string("ethanol"), std::string("7"), 2.5, Value{}});
  ASSERT_FALSE(upserted);
  EXPECT_TRUE(model.Rows(table).empty());

  auto got = model.Get(table, {std::string("ethanol")});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().Code(), ErrorCode::kInternal);
  auto deleted = model.Delete(table, {std::int64_t{7}, std::string("ethanol")});
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().Code(), ErrorCode::kInternal);
}

TEST(CheckRow, AcceptsARowOfTheColumnsTypesWithNullOnlyWhereAllowed) {
  const TableSpec table = StockTable();
  EXPECT_EQ(Describe(CheckRow(table, Stock("ethanol", 7, 2.5), 4)), "ok");
  EXPECT_EQ(Describe(CheckRow(table, Stock("ethanol", 7, 2.5, std::string("shelf B")), 4)), "ok");
  // A key alone is checked against the key columns.
  EXPECT_EQ(Describe(CheckRow(table, {std::string("ethanol"), std::int64_t{7}}, 2)), "ok");
}

TEST(CheckRow, RefusesTheWrongNumberOfValues) {
  auto checked = CheckRow(StockTable(), {std::string("ethanol"), std::int64_t{7}, 2.5}, 4);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().Code(), ErrorCode::kInternal);
  EXPECT_EQ(checked.error().Message(), "projection stock: row has 3 values, expected 4");
}

TEST(CheckRow, RefusesAValueOfAnotherTypeNamingTheColumn) {
  const TableSpec table = StockTable();
  struct Case {
    Row row;
    std::string message;
  };
  const std::vector<Case> cases{
      {{std::int64_t{1}, std::int64_t{7}, 2.5, Value{}}, "column material expects text, got 1"},
      {{std::string("ethanol"), 7.0, 2.5, Value{}}, "column lot expects integer, got 7"},
      {{std::string("ethanol"), std::int64_t{7}, std::int64_t{2}, Value{}},
       "column quantity expects real, got 2"},
      {{std::string("ethanol"), std::int64_t{7}, std::string("2.5"), Value{}},
       "column quantity expects real, got \"2.5\""},
      {{std::string("ethanol"), std::int64_t{7}, 2.5, std::int64_t{0}},
       "column note expects text, got 0"},
  };
  for (const Case& c : cases) {
    auto checked = CheckRow(table, c.row, 4);
    ASSERT_FALSE(checked) << c.message;
    EXPECT_EQ(checked.error().Code(), ErrorCode::kInternal);
    EXPECT_EQ(checked.error().Message(), "projection stock: " + c.message);
  }
}

TEST(CheckRow, RefusesNullInAKeyOrANonNullableColumn) {
  TableSpec table = StockTable();
  auto checked = CheckRow(table, {std::string("ethanol"), std::int64_t{7}, Value{}, Value{}}, 4);
  ASSERT_FALSE(checked);
  EXPECT_THAT(checked.error().Message(), HasSubstr("column quantity expects real, got NULL"));

  // Even a nullable key column: a primary key has no NULLs.
  table.columns[1].nullable = true;
  checked = CheckRow(table, {std::string("ethanol"), Value{}}, 2);
  ASSERT_FALSE(checked);
  EXPECT_THAT(checked.error().Message(), HasSubstr("column lot expects integer, got NULL"));
}

TEST(ValueToString, WritesNullNumbersAndQuotedText) {
  EXPECT_EQ(ValueToString(Value{}), "NULL");
  EXPECT_EQ(ValueToString(std::int64_t{-42}), "-42");
  EXPECT_EQ(ValueToString(2.5), "2.5");
  EXPECT_EQ(ValueToString(1e21), "1e+21");
  EXPECT_EQ(ValueToString(std::string("shelf \"B\"\n")), "\"shelf \\\"B\\\"\\n\"");
}

// A projector that appends its name to a log row and records the log it saw, so the order in
// which a CompositeProjector runs its parts shows in the tables.
const TableSpec& LogTable() {
  static const TableSpec kTable{"log", {{"id", ColumnType::kText}, {"text", ColumnType::kText}}, 1};
  return kTable;
}

class LoggingProjector final : public Projector {
 public:
  LoggingProjector(std::string name, std::vector<TableSpec> tables, bool fail = false)
      : name_(std::move(name)), tables_(std::move(tables)), fail_(fail) {}
  const std::vector<TableSpec>& Tables() const override { return tables_; }
  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    if (fail_) return Unexpected(DataLoss(name_ + " refuses seq " + std::to_string(event.seq)));
    ALIQUOT_ASSIGN_OR_RETURN(std::optional<Row> log, writer.Get(LogTable(), {std::string("all")}));
    std::string text = log ? std::get<std::string>((*log)[1]) : "";
    text += (text.empty() ? "" : ",") + name_ + "@" + std::to_string(event.seq);
    return writer.Upsert(LogTable(), {std::string("all"), text});
  }

 private:
  std::string name_;
  std::vector<TableSpec> tables_;
  bool fail_;
};

ledger::Event EventNumber(std::uint64_t seq) {
  ledger::Event event;
  event.seq = seq;
  event.stream = {"sample", "S-1"};
  event.event_type = "sample.noted";
  event.payload = "{}";
  return event;
}

std::unique_ptr<CompositeProjector> Compose(
    const std::vector<std::pair<std::string, bool>>& parts) {
  std::vector<std::unique_ptr<Projector>> projectors;
  for (auto& [name, fail] : parts) {
    TableSpec own{name + "_table", {{"id", ColumnType::kText}}, 1};
    projectors.push_back(
        std::make_unique<LoggingProjector>(name, std::vector<TableSpec>{std::move(own)}, fail));
  }
  return std::make_unique<CompositeProjector>(std::move(projectors));
}

TEST(CompositeProjector, AppliesItsPartsInOrderForEachEvent) {
  const auto composite = Compose({{"quality", false}, {"batches", false}, {"system", false}});
  ProjectionModel model;
  ASSERT_EQ(Describe(composite->Apply(EventNumber(1), model)), "ok");
  ASSERT_EQ(Describe(composite->Apply(EventNumber(2), model)), "ok");
  EXPECT_EQ(model.Rows(LogTable()),
            (std::vector<Row>{
                {std::string("all"),
                 std::string("quality@1,batches@1,system@1,quality@2,batches@2,system@2")}}));
}

TEST(CompositeProjector, StopsAtTheFirstPartThatFails) {
  const auto composite = Compose({{"quality", false}, {"batches", true}, {"system", false}});
  ProjectionModel model;
  auto applied = composite->Apply(EventNumber(5), model);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error(), DataLoss("batches refuses seq 5"));
  EXPECT_EQ(model.Rows(LogTable()),
            (std::vector<Row>{{std::string("all"), std::string("quality@5")}}));
}

TEST(CompositeProjector, ListsEveryPartsTablesInOrder) {
  const auto composite = Compose({{"quality", false}, {"batches", false}});
  std::vector<std::string> names;
  for (const TableSpec& table : composite->Tables()) names.push_back(table.name);
  EXPECT_EQ(names, (std::vector<std::string>{"quality_table", "batches_table"}));
}

TEST(ProjectionSchemaFingerprint, IsStableForTheSameDefinitions) {
  EXPECT_EQ(ProjectionSchemaFingerprint({StockTable(), LogTable()}),
            ProjectionSchemaFingerprint({StockTable(), LogTable()}));
  EXPECT_EQ(ProjectionSchemaFingerprint({StockTable()}).size(), 64u);
}

TEST(ProjectionSchemaFingerprint, ChangesWhenAnyPartOfADefinitionChanges) {
  const std::string original = ProjectionSchemaFingerprint({StockTable(), LogTable()});
  struct Change {
    std::string what;
    std::vector<TableSpec> tables;
  };
  std::vector<Change> changes;
  const auto changed = [&](std::string what, auto edit) {
    TableSpec stock = StockTable();
    edit(stock);
    changes.push_back({std::move(what), {stock, LogTable()}});
  };
  changed("table name", [](TableSpec& t) { t.name = "stocks"; });
  changed("column name", [](TableSpec& t) { t.columns[2].name = "amount"; });
  changed("column type", [](TableSpec& t) { t.columns[2].type = ColumnType::kInteger; });
  changed("nullability", [](TableSpec& t) { t.columns[3].nullable = false; });
  changed("key columns", [](TableSpec& t) { t.key_columns = 1; });
  changed("column order", [](TableSpec& t) { std::swap(t.columns[2], t.columns[3]); });
  changed("added column", [](TableSpec& t) { t.columns.push_back({"unit", ColumnType::kText}); });
  changes.push_back({"table order", {LogTable(), StockTable()}});
  changes.push_back({"table removed", {StockTable()}});
  for (const Change& change : changes) {
    EXPECT_NE(ProjectionSchemaFingerprint(change.tables), original) << change.what;
  }
}

// What verify relies on: the in-memory model and the SQLite tables hold the same values and
// list the rows in the same order.
class StockProjector final : public Projector {
 public:
  const std::vector<TableSpec>& Tables() const override { return tables_; }
  Status Apply(const ledger::Event& event, ProjectionWriter& writer) const override {
    ALIQUOT_ASSIGN_OR_RETURN(Json payload, ParseJson(event.payload));
    const Json* note = payload.Find("note");
    return writer.Upsert(
        tables_[0], Stock(payload.Find("material")->AsString(), *payload.Find("lot")->AsInteger(),
                          payload.Find("quantity")->AsNumber(),
                          note != nullptr ? Value(note->AsString()) : Value()));
  }

 private:
  std::vector<TableSpec> tables_{StockTable()};
};

TEST(ProjectionModel, HoldsTheSameRowsInTheSameOrderAsTheSqliteStore) {
  testing::TempDir dir;
  testing::FakeClock clock;
  const StockProjector projector;
  storage::SqliteStoreOptions options;
  options.path = (dir / "aliquot.db").string();
  options.mode = storage::OpenMode::kReadWriteCreate;
  auto store = storage::SqliteStore::Open(options, clock, projector);
  ASSERT_EQ(Describe(store), "ok");

  AppendRequest request;
  const auto add = [&](const std::string& material, std::int64_t lot, double quantity,
                       std::optional<std::string> note = std::nullopt) {
    ledger::NewEvent event;
    event.stream = {"stock", material};
    event.event_type = "stock.counted";
    event.payload.Set("material", material);
    event.payload.Set("lot", lot);
    event.payload.Set("quantity", quantity);
    if (note) event.payload.Set("note", *note);
    event.actor = {"u-1", "Rosalind Franklin"};
    event.terminal = "store-room";
    request.events.push_back(std::move(event));
  };
  add("ethanol", 10, 0.1);
  add("Ethanol", 2, 1e300, "upper case sorts first");
  add("\xC3\x89thanol", 1, -2.5, "non-ASCII sorts after ASCII, byte by byte");
  add("ethanol", -3, 3, "negative lot");
  add("ethanol", 2, 0);
  add("glucose", 1, 12.75);
  add("ethanol", 10, 0.2, "replaces the first");
  auto appended = (*store)->Append(request);
  ASSERT_EQ(Describe(appended), "ok");

  ProjectionModel model;
  for (const ledger::Event& event : *appended) {
    ASSERT_EQ(Describe(projector.Apply(event, model)), "ok");
  }
  std::vector<Row> scanned;
  const auto collect = [&](const Row& row) -> Status {
    scanned.push_back(row);
    return {};
  };
  ASSERT_EQ(Describe((*store)->ScanRows(StockTable(), collect)), "ok");
  EXPECT_EQ(model.Rows(StockTable()).size(), 6u);
  EXPECT_EQ(scanned, model.Rows(StockTable()));
}

}  // namespace
}  // namespace aliquot::app
