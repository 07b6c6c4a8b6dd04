// The identity services together, as the server wires them: a real SQLite store in a temporary
// folder, every area's projector, a FakeClock, and a site set up by IdentityService::Bootstrap.
// Each test drives the services the way requests do (SignIn, then Authenticate per request) and
// asserts what a person at a terminal, an administrator or an inspector reading the ledger sees.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aliquot/app/credentials.h"
#include "aliquot/app/identity_records.h"
#include "aliquot/app/identity_service.h"
#include "aliquot/app/ledger_service.h"
#include "aliquot/app/ports/store.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/session_service.h"
#include "aliquot/app/signature_service.h"
#include "aliquot/core/base32.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/json.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/domain/identity/permission.h"
#include "aliquot/domain/identity/signature.h"
#include "aliquot/domain/identity/totp.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using identity::Action;
using identity::Meaning;
using identity::Role;
using ::testing::HasSubstr;

constexpr std::string_view kSite = "LEI";
constexpr std::string_view kConsole = "ADMIN-CONSOLE";
constexpr std::string_view kTablet = "SUITE2-TAB1";
// Where `aliquot bootstrap` ran: the terminal of the bootstrap's own events.
constexpr std::string_view kBootstrapTerminal = "cli:lab-1";
constexpr std::string_view kAdminPassword = "Console-keeper-2026";
// Every other person's password after their first sign-in: long enough, naming nobody.
constexpr std::string_view kPassword = "Leiden-cells-2026";
constexpr std::int64_t kMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kTotpPeriod = 30 * kMicrosPerSecond;

// "unauthenticated on Authorization", or "accepted": a refusal as a person would see it, by its
// code and the field a screen points at.
template <typename T>
std::string Refusal(const Result<T>& result) {
  if (result) return "accepted";
  return std::string(ErrorCodeName(result.error().Code())) + " on " + result.error().Field();
}

Ed25519SigningKey::Seed FixedSeed() {
  Ed25519SigningKey::Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(3 * i + 5);
  return seed;
}

// Someone who has signed in: their session token, the terminal they sit at and their password.
struct Person {
  std::string id;
  std::string token;
  std::string terminal_token;
  std::string password;
};

std::string StringMember(const Json& json, std::string_view name) {
  const Json* value = json.Find(name);
  return value != nullptr && value->IsString() ? value->AsString() : std::string();
}

Json PayloadOf(const ledger::Event& event) {
  auto payload = ParseJson(event.payload);
  EXPECT_TRUE(payload) << event.payload;
  return payload ? *payload : Json::MakeObject();
}

// The SQLite store, with one seam: a test can have another request run just before the next
// append, so that two requests interleave exactly where a race would put them.
class InterleavingStore final : public Store {
 public:
  explicit InterleavingStore(Store& store) : store_(store) {}

  void BeforeNextAppend(std::function<void()> work) { before_next_append_ = std::move(work); }

  Result<std::vector<ledger::Event>> Append(const AppendRequest& request) override {
    if (before_next_append_) std::exchange(before_next_append_, nullptr)();
    return store_.Append(request);
  }
  Status Import(std::span<const ledger::Event> events) override { return store_.Import(events); }
  Result<LedgerHead> Head() override { return store_.Head(); }
  Status Read(const std::function<Status(StoreReader&)>& work) override {
    return store_.Read(work);
  }
  Status AddCheckpoint(const ledger::Checkpoint& checkpoint) override {
    return store_.AddCheckpoint(checkpoint);
  }
  StoreStats Stats() override { return store_.Stats(); }
  Result<std::uint64_t> StreamHead(const ledger::StreamRef& stream) override {
    return store_.StreamHead(stream);
  }
  Status ScanEvents(std::uint64_t from_seq, std::uint64_t to_seq,
                    const EventVisitor& visit) override {
    return store_.ScanEvents(from_seq, to_seq, visit);
  }
  Result<std::vector<Hash256>> EventHashes(std::uint64_t size) override {
    return store_.EventHashes(size);
  }
  Result<std::vector<ledger::Checkpoint>> Checkpoints() override { return store_.Checkpoints(); }
  Result<std::optional<ledger::Checkpoint>> LatestCheckpoint() override {
    return store_.LatestCheckpoint();
  }
  Result<std::optional<Row>> GetRow(const TableSpec& table, const Row& key) override {
    return store_.GetRow(table, key);
  }
  Status ScanRows(const TableSpec& table, const RowVisitor& visit) override {
    return store_.ScanRows(table, visit);
  }
  Status ScanRowsWithPrefix(const TableSpec& table, const Row& prefix,
                            const RowVisitor& visit) override {
    return store_.ScanRowsWithPrefix(table, prefix, visit);
  }
  Status ScanRowRange(const TableSpec& table, const RowRange& range,
                      const RowVisitor& visit) override {
    return store_.ScanRowRange(table, range, visit);
  }

 private:
  Store& store_;
  std::function<void()> before_next_append_;
};

