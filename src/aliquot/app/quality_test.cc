// Deviations as the server wires them: a real SQLite store in a temporary folder, every area's
// projector, a FakeClock, and a bootstrapped site whose QA people assess deviations and close them
// by signing with their passwords. Deviations are raised here as the raising areas do, in a
// transaction of their own (RaiseNextDeviation), so the tests need no equipment or batch. Each
// test asserts what QA, or batch release asking OpenDeviationsIn, would see, and ends by checking
// that the projections rebuilt from the ledger equal the live tables.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aliquot/app/ledger_service.h"
#include "aliquot/app/projection.h"
#include "aliquot/app/projectors.h"
#include "aliquot/app/quality_records.h"
#include "aliquot/app/quality_service.h"
#include "aliquot/app/services.h"
#include "aliquot/core/ed25519.h"
#include "aliquot/core/password_hash.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/storage/sqlite/sqlite_store.h"
#include "tests/support/describe.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace aliquot::app {
namespace {

using ::aliquot::testing::Describe;
using ::aliquot::testing::FakeClock;
using ::aliquot::testing::TempDir;
using identity::Meaning;
using identity::Role;
using quality::DeviationState;

constexpr std::string_view kSite = "LEI";
constexpr std::string_view kPassword = "Leiden-cells-2026";

// "failed_precondition on status", or "accepted".
template <typename T>
std::string Refusal(const Result<T>& result) {
  if (result) return "accepted";
  return std::string(ErrorCodeName(result.error().Code())) + " on " + result.error().Field();
}

Ed25519SigningKey::Seed FixedSeed() {
  Ed25519SigningKey::Seed seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(5 * i + 1);
  return seed;
}

quality::DeviationAssessment Assessment(std::vector<std::string> batches_affected = {},
                                        bool investigation_required = false) {
  return {.classification = quality::Classification::kMinor,
          .impact = "No impact on product quality",
          .root_cause = "",
          .investigation_required = investigation_required,
          .batches_affected = std::move(batches_affected)};
}

std::vector<std::string> Ids(const std::vector<DeviationState>& deviations) {
  std::vector<std::string> ids;
  ids.reserve(deviations.size());
  for (const DeviationState& deviation : deviations) ids.push_back(deviation.id);
  return ids;
}

// A site freshly bootstrapped with an operator (oliver), a QA reviewer (quinn) and a QA approver
// (anna).
class QualitySiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::SqliteStoreOptions options;
    options.path = (dir_ / "aliquot.db").string();
    options.mode = storage::OpenMode::kReadWriteCreate;
    auto store = storage::SqliteStore::Open(options, clock_, *projector_);
    ASSERT_EQ(Describe(store), "ok");
    store_ = std::move(*store);
    auto services = Services::Create(*store_, *store_, clock_, credentials_key_,
                                     {PasswordHashCost::Minimum(), kDefaultMaxUploadBytes});
    ASSERT_EQ(Describe(services), "ok");
    services_ = std::move(*services);
    ledger_ = std::make_unique<LedgerService>(*store_, clock_, signing_key_, *projector_);

