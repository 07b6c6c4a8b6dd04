#include "aliquot/app/demo_site.h"

#include <array>
#include <string>

namespace aliquot::app {
namespace {

using identity::Role;

struct DemoUser {
  const char* id;
  const char* name;
  Role role;
};

// One person per role at the Leiden unit.
constexpr std::array<DemoUser, 10> kUsers{{
    {"oliver", "Oliver Okafor", Role::kOperator},
    {"vera", "Vera Visser", Role::kVerifier},
    {"quinn", "Quinn de Vries", Role::kQaReviewer},
    {"anna", "Anna Bakker", Role::kQaApprover},
    {"carlos", "Carlos Mendes", Role::kQcAnalyst},
    {"dora", "Dora Jansen", Role::kDocumentOwner},
    {"tomas", "Tomas Novak", Role::kTrainingCoordinator},
    {"erik", "Erik Lindqvist", Role::kEquipmentOwner},
    {"wendy", "Wendy Smit", Role::kWarehouse},
    {"audrey", "Audrey Laurent", Role::kAuditor},
}};

struct DemoTerminal {
  const char* id;
  const char* name;
  const char* location;
  identity::TerminalKind kind;
  const char* token;
};

constexpr std::array<DemoTerminal, 3> kTerminals{{
    {"LEI-SUITE2-TAB1", "Suite 2 tablet 1", "Grade B cleanroom suite 2, bench 1",
     identity::TerminalKind::kTablet,
     "de30000000000000000000000000000000000000000000000000000000000001"},
    {"LEI-QA-WS1", "QA office workstation 1", "QA office, first floor",
     identity::TerminalKind::kWorkstation, kDemoQaTerminalToken.data()},
    {"LEI-GW-BIOREACTOR", "Bioreactor gateway", "Grade C corridor, rack 2",
     identity::TerminalKind::kInstrumentGateway,
     "de30000000000000000000000000000000000000000000000000000000000003"},
}};

// Signs `user_id` in on `terminal_token` and, for a temporary password, sets the demo one, as
// each person does at their first sign-in.
Result<RequestContext> FirstSignIn(SessionService& sessions, const std::string& user_id,
                                   const std::string& password, const std::string& terminal_token) {
  ALIQUOT_ASSIGN_OR_RETURN(SignInOutcome outcome,
                           sessions.SignIn({terminal_token, user_id, password, std::nullopt}));
  if (outcome.password_change_required) {
    ALIQUOT_RETURN_IF_ERROR(
        sessions.ChangeOwnPassword(outcome.context, password, std::string(kDemoPassword)));
    ALIQUOT_RETURN_IF_ERROR(sessions.SignOut(outcome.context));
    ALIQUOT_ASSIGN_OR_RETURN(outcome, sessions.SignIn({terminal_token, user_id,
                                                       std::string(kDemoPassword), std::nullopt}));
  }
  return outcome.context;
}

}  // namespace

Status CreateDemoSite(const DemoServices& services, const std::string& terminal,
                      const std::function<void(std::string_view)>& say) {
  BootstrapCommand bootstrap;
  bootstrap.site.id = "LEI";
  bootstrap.site.name = "Leiden Cell Therapy Unit";
  bootstrap.administrator_id = "sam";
  bootstrap.administrator_name = "Sam de Boer";
  bootstrap.terminal.id = "LEI-ADMIN-CONSOLE";
  bootstrap.terminal.name = "Administration console";
  bootstrap.terminal.location = "IT office, ground floor";
  bootstrap.terminal.kind = identity::TerminalKind::kWorkstation;
  ALIQUOT_ASSIGN_OR_RETURN(const BootstrapOutcome started,
                           services.identity.Bootstrap(bootstrap, terminal));
  say("site LEI (Leiden Cell Therapy Unit), system administrator sam, terminal "
      "LEI-ADMIN-CONSOLE");
  ALIQUOT_ASSIGN_OR_RETURN(
      const RequestContext admin,
      FirstSignIn(services.sessions, "sam", started.temporary_password, started.terminal_token));

  for (const DemoTerminal& device : kTerminals) {
    identity::RegisterTerminalCommand command;
    command.id = device.id;
    command.site = "LEI";
    command.name = device.name;
    command.location = device.location;
    command.kind = device.kind;
    // The gateway only delivers instrument data (a later capability): nothing else from it.
    command.restricted = device.kind == identity::TerminalKind::kInstrumentGateway;
    ALIQUOT_ASSIGN_OR_RETURN(
        const NewCredential credential,
        services.identity.RegisterTerminal(admin, command, std::string(device.token)));
    (void)credential;
    say(std::string("terminal ") + device.id + " (" + device.name + ")");
  }

  const std::string qa_token(kDemoQaTerminalToken);
  for (const DemoUser& user : kUsers) {
    ALIQUOT_ASSIGN_OR_RETURN(
        const NewCredential temporary,
        services.identity.CreateUser(admin, user.id, user.name, {{"LEI", user.role}}));
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context,
                             FirstSignIn(services.sessions, user.id, temporary.secret, qa_token));
    ALIQUOT_RETURN_IF_ERROR(services.sessions.SignOut(context));
    say(std::string("user ") + user.id + " (" + user.name + "), " +
        std::string(identity::RoleName(user.role)));
  }

  // QA approves everyone's access but the auditor's (pending) and her own (she cannot approve
  // her own access; a second QA approver would).
  ALIQUOT_ASSIGN_OR_RETURN(
      const RequestContext anna,
      FirstSignIn(services.sessions, "anna", std::string(kDemoPassword), qa_token));
  for (const char* id :
       {"sam", "oliver", "vera", "quinn", "carlos", "dora", "tomas", "erik", "wendy"}) {
    ALIQUOT_ASSIGN_OR_RETURN(const RecordSignatures record,
                             services.signatures.Signatures(anna, {"user", id}));
    SignRequest request;
    request.meaning = identity::Meaning::kApproved;
    request.content_hash = record.content_hash;
    request.password = std::string(kDemoPassword);
    request.comment = "Access request approved: role matches the job description";
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ElectronicSignature signature,
                             services.signatures.Sign(anna, {"user", id}, request));
    (void)signature;
  }
  ALIQUOT_RETURN_IF_ERROR(services.sessions.SignOut(anna));
  say("access of 9 accounts approved by anna (QA approver); audrey's and anna's pending");
  return services.sessions.SignOut(admin);
}

}  // namespace aliquot::app