// A site freshly bootstrapped: site LEI, its administrator "ada" with a temporary password and
// the administration console's token, as `aliquot bootstrap` prints them.
class IdentitySiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto credentials = Credentials::Create(credentials_key_, PasswordHashCost::Minimum());
    ASSERT_EQ(Describe(credentials), "ok");
    credentials_.emplace(std::move(*credentials));
    storage::SqliteStoreOptions options;
    options.path = (dir_ / "aliquot.db").string();
    options.mode = storage::OpenMode::kReadWriteCreate;
    auto store = storage::SqliteStore::Open(options, clock_, *projector_);
    ASSERT_EQ(Describe(store), "ok");
    store_ = std::move(*store);
    interleaving_ = std::make_unique<InterleavingStore>(*store_);
    sessions_ = std::make_unique<SessionService>(*interleaving_, clock_, *credentials_);
    signatures_ = std::make_unique<SignatureService>(*interleaving_, clock_, *sessions_);
    signatures_->Register("user", UserAccessRecord());
    identity_ = std::make_unique<IdentityService>(*interleaving_, clock_, *credentials_, *sessions_,
                                                  *signatures_);
    ledger_ = std::make_unique<LedgerService>(*store_, clock_, signing_key_, *projector_);

    BootstrapCommand command;
    command.site = {std::string(kSite), "Leiden Cell Therapy Unit", {}};
    command.administrator_id = "ada";
    command.administrator_name = "Ada Lindqvist";
    command.terminal.id = std::string(kConsole);
    command.terminal.name = "Administration console";
    command.terminal.location = "Administration office";
    command.terminal.kind = identity::TerminalKind::kWorkstation;
    auto bootstrapped = identity_->Bootstrap(command, std::string(kBootstrapTerminal));
    ASSERT_EQ(Describe(bootstrapped), "ok");
    bootstrap_ = *bootstrapped;
  }

  // Every test ends by checking that the projections rebuilt from the ledger equal the live tables.
  void TearDown() override {
    if (ledger_ != nullptr) {
      EXPECT_EQ(Describe(ledger_->Verify({})), "ok")
          << "the projections rebuilt from the ledger differ from the live tables";
    }
  }

  // The administrator's first sign-in, with the change of the temporary password it demands.
  void AdminSignsInAndChangesTheTemporaryPassword() {
    auto signed_in =
        sessions_->SignIn({bootstrap_.terminal_token, "ada", bootstrap_.temporary_password, {}});
    ASSERT_EQ(Describe(signed_in), "ok");
    ASSERT_EQ(Describe(sessions_->ChangeOwnPassword(signed_in->context,
                                                    bootstrap_.temporary_password, kAdminPassword)),
              "ok");
    admin_ = {"ada", signed_in->token, bootstrap_.terminal_token, std::string(kAdminPassword)};
  }

  // The context of the person's next request; a failure is reported and yields an empty context.
  RequestContext Context(const Person& person) {
    auto context = sessions_->Authenticate(person.token, person.terminal_token);
    EXPECT_EQ(Describe(context), "ok") << "authenticating " << person.id;
    return context ? *context : RequestContext{};
  }

  Result<RequestContext> Authenticate(const Person& person) {
    return sessions_->Authenticate(person.token, person.terminal_token);
  }

  Result<SignInOutcome> SignIn(std::string_view user, std::string_view password,
                               std::optional<std::string> totp = std::nullopt,
                               std::string_view terminal_token = {}) {
    return sessions_->SignIn(
        {std::string(terminal_token.empty() ? bootstrap_.terminal_token : terminal_token),
         std::string(user), std::string(password), std::move(totp)});
  }

  // The administrator creates the account; its holder signs in with the temporary password on
  // `terminal_token` (the console by default) and sets kPassword.
  void SignUp(const std::string& id, const std::string& printed_name,
              const std::vector<identity::SiteRole>& roles, Person& person,
              const std::string& terminal_token = {}) {
    auto created = identity_->CreateUser(Context(admin_), id, printed_name, roles);
    ASSERT_EQ(Describe(created), "ok");
    const std::string terminal =
        terminal_token.empty() ? bootstrap_.terminal_token : terminal_token;
    auto signed_in = sessions_->SignIn({terminal, id, created->secret, {}});
    ASSERT_EQ(Describe(signed_in), "ok");
    ASSERT_TRUE(signed_in->password_change_required);
    ASSERT_EQ(
        Describe(sessions_->ChangeOwnPassword(signed_in->context, created->secret, kPassword)),
        "ok");
    person = {id, signed_in->token, terminal, std::string(kPassword)};
  }

  std::vector<identity::SiteRole> RolesAtSite(std::initializer_list<Role> roles) {
    std::vector<identity::SiteRole> at_site;
    for (Role role : roles) at_site.push_back({std::string(kSite), role});
    return at_site;
  }

  // Registers the suite 2 tablet and returns its token.
  std::string RegisterTablet() {
    identity::RegisterTerminalCommand command;
    command.id = std::string(kTablet);
    command.site = std::string(kSite);
    command.name = "Suite 2 tablet 1";
    command.location = "Grade B suite 2, bench 1";
    command.kind = identity::TerminalKind::kTablet;
    auto registered = identity_->RegisterTerminal(Context(admin_), command, std::nullopt);
    EXPECT_EQ(Describe(registered), "ok");
    return registered ? registered->secret : std::string();
  }

  // Every event of `type` in the ledger, oldest first.
  std::vector<ledger::Event> Events(std::string_view type) {
    std::vector<ledger::Event> found;
    EXPECT_EQ(Describe(store_->ScanEvents(1, UINT64_MAX,
                                          [&](const ledger::Event& event) -> Status {
                                            if (event.event_type == type) found.push_back(event);
                                            return {};
                                          })),
              "ok");
    return found;
  }

  identity::UserState StoredUser(const std::string& id) {
    identity::UserState user;
    EXPECT_EQ(Describe(store_->Read([&](StoreReader& reader) -> Status {
                ALIQUOT_ASSIGN_OR_RETURN(user, LoadUser(reader, id));
                return {};
              })),
              "ok");
    return user;
  }

  // The content hash of `user_id`'s access as `viewer` is shown it.
  std::string AccessHash(const Person& viewer, const std::string& user_id) {
    auto shown = signatures_->Signatures(Context(viewer), {"user", user_id});
    EXPECT_EQ(Describe(shown), "ok");
    return shown ? shown->content_hash : std::string();
  }

  Result<identity::ElectronicSignature> SignAccess(const Person& signer, const std::string& user_id,
                                                   Meaning meaning, const std::string& hash,
                                                   std::string_view password,
                                                   std::optional<std::string> totp = std::nullopt) {
    SignRequest request;
    request.meaning = meaning;
    request.content_hash = hash;
    request.password = std::string(password);
    request.totp = std::move(totp);
    return signatures_->Sign(Context(signer), {"user", user_id}, request);
  }

  // Enrols an authenticator for `person` and returns its secret; the confirming code is the one
  // of the clock's current step.
  std::vector<std::uint8_t> EnrolAuthenticator(const Person& person) {
    auto enrolment = sessions_->StartTotpEnrolment(Context(person), person.password);
    EXPECT_EQ(Describe(enrolment), "ok");
    if (!enrolment) return {};
    auto secret = Base32Decode(enrolment->secret_base32);
    EXPECT_EQ(Describe(secret), "ok");
    if (!secret) return {};
    EXPECT_EQ(Describe(sessions_->ConfirmTotp(Context(person), CodeNow(*secret))), "ok");
    return *secret;
  }

  std::string CodeNow(const std::vector<std::uint8_t>& secret, std::int64_t steps_back = 0) {
    return identity::TotpCode(secret, identity::TotpStep(clock_.Now()) - steps_back);
  }

  TempDir dir_;
  FakeClock clock_;
  SecretKey credentials_key_ = SecretKey::Generate();
  std::optional<Credentials> credentials_;
  Ed25519SigningKey signing_key_ = Ed25519SigningKey::FromSeed(FixedSeed());
  std::unique_ptr<Projector> projector_ = MakeAllProjectors();
  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<InterleavingStore> interleaving_;
  std::unique_ptr<SessionService> sessions_;
  std::unique_ptr<SignatureService> signatures_;
  std::unique_ptr<IdentityService> identity_;
  std::unique_ptr<LedgerService> ledger_;
  BootstrapOutcome bootstrap_;
  Person admin_;
};

// A bootstrapped site whose administrator has signed in and set a password.
class SignedInSiteTest : public IdentitySiteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(IdentitySiteTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(AdminSignsInAndChangesTheTemporaryPassword());
  }
};

using IdentityBootstrap = IdentitySiteTest;
using Identity = SignedInSiteTest;
using Session = SignedInSiteTest;

// ---------------------------------------------------------------------------------------------
// Bootstrap and the first sign-in.

// Verifies P11-15: a temporary password is changed at first use; until then only self-service.
TEST_F(IdentityBootstrap, TheFirstAdministratorCanDoNothingButChangeTheTemporaryPassword) {
  auto signed_in =
      sessions_->SignIn({bootstrap_.terminal_token, "ada", bootstrap_.temporary_password, {}});
  ASSERT_EQ(Describe(signed_in), "ok");
  EXPECT_TRUE(signed_in->password_change_required);
  EXPECT_EQ(signed_in->context.terminal.id, kConsole);
  EXPECT_TRUE(signed_in->context.principal.roles.Contains(Role::kSystemAdministrator));
  const Person ada{"ada", signed_in->token, bootstrap_.terminal_token, ""};

  const Status refused = sessions_->Authorize(Context(ada), Action::kCreateUser);
  EXPECT_EQ(Refusal(refused), "permission_denied on password");
  EXPECT_EQ(Refusal(identity_->CreateUser(Context(ada), "quinn", "Quinn Quality",
                                          RolesAtSite({Role::kQaApprover}))),
            "permission_denied on password");
  EXPECT_EQ(Refusal(identity_->Users(Context(ada))), "permission_denied on password");
  EXPECT_EQ(Describe(sessions_->Authorize(Context(ada), Action::kChangeOwnPassword)), "ok");

  ASSERT_EQ(Describe(sessions_->ChangeOwnPassword(Context(ada), bootstrap_.temporary_password,
                                                  kAdminPassword)),
            "ok");
  const RequestContext after = Context(ada);
  EXPECT_FALSE(after.principal.password_change_required);
  EXPECT_EQ(Describe(sessions_->Authorize(after, Action::kCreateUser)), "ok");
  EXPECT_EQ(Describe(identity_->CreateUser(after, "quinn", "Quinn Quality",
                                           RolesAtSite({Role::kQaApprover}))),
            "ok");
  // The refusals before the change are on the record (P11-07).
  EXPECT_EQ(Events("identity.permission_denied").size(), 3U);
  // The temporary password is spent.
  EXPECT_EQ(Refusal(SignIn("ada", bootstrap_.temporary_password)),
            "unauthenticated on credentials");
  EXPECT_EQ(Describe(SignIn("ada", kAdminPassword)), "ok");
}

