// Identity through the HTTP API of a real server: signing in with bad input, unknown terminals
// and malformed credentials, each refused with a stable code naming the field at fault; lockout;
// electronic signatures (re-authentication every time, the manifestation shown, the link to the
// record's content); terminal restrictions and the terminal on every event; and a restart, after
// which accounts and signatures remain and every session has ended. Every test runs on both
// engines (tests/api/site.h).

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "aliquot/core/json.h"
#include "tests/api/site.h"

namespace aliquot {
namespace {

using testing::Body;
using testing::Engine;
using testing::Headers;
using testing::HttpResponse;
using testing::IntegerMember;
using testing::ParseOrFail;
using testing::Session;
using testing::StringMember;

// A well-formed terminal token that no terminal was issued.
const std::string kUnknownToken(64, 'a');

// The error body of `response`, which must have `status`, with `code` and `field`.
void ExpectError(const HttpResponse& response, int status, const std::string& code,
                 const std::string& field, const std::string& context) {
  EXPECT_EQ(response.status, status) << context << ": " << response.body;
  const Json body = ParseOrFail(response.body);
  EXPECT_EQ(StringMember(body, "code"), code) << context << ": " << response.body;
  EXPECT_EQ(StringMember(body, "field"), field) << context << ": " << response.body;
  EXPECT_FALSE(StringMember(body, "message").empty()) << context << ": " << response.body;
}

// An error body without its request id, which differs between any two requests.
std::string WithoutRequestId(const std::string& body) {
  Json json = ParseOrFail(body);
  if (!json.IsObject()) return body;
  Json::Object kept;
  for (auto& [name, value] : json.AsObject()) {
    if (name != "request_id") kept.emplace_back(name, value);
  }
  return CanonicalJson(Json(std::move(kept)));
}

class IdentityApiTest : public testing::ServedSiteTest {
 protected:
  HttpResponse Send(const std::string& method, const std::string& target, const Headers& headers,
                    const std::string& body = "") const {
    return server_->Request(method, target, headers, body);
  }

  HttpResponse AsAdmin(const std::string& method, const std::string& target,
                       const std::string& body = "") const {
    return Send(method, target, admin_.Credentials(), body);
  }

  // POST /api/v1/session from the console with `body`.
  HttpResponse SignInWith(const std::string& body) const {
    return Send("POST", "/api/v1/session", testing::TerminalHeader(console_), body);
  }

  // A new account holding `role` at LEI, its temporary password changed to `password`, signed in
  // on the terminal whose token is `terminal` (the console unless given).
  Session NewPerson(const std::string& user_id, const std::string& printed_name,
                    const std::string& role, const std::string& password,
                    std::string terminal = "") {
    if (terminal.empty()) terminal = console_;
    const std::string temporary =
        testing::CreateUser(*server_, admin_, user_id, printed_name, "LEI", {role});
    if (temporary.empty()) return {};
    return testing::FirstSignIn(*server_, user_id, temporary, password, terminal);
  }

  // GET /api/v1/users/{id} as the administrator.
  Json User(const std::string& user_id) const {
    const HttpResponse response = AsAdmin("GET", "/api/v1/users/" + user_id);
    EXPECT_EQ(response.status, 200) << response.body;
    return ParseOrFail(response.body);
  }

  // Registers a workstation at LEI as the administrator and returns its token.
  std::string RegisterWorkstation(const std::string& id) const {
    const HttpResponse response = AsAdmin("POST", "/api/v1/terminals",
                                          Body({{"terminal_id", id},
                                                {"site", "LEI"},
                                                {"name", "QA office workstation"},
                                                {"location", "QA office, first floor"},
                                                {"kind", "workstation"}}));
    EXPECT_EQ(response.status, 201) << response.body;
    return StringMember(ParseOrFail(response.body), "token");
  }

