#include "aliquot/domain/system/installation.h"

#include <gtest/gtest.h>

namespace aliquot::system {
namespace {

InitialiseCommand Command() {
  return {"Leiden Cell Therapy Unit", std::string(64, 'a'), "0.1.0", "server:test"};
}

TEST(Installation, InitialiseOpensTheLedgerWithTheSiteAndKey) {
  auto event = Initialise({}, Command());
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event->event_type, "system.initialised");
  EXPECT_EQ(event->stream, InstallationStream());
  EXPECT_EQ(event->payload.Find("site_name")->AsString(), "Leiden Cell Therapy Unit");
  EXPECT_TRUE(ledger::ValidateNewEvent(*event));
}

TEST(Installation, RefusesASecondInitialisation) {
  auto event = Initialise({.initialised = true}, Command());
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kAlreadyExists);
}

TEST(Installation, RefusesAnEmptySiteName) {
  InitialiseCommand command = Command();
  command.site_name.clear();
  auto event = Initialise({}, command);
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Field(), "site_name");
}

// A11-05: a restart after a crash is on the record.
TEST(Installation, AStartAfterAnUncleanEndSaysSo) {
  const ServerStart start{"0.1.0", "127.0.0.1:1", "t", "mes-01:/srv/aliquot"};
  auto clean = ServerStarted({.initialised = true}, start);
  auto unclean =
      ServerStarted({.initialised = true, .running_servers = {"mes-01:/srv/aliquot"}}, start);
  ASSERT_TRUE(clean && unclean);
  EXPECT_TRUE(clean->payload.Find("previous_run_ended_cleanly")->AsBool());
  EXPECT_FALSE(unclean->payload.Find("previous_run_ended_cleanly")->AsBool());
  EXPECT_EQ(unclean->payload.Find("server_id")->AsString(), "mes-01:/srv/aliquot");
}

TEST(Installation, AnotherServerRunningOnTheSameDatabaseIsNotAnUncleanEnd) {
  auto second = ServerStarted({.initialised = true, .running_servers = {"mes-01:/srv/aliquot"}},
                              {"0.1.0", "127.0.0.1:1", "t", "mes-02:/srv/aliquot"});
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->payload.Find("previous_run_ended_cleanly")->AsBool());
}

TEST(Installation, RefusesToStartBeforeInitialisation) {
  auto event = ServerStarted({}, {"0.1.0", "127.0.0.1:1", "t", "mes-01:/srv/aliquot"});
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kFailedPrecondition);
}

TEST(Installation, RefusesAStopOfAServerThatIsNotRunning) {
  auto event = ServerStopped({.initialised = true, .running_servers = {"mes-02:/srv/aliquot"}},
                             "mes-01:/srv/aliquot", "SIGTERM", "t");
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(event.error().Message().find("mes-01:/srv/aliquot"), std::string::npos);
}

}  // namespace
}  // namespace aliquot::system