// Verifies AL-03, P11-15: the bootstrap's events name where it ran, the ledger carries no usable
// credential, and a second bootstrap cannot mint another administrator.
TEST_F(IdentityBootstrap, RecordsTheSiteAdministratorAndConsoleAsTheSystemAndRunsOnce) {
  const auto created = Events("identity.user_created");
  ASSERT_EQ(created.size(), 1U);
  EXPECT_EQ(created[0].terminal, kBootstrapTerminal);
  EXPECT_EQ(StringMember(PayloadOf(created[0]), "printed_name"), "Ada Lindqvist");
  EXPECT_EQ(Events("identity.site_created").size(), 1U);
  EXPECT_EQ(Events("identity.terminal_registered").size(), 1U);
  // The ledger keeps only sealed credentials: neither the password nor the token appears.
  std::string all_payloads;
  ASSERT_EQ(Describe(store_->ScanEvents(1, UINT64_MAX,
                                        [&](const ledger::Event& event) -> Status {
                                          all_payloads += event.payload;
                                          return {};
                                        })),
            "ok");
  EXPECT_EQ(all_payloads.find(bootstrap_.temporary_password), std::string::npos);
  EXPECT_EQ(all_payloads.find(bootstrap_.terminal_token), std::string::npos);

  BootstrapCommand again;
  again.site = {"AMS", "Amsterdam", {}};
  again.administrator_id = "mallory";
  again.administrator_name = "Mallory";
  again.terminal.id = "OTHER-CONSOLE";
  again.terminal.name = "Another console";
  again.terminal.location = "Elsewhere";
  EXPECT_EQ(Refusal(identity_->Bootstrap(again, std::string(kBootstrapTerminal))),
            "failed_precondition on ");
  EXPECT_EQ(Refusal(SignIn("mallory", "anything-at-all")), "unauthenticated on credentials");
}

// ---------------------------------------------------------------------------------------------
// Sessions: timeouts, sign-in failures, lockout, terminals.

// Verifies P11-04: an unattended session ends after the site's idle minutes, and says why.
TEST_F(Session, EndsAfterTheSitesIdleMinutesAndTheLedgerSaysWhy) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const std::string session_id = Context(quinn).session_id;

  // Each request restarts the idle period: 28 minutes in all, never 15 without activity.
  clock_.Advance(14 * kMinute);
  EXPECT_EQ(Describe(Authenticate(quinn)), "ok");
  clock_.Advance(14 * kMinute);
  EXPECT_EQ(Describe(Authenticate(quinn)), "ok");
  clock_.Advance(15 * kMinute + 1);

  const auto expired = Authenticate(quinn);
  ASSERT_EQ(Refusal(expired), "unauthenticated on Authorization");
  EXPECT_THAT(expired.error().Message(), HasSubstr("15 minutes"));
  EXPECT_EQ(Refusal(Authenticate(quinn)), "unauthenticated on Authorization");  // For good.

  const auto signed_out = Events("identity.signed_out");
  ASSERT_EQ(signed_out.size(), 1U);
  const Json payload = PayloadOf(signed_out[0]);
  EXPECT_EQ(StringMember(payload, "cause"), "idle_timeout");
  EXPECT_EQ(StringMember(payload, "session_id"), session_id);
  EXPECT_EQ(signed_out[0].stream, identity::UserStream("quinn"));
  EXPECT_EQ(signed_out[0].terminal, kConsole);
  EXPECT_EQ(Describe(SignIn("quinn", kPassword)), "ok");
}

// Verifies P11-04: a session in constant use still ends at the site's maximum age.
TEST_F(Session, EndsAtItsMaximumAgeEvenWhileInUse) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  for (int i = 0; i < 12 * 6; ++i) {  // A request every 10 minutes for 12 hours.
    clock_.Advance(10 * kMinute);
    ASSERT_EQ(Describe(Authenticate(quinn)), "ok") << "after " << (i + 1) * 10 << " minutes";
  }
  clock_.Advance(10 * kMinute);
  const auto ended = Authenticate(quinn);
  ASSERT_EQ(Refusal(ended), "unauthenticated on Authorization");
  EXPECT_THAT(ended.error().Message(), HasSubstr("12 hours"));
  const auto signed_out = Events("identity.signed_out");
  ASSERT_EQ(signed_out.size(), 1U);
  EXPECT_EQ(StringMember(PayloadOf(signed_out[0]), "cause"), "max_age");
}

// Verifies P11-04
TEST_F(Session, SigningOutEndsTheSessionAndIsRecorded) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  ASSERT_EQ(Describe(sessions_->SignOut(Context(quinn))), "ok");
  EXPECT_EQ(Refusal(Authenticate(quinn)), "unauthenticated on Authorization");
  EXPECT_EQ(Describe(Authenticate(admin_)), "ok");  // Other people's sessions go on.
  const auto signed_out = Events("identity.signed_out");
  ASSERT_EQ(signed_out.size(), 1U);
  EXPECT_EQ(StringMember(PayloadOf(signed_out[0]), "cause"), "sign_out");
  EXPECT_EQ(signed_out[0].actor.id, "quinn");
}

// Verifies P11-15: sign-in tells nobody which user names exist, however often they try, and
// every attempt is on the record.
TEST_F(Session, AWrongPasswordAndAnUnknownUserNameAreRefusedInTheSameWords) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  // Up to and past the attempt that locks quinn's account.
  for (int attempt = 1; attempt <= 6; ++attempt) {
    const auto wrong_password = SignIn("quinn", "Not-the-password-1");
    const auto unknown_user = SignIn("quentin", "Not-the-password-1");
    ASSERT_FALSE(wrong_password);
    ASSERT_FALSE(unknown_user);
    EXPECT_EQ(wrong_password.error(), unknown_user.error()) << "attempt " << attempt;
    EXPECT_EQ(Refusal(wrong_password), "unauthenticated on credentials");
  }
  EXPECT_EQ(Events("identity.account_locked").size(), 1U);  // quinn's was locked meanwhile.

  std::vector<std::string> failures;
  for (const ledger::Event& event : Events("identity.sign_in_failed")) {
    const Json payload = PayloadOf(event);
    EXPECT_EQ(event.terminal, kConsole);
    EXPECT_EQ(event.actor.id, "unauthenticated");
    failures.push_back(event.stream.type + "/" + event.stream.id + " " +
                       StringMember(payload, "failure"));
  }
  ASSERT_EQ(failures.size(), 12U);
  EXPECT_EQ(failures[0], "user/quinn wrong_password");
  EXPECT_EQ(failures[1], "sign_in/unknown_user unknown_user");
  EXPECT_EQ(failures[10], "user/quinn locked");
  EXPECT_EQ(StringMember(PayloadOf(Events("identity.sign_in_failed")[1]), "user_name"), "quentin");
}