    BootstrapCommand command;
    command.site = {std::string(kSite), "Leiden Cell Therapy Unit", {}};
    command.administrator_id = "sam";
    command.administrator_name = "Sam de Boer";
    command.terminal.id = "LEI-QA-WS1";
    command.terminal.name = "QA workstation";
    command.terminal.location = "QA office";
    command.terminal.kind = identity::TerminalKind::kWorkstation;
    auto bootstrapped = services_->Identity().identity.Bootstrap(command, "cli:lab-1");
    ASSERT_EQ(Describe(bootstrapped), "ok");
    terminal_token_ = bootstrapped->terminal_token;
    auto admin = FirstSignIn("sam", bootstrapped->temporary_password);
    ASSERT_EQ(Describe(admin), "ok");
    admin_ = *admin;
    const std::vector<std::tuple<std::string, std::string, Role, RequestContext*>> people{
        {"oliver", "Oliver Okafor", Role::kOperator, &oliver_},
        {"quinn", "Quinn de Vries", Role::kQaReviewer, &quinn_},
        {"anna", "Anna Bakker", Role::kQaApprover, &anna_},
    };
    for (const auto& [id, name, role, context] : people) {
      auto created =
          services_->Identity().identity.CreateUser(admin_, id, name, {{std::string(kSite), role}});
      ASSERT_EQ(Describe(created), "ok") << id;
      auto signed_in = FirstSignIn(id, created->secret);
      ASSERT_EQ(Describe(signed_in), "ok") << id;
      *context = *signed_in;
    }
  }

  void TearDown() override {
    if (ledger_ != nullptr) {
      EXPECT_EQ(Describe(ledger_->Verify({})), "ok")
          << "the projections rebuilt from the ledger differ from the live tables";
    }
  }

  Result<RequestContext> FirstSignIn(const std::string& user, const std::string& temporary) {
    SessionService& sessions = services_->Sessions();
    ALIQUOT_ASSIGN_OR_RETURN(const SignInOutcome first,
                             sessions.SignIn({terminal_token_, user, temporary, std::nullopt}));
    ALIQUOT_RETURN_IF_ERROR(
        sessions.ChangeOwnPassword(first.context, temporary, std::string(kPassword)));
    ALIQUOT_ASSIGN_OR_RETURN(
        const SignInOutcome again,
        sessions.SignIn({terminal_token_, user, std::string(kPassword), std::nullopt}));
    return again.context;
  }

  QualityService& Quality() { return services_->Quality(); }

  // A deviation listing `batches`, raised by the system as the raising areas do: its id.
  std::string Raise(std::vector<std::string> batches) {
    quality::DeviationInput input;
    input.source = quality::DeviationSource::kActionLimit;
    input.title = "Viability below the action limit";
    input.description = "Viability 78.2 %; action low 80 %";
    input.batches = std::move(batches);
    AppendRequest request;
    EXPECT_EQ(Describe(store_->Read([&](StoreReader& reader) -> Status {
                ALIQUOT_ASSIGN_OR_RETURN(ledger::NewEvent event,
                                         RaiseNextDeviation(reader, input, clock_.Now(),
                                                            {"system", "Aliquot"}, "LEI-QA-WS1"));
                request.expectations.push_back({event.stream, 0});
                request.events.push_back(std::move(event));
                return {};
              })),
              "ok");
    auto appended = store_->Append(request);
    EXPECT_EQ(Describe(appended), "ok");
    clock_.Advance(kMicrosPerSecond);
    return appended && !appended->empty() ? appended->front().stream.id : "";
  }

  // `signer` signs deviation `id` approved, over the content they were shown, with `comment`.
  Result<identity::ElectronicSignature> Close(const RequestContext& signer, const std::string& id,
                                              std::optional<std::string> comment,
                                              std::string password = std::string(kPassword)) {
    SignatureService& signatures = services_->Signatures();
    const identity::RecordRef record{"deviation", id};
    ALIQUOT_ASSIGN_OR_RETURN(const RecordSignatures shown, signatures.Signatures(signer, record));
    SignRequest request;
    request.meaning = Meaning::kApproved;
    request.content_hash = shown.content_hash;
    request.comment = std::move(comment);
    request.password = std::move(password);
    return signatures.Sign(signer, record, request);
  }

  std::vector<std::string> OpenIn(const std::string& batch) {
    std::vector<DeviationState> open;
    EXPECT_EQ(Describe(store_->Read([&](StoreReader& reader) -> Status {
                ALIQUOT_ASSIGN_OR_RETURN(open, QualityService::OpenDeviationsIn(reader, batch));
                return {};
              })),
              "ok");
    for (const DeviationState& deviation : open) {
      EXPECT_NE(deviation.status, quality::DeviationStatus::kClosed) << deviation.id;
    }
    return Ids(open);
  }

  std::vector<std::string> ListedFor(const std::string& batch) {
    auto deviations = Quality().Deviations(quinn_, batch);
    EXPECT_EQ(Describe(deviations), "ok");
    return deviations ? Ids(*deviations) : std::vector<std::string>();
  }

  DeviationState Stored(const std::string& id) {
    auto deviation = Quality().Deviation(quinn_, id);
    EXPECT_EQ(Describe(deviation), "ok") << id;
    return deviation ? *deviation : DeviationState();
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Projector> projector_ = MakeAllProjectors();
  SecretKey credentials_key_ = SecretKey::Generate();
  Ed25519SigningKey signing_key_ = Ed25519SigningKey::FromSeed(FixedSeed());
  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<LedgerService> ledger_;
  std::string terminal_token_;
  RequestContext admin_;
  RequestContext oliver_;
  RequestContext quinn_;
  RequestContext anna_;
};

