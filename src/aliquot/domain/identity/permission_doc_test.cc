// Keeps docs/identity.md true to the code: its role table and its permission table are generated
// here from kAllRoles and Actions() and compared with the text between the document's markers, so
// the documented table is the one the authorisation check and GET /api/v1/roles use (P11-07).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/role.h"
#include "tests/support/temp_dir.h"

namespace aliquot::identity {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// The kind as GET /api/v1/roles names it.
std::string_view KindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kSelfService:
      return "self_service";
    case ActionKind::kRead:
      return "read";
    case ActionKind::kAdministration:
      return "administration";
    case ActionKind::kGmp:
      return "gmp";
  }
  return "read";
}

std::string Row(const std::vector<std::string>& cells) {
  std::string row = "|";
  for (const std::string& cell : cells) row += " " + cell + " |";
  return row + "\n";
}

std::string RoleTable() {
  std::string table = Row({"Role", "Title", "Works on GMP records"});
  table += Row({"---", "---", "---"});
  for (Role role : kAllRoles) {
    table += Row({"`" + std::string(RoleName(role)) + "`", std::string(RoleTitle(role)),
                  IsGmpRole(role) ? "yes" : "no"});
  }
  return table;
}

// One row per action, one column per role: "x" where the role may perform the action.
std::string PermissionTable() {
  std::vector<std::string> header{"Action", "Kind", "What it allows"};
  std::vector<std::string> rule{"---", "---", "---"};
  for (Role role : kAllRoles) {
    header.push_back("`" + std::string(RoleName(role)) + "`");
    rule.emplace_back(":-:");
  }
  std::string table = Row(header) + Row(rule);
  for (const ActionDefinition& definition : Actions()) {
    std::vector<std::string> cells{"`" + std::string(definition.name) + "`",
                                   std::string(KindName(definition.kind)),
                                   std::string(definition.description)};
    for (Role role : kAllRoles) cells.emplace_back(definition.roles.Contains(role) ? "x" : "");
    table += Row(cells);
  }
  return table;
}

// The text between "<!-- NAME:begin -->\n" and "<!-- NAME:end -->" in `doc`, or "" if either
// marker is missing.
std::string Between(const std::string& doc, const std::string& name) {
  const std::string begin = "<!-- " + name + ":begin -->\n";
  const std::string end = "<!-- " + name + ":end -->";
  const std::size_t from = doc.find(begin);
  if (from == std::string::npos) return "";
  const std::size_t to = doc.find(end, from + begin.size());
  if (to == std::string::npos) return "";
  return doc.substr(from + begin.size(), to - from - begin.size());
}

class IdentityDoc : public ::testing::Test {
 protected:
  void SetUp() override {
    doc_ = ReadFile(testing::SourceDir() / "docs" / "identity.md");
    ASSERT_FALSE(doc_.empty()) << "cannot read docs/identity.md";
  }
  std::string doc_;
};

// Verifies P11-07: the permission table the documentation shows is the one the code enforces.
TEST_F(IdentityDoc, PermissionTableIsTheOneTheCodeEnforces) {
  EXPECT_EQ(Between(doc_, "permission-table"), PermissionTable())
      << "docs/identity.md's permission table differs from permission.cc; between its markers "
         "it should read:\n"
      << PermissionTable();
}

TEST_F(IdentityDoc, RoleTableIsTheOneTheCodeKnows) {
  EXPECT_EQ(Between(doc_, "role-table"), RoleTable())
      << "docs/identity.md's role table differs from role.cc; between its markers it should "
         "read:\n"
      << RoleTable();
}

TEST(IdentityDocTable, ThePermissionTableHasAColumnPerRoleAndARowPerAction) {
  // Guards the generator itself: a table that lost a row or column would still equal its copy.
  const std::string table = PermissionTable();
  std::size_t lines = 0;
  for (char c : table) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, Actions().size() + 2);
  const std::string first = table.substr(0, table.find('\n'));
  std::size_t bars = 0;
  for (char c : first) bars += c == '|' ? 1 : 0;
  EXPECT_EQ(bars, kAllRoles.size() + 4);
  EXPECT_NE(table.find("| `user.approve_access` | gmp |"), std::string::npos);
}

}  // namespace
}  // namespace aliquot::identity