// Verifies P11-15: repeated wrong passwords lock the account with an alert; only an
// administrator's unlock (or the lockout period) lets its holder back in.
TEST_F(Session, RepeatedWrongPasswordsLockTheAccountUntilAnAdministratorUnlocksIt) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const int threshold = identity::SecurityPolicy{}.lockout_threshold;
  for (int attempt = 1; attempt < threshold; ++attempt) {
    EXPECT_EQ(Refusal(SignIn("quinn", "Not-the-password-1")), "unauthenticated on credentials");
    EXPECT_EQ(StoredUser("quinn").failed_attempts, attempt);
  }
  EXPECT_TRUE(Events("identity.account_locked").empty());
  EXPECT_EQ(Refusal(SignIn("quinn", "Not-the-password-1")), "unauthenticated on credentials");

  const auto locked = Events("identity.account_locked");
  ASSERT_EQ(locked.size(), 1U);
  const Json alert = PayloadOf(locked[0]);
  ASSERT_NE(alert.Find("alert"), nullptr);
  EXPECT_TRUE(alert.Find("alert")->AsBool());
  EXPECT_EQ(StringMember(alert, "user_id"), "quinn");
  EXPECT_EQ(alert.Find("failed_attempts")->AsInteger(), threshold);
  EXPECT_EQ(locked[0].terminal, kConsole);

  // Even the right password is refused now, and quinn's open session has ended.
  const auto refused = SignIn("quinn", kPassword);
  ASSERT_EQ(Refusal(refused), "permission_denied on user");
  EXPECT_THAT(refused.error().Message(), HasSubstr("locked"));
  EXPECT_EQ(Refusal(Authenticate(quinn)), "unauthenticated on Authorization");

  // Nobody else can unlock it; an administrator can.
  Person olga;
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  EXPECT_EQ(Refusal(identity_->UnlockUser(Context(olga), "quinn", "I know her")),
            "permission_denied on action");
  ASSERT_EQ(Describe(identity_->UnlockUser(Context(admin_), "quinn",
                                           "Identity confirmed by phone; she mistyped")),
            "ok");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 0);
  EXPECT_FALSE(StoredUser("quinn").locked_at.has_value());
  EXPECT_EQ(Describe(SignIn("quinn", kPassword)), "ok");
  const auto unlocked = Events("identity.user_unlocked");
  ASSERT_EQ(unlocked.size(), 1U);
  EXPECT_EQ(unlocked[0].actor.id, "ada");
  EXPECT_EQ(unlocked[0].reason, "Identity confirmed by phone; she mistyped");
}

// Verifies P11-15
TEST_F(Session, ALockEndsByItselfAfterTheSitesLockoutMinutes) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const identity::SecurityPolicy policy;
  for (int attempt = 0; attempt < policy.lockout_threshold; ++attempt) {
    ASSERT_FALSE(SignIn("quinn", "Not-the-password-1"));
  }
  clock_.Advance(policy.lockout_minutes * kMinute - kMicrosPerSecond);
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword)), "permission_denied on user");
  clock_.Advance(kMicrosPerSecond);
  EXPECT_EQ(Describe(SignIn("quinn", kPassword)), "ok");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 0);
}

// Verifies P11-15: a lock after an earlier one ran out is a fresh lock, not an expired one
// (with a threshold of one, every guess after the first lock would otherwise be free).
TEST_F(Session, ALockAfterAnExpiredOneStartsItsOwnPeriod) {
  identity::SecurityPolicy policy;
  policy.lockout_threshold = 1;
  ASSERT_EQ(Describe(identity_->ConfigureSite(Context(admin_), std::string(kSite), policy,
                                              "One failure locks")),
            "ok");
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  ASSERT_FALSE(SignIn("quinn", "Not-the-password-1"));
  clock_.Advance(policy.lockout_minutes * kMinute);
  ASSERT_FALSE(SignIn("quinn", "Not-the-password-2"));
  EXPECT_EQ(StoredUser("quinn").locked_at, clock_.Now());
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword)), "permission_denied on user");
}

// Verifies P11-08: requests come only from registered, active terminals.
TEST_F(Session, ARequestFromAnUnregisteredOrRetiredTerminalIsRefused) {
  const std::string unknown(64, 'a');  // Well formed, but nobody's.
  EXPECT_EQ(Refusal(SignIn("ada", kAdminPassword, std::nullopt, unknown)),
            "unauthenticated on X-Aliquot-Terminal");
  EXPECT_EQ(Refusal(sessions_->SignIn({"", "ada", std::string(kAdminPassword), {}})),
            "unauthenticated on X-Aliquot-Terminal");
  EXPECT_EQ(Refusal(SignIn("ada", kAdminPassword, std::nullopt, "not-a-token")),
            "unauthenticated on X-Aliquot-Terminal");
  EXPECT_EQ(Refusal(sessions_->Authenticate(admin_.token, unknown)),
            "unauthenticated on X-Aliquot-Terminal");
  EXPECT_EQ(Refusal(sessions_->Authenticate(admin_.token, "")),
            "unauthenticated on X-Aliquot-Terminal");

  const std::string tablet = RegisterTablet();
  Person olga;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga, tablet));
  ASSERT_EQ(Describe(identity_->RetireTerminal(Context(admin_), std::string(kTablet),
                                               "Replaced by SUITE2-TAB2")),
            "ok");
  EXPECT_EQ(Refusal(Authenticate(olga)), "unauthenticated on X-Aliquot-Terminal");
  EXPECT_EQ(Refusal(SignIn("olga", kPassword, std::nullopt, tablet)),
            "unauthenticated on X-Aliquot-Terminal");
}

// Verifies P11-08: a session is bound to the terminal it was opened on.
TEST_F(Session, ASessionIsRefusedFromAnotherRegisteredTerminal) {
  const std::string tablet = RegisterTablet();
  const auto moved = sessions_->Authenticate(admin_.token, tablet);
  ASSERT_EQ(Refusal(moved), "unauthenticated on X-Aliquot-Terminal");
  EXPECT_THAT(moved.error().Message(), HasSubstr(std::string(kConsole)));
  EXPECT_EQ(Describe(Authenticate(admin_)), "ok");  // Still good where it was opened.
}

// Verifies P11-08: a token identifies one terminal only.
TEST_F(Session, ATerminalTokenBelongsToOneTerminal) {
  identity::RegisterTerminalCommand command;
  command.id = "QA-WS1";
  command.site = std::string(kSite);
  command.name = "QA workstation 1";
  command.location = "QA office";
  command.kind = identity::TerminalKind::kWorkstation;
  EXPECT_EQ(
      Refusal(identity_->RegisterTerminal(Context(admin_), command, bootstrap_.terminal_token)),
      "already_exists on token");
  EXPECT_EQ(Refusal(identity_->RegisterTerminal(Context(admin_), command, "not-hex")),
            "invalid_argument on token");
  const std::string own(64, 'c');
  auto registered = identity_->RegisterTerminal(Context(admin_), command, own);
  ASSERT_EQ(Describe(registered), "ok");
  EXPECT_EQ(registered->secret, own);
  auto signed_in = SignIn("ada", kAdminPassword, std::nullopt, own);
  ASSERT_EQ(Describe(signed_in), "ok");
  EXPECT_EQ(signed_in->context.terminal.id, "QA-WS1");
}

// Verifies AL-03, P11-08: every event names the terminal the request came from.
TEST_F(Session, EventsRecordTheTerminalOfTheRequest) {
  const std::string tablet = RegisterTablet();
  Person olga;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga, tablet));
  EXPECT_EQ(Refusal(SignIn("olga", "Not-the-password-1", std::nullopt, tablet)),
            "unauthenticated on credentials");
  EXPECT_EQ(Refusal(sessions_->Authorize(Context(olga), Action::kViewUsers)),
            "permission_denied on action");

  const auto created = Events("identity.user_created");
  ASSERT_EQ(created.size(), 2U);
  EXPECT_EQ(created[1].terminal, kConsole);  // The administrator created olga's account there.
  EXPECT_EQ(created[1].actor.id, "ada");
  for (std::string_view type : {"identity.signed_in", "identity.password_changed",
                                "identity.sign_in_failed", "identity.permission_denied"}) {
    std::vector<ledger::Event> olgas;
    for (const ledger::Event& event : Events(type)) {
      if (event.stream == identity::UserStream("olga")) olgas.push_back(event);
    }
    ASSERT_EQ(olgas.size(), 1U) << type;
    EXPECT_EQ(olgas[0].terminal, kTablet) << type;
  }
}