// Verifies G-04 and 21 CFR 211.192: batch release asks which deviations that may affect a batch
// are not closed: those raised listing it and those QA's assessment extends to it; a closed one
// no longer counts, and a reassessment that no longer extends a deviation to a batch releases it
// from that batch. The list by batch shows the closed ones too.
TEST_F(QualitySiteTest, OpenDeviationsOfABatchAreThoseNotClosedThatMayAffectIt_G04) {
  const std::string first = Raise({"B-2026-0001", "B-2026-0002"});
  const std::string second = Raise({"B-2026-0002"});
  const std::string third = Raise({});
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(OpenIn("B-2026-0001"), (std::vector<std::string>{first}));
  EXPECT_EQ(OpenIn("B-2026-0002"), (std::vector<std::string>{first, second}));
  EXPECT_TRUE(OpenIn("B-2026-0003").empty());

  // QA extends the third to batches 1 and 3 (211.192: other batches that may be affected).
  ASSERT_EQ(Describe(Quality().Assess(quinn_, third, Assessment({"B-2026-0003", "B-2026-0001"}))),
            "ok");
  EXPECT_EQ(OpenIn("B-2026-0001"), (std::vector<std::string>{first, third}));
  EXPECT_EQ(OpenIn("B-2026-0003"), (std::vector<std::string>{third}));

  // The first is assessed and closed: batch 1 waits only on the third.
  ASSERT_EQ(Describe(Quality().Assess(quinn_, first, Assessment())), "ok");
  ASSERT_EQ(Describe(Close(anna_, first, "Within the process's validated range")), "ok");
  EXPECT_EQ(Stored(first).status, quality::DeviationStatus::kClosed);
  EXPECT_EQ(OpenIn("B-2026-0001"), (std::vector<std::string>{third}));
  EXPECT_EQ(OpenIn("B-2026-0002"), (std::vector<std::string>{second}));

  // Reassessed, the third no longer reaches batch 1.
  ASSERT_EQ(Describe(Quality().Assess(anna_, third, Assessment({"B-2026-0003"}))), "ok");
  EXPECT_TRUE(OpenIn("B-2026-0001").empty());
  EXPECT_EQ(OpenIn("B-2026-0003"), (std::vector<std::string>{third}));

  // QA's list by batch shows every deviation that may affect it, closed ones too, newest first.
  EXPECT_EQ(ListedFor("B-2026-0001"), (std::vector<std::string>{first}));
  EXPECT_EQ(ListedFor("B-2026-0002"), (std::vector<std::string>{second, first}));
  EXPECT_EQ(ListedFor("B-2026-0003"), (std::vector<std::string>{third}));
}

// Verifies G-04, G-05, P11-07 and P11-12: QA assesses (reviewers and approvers), an approver closes
// an assessed deviation by signing it with the justification as the comment; the closure's
// refusals come before the password is checked; the signature stays valid for the closed
// deviation, which is never assessed again.
TEST_F(QualitySiteTest, QaClosesAnAssessedDeviationBySignatureWithItsJustification_G05) {
  const std::string id = Raise({"B-2026-0001"});
  EXPECT_EQ(Refusal(Quality().Assess(oliver_, id, Assessment())), "permission_denied on action");
  EXPECT_EQ(Refusal(Quality().Assess(quinn_, "DEV-2099-0001", Assessment())),
            "not_found on deviation_id");
  // Open: refused for its state, even with a wrong password.
  EXPECT_EQ(Refusal(Close(anna_, id, "No impact", "Not-the-password-1")),
            "failed_precondition on status");
  ASSERT_EQ(Describe(Quality().Assess(quinn_, id, Assessment({}, true))), "ok");
  EXPECT_EQ(Refusal(Close(anna_, id, "No impact")),
            "failed_precondition on investigation_required");
  ASSERT_EQ(Describe(Quality().Assess(quinn_, id, Assessment())), "ok");
  EXPECT_EQ(Refusal(Close(quinn_, id, "No impact")), "permission_denied on action");
  EXPECT_EQ(Refusal(Close(anna_, id, std::nullopt)), "invalid_argument on comment");
  EXPECT_EQ(Refusal(Close(anna_, id, "No impact", "Not-the-password-1")),
            "unauthenticated on password");
  EXPECT_EQ(Stored(id).status, quality::DeviationStatus::kAssessed);

  auto closed = Close(anna_, id, "No impact: the value was within the validated range");
  ASSERT_EQ(Describe(closed), "ok");
  EXPECT_EQ(closed->comment, "No impact: the value was within the validated range");
  const DeviationState deviation = Stored(id);
  EXPECT_EQ(deviation.status, quality::DeviationStatus::kClosed);
  EXPECT_EQ(deviation.closed_by, "anna");
  EXPECT_EQ(deviation.closing_justification, "No impact: the value was within the validated range");
  EXPECT_EQ(deviation.assessments.size(), 2U);
  auto signatures = services_->Signatures().Signatures(quinn_, {"deviation", id});
  ASSERT_EQ(Describe(signatures), "ok");
  ASSERT_EQ(signatures->signatures.size(), 1U);
  EXPECT_EQ(signatures->signatures[0].content_hash, signatures->content_hash);
  EXPECT_EQ(Refusal(Quality().Assess(quinn_, id, Assessment())), "failed_precondition on status");
  EXPECT_EQ(Refusal(Close(anna_, id, "Again")), "failed_precondition on status");
}

}  // namespace
}  // namespace aliquot::app