  // POST /api/v1/records/user/{id}/signatures in `session`, over the content it reads first.
  HttpResponse SignAccess(const Session& session, const std::string& user_id,
                          const std::string& meaning, const std::string& password,
                          const std::string& comment = "Role matches the job description") const {
    const std::string target = "/api/v1/records/user/" + user_id + "/signatures";
    const HttpResponse shown = Send("GET", target, session.Credentials());
    EXPECT_EQ(shown.status, 200) << shown.body;
    return Send("POST", target, session.Credentials(),
                Body({{"meaning", meaning},
                      {"content_hash", StringMember(ParseOrFail(shown.body), "content_hash")},
                      {"password", password},
                      {"comment", comment}}));
  }

  // Every event of the ledger, read as the administrator.
  std::vector<Json> AllEvents() const {
    return testing::LedgerEvents(*server_, admin_.Credentials());
  }
};

INSTANTIATE_TEST_SUITE_P(, IdentityApiTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         testing::EngineName);

TEST_P(IdentityApiTest, SignInRefusesMalformedRequestsNamingTheField) {
  const std::string password = kAdminPassword;
  const struct {
    const char* what;
    std::string body;
    std::string field;
  } cases[] = {
      {"no body", "", "body"},
      {"malformed JSON", "{\"user_name\":", "body"},
      {"not an object", "[\"sam\"]", "body"},
      {"no user_name", Body({{"password", password}}), "user_name"},
      {"user_name not a string", Body({{"user_name", 7}, {"password", password}}), "user_name"},
      {"empty user_name", Body({{"user_name", ""}, {"password", password}}), "user_name"},
      {"user_name of 65 characters",
       Body({{"user_name", std::string(65, 's')}, {"password", password}}), "user_name"},
      {"no password", Body({{"user_name", "sam"}}), "password"},
      {"password of 257 bytes", Body({{"user_name", "sam"}, {"password", std::string(257, 'p')}}),
       "password"},
      // A misspelt member is refused, not ignored.
      {"unknown member",
       Body({{"user_name", "sam"}, {"password", password}, {"pasword", password}}), "pasword"},
  };
  for (const auto& test : cases) {
    ExpectError(SignInWith(test.body), 400, "invalid_argument", test.field, test.what);
  }
  // None of them signed anyone in, nor counted against the account.
  EXPECT_EQ(IntegerMember(User("sam"), "failed_attempts"), 0);
}

// Verifies P11-08: sign-in and every request come from a registered terminal.
TEST_P(IdentityApiTest, RequestsWithoutARegisteredTerminalAreUnauthenticatedNamingTheHeader) {
  const std::string body = Body({{"user_name", "sam"}, {"password", kAdminPassword}});
  for (const auto& [what, headers] : std::vector<std::pair<std::string, Headers>>{
           {"no terminal header", {}},
           {"a malformed token", testing::TerminalHeader("not-a-token")},
           {"a token no terminal was issued", testing::TerminalHeader(kUnknownToken)}}) {
    ExpectError(Send("POST", "/api/v1/session", headers, body), 401, "unauthenticated",
                "X-Aliquot-Terminal", "sign-in with " + what);
    Headers with_session = headers;
    with_session.emplace_back("Authorization", "Bearer " + admin_.token);
    ExpectError(Send("GET", "/api/v1/session", with_session), 401, "unauthenticated",
                "X-Aliquot-Terminal", "a session with " + what);
  }
}

// Verifies P11-04: every route but sign-in needs a session, sent as a bearer token.
TEST_P(IdentityApiTest, AMissingOrMalformedAuthorizationIsUnauthenticatedNamingIt) {
  for (const std::string& authorization :
       {std::string(""), std::string("Basic c2FtOnNlY3JldA=="), std::string("Bearer"),
        std::string("Bearer short"), "Bearer " + admin_.token.substr(1),
        "Bearer " + kUnknownToken}) {
    Headers headers = testing::TerminalHeader(console_);
    if (!authorization.empty()) headers.emplace_back("Authorization", authorization);
    for (const char* target : {"/api/v1/session", "/api/v1/users"}) {
      ExpectError(Send("GET", target, headers), 401, "unauthenticated", "Authorization",
                  std::string(target) + " with Authorization '" + authorization + "'");
    }
  }
  EXPECT_EQ(Send("GET", "/api/v1/session", admin_.Credentials()).status, 200);
  // RFC 9110 section 11.1: the scheme is case-insensitive.
  Headers lower_case = testing::TerminalHeader(console_);
  lower_case.emplace_back("Authorization", "bearer " + admin_.token);
  EXPECT_EQ(Send("GET", "/api/v1/session", lower_case).status, 200);
}

// Verifies P11-15: a sign-in says nothing about which user names exist.
TEST_P(IdentityApiTest, AnUnknownUserAndAWrongPasswordAreRefusedInTheSameWords) {
  const HttpResponse unknown =
      SignInWith(Body({{"user_name", "nobody"}, {"password", "Some-password-1"}}));
  const HttpResponse wrong =
      SignInWith(Body({{"user_name", "sam"}, {"password", "Some-password-1"}}));
  ExpectError(unknown, 401, "unauthenticated", "credentials", "unknown user");
  EXPECT_EQ(wrong.status, unknown.status);
  EXPECT_EQ(WithoutRequestId(wrong.body), WithoutRequestId(unknown.body));
  EXPECT_EQ(wrong.body.find("nobody"), std::string::npos) << wrong.body;
  EXPECT_EQ(unknown.body.find("nobody"), std::string::npos) << unknown.body;
}

// Verifies P11-15: five wrong passwords in a row lock the account, with an alert on the record;
// its open session ends, the right password no longer signs in, and the administrator sees when
// it was locked.
TEST_P(IdentityApiTest, FiveWrongPasswordsLockTheAccountAndEndItsSession) {
  const Session session = NewPerson("olga", "Olga Okafor", "operator", "Cleanroom-Suite-2");
  ASSERT_FALSE(session.token.empty());
  EXPECT_TRUE(User("olga").Find("locked_at")->IsNull());

  for (int attempt = 1; attempt <= 5; ++attempt) {
    const HttpResponse refused = SignInWith(
        Body({{"user_name", "olga"}, {"password", "Guessed-password-" + std::to_string(attempt)}}));
    // The attempt that locks reads as every other wrong password.
    ExpectError(refused, 401, "unauthenticated", "credentials",
                "attempt " + std::to_string(attempt));
  }
  const Json user = User("olga");
  EXPECT_EQ(IntegerMember(user, "failed_attempts"), 5) << CanonicalJson(user);
  ASSERT_NE(user.Find("locked_at"), nullptr);
  EXPECT_TRUE(user.Find("locked_at")->IsString()) << CanonicalJson(user);

  ExpectError(Send("GET", "/api/v1/session", session.Credentials()), 401, "unauthenticated",
              "Authorization", "the locked account's session");
  ExpectError(SignInWith(Body({{"user_name", "olga"}, {"password", "Cleanroom-Suite-2"}})), 403,
              "permission_denied", "user", "the right password on a locked account");

  int alerts = 0;
  for (const Json& event : AllEvents()) {
    if (StringMember(event, "event_type") != "identity.account_locked") continue;
    ++alerts;
    EXPECT_EQ(StringMember(*event.Find("payload"), "user_id"), "olga") << CanonicalJson(event);
    EXPECT_EQ(*event.Find("payload")->Find("alert"), Json(true)) << CanonicalJson(event);
  }
  EXPECT_EQ(alerts, 1);
}

// Verifies P11-14 and A11-06: every signing re-enters the password, even in a session that has
// just signed; a wrong one is refused naming the password and counts towards the lock.
TEST_P(IdentityApiTest, SigningReentersThePasswordEveryTimeAndAWrongOneIsCounted) {
  const Session anna = NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1");
  ASSERT_FALSE(anna.token.empty());
  ASSERT_FALSE(NewPerson("oliver", "Oliver Okafor", "operator", "Cleanroom-Suite-1").token.empty());
  ASSERT_FALSE(NewPerson("vera", "Vera Visser", "verifier", "Second-Person-1").token.empty());

  EXPECT_EQ(SignAccess(anna, "oliver", "approved", "Release-Approver-1").status, 201);
  // The next signing in the same session needs the password again.
  const std::string target = "/api/v1/records/user/vera/signatures";
  const std::string hash =
      StringMember(ParseOrFail(Send("GET", target, anna.Credentials()).body), "content_hash");
  ExpectError(Send("POST", target, anna.Credentials(),
                   Body({{"meaning", "approved"}, {"content_hash", hash}})),
              400, "invalid_argument", "password", "signing without the password");
  ExpectError(SignAccess(anna, "vera", "approved", "Release-Approver-2"), 401, "unauthenticated",
              "password", "signing with a wrong password");
  EXPECT_EQ(IntegerMember(User("anna"), "failed_attempts"), 1);
  const Json vera = User("vera");
  ASSERT_NE(vera.Find("signatures"), nullptr) << CanonicalJson(vera);
  EXPECT_TRUE(vera.Find("signatures")->AsArray().empty()) << CanonicalJson(vera);

  // The right password signs, and clears the count.
  EXPECT_EQ(SignAccess(anna, "vera", "approved", "Release-Approver-1").status, 201);
  EXPECT_EQ(IntegerMember(User("anna"), "failed_attempts"), 0);
}

// Verifies P11-11, P11-12 and A11-03: an approval of a user's access is shown with the signer's
// printed name, the date and time and the meaning, and stays linked to the content it was made
// over: once the administrator changes the user's roles it no longer counts for the account.
TEST_P(IdentityApiTest, AnAccessApprovalShowsItsManifestationAndLapsesWhenTheRolesChange) {
  const Session anna = NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1");
  ASSERT_FALSE(anna.token.empty());
  ASSERT_FALSE(NewPerson("oliver", "Oliver Okafor", "operator", "Cleanroom-Suite-1").token.empty());

  const HttpResponse signed_response = SignAccess(anna, "oliver", "approved", "Release-Approver-1",
                                                  "Access approved: operator in suite 2");
  ASSERT_EQ(signed_response.status, 201) << signed_response.body;
  const Json signature = ParseOrFail(signed_response.body);

  const Json before = User("oliver");
  ASSERT_NE(before.Find("signatures"), nullptr) << CanonicalJson(before);
  ASSERT_EQ(before.Find("signatures")->AsArray().size(), 1U) << CanonicalJson(before);
  const Json& shown = before.Find("signatures")->AsArray()[0];
  EXPECT_EQ(StringMember(shown, "printed_name"), "Anna Bakker");
  EXPECT_EQ(StringMember(shown, "signer_id"), "anna");
  EXPECT_EQ(StringMember(shown, "meaning"), "approved");
  EXPECT_EQ(StringMember(shown, "comment"), "Access approved: operator in suite 2");
  EXPECT_EQ(StringMember(shown, "signed_at"), StringMember(signature, "signed_at"));
  EXPECT_FALSE(StringMember(shown, "signed_at").empty()) << CanonicalJson(shown);
  EXPECT_EQ(StringMember(shown, "content_hash"), StringMember(before, "content_hash"));
  EXPECT_EQ(*shown.Find("valid"), Json(true)) << CanonicalJson(shown);

  const HttpResponse assigned = AsAdmin(
      "PUT", "/api/v1/users/oliver/roles",
      Body({{"roles", Json::Array{Json(Json::Object{{"site", "LEI"}, {"role", "verifier"}})}},
            {"reason", "Promoted to supervisor"}}));
  ASSERT_EQ(assigned.status, 200) << assigned.body;

  const Json after = User("oliver");
  ASSERT_EQ(after.Find("signatures")->AsArray().size(), 1U) << CanonicalJson(after);
  const Json& lapsed = after.Find("signatures")->AsArray()[0];
  EXPECT_EQ(*lapsed.Find("valid"), Json(false)) << CanonicalJson(lapsed);
  EXPECT_NE(StringMember(after, "content_hash"), StringMember(before, "content_hash"));
  // The signature itself is unchanged: it still names what it was made over.
  EXPECT_EQ(StringMember(lapsed, "content_hash"), StringMember(shown, "content_hash"));
  EXPECT_EQ(StringMember(lapsed, "signed_at"), StringMember(shown, "signed_at"));
  // Through the records route too, for anyone with signature.view.
  const Json record =
      ParseOrFail(Send("GET", "/api/v1/records/user/oliver/signatures", anna.Credentials()).body);
  ASSERT_NE(record.Find("signatures"), nullptr) << CanonicalJson(record);
  EXPECT_EQ(*record.Find("signatures")->AsArray()[0].Find("valid"), Json(false));
}

// Verifies P11-07: nobody approves their own access, whatever their role.
TEST_P(IdentityApiTest, AQaApproverCannotApproveTheirOwnAccess) {
  const Session anna = NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1");
  ASSERT_FALSE(anna.token.empty());
  ExpectError(SignAccess(anna, "anna", "approved", "Release-Approver-1"), 403, "permission_denied",
              "meaning", "approving one's own access");
  EXPECT_TRUE(User("anna").Find("signatures")->AsArray().empty());
}

// Verifies P11-08: a session is bound to the terminal it was opened on, and a restricted
// terminal refuses what it may not be used for, naming the terminal, while the same person may
// do it from another.
TEST_P(IdentityApiTest, ARestrictedTerminalRefusesWhatItMayNotDoNamingTheTerminal) {
  const std::string workstation = RegisterWorkstation("LEI-QA-WS1");
  ASSERT_FALSE(workstation.empty());
  const Session anna =
      NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1", workstation);
  ASSERT_FALSE(anna.token.empty());
  ASSERT_FALSE(NewPerson("oliver", "Oliver Okafor", "operator", "Cleanroom-Suite-1").token.empty());

  // The session's token from another terminal is not a session there.
  Headers elsewhere = anna.Credentials();
  elsewhere[0].second = console_;
  ExpectError(Send("GET", "/api/v1/users", elsewhere), 401, "unauthenticated", "X-Aliquot-Terminal",
              "the workstation's session from the console");

  const HttpResponse restricted =
      AsAdmin("PUT", "/api/v1/terminals/LEI-QA-WS1/restriction",
              Body({{"restricted", true},
                    {"allowed_actions", Json::Array{Json("user.view"), Json("signature.view")}},
                    {"reason", "Review only until the workstation is qualified"}}));
  ASSERT_EQ(restricted.status, 200) << restricted.body;

  EXPECT_EQ(Send("GET", "/api/v1/users", anna.Credentials()).status, 200);
  ExpectError(SignAccess(anna, "oliver", "approved", "Release-Approver-1"), 403,
              "permission_denied", "terminal", "signing on the restricted workstation");
  ExpectError(Send("GET", "/api/v1/terminals", anna.Credentials()), 403, "permission_denied",
              "terminal", "reading terminals on the restricted workstation");
  // Self-service stays allowed, so that nobody is stuck signed in on it.
  EXPECT_EQ(Send("GET", "/api/v1/session", anna.Credentials()).status, 200);

  // The same person signs from the unrestricted console.
  const Session at_console = {testing::SignIn(*server_, "anna", "Release-Approver-1", console_),
                              console_};
  ASSERT_FALSE(at_console.token.empty());
  EXPECT_EQ(SignAccess(at_console, "oliver", "approved", "Release-Approver-1").status, 201);
}

// Verifies AL-03: each event is attributable to a person and the device it came from.
TEST_P(IdentityApiTest, EventsRecordTheTerminalEachActionCameFrom) {
  const std::string workstation = RegisterWorkstation("LEI-QA-WS1");
  ASSERT_FALSE(workstation.empty());
  const Session anna =
      NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1", workstation);
  ASSERT_FALSE(anna.token.empty());
  ASSERT_EQ(SignAccess(anna, "sam", "approved", "Release-Approver-1").status, 201);

  std::vector<std::string> signed_in;  // The terminal of each of anna's sign-ins.
  std::string signature_terminal;
  std::string created_terminal;
  for (const Json& event : AllEvents()) {
    const std::string type = StringMember(event, "event_type");
    const std::string actor = StringMember(*event.Find("actor"), "id");
    if (type == "identity.signed_in" && StringMember(*event.Find("payload"), "user_id") == "anna") {
      EXPECT_EQ(actor, "anna") << CanonicalJson(event);
      signed_in.push_back(StringMember(event, "terminal"));
    } else if (type == "identity.signature_applied") {
      EXPECT_EQ(actor, "anna") << CanonicalJson(event);
      signature_terminal = StringMember(event, "terminal");
    } else if (type == "identity.user_created" &&
               StringMember(*event.Find("payload"), "user_id") == "anna") {
      EXPECT_EQ(actor, "sam") << CanonicalJson(event);
      created_terminal = StringMember(event, "terminal");
    }
  }
  EXPECT_EQ(signed_in, (std::vector<std::string>{"LEI-QA-WS1", "LEI-QA-WS1"}));
  EXPECT_EQ(signature_terminal, "LEI-QA-WS1");
  EXPECT_EQ(created_terminal, "ADMIN-CONSOLE");
}

// Verifies P11-13 and DI-01: a user name belongs to one person for ever, even once deactivated,
// and the administrator's role is never combined with a GMP role.
TEST_P(IdentityApiTest, UserNamesAreNeverReusedAndAdministratorsHoldNoGmpRole) {
  ASSERT_FALSE(testing::CreateUser(*server_, admin_, "oliver", "Oliver Okafor", "LEI", {"operator"})
                   .empty());
  ASSERT_EQ(AsAdmin("POST", "/api/v1/users/oliver/deactivate", Body({{"reason", "Left"}})).status,
            200);
  const Json::Array operator_role{Json(Json::Object{{"site", "LEI"}, {"role", "operator"}})};
  ExpectError(AsAdmin("POST", "/api/v1/users",
                      Body({{"user_id", "oliver"},
                            {"printed_name", "Oliver Other"},
                            {"roles", operator_role}})),
              409, "already_exists", "user_id", "reusing a deactivated user's name");
  ExpectError(
      AsAdmin(
          "POST", "/api/v1/users",
          Body({{"user_id", "root"},
                {"printed_name", "Root Admin"},
                {"roles",
                 Json::Array{Json(Json::Object{{"site", "LEI"}, {"role", "system_administrator"}}),
                             Json(Json::Object{{"site", "LEI"}, {"role", "qa_approver"}})}}})),
      400, "invalid_argument", "roles", "an administrator who approves");
  EXPECT_EQ(AsAdmin("GET", "/api/v1/users/root").status, 404);
}

// Verifies P11-04: accounts and signatures are records that survive a restart; sessions live in
// the server's memory and end with it, so a token from before the restart is refused.
TEST_P(IdentityApiTest, AfterARestartAccountsAndSignaturesRemainAndOldSessionsHaveEnded) {
  const Session anna = NewPerson("anna", "Anna Bakker", "qa_approver", "Release-Approver-1");
  ASSERT_FALSE(anna.token.empty());
  ASSERT_EQ(SignAccess(anna, "sam", "approved", "Release-Approver-1").status, 201);
  const Json users_before = ParseOrFail(AsAdmin("GET", "/api/v1/users").body);
  const Json sam_before = User("sam");

  const auto [status, out] = server_->Stop(SIGTERM);
  EXPECT_TRUE(status.Succeeded()) << status.Describe() << "\n" << out;
  server_.reset();
  ASSERT_NO_FATAL_FAILURE(StartServer());

  for (const Session* session : std::vector<const Session*>{&admin_, &anna}) {
    ExpectError(Send("GET", "/api/v1/session", session->Credentials()), 401, "unauthenticated",
                "Authorization", "a session from before the restart");
  }
  admin_ = {testing::SignIn(*server_, "sam", kAdminPassword, console_), console_};
  ASSERT_FALSE(admin_.token.empty());
  EXPECT_EQ(ParseOrFail(AsAdmin("GET", "/api/v1/users").body), users_before);
  const Json sam_after = User("sam");
  EXPECT_EQ(sam_after.Find("signatures")->AsArray().size(), 1U) << CanonicalJson(sam_after);
  EXPECT_EQ(*sam_after.Find("signatures"), *sam_before.Find("signatures"));
  EXPECT_EQ(*sam_after.Find("signatures")->AsArray()[0].Find("valid"), Json(true));
  // Anna's password is the one she set.
  EXPECT_FALSE(testing::SignIn(*server_, "anna", "Release-Approver-1", console_).empty());
}

}  // namespace
}  // namespace aliquot