// Verifies P11-08: a restricted terminal performs only its allowed actions, and self-service.
TEST_F(Session, ARestrictedTerminalAllowsOnlyItsActionsAndSelfService) {
  const std::string tablet = RegisterTablet();
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn, tablet));
  identity::ActionSet allowed;
  allowed.Add(Action::kViewSignatures);
  ASSERT_EQ(Describe(identity_->RestrictTerminal(Context(admin_), std::string(kTablet), true,
                                                 allowed, "Floor tablet: no account reading")),
            "ok");
  EXPECT_EQ(Refusal(sessions_->Authorize(Context(quinn), Action::kViewUsers)),
            "permission_denied on terminal");
  EXPECT_EQ(Describe(sessions_->Authorize(Context(quinn), Action::kViewSignatures)), "ok");
  EXPECT_EQ(Describe(sessions_->Authorize(Context(quinn), Action::kChangeOwnPassword)), "ok");
}

// Verifies P11-15: new passwords follow the site's policy and are not recent ones.
TEST_F(Session, ANewPasswordMustFollowThePolicyAndNotRepeatARecentOne) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const auto change = [&](std::string_view current, std::string_view next) {
    return sessions_->ChangeOwnPassword(Context(quinn), current, next);
  };
  EXPECT_EQ(Refusal(change(kPassword, "Short-2026")), "invalid_argument on new_password");
  EXPECT_EQ(Refusal(change(kPassword, "Cells-of-QUINN-2026")), "invalid_argument on new_password");
  EXPECT_EQ(Refusal(change(kPassword, kPassword)), "invalid_argument on new_password");
  EXPECT_EQ(Refusal(change("Not-the-password-1", "Another-good-one-2026")),
            "unauthenticated on current_password");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 1);

  ASSERT_EQ(Describe(change(kPassword, "Second-password-2026")), "ok");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 0);
  ASSERT_EQ(Describe(change("Second-password-2026", "Third-password-2026")), "ok");
  EXPECT_EQ(Refusal(change("Third-password-2026", kPassword)), "invalid_argument on new_password");
  EXPECT_EQ(Refusal(change("Third-password-2026", "Second-password-2026")),
            "invalid_argument on new_password");

  // What the refusals left: the last accepted password, and no other.
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword)), "unauthenticated on credentials");
  EXPECT_EQ(Describe(SignIn("quinn", "Third-password-2026")), "ok");
  EXPECT_EQ(Events("identity.password_changed").size(), 4U);  // ada's, quinn's three.
}

// Verifies P11-15: passwords are revised periodically: one older than the site's maximum age
// allows only self-service until it is changed.
TEST_F(Session, AnExpiredPasswordMustBeChangedBeforeAnythingElse) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const std::int64_t max_age =
      std::int64_t{identity::SecurityPolicy{}.password_max_age_days} * 24 * 60 * kMinute;
  clock_.Advance(max_age - kMinute);
  auto before = SignIn("quinn", kPassword);
  ASSERT_EQ(Describe(before), "ok");
  EXPECT_FALSE(before->password_change_required);

  clock_.Advance(kMinute);
  auto expired = SignIn("quinn", kPassword);
  ASSERT_EQ(Describe(expired), "ok");
  EXPECT_TRUE(expired->password_change_required);
  const Person later{"quinn", expired->token, bootstrap_.terminal_token, std::string(kPassword)};
  EXPECT_EQ(Refusal(sessions_->Authorize(Context(later), Action::kViewSignatures)),
            "permission_denied on password");
  ASSERT_EQ(Describe(sessions_->ChangeOwnPassword(Context(later), kPassword, "Renewed-cells-2026")),
            "ok");
  EXPECT_EQ(Describe(sessions_->Authorize(Context(later), Action::kViewSignatures)), "ok");
}

// Verifies A11-06, P11-14: with an authenticator enrolled, sign-in needs its code; a code from
// the previous step is accepted (clock drift), and no code works twice.
TEST_F(Session, AnEnrolledAuthenticatorIsNeededToSignInAndEachCodeWorksOnce) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  EXPECT_EQ(Refusal(sessions_->ConfirmTotp(Context(quinn), "123456")), "failed_precondition on ");
  EXPECT_EQ(Refusal(sessions_->StartTotpEnrolment(Context(quinn), "Not-the-password-1")),
            "unauthenticated on password");

  auto enrolment = sessions_->StartTotpEnrolment(Context(quinn), kPassword);
  ASSERT_EQ(Describe(enrolment), "ok");
  EXPECT_THAT(enrolment->otpauth_uri, HasSubstr("secret=" + enrolment->secret_base32));
  auto secret = Base32Decode(enrolment->secret_base32);
  ASSERT_EQ(Describe(secret), "ok");
  // A code the authenticator does not show now is refused, and enrols nothing.
  std::string wrong = "000000";
  while (wrong == CodeNow(*secret) || wrong == CodeNow(*secret, 1) ||
         wrong == CodeNow(*secret, -1)) {
    wrong = std::to_string(std::stoi(wrong) + 1);
    wrong.insert(0, 6 - wrong.size(), '0');
  }
  EXPECT_EQ(Refusal(sessions_->ConfirmTotp(Context(quinn), wrong)), "invalid_argument on code");
  EXPECT_FALSE(StoredUser("quinn").TotpEnrolled());
  const std::string confirming = CodeNow(*secret);
  ASSERT_EQ(Describe(sessions_->ConfirmTotp(Context(quinn), confirming)), "ok");
  EXPECT_TRUE(StoredUser("quinn").TotpEnrolled());
  ASSERT_EQ(Events("identity.totp_enrolled").size(), 1U);
  // The ledger holds the secret sealed only.
  EXPECT_EQ(Events("identity.totp_enrolled")[0].payload.find(enrolment->secret_base32),
            std::string::npos);

  EXPECT_EQ(Refusal(SignIn("quinn", kPassword)), "unauthenticated on totp");
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword, confirming)), "unauthenticated on totp");

  clock_.Advance(2 * kTotpPeriod);
  const std::string previous = CodeNow(*secret, 1);
  const auto drifted = SignIn("quinn", kPassword, previous);
  EXPECT_EQ(Describe(drifted), "ok");
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword, previous)), "unauthenticated on totp");
  EXPECT_EQ(Describe(SignIn("quinn", kPassword, CodeNow(*secret))), "ok");
  // A right code does not make up for a wrong password.
  clock_.Advance(kTotpPeriod);
  EXPECT_EQ(Refusal(SignIn("quinn", "Not-the-password-1", CodeNow(*secret))),
            "unauthenticated on credentials");
}

// Verifies A11-06, P11-14: two sign-ins racing with one code let one person in, not two. The
// second loses the race to append, decides again, and must see that the code is now spent.
TEST_F(Session, TwoSignInsRacingWithOneCodeLetOnlyOneIn) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  const std::vector<std::uint8_t> secret = EnrolAuthenticator(quinn);
  ASSERT_FALSE(secret.empty());
  clock_.Advance(kTotpPeriod);
  const std::string code = CodeNow(secret);

  interleaving_->BeforeNextAppend(
      [&] { EXPECT_EQ(Describe(SignIn("quinn", kPassword, code)), "ok"); });
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword, code)), "unauthenticated on totp");
  // Quinn's sign-ins: the first one's at sign-up, and the race's winner's.
  EXPECT_EQ(Events("identity.signed_in").size(), 3U);
}

// ---------------------------------------------------------------------------------------------
// Electronic signatures on a user's access.

// A QA approver and two operators, each signed in on the console with kPassword.
class SignatureOnAccess : public SignedInSiteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SignedInSiteTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(
        SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn_));
    ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga_));
    ASSERT_NO_FATAL_FAILURE(
        SignUp("oscar", "Oscar Operator", RolesAtSite({Role::kOperator}), oscar_));
  }

  Person quinn_;
  Person olga_;
  Person oscar_;
};

// Verifies P11-11, P11-12, A11-03: an approval shows who signed, what it means and when, and is
// bound to the content the approver was shown.
TEST_F(SignatureOnAccess, AnApprovalShowsThePrintedNameMeaningAndTimeOfSigning) {
  auto shown = signatures_->Signatures(Context(quinn_), {"user", "olga"});
  ASSERT_EQ(Describe(shown), "ok");
  EXPECT_TRUE(shown->signatures.empty());
  EXPECT_EQ(StringMember(shown->content, "printed_name"), "Olga Operator");
  EXPECT_EQ(shown->content_hash, identity::ContentHash(shown->content));

  clock_.Advance(7 * kMinute);
  const Timestamp signing_time = clock_.Now();
  SignRequest request;
  request.meaning = Meaning::kApproved;
  request.content_hash = shown->content_hash;
  request.comment = "Training records GMP-101 and SOP-017 checked";
  request.password = std::string(kPassword);
  auto signature = signatures_->Sign(Context(quinn_), {"user", "olga"}, request);
  ASSERT_EQ(Describe(signature), "ok");
  EXPECT_EQ(signature->signer_id, "quinn");
  EXPECT_EQ(signature->printed_name, "Quinn Quality");
  EXPECT_EQ(signature->meaning, Meaning::kApproved);
  EXPECT_EQ(signature->time, signing_time);
  EXPECT_EQ(signature->content_hash, shown->content_hash);
  EXPECT_EQ(signature->comment, request.comment);
  EXPECT_EQ((signature->record == identity::RecordRef{"user", "olga"}), true);

  // What a reader of accounts sees afterwards (here the signer; the holder, an operator, may not
  // read accounts: their content shows roles).
  auto after = signatures_->Signatures(Context(quinn_), {"user", "olga"});
  ASSERT_EQ(Describe(after), "ok");
  ASSERT_EQ(after->signatures.size(), 1U);
  const identity::ElectronicSignature& shown_signature = after->signatures[0];
  EXPECT_EQ(shown_signature.printed_name, "Quinn Quality");
  EXPECT_EQ(shown_signature.meaning, Meaning::kApproved);
  EXPECT_EQ(shown_signature.time, signing_time);
  EXPECT_EQ(shown_signature.seq, signature->seq);
  EXPECT_TRUE(shown_signature.ValidFor(after->content_hash));
  auto view = identity_->User(Context(admin_), "olga");
  ASSERT_EQ(Describe(view), "ok");
  ASSERT_EQ(view->access.signatures.size(), 1U);
  EXPECT_EQ(view->access.signatures[0].printed_name, "Quinn Quality");

  // The signature event: the re-authentication and the signature appended together.
  const auto applied = Events("identity.signature_applied");
  ASSERT_EQ(applied.size(), 1U);
  EXPECT_EQ(applied[0].stream, identity::SignatureStream({"user", "olga"}));
  EXPECT_EQ(applied[0].actor.id, "quinn");
  EXPECT_EQ(applied[0].terminal, kConsole);
  const auto reauthenticated = Events("identity.reauthenticated");
  ASSERT_EQ(reauthenticated.size(), 1U);
  EXPECT_EQ(reauthenticated[0].seq + 1, applied[0].seq);
}

// Verifies P11-11: renaming the signer later leaves the printed name as it was at signing.
TEST_F(SignatureOnAccess, ASignatureKeepsThePrintedNameOfTheMomentOfSigning) {
  ASSERT_EQ(Describe(SignAccess(quinn_, "olga", Meaning::kApproved, AccessHash(quinn_, "olga"),
                                kPassword)),
            "ok");
  ASSERT_EQ(Describe(identity_->RenameUser(Context(admin_), "quinn", "Quinn Quality-Smith",
                                           "Married; name changed on her ID")),
            "ok");
  auto after = signatures_->Signatures(Context(quinn_), {"user", "olga"});
  ASSERT_EQ(Describe(after), "ok");
  ASSERT_EQ(after->signatures.size(), 1U);
  EXPECT_EQ(after->signatures[0].printed_name, "Quinn Quality");
  EXPECT_TRUE(after->signatures[0].ValidFor(after->content_hash));
}

// Verifies P11-12: a signature holds for the content it was made over and nothing else.
TEST_F(SignatureOnAccess, AnApprovalNoLongerHoldsOnceTheRolesChange) {
  const std::string approved_hash = AccessHash(quinn_, "olga");
  ASSERT_EQ(Describe(SignAccess(quinn_, "olga", Meaning::kApproved, approved_hash, kPassword)),
            "ok");
  ASSERT_EQ(Describe(identity_->AssignRoles(Context(admin_), "olga",
                                            RolesAtSite({Role::kOperator, Role::kVerifier}),
                                            "Promoted to supervisor")),
            "ok");

  auto after = signatures_->Signatures(Context(quinn_), {"user", "olga"});
  ASSERT_EQ(Describe(after), "ok");
  EXPECT_NE(after->content_hash, approved_hash);
  ASSERT_EQ(after->signatures.size(), 1U);
  EXPECT_FALSE(after->signatures[0].ValidFor(after->content_hash));

  // Signing what one saw before the change is refused; signing what is there now works.
  EXPECT_EQ(Refusal(SignAccess(quinn_, "olga", Meaning::kApproved, approved_hash, kPassword)),
            "failed_precondition on content_hash");
  ASSERT_EQ(
      Describe(SignAccess(quinn_, "olga", Meaning::kApproved, after->content_hash, kPassword)),
      "ok");
  auto now = signatures_->Signatures(Context(quinn_), {"user", "olga"});
  ASSERT_EQ(Describe(now), "ok");
  ASSERT_EQ(now->signatures.size(), 2U);
  EXPECT_FALSE(now->signatures[0].ValidFor(now->content_hash));
  EXPECT_TRUE(now->signatures[1].ValidFor(now->content_hash));
}

// Verifies P11-12: a signature cannot be carried over to another record.
TEST_F(SignatureOnAccess, TheContentHashOfOneRecordDoesNotSignAnother) {
  const std::string olgas = AccessHash(quinn_, "olga");
  EXPECT_EQ(Refusal(SignAccess(quinn_, "oscar", Meaning::kApproved, olgas, kPassword)),
            "failed_precondition on content_hash");
  auto oscars = signatures_->Signatures(Context(quinn_), {"user", "oscar"});
  ASSERT_EQ(Describe(oscars), "ok");
  EXPECT_TRUE(oscars->signatures.empty());
  EXPECT_TRUE(Events("identity.signature_applied").empty());
}

// Verifies P11-14, P11-15: every signing re-enters the password, even right after another one;
// a wrong one is refused, recorded and counted towards the lock.
TEST_F(SignatureOnAccess, EverySigningNeedsThePasswordAndAWrongOneCounts) {
  ASSERT_EQ(Describe(SignAccess(quinn_, "olga", Meaning::kApproved, AccessHash(quinn_, "olga"),
                                kPassword)),
            "ok");
  const std::string oscars = AccessHash(quinn_, "oscar");
  EXPECT_EQ(Refusal(SignAccess(quinn_, "oscar", Meaning::kApproved, oscars, "")),
            "invalid_argument on password");
  const auto wrong = SignAccess(quinn_, "oscar", Meaning::kApproved, oscars, "Not-the-password-1");
  EXPECT_EQ(Refusal(wrong), "unauthenticated on password");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 1);
  const auto failed = Events("identity.reauthentication_failed");
  ASSERT_EQ(failed.size(), 1U);
  EXPECT_EQ(StringMember(PayloadOf(failed[0]), "purpose"), "signing");
  EXPECT_EQ(failed[0].actor.id, "quinn");
  EXPECT_EQ(failed[0].terminal, kConsole);
  auto unsigned_record = signatures_->Signatures(Context(quinn_), {"user", "oscar"});
  ASSERT_EQ(Describe(unsigned_record), "ok");
  EXPECT_TRUE(unsigned_record->signatures.empty());

  ASSERT_EQ(Describe(SignAccess(quinn_, "oscar", Meaning::kApproved, oscars, kPassword)), "ok");
  EXPECT_EQ(StoredUser("quinn").failed_attempts, 0);
}

// Verifies P11-15: wrong passwords when signing lock the account like wrong sign-ins do.
TEST_F(SignatureOnAccess, RepeatedWrongSigningPasswordsLockTheAccount) {
  const std::string oscars = AccessHash(quinn_, "oscar");
  const int threshold = identity::SecurityPolicy{}.lockout_threshold;
  for (int attempt = 1; attempt < threshold; ++attempt) {
    EXPECT_EQ(Refusal(SignAccess(quinn_, "oscar", Meaning::kApproved, oscars, "Wrong-password-9")),
              "unauthenticated on password");
  }
  EXPECT_TRUE(Events("identity.account_locked").empty());
  const auto locking = SignAccess(quinn_, "oscar", Meaning::kApproved, oscars, "Wrong-password-9");
  ASSERT_EQ(Refusal(locking), "unauthenticated on password");
  EXPECT_THAT(locking.error().Message(), HasSubstr("now locked"));

  const auto locked = Events("identity.account_locked");
  ASSERT_EQ(locked.size(), 1U);
  EXPECT_TRUE(PayloadOf(locked[0]).Find("alert")->AsBool());
  EXPECT_TRUE(StoredUser("quinn").locked_at.has_value());
  EXPECT_EQ(Refusal(Authenticate(quinn_)), "unauthenticated on Authorization");
  EXPECT_EQ(Refusal(SignIn("quinn", kPassword)), "permission_denied on user");
  EXPECT_TRUE(Events("identity.signature_applied").empty());
}

// Verifies P11-13, P11-07: nobody approves their own access.
TEST_F(SignatureOnAccess, AQaApproverCannotApproveTheirOwnAccess) {
  const auto own =
      SignAccess(quinn_, "quinn", Meaning::kApproved, AccessHash(quinn_, "quinn"), kPassword);
  EXPECT_EQ(Refusal(own), "permission_denied on meaning");
  EXPECT_TRUE(Events("identity.signature_applied").empty());
}

// Verifies P11-07: an account's signatures show its roles, so only readers of accounts see them.
TEST_F(SignatureOnAccess, AnOperatorCannotReadTheSignaturesOfAnAccount) {
  EXPECT_EQ(Refusal(signatures_->Signatures(Context(oscar_), {"user", "olga"})),
            "permission_denied on action");
}

// Verifies P11-07: signing beyond one's roles is refused and the attempt recorded.
TEST_F(SignatureOnAccess, AnOperatorCannotApproveAccessAndTheAttemptIsRecorded) {
  // The content hash as a reader of accounts was shown it: an operator may not read accounts.
  const auto refused =
      SignAccess(oscar_, "olga", Meaning::kApproved, AccessHash(quinn_, "olga"), kPassword);
  EXPECT_EQ(Refusal(refused), "permission_denied on action");
  const auto denied = Events("identity.permission_denied");
  ASSERT_EQ(denied.size(), 1U);
  EXPECT_EQ(denied[0].actor.id, "oscar");
  EXPECT_EQ(denied[0].terminal, kConsole);
  EXPECT_EQ(StringMember(PayloadOf(denied[0]), "action"), "user.approve_access");
  EXPECT_TRUE(Events("identity.signature_applied").empty());
}

// Verifies P11-11: a signature's meaning is one the record type defines.
TEST_F(SignatureOnAccess, AMeaningTheRecordDoesNotTakeIsRefused) {
  EXPECT_EQ(Refusal(SignAccess(quinn_, "olga", Meaning::kReviewed, AccessHash(quinn_, "olga"),
                               kPassword)),
            "invalid_argument on meaning");
}

// Verifies A11-06: a site may demand an authenticator for every signature.
TEST_F(SignatureOnAccess, ASiteRequiringAnAuthenticatorRefusesASignerWithoutOne) {
  identity::SecurityPolicy policy;
  policy.totp_required_for_signing = true;
  ASSERT_EQ(Describe(identity_->ConfigureSite(Context(admin_), std::string(kSite), policy,
                                              "EU GMP Annex 11: two factors for signatures")),
            "ok");
  const std::string olgas = AccessHash(quinn_, "olga");
  EXPECT_EQ(Refusal(SignAccess(quinn_, "olga", Meaning::kApproved, olgas, kPassword)),
            "failed_precondition on totp");

  const std::vector<std::uint8_t> secret = EnrolAuthenticator(quinn_);
  ASSERT_FALSE(secret.empty());
  clock_.Advance(kTotpPeriod);
  ASSERT_EQ(
      Describe(SignAccess(quinn_, "olga", Meaning::kApproved, olgas, kPassword, CodeNow(secret))),
      "ok");
}

// Verifies P11-14, A11-06: an enrolled signer gives the password and a fresh code.
TEST_F(SignatureOnAccess, AnEnrolledSignerSignsWithThePasswordAndAFreshCode) {
  const std::vector<std::uint8_t> secret = EnrolAuthenticator(quinn_);
  ASSERT_FALSE(secret.empty());
  const std::string olgas = AccessHash(quinn_, "olga");
  clock_.Advance(kTotpPeriod);
  EXPECT_EQ(Refusal(SignAccess(quinn_, "olga", Meaning::kApproved, olgas, kPassword)),
            "unauthenticated on totp");
  const std::string code = CodeNow(secret);
  ASSERT_EQ(Describe(SignAccess(quinn_, "olga", Meaning::kApproved, olgas, kPassword, code)), "ok");
  const auto applied = Events("identity.signature_applied");
  ASSERT_EQ(applied.size(), 1U);
  const Json payload = PayloadOf(applied[0]);
  const Json* factors = payload.Find("factors");
  ASSERT_NE(factors, nullptr);
  EXPECT_EQ(CanonicalJson(*factors), R"(["password","totp"])");
  // The same code does not sign again.
  EXPECT_EQ(Refusal(SignAccess(quinn_, "oscar", Meaning::kApproved, AccessHash(quinn_, "oscar"),
                               kPassword, code)),
            "unauthenticated on totp");
}

// Verifies A11-06, P11-14: a code spent by a sign-in that won a race does not sign as well.
TEST_F(SignatureOnAccess, ASigningRacingASignInWithTheSameCodeIsRefused) {
  const std::vector<std::uint8_t> secret = EnrolAuthenticator(quinn_);
  ASSERT_FALSE(secret.empty());
  const std::string olgas = AccessHash(quinn_, "olga");
  clock_.Advance(kTotpPeriod);
  const std::string code = CodeNow(secret);

  interleaving_->BeforeNextAppend(
      [&] { EXPECT_EQ(Describe(SignIn("quinn", kPassword, code)), "ok"); });
  EXPECT_EQ(Refusal(SignAccess(quinn_, "olga", Meaning::kApproved, olgas, kPassword, code)),
            "unauthenticated on totp");
  EXPECT_TRUE(Events("identity.signature_applied").empty());
}

// ---------------------------------------------------------------------------------------------
// Administration: segregation of duties, deactivation, the projections.

// Verifies P11-07: the system administrator's role is never held with a GMP role.
TEST_F(Identity, AnAdministratorWhoAlsoOperatesIsRefused) {
  const auto refused =
      identity_->CreateUser(Context(admin_), "sam", "Sam Both",
                            RolesAtSite({Role::kSystemAdministrator, Role::kOperator}));
  EXPECT_EQ(Refusal(refused), "invalid_argument on roles");
  EXPECT_EQ(Refusal(identity_->User(Context(admin_), "sam")), "not_found on user");

  Person olga;
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  EXPECT_EQ(Refusal(identity_->AssignRoles(
                Context(admin_), "olga", RolesAtSite({Role::kOperator, Role::kSystemAdministrator}),
                "Covering IT over the holidays")),
            "invalid_argument on roles");
}

// Verifies P11-07: segregation of duties; the administrator grants access but never approves it.
TEST_F(Identity, TheAdministratorCannotApproveAccess) {
  Person olga;
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  EXPECT_EQ(Refusal(SignAccess(admin_, "olga", Meaning::kApproved, AccessHash(admin_, "olga"),
                               kAdminPassword)),
            "permission_denied on action");
  EXPECT_EQ(Events("identity.permission_denied").size(), 1U);
  // Nor does anyone change their own roles, administrator or not.
  EXPECT_EQ(Refusal(identity_->AssignRoles(
                Context(admin_), "ada", RolesAtSite({Role::kSystemAdministrator, Role::kAuditor}),
                "Wants to read the audit trail")),
            "permission_denied on user");
}

// Verifies P11-07: administration is the system administrator's alone.
TEST_F(Identity, OnlyTheAdministratorAdministersAccounts) {
  Person quinn;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn));
  EXPECT_EQ(Refusal(identity_->CreateUser(Context(quinn), "olga", "Olga Operator",
                                          RolesAtSite({Role::kOperator}))),
            "permission_denied on action");
  EXPECT_EQ(Refusal(identity_->ResetPassword(Context(quinn), "ada", "Forgot it")),
            "permission_denied on action");
  EXPECT_EQ(Events("identity.permission_denied").size(), 2U);
  EXPECT_EQ(Refusal(identity_->User(Context(admin_), "olga")), "not_found on user");
}

// Verifies P11-13, DI-01: user names are unique and never reused, even after deactivation; a
// deactivated account is signed out at its next request and never deleted.
TEST_F(Identity, ADeactivatedUserIsSignedOutAndTheirNameIsNeverReused) {
  Person olga;
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  EXPECT_EQ(Refusal(identity_->CreateUser(Context(admin_), "olga", "Olga Other",
                                          RolesAtSite({Role::kOperator}))),
            "already_exists on user_id");

  ASSERT_EQ(Describe(identity_->DeactivateUser(Context(admin_), "olga", "Left the company")), "ok");
  EXPECT_EQ(Refusal(Authenticate(olga)), "unauthenticated on Authorization");
  const auto signed_out = Events("identity.signed_out");
  ASSERT_EQ(signed_out.size(), 1U);
  EXPECT_EQ(StringMember(PayloadOf(signed_out[0]), "cause"), "deactivated");
  EXPECT_EQ(Refusal(SignIn("olga", kPassword)), "permission_denied on user");
  // A wrong password for a deactivated account reads like any wrong password.
  EXPECT_EQ(Refusal(SignIn("olga", "Not-the-password-1")), "unauthenticated on credentials");

  const auto reused = identity_->CreateUser(Context(admin_), "olga", "Olga Newcomer",
                                            RolesAtSite({Role::kOperator}));
  EXPECT_EQ(Refusal(reused), "already_exists on user_id");
  auto view = identity_->User(Context(admin_), "olga");
  ASSERT_EQ(Describe(view), "ok");
  EXPECT_EQ(view->user.status, identity::AccountStatus::kDeactivated);
  EXPECT_EQ(view->user.printed_name, "Olga Operator");
  auto users = identity_->Users(Context(admin_));
  ASSERT_EQ(Describe(users), "ok");
  EXPECT_EQ(users->size(), 2U);  // ada and olga: nothing is deleted.

  ASSERT_EQ(Describe(identity_->ReactivateUser(Context(admin_), "olga", "Rehired")), "ok");
  EXPECT_EQ(Describe(SignIn("olga", kPassword)), "ok");
}

// Verifies P11-15: a lost password is replaced by a temporary one, to be changed at first use.
TEST_F(Identity, AResetPasswordIsTemporaryAndUnlocksTheAccount) {
  Person olga;
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  for (int attempt = 0; attempt < identity::SecurityPolicy{}.lockout_threshold; ++attempt) {
    ASSERT_FALSE(SignIn("olga", "Not-the-password-1"));
  }
  auto reset = identity_->ResetPassword(Context(admin_), "olga", "Forgotten; identity checked");
  ASSERT_EQ(Describe(reset), "ok");
  EXPECT_EQ(Refusal(SignIn("olga", kPassword)), "unauthenticated on credentials");
  auto signed_in = SignIn("olga", reset->secret);
  ASSERT_EQ(Describe(signed_in), "ok");
  EXPECT_TRUE(signed_in->password_change_required);
  EXPECT_EQ(Refusal(sessions_->Authorize(signed_in->context, Action::kViewSignatures)),
            "permission_denied on password");
}

// Every kind of identity event, then the whole ledger replayed: the projections rebuilt from it
// equal the live tables row for row (what an inspector's `aliquot verify` checks).
TEST_F(Identity, ProjectionsRebuiltFromTheLedgerEqualTheLiveTables) {
  const std::string tablet = RegisterTablet();
  Person quinn;
  Person olga;
  ASSERT_NO_FATAL_FAILURE(
      SignUp("quinn", "Quinn Quality", RolesAtSite({Role::kQaApprover}), quinn, tablet));
  ASSERT_NO_FATAL_FAILURE(SignUp("olga", "Olga Operator", RolesAtSite({Role::kOperator}), olga));
  ASSERT_EQ(
      Describe(SignAccess(quinn, "olga", Meaning::kApproved, AccessHash(quinn, "olga"), kPassword)),
      "ok");
  ASSERT_FALSE(EnrolAuthenticator(quinn).empty());
  ASSERT_EQ(Describe(identity_->ResetTotp(Context(admin_), "quinn", "Phone lost")), "ok");
  ASSERT_EQ(
      Describe(identity_->RenameUser(Context(admin_), "olga", "Olga Operator-Berg", "Name change")),
      "ok");
  ASSERT_EQ(Describe(identity_->AssignRoles(Context(admin_), "olga", RolesAtSite({Role::kVerifier}),
                                            "Promoted")),
            "ok");
  for (int attempt = 0; attempt < identity::SecurityPolicy{}.lockout_threshold; ++attempt) {
    ASSERT_FALSE(SignIn("olga", "Not-the-password-1"));
  }
  ASSERT_EQ(Describe(identity_->UnlockUser(Context(admin_), "olga", "Checked")), "ok");
  ASSERT_EQ(Describe(identity_->ResetPassword(Context(admin_), "olga", "Forgotten")), "ok");
  ASSERT_EQ(Describe(identity_->DeactivateUser(Context(admin_), "olga", "Left")), "ok");
  ASSERT_EQ(Describe(identity_->ReactivateUser(Context(admin_), "olga", "Back")), "ok");
  identity::ActionSet allowed;
  allowed.Add(Action::kViewSignatures);
  ASSERT_EQ(Describe(identity_->RestrictTerminal(Context(admin_), std::string(kTablet), true,
                                                 allowed, "Floor tablet")),
            "ok");
  ASSERT_EQ(Describe(identity_->RetireTerminal(Context(admin_), std::string(kTablet), "Broken")),
            "ok");
  identity::SecurityPolicy policy;
  policy.session_idle_minutes = 10;
  ASSERT_EQ(Describe(identity_->ConfigureSite(Context(admin_), std::string(kSite), policy,
                                              "Shorter idle timeout")),
            "ok");
  ASSERT_EQ(Describe(identity_->CreateSite(
                Context(admin_), {"AMS", "Amsterdam satellite", identity::SecurityPolicy{}})),
            "ok");
  clock_.Advance(11 * kMinute);
  EXPECT_FALSE(Authenticate(admin_));  // The new, shorter idle timeout.

  auto verified = ledger_->Verify({});
  ASSERT_EQ(Describe(verified), "ok");
  // 2 sites, 3 users, their 3 role rows, 2 terminals and their 2 tokens, 1 signature.
  EXPECT_EQ(verified->projection_rows, 13U);
}

}  // namespace
}  // namespace aliquot::app
