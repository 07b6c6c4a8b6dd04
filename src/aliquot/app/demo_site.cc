#include "aliquot/app/demo_site.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aliquot/app/batch_service.h"
#include "aliquot/app/demo_clock.h"
#include "aliquot/app/demo_definitions.h"
#include "aliquot/app/environment_service.h"
#include "aliquot/app/equipment_service.h"
#include "aliquot/app/material_service.h"
#include "aliquot/app/recipe_service.h"
#include "aliquot/core/check.h"
#include "aliquot/core/json.h"
#include "aliquot/core/sha256.h"
#include "aliquot/core/yaml.h"
#include "aliquot/domain/documents/document.h"
#include "aliquot/domain/environment/monitoring.h"
#include "aliquot/domain/environment/room.h"
#include "aliquot/domain/equipment/equipment.h"
#include "aliquot/domain/materials/lot.h"
#include "aliquot/domain/materials/material.h"
#include "aliquot/domain/materials/supplier.h"
#include "aliquot/domain/quality/deviation.h"
#include "aliquot/domain/recipes/definition.h"
#include "aliquot/domain/recipes/formula.h"
#include "aliquot/domain/training/training.h"

namespace aliquot::app {
namespace {

using documents::DocumentKind;
using identity::Meaning;
using identity::Role;

struct DemoServices {
  IdentityService& identity;
  SessionService& sessions;
  SignatureService& signatures;
};

struct DemoUser {
  const char* id;
  const char* name;
  Role role;
};

// One person per role at the Leiden unit, a second operator, and a second QA approver (bram), who
// determines donors' eligibility so that anna may release the collections (A11-01).
constexpr std::array<DemoUser, 12> kUsers{{
    {"oliver", "Oliver Okafor", Role::kOperator},
    {"priya", "Priya Raman", Role::kOperator},
    {"vera", "Vera Visser", Role::kVerifier},
    {"quinn", "Quinn de Vries", Role::kQaReviewer},
    {"anna", "Anna Bakker", Role::kQaApprover},
    {"bram", "Bram Hendriks", Role::kQaApprover},
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
     identity::TerminalKind::kTablet, kDemoSuiteTabletToken.data()},
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

// ---- The CAR-T document set -------------------------------------------------------------------

// "a\nb" -> {"a", "b"}: a document's list items, written one per line.
std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// One controlled document as its Markdown file reads: purpose, scope, responsibilities, the
// numbered steps (a form's fields, a specification's tests) and references.
struct Procedure {
  std::string id;
  DocumentKind kind = DocumentKind::kSop;
  std::string title;
  int review_interval_months = 24;
  std::string purpose;
  std::string scope;
  std::vector<std::string> responsibilities;
  std::vector<std::string> steps;
  std::vector<std::string> references;
};

// The unit's documents for the autologous CAR-T process, with the critical process parameters of
// the team's CGT primer (shared/domain/cgt-primer.md). Owner dora; reviewed every 24 months, but
// for the welding work instruction, reviewed monthly while the new welder is validated.
std::vector<Procedure> CarTDocuments() {
  std::vector<Procedure> set;
  set.push_back(
      {"SOP-CT-001", DocumentKind::kSop, "Gowning for grade B cleanrooms", 24,
       "How to gown for entry to the grade B cleanroom suites so that people do not contaminate "
       "the aseptic process, and how gowning is qualified.",
       "Everyone entering grade B suites 1-3 from the grade C corridor: operators, verifiers, QC "
       "analysts sampling, equipment owners for maintenance.",
       Lines("Everyone entering: gown as below at every entry; leave at once if the gown is "
             "damaged.\n"
             "Verifier (trainer): qualifies gowning by observed practice and contact plates.\n"
             "QC analyst: incubates and reads the gowning qualification plates.\n"
             "Training coordinator: schedules the annual requalification."),
       Lines("Remove jewellery, watches and make-up. Do not enter with symptoms of illness or open "
             "wounds; tell the supervisor.\n"
             "At the grade C changing room: change into facility clothing and shoes; wash hands "
             "and forearms for 30 s, dry them and disinfect with 70% IPA.\n"
             "Enter the grade B airlock only when the previous person has left it (interlocked "
             "doors).\n"
             "Put on the sterile hood and mask, then the sterile coverall without letting it touch "
             "the floor, then sterile overboots while crossing the step-over bench.\n"
             "Put on goggles and two pairs of sterile gloves, the outer pair over the cuffs; "
             "disinfect the gloves with sterile 70% IPA.\n"
             "Check in the mirror: no skin or hair exposed, cuffs covered, mask over the nose.\n"
             "Qualification: three consecutive gownings with contact plates on both gloves, "
             "forearms and hood; action level 5 CFU/plate (grade B), glove fingertips < 1 CFU.\n"
             "Requalify every 12 months, and after any gowning plate above the action level."),
       Lines("EU GMP Annex 1 (2022), chapter 7 Personnel\n"
             "SOP-QC-010 Environmental monitoring sampling\n"
             "SOP-CT-009 Cleaning and disinfection of grade A/B areas")});
  set.push_back(
      {"SOP-CT-002", DocumentKind::kSop, "Apheresis receipt and chain-of-identity check", 24,
       "How an apheresis bag is received, checked and quarantined so that it provably belongs to "
       "the patient on the manufacturing order.",
       "Every apheresis bag delivered to the unit for autologous CAR-T manufacture.",
       Lines("Warehouse: receives the shipper, reads the logger, checks identity, quarantines the "
             "bag.\n"
             "Second person (warehouse or operator): checks the chain of identity independently.\n"
             "QA: decides on every discrepancy; nobody relabels a bag."),
       Lines("Receive the shipper at goods-in; record the courier, the time of arrival and whether "
             "the shipper seal is intact.\n"
             "Stop and download the temperature logger: the whole trip must be within 2-8 C. Any "
             "excursion: quarantine the bag and raise a deviation.\n"
             "Check the time since collection: at most 48 h at receipt (the process limit is 72 h "
             "at the start of manufacture).\n"
             "Compare the bag label with the manufacturing order, two people, one reading aloud: "
             "chain-of-identity (COI) ID, donor identification code, collection date and centre. "
             "No patient name or date of birth is used.\n"
             "Inspect the bag: no leak, clot or damaged port; volume within the order's range.\n"
             "Label the bag with the in-process label (FRM-CT-013) carrying the COI ID; store it "
             "in the 2-8 C quarantine fridge, one patient per shelf.\n"
             "Record the receipt in Aliquot. A mismatch at step 4 stops the batch: call QA."),
       Lines("21 CFR 1271.290 Tracking\n"
             "FRM-CT-013 In-process sample label\n"
             "SOP-QA-011 Batch record review and release")});
  set.push_back(
      {"SOP-CT-003", DocumentKind::kSop, "Aseptic processing in the biosafety cabinet", 24,
       "How open manipulations are performed in the grade A biosafety cabinet without "
       "contaminating the product or mixing up patients' material.",
       "Every open manipulation of cells, reagents or vector in the class II biosafety cabinets "
       "of grade B suites 1-3.",
       Lines("Operator: performs the manipulation as below.\n"
             "Verifier: checks each critical step as it happens and signs it as verified.\n"
             "QC analyst: environmental monitoring during the operation (SOP-QC-010)."),
       Lines("Check that the cabinet's certification is in date and its airflow alarm is silent; "
             "run it for 10 min before use.\n"
             "Disinfect the work surface with the sporicidal agent, then sterile 70% IPA "
             "(SOP-CT-009).\n"
             "Pass items in through the pass box, wiping each with sterile 70% IPA; take in only "
             "what the step needs.\n"
             "Work at least 10 cm inside the front grille with slow movements; never block the "
             "rear grille.\n"
             "One patient's material in the cabinet at a time; line clearance between patients.\n"
             "Active air sample and settle plate for the whole manipulation; fingertip plates on "
             "both hands at the end (grade A: < 1 CFU).\n"
             "Afterwards: remove waste, disinfect, and record the cabinet ID and times in the "
             "batch record."),
       Lines("EU GMP Annex 1 (2022), grade A\n"
             "EN 12469 Microbiological safety cabinets\n"
             "SOP-CT-009 Cleaning and disinfection of grade A/B areas\n"
             "SOP-QC-010 Environmental monitoring sampling")});
  set.push_back(
      {"SOP-CT-004", DocumentKind::kSop, "Cell counting and viability", 24,
       "How total nucleated cells, viable cells and viability are counted, so that every dose "
       "calculation and limit check starts from a reliable number.",
       "Incoming apheresis samples, daily in-process counts during expansion, harvest and final "
       "product counts.",
       Lines("Operator: in-process counts.\n"
             "QC analyst: release counts.\n"
             "Verifier: checks the calculation of total viable cells."),
       Lines("Run the counter's daily check with control beads; use it only if the result is in "
             "range.\n"
             "Mix the sample by gentle pipetting 10 times; take two independent aliquots.\n"
             "Stain with AO/DAPI as the counter's method says; load the slide within 5 min.\n"
             "Count each aliquot; accept when the two results differ by <= 10%, else repeat.\n"
             "Report viable cells per mL and viability %; total viable cells = concentration x "
             "volume.\n"
             "Limits: incoming viability >= 70%; harvest viability >= 80%; daily expansion counts "
             "are trended as fold expansion.\n"
             "Record the counter ID, slide lot and raw results; tell QA at once of a result "
             "outside a limit."),
       Lines("Cell counter user manual, revision 3\n"
             "ISO 20391-1 Cell counting, general guidance\n"
             "SPEC-CT-014 Final product specification")});
  set.push_back(
      {"SOP-CT-005", DocumentKind::kSop, "T-cell activation and lentiviral transduction", 24,
       "How enriched T cells are activated on day 0 and transduced with the lentiviral vector on "
       "day 1, within the process parameters that make the product.",
       "Activation and transduction of every CAR-T batch, in the closed bag system of suite 2.",
       Lines("Operator: performs activation and transduction.\n"
             "Verifier: checks the vector lot, the MOI calculation and the start time before the "
             "vector is added.\n"
             "QA: assesses any parameter outside its range as a deviation."),
       Lines(
           "Day 0: count the enriched T cells (SOP-CT-004) and record CD3+ %; seed at 1.0 x 10^6 "
           "viable cells/mL in complete medium with IL-7/IL-15 (record lots and concentrations).\n"
           "Add the anti-CD3/CD28 activation reagent (record the lot) at the ratio in the batch "
           "record; record the time of activation.\n"
           "Incubate at 37.0 +/- 0.5 C and 5.0 +/- 0.5% CO2.\n"
           "Day 1: thaw the lentiviral vector (record lot and titre) at room temperature; use it "
           "within 30 min.\n"
           "Calculate the vector volume for an MOI of 1-5 from the viable cell count at "
           "transduction.\n"
           "Start transduction 18-48 h after activation.\n"
           "Add the vector through a sterile weld (WI-CT-012); mix gently; record the start time."),
       Lines("SOP-CT-003 Aseptic processing in the biosafety cabinet\n"
             "SOP-CT-004 Cell counting and viability\n"
             "SOP-CT-006 Bioreactor operation and expansion\n"
             "WI-CT-012 Sterile welding of bag sets")});
  set.push_back(
      {"SOP-CT-006", DocumentKind::kSop, "Bioreactor operation and expansion", 24,
       "How the transduced cells are expanded in the rocking bioreactor to the number the dose "
       "needs, with the culture kept within its parameters.",
       "Expansion from day 2 to harvest (day 7-10) in the single-use bioreactors of suite 2.",
       Lines("Operator: sets up, feeds and samples the culture.\n"
             "Equipment owner: keeps the bioreactors calibrated and maintained.\n"
             "Verifier: checks set points and alarms at set-up and at each feed."),
       Lines("Install the single-use bag (record its lot), weld it to the line (WI-CT-012) and run "
             "the leak test.\n"
             "Set points: temperature 37.0 +/- 0.5 C, CO2 5.0 +/- 0.5%, pH 7.0-7.4; dissolved O2 "
             "and rocking as in the batch record.\n"
             "Transfer the transduced cells on day 2; record time and volume.\n"
             "Feed and perfuse on the schedule in the batch record; record each medium lot.\n"
             "Sample daily for count and viability (SOP-CT-004); record fold expansion.\n"
             "Temperature, CO2 or pH out of range for more than 15 min: tell the verifier and "
             "raise a deviation.\n"
             "Harvest when the target number of viable cells is reached, or on day 10."),
       Lines("SOP-CT-004 Cell counting and viability\n"
             "SOP-CT-007 Harvest, formulation and fill\n"
             "WI-CT-012 Sterile welding of bag sets")});
  set.push_back(
      {"SOP-CT-007", DocumentKind::kSop, "Harvest, formulation and fill", 24,
       "How the expanded cells are harvested, formulated to the patient's dose and filled into "
       "labelled infusion bags.",
       "Harvest to the end of fill for every CAR-T batch.",
       Lines("Operator: harvests, formulates and fills.\n"
             "Verifier: checks the dose calculation and every label against the order.\n"
             "QC analyst: receives the release samples."),
       Lines(
           "Confirm the harvest criteria (SOP-CT-006); remove the activation beads (two magnetic "
           "passes).\n"
           "Wash and concentrate in the closed counterflow centrifuge; record recovery %.\n"
           "Count (SOP-CT-004): viability >= 80%; total viable cells.\n"
           "Calculate the dose in CAR+ viable cells per kg body weight from the order, never above "
           "the protocol's maximum.\n"
           "Add the cryoprotectant at 2-8 C; no more than 60 min may pass before freezing starts.\n"
           "Fill one infusion bag to the volume in the batch record; weld and seal; take the "
           "release samples (sterility, mycoplasma, endotoxin, identity, CAR expression, VCN, "
           "potency).\n"
           "Label the bag with the COI ID, product name and expiry; a second person checks the "
           "label against the order."),
       Lines("SOP-CT-004 Cell counting and viability\n"
             "SOP-CT-008 Controlled-rate freezing and LN2 storage\n"
             "SPEC-CT-014 Final product specification")});
  set.push_back(
      {"SOP-CT-008", DocumentKind::kSop, "Controlled-rate freezing and LN2 storage", 24,
       "How filled product bags are frozen on the validated profile and stored in LN2 vapour "
       "until release and shipment.",
       "Freezing and storage of every final product bag and its retains.",
       Lines("Operator: loads and unloads the freezer, transfers bags to storage.\n"
             "Equipment owner: maintains the freezer and the LN2 storage, reviews their logs.\n"
             "QA: assesses any freeze curve outside the profile."),
       Lines("Pre-cool the controlled-rate freezer and select the validated profile (about -1 "
             "C/min to -80 C); record its ID.\n"
             "Load the bags in cassettes with the probe in the dummy bag; start within the hold "
             "time of SOP-CT-007.\n"
             "At the end, review the freeze curve; a curve outside the profile goes to QA.\n"
             "Transfer the bags in a pre-cooled carrier to LN2 vapour storage at <= -150 C; record "
             "freezer, rack and box.\n"
             "A storage alarm above -150 C is answered at once, day or night.\n"
             "Review the LN2 level and temperature log monthly."),
       Lines("SOP-CT-007 Harvest, formulation and fill\n"
             "SPEC-CT-014 Final product specification")});
  set.push_back(
      {"SOP-CT-009", DocumentKind::kSop, "Cleaning and disinfection of grade A/B areas", 24,
       "How grade A and B areas are cleaned and disinfected so that the environment stays within "
       "its limits.",
       "Biosafety cabinets (grade A) and cleanroom suites 1-3 (grade B).",
       Lines("Operators: clean the cabinets before and after each session.\n"
             "Equipment owner: cleans the suites and keeps the agents in stock and in date.\n"
             "QC analyst: monitors the result (SOP-QC-010)."),
       Lines("Use only sterile, in-date agents: a detergent, a disinfectant and a sporicidal "
             "agent, prepared as their labels say.\n"
             "Grade A: before and after each session, the sporicidal agent then sterile 70% IPA, "
             "each for its contact time.\n"
             "Grade B: floors, walls and surfaces daily, top-down and clean to dirty, with "
             "overlapping strokes and single-use mops.\n"
             "Apply the sporicidal agent to all grade A/B surfaces at least monthly.\n"
             "Record each cleaning in the room log; after a shutdown, clean three times and "
             "monitor before use (SOP-QC-010)."),
       Lines("EU GMP Annex 1 (2022), cleaning and disinfection\n"
             "SOP-QC-010 Environmental monitoring sampling")});
  set.push_back(
      {"SOP-QC-010", DocumentKind::kSop, "Environmental monitoring sampling", 24,
       "How the grade A and B areas are sampled for viable and non-viable particles, and what "
       "happens when a result exceeds its level.",
       "Routine and in-operation monitoring of the biosafety cabinets and suites 1-3.",
       Lines("QC analyst: samples, incubates, reads and trends.\n"
             "QA: assesses every action-level result.\n"
             "Operators: allow sampling during operations and report what they did at the time."),
       Lines("Sample the points and frequencies of the EM plan's room maps.\n"
             "Active air: 1 m3 per sample; in grade A during every open manipulation.\n"
             "Settle plates (90 mm) for the session, at most 4 h each.\n"
             "Contact plates on surfaces after the operation; glove prints at the end.\n"
             "Action levels: grade A < 1 CFU (air per m3, settle, contact); grade B 10 CFU/m3, 5 "
             "per settle plate, 5 per contact plate. Particles >= 0.5 um: grade A 3,520/m3; grade "
             "B 3,520 at rest, 352,000 in operation.\n"
             "Incubate at 20-25 C, then 30-35 C; count; identify any grade A growth to species.\n"
             "Above the alert level: trend. Above the action level: deviation and QA."),
       Lines("EU GMP Annex 1 (2022), environmental and process monitoring\n"
             "SOP-CT-009 Cleaning and disinfection of grade A/B areas")});
  set.push_back(
      {"SOP-QA-011", DocumentKind::kSop, "Batch record review and release", 24,
       "How QA reviews an executed batch record by exception and how the authorised person "
       "releases or rejects the batch.",
       "Every CAR-T batch, before shipment to the treating centre.",
       Lines("QA reviewer: reviews the record and its exceptions.\n"
             "QA approver (authorised person): releases or rejects by e-signature.\n"
             "QC analyst: provides the release results."),
       Lines("Review the exceptions the system flagged first: out-of-range values, late steps, "
             "corrections, refused attempts.\n"
             "Check that every deviation is closed or assessed for this batch; extend any "
             "investigation to other batches that may be affected.\n"
             "Check the chain of identity on every step and label.\n"
             "Check that the release results meet SPEC-CT-014.\n"
             "Check that each step was performed by people trained on the effective version of its "
             "SOP.\n"
             "The authorised person signs the batch released, or rejected with the reason."),
       Lines("21 CFR 211.188 and 211.192\n"
             "EU GMP Annex 16 Certification by a qualified person\n"
             "SPEC-CT-014 Final product specification")});
  set.push_back(
      {"WI-CT-012", DocumentKind::kWorkInstruction, "Sterile welding of bag sets", 1,
       "How two thermoplastic tubes are joined with the sterile tube welder, keeping the flow "
       "path closed. A temporary work instruction, reviewed monthly while the new welder is "
       "validated.",
       "The new sterile tube welder (SW-02) in suite 2, during its validation.",
       Lines("Operator: welds and inspects.\n"
             "Verifier: checks the weld before the clamps open.\n"
             "Equipment owner: keeps the welder's daily check and blade stock."),
       Lines("Check that the welder's daily test weld passed and that blades are in stock.\n"
             "Use only tubing on the welder's validated list (PVC, matching outer diameters).\n"
             "Load and clamp both tubes; run the weld; the cycle must end without an error code.\n"
             "Inspect the weld: aligned, no gap, no discolouration; roll and squeeze it before the "
             "clamps open.\n"
             "A failed weld: seal off both ends, use neither, tell the verifier.\n"
             "Record the welder ID, cycle count and inspection in the batch record."),
       Lines("Welder SW-02 user manual\n"
             "SOP-CT-003 Aseptic processing in the biosafety cabinet")});
  set.push_back(
      {"FRM-CT-013", DocumentKind::kForm, "In-process sample label", 24,
       "The label every in-process sample carries, so that each sample keeps its chain of "
       "identity.",
       "Every sample taken from a CAR-T batch, from apheresis receipt to final product.",
       Lines("Whoever takes the sample: fills in and applies the label.\n"
             "Second person: checks the COI ID against the batch."),
       Lines("COI ID, as barcode and text (no patient name).\n"
             "Batch number.\n"
             "Sample type (for example: day 7 count, sterility).\n"
             "Date and time taken.\n"
             "Taken by, verified by (initials).\n"
             "Storage: 2-8 C, ambient, or <= -65 C."),
       Lines("SOP-CT-002 Apheresis receipt and chain-of-identity check\n"
             "21 CFR 1271.290")});
  set.push_back(
      {"SPEC-CT-014", DocumentKind::kSpecification, "Final product specification", 24,
       "The tests and acceptance criteria the final CAR-T product meets before release.",
       "Every final product batch.",
       Lines("QC analyst: tests and reports.\n"
             "QA approver: releases only within specification."),
       Lines("Viability: >= 70%.\n"
             "Identity: CD3+ >= 80%.\n"
             "CAR expression (transduction efficiency): >= 15%.\n"
             "Vector copy number: <= 5 copies per transduced cell.\n"
             "Potency: IFN-gamma release on antigen co-culture above the qualified threshold.\n"
             "Sterility (culture, 14 days): no growth.\n"
             "Mycoplasma (PCR): not detected.\n"
             "Endotoxin: < 5 EU/kg body weight per dose.\n"
             "Replication-competent lentivirus: not detected.\n"
             "Dose: CAR+ viable cells per kg body weight within the order, below the protocol "
             "maximum."),
       Lines("SOP-CT-004 Cell counting and viability\n"
             "SOP-QA-011 Batch record review and release")});
  return set;
}

std::string_view KindTitle(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kSop:
      return "Standard operating procedure";
    case DocumentKind::kWorkInstruction:
      return "Work instruction";
    case DocumentKind::kForm:
      return "Form";
    case DocumentKind::kSpecification:
      return "Specification";
  }
  return "Document";
}

std::string_view StepsHeading(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::kForm:
      return "Fields";
    case DocumentKind::kSpecification:
      return "Tests and acceptance criteria";
    default:
      return "Procedure";
  }
}

struct HistoryLine {
  int version = 0;
  std::string change;
};

// The document's Markdown file at `version`, with its revision history.
std::string Markdown(const Procedure& procedure, int version,
                     const std::vector<HistoryLine>& history) {
  std::string text = "# " + procedure.id + " " + procedure.title + "\n\n";
  text += "| Field | Value |\n|---|---|\n";
  text += "| Document | " + procedure.id + " |\n";
  text += "| Type | " + std::string(KindTitle(procedure.kind)) + " |\n";
  text += "| Version | " + std::to_string(version) + " |\n";
  text += "| Site | LEI, Leiden Cell Therapy Unit |\n";
  text += "| Owner | Dora Jansen, document owner |\n";
  text += "| Periodic review | every " + std::to_string(procedure.review_interval_months) +
          (procedure.review_interval_months == 1 ? " month" : " months") + " |\n\n";
  text += "## 1 Purpose\n\n" + procedure.purpose + "\n\n";
  text += "## 2 Scope\n\n" + procedure.scope + "\n\n";
  text += "## 3 Responsibilities\n\n";
  for (const std::string& line : procedure.responsibilities) text += "- " + line + "\n";
  text += "\n## 4 " + std::string(StepsHeading(procedure.kind)) + "\n\n";
  for (std::size_t i = 0; i < procedure.steps.size(); ++i) {
    text += std::to_string(i + 1) + ". " + procedure.steps[i] + "\n";
  }
  text += "\n## 5 References\n\n";
  for (const std::string& line : procedure.references) text += "- " + line + "\n";
  text += "\n## 6 Revision history\n\n| Version | Change |\n|---|---|\n";
  for (const HistoryLine& line : history) {
    text += "| " + std::to_string(line.version) + " | " + line.change + " |\n";
  }
  return text;
}

// ---- The people at work ------------------------------------------------------------------------

// Where each person works: operators and the verifier on the suite 2 tablet, everyone else at
// the QA office workstation.
std::string TerminalTokenOf(const std::string& user) {
  if (user == "oliver" || user == "priya" || user == "vera") {
    return std::string(kDemoSuiteTabletToken);
  }
  return std::string(kDemoQaTerminalToken);
}

// The site's people at work. Each signs in at their own terminal when they start work and out when
// they stop: whoever would have reached the session's idle limit (15 minutes) before the demo's
// clock moves on is signed out a few minutes after their last action, and signs in again when next
// needed. Counts the signatures they make.
class Staff {
 public:
  Staff(Services& services, DemoClock& clock) : services_(services), clock_(clock) {}

  // Keeps the session of `user`'s first sign-in for their first work.
  void Adopt(const std::string& user, const RequestContext& context) {
    signed_in_[user] = {context, clock_.Now(), clock_.Now()};
  }

  Result<RequestContext> At(const std::string& user) {
    const Timestamp now = clock_.Now();
    if (const auto found = signed_in_.find(user); found != signed_in_.end()) {
      if (now.Micros() - found->second.since.Micros() < kLongestSession) {
        found->second.last_use = now;
        return found->second.context;
      }
      // A session lasts at most 12 hours: a long shift signs in again.
      ALIQUOT_RETURN_IF_ERROR(services_.Sessions().SignOut(found->second.context));
      signed_in_.erase(found);
    }
    ALIQUOT_ASSIGN_OR_RETURN(
        RequestContext context,
        FirstSignIn(services_.Sessions(), user, std::string(kDemoPassword), TerminalTokenOf(user)));
    signed_in_[user] = {context, now, now};
    return context;
  }

  // `user` signs `record` with `meaning` over the content they were shown.
  Status Sign(const std::string& user, const identity::RecordRef& record, Meaning meaning,
              std::optional<std::string> comment = std::nullopt) {
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, At(user));
    ALIQUOT_ASSIGN_OR_RETURN(const RecordSignatures shown,
                             services_.Signatures().Signatures(context, record));
    SignRequest request;
    request.meaning = meaning;
    request.content_hash = shown.content_hash;
    request.comment = std::move(comment);
    request.password = std::string(kDemoPassword);
    ALIQUOT_ASSIGN_OR_RETURN(const identity::ElectronicSignature signature,
                             services_.Signatures().Sign(context, record, request));
    (void)signature;
    ++signatures_;
    return {};
  }

  Timestamp Now() { return clock_.Now(); }

  // Moves the demo's clock on to `t` (a time already passed stays: the clock never goes back; the
  // real now is as far as it goes). Whoever stops working before `t` signs out first, a few
  // minutes after their last action.
  Status To(Timestamp t) {
    t = std::min(t, clock_.RealNow());
    std::vector<std::pair<Timestamp, std::string>> idle;
    for (const auto& [user, session] : signed_in_) {
      if (t.Micros() - session.last_use.Micros() >= kIdleLimit) {
        idle.emplace_back(session.last_use, user);
      }
    }
    std::sort(idle.begin(), idle.end());
    for (const auto& [last_use, user] : idle) {
      const Timestamp leaves =
          Timestamp::FromMicros(std::min(t.Micros(), last_use.Micros() + kSignOutAfter));
      if (leaves > clock_.Now()) clock_.SetTo(leaves);
      ALIQUOT_RETURN_IF_ERROR(services_.Sessions().SignOut(signed_in_.at(user).context));
      signed_in_.erase(user);
    }
    if (t > clock_.Now()) clock_.SetTo(t);
    return {};
  }

  // `minutes` later: the time one action takes at the bench.
  Status Wait(int minutes) {
    return To(Timestamp::FromMicros(clock_.Now().Micros() +
                                    std::int64_t{minutes} * 60 * kMicrosPerSecond));
  }

  Status SignOutEveryone() {
    for (const auto& [user, session] : signed_in_) {
      ALIQUOT_RETURN_IF_ERROR(services_.Sessions().SignOut(session.context));
    }
    signed_in_.clear();
    return {};
  }

  Services& Areas() { return services_; }
  DemoClock& Time() { return clock_; }
  int SignatureCount() const { return signatures_; }

 private:
  // The default security policy's limits (docs/identity.md): 15 idle minutes, 12 hours.
  static constexpr std::int64_t kIdleLimit = std::int64_t{15} * 60 * kMicrosPerSecond;
  static constexpr std::int64_t kLongestSession = std::int64_t{11} * 3600 * kMicrosPerSecond;
  static constexpr std::int64_t kSignOutAfter = std::int64_t{3} * 60 * kMicrosPerSecond;

  struct Session {
    RequestContext context;
    Timestamp since;
    Timestamp last_use;
  };

  Services& services_;
  DemoClock& clock_;
  std::map<std::string, Session> signed_in_;
  int signatures_ = 0;
};

// The demo's timeline: what happens when, run in time order on the demo's clock. Tasks at the same
// instant run in the order they were added; a task added for an instant already passed runs when
// its turn comes (its actions then bear that later time).
class Agenda {
 public:
  void At(Timestamp at, std::string what, std::function<Status()> run) {
    tasks_.push_back({at, static_cast<int>(tasks_.size()), std::move(what), std::move(run)});
  }

  Status Run(Staff& staff) {
    std::stable_sort(tasks_.begin(), tasks_.end(), [](const Task& a, const Task& b) {
      return a.at < b.at || (a.at == b.at && a.order < b.order);
    });
    for (const Task& task : tasks_) {
      ALIQUOT_RETURN_IF_ERROR(staff.To(task.at));
      const Status done = task.run();
      if (!done) {
        const Error& error = done.error();
        return Unexpected(Error(
            error.Code(), task.what + " (" + staff.Now().ToRfc3339() + "): " + error.Message(),
            std::string(error.Field())));
      }
    }
    tasks_.clear();
    return {};
  }

 private:
  struct Task {
    Timestamp at;
    int order = 0;
    std::string what;
    std::function<Status()> run;
  };
  std::vector<Task> tasks_;
};

identity::RecordRef VersionRecord(const std::string& document, int version) {
  return {"document_version", VersionRecordId(document, version)};
}

identity::RecordRef TrainingOf(const std::string& user, const std::string& document, int version) {
  return {"training", TrainingRecordId(user, document, version)};
}

std::string Day(Timestamp t) { return t.ToRfc3339().substr(0, 10); }

Timestamp DaysAfter(Timestamp t, int days) {
  return Timestamp::FromMicros(t.Micros() + std::int64_t{days} * kMicrosPerDay);
}

enum class Until { kInReview, kApproved };

// dora uploads the version's Markdown file and drafts the version, then signs it authored; unless
// it stays in review, quinn signs it reviewed and anna approved (effective on its date).
Result<int> Publish(Staff& staff, const Procedure& procedure, int version,
                    const std::vector<HistoryLine>& history, DraftInput input, Until until) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext dora, staff.At("dora"));
  DocumentService& documents = staff.Areas().Documents();
  const std::string text = Markdown(procedure, version, history);
  ALIQUOT_ASSIGN_OR_RETURN(const BlobInfo file, documents.UploadFile(dora, Sha256::Of(text).Hex(),
                                                                     text, "text/markdown"));
  input.title = procedure.title;
  input.file_sha256 = file.sha256;
  input.file_name = procedure.id + "_v" + std::to_string(version) + ".md";
  ALIQUOT_ASSIGN_OR_RETURN(const int drafted, documents.DraftVersion(dora, procedure.id, input));
  const identity::RecordRef record = VersionRecord(procedure.id, drafted);
  ALIQUOT_RETURN_IF_ERROR(staff.Sign("dora", record, Meaning::kAuthored));
  if (until == Until::kInReview) return drafted;
  ALIQUOT_RETURN_IF_ERROR(staff.Sign("quinn", record, Meaning::kReviewed,
                                     "Technical and GMP review: content, CPPs and references "
                                     "checked"));
  ALIQUOT_RETURN_IF_ERROR(staff.Sign("anna", record, Meaning::kApproved));
  return drafted;
}

// ---- Curricula and training --------------------------------------------------------------------

struct DemoCurriculum {
  std::string id;
  std::string title;
  identity::RoleSet roles;
  std::vector<std::string> documents;
  std::optional<int> requalification_months;
};

std::vector<DemoCurriculum> CarTCurricula() {
  return {
      {"CUR-OPERATOR",
       "Manufacturing operator and verifier",
       {Role::kOperator, Role::kVerifier},
       {"SOP-CT-002", "SOP-CT-003", "SOP-CT-004", "SOP-CT-005", "SOP-CT-006", "SOP-CT-007",
        "SOP-CT-008", "WI-CT-012", "SPEC-CT-014"},
       std::nullopt},
      {"CUR-GOWNING",
       "Grade B gowning, requalified annually",
       {Role::kOperator, Role::kVerifier, Role::kQcAnalyst, Role::kEquipmentOwner},
       {"SOP-CT-001"},
       12},
      {"CUR-QC",
       "QC analyst",
       {Role::kQcAnalyst},
       {"SOP-CT-004", "SOP-QC-010", "SPEC-CT-014"},
       std::nullopt},
      {"CUR-QA",
       "QA review and release",
       {Role::kQaReviewer, Role::kQaApprover},
       {"SOP-QA-011"},
       std::nullopt},
      {"CUR-EQUIPMENT",
       "Equipment owner",
       {Role::kEquipmentOwner},
       {"SOP-CT-006", "SOP-CT-008", "SOP-CT-009"},
       std::nullopt},
      {"CUR-WAREHOUSE", "Warehouse", {Role::kWarehouse}, {"SOP-CT-002"}, std::nullopt},
  };
}

// vera qualifies `trainee` in an instructor-led session with an assessment, and signs its record.
Status InstructorLed(Staff& staff, const std::string& trainee, const std::string& document,
                     int version) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext vera, staff.At("vera"));
  SessionInput session;
  session.trainee = trainee;
  session.document = document;
  session.version = version;
  session.passed = true;
  session.score = "18/20";
  session.comment =
      "Observed gowning in the grade B airlock, three consecutive gownings; glove, forearm and "
      "hood contact plates within limits.";
  ALIQUOT_RETURN_IF_ERROR(staff.Areas().Training().RecordSession(vera, session));
  return staff.Sign("vera", TrainingOf(trainee, document, version), Meaning::kPerformed);
}

// ---- Materials: suppliers, specifications, lots, collections, genealogy ------------------------

using materials::Category;
using materials::Criterion;
using materials::Criticality;
using materials::Destination;
using materials::ShelfLife;
using materials::SpecTest;
using materials::TestResult;

Timestamp HoursAfter(Timestamp t, int hours) {
  return Timestamp::FromMicros(t.Micros() + std::int64_t{hours} * 3600 * kMicrosPerSecond);
}

SpecTest PassFail(std::string name, std::string method) {
  SpecTest test;
  test.name = std::move(name);
  test.method = std::move(method);
  test.criterion.kind = Criterion::Kind::kPassFail;
  return test;
}

// Between `min` and `max`, each inclusive; either may be open.
SpecTest Range(std::string name, std::string method, std::optional<double> min,
               std::optional<double> max, std::string unit) {
  SpecTest test;
  test.name = std::move(name);
  test.method = std::move(method);
  test.criterion.kind = Criterion::Kind::kRange;
  test.criterion.min = min;
  test.criterion.max = max;
  test.criterion.unit = std::move(unit);
  return test;
}

// Below `max`, as endotoxin limits are written: "< 0.5 EU/mL".
SpecTest Below(std::string name, std::string method, double max, std::string unit) {
  SpecTest test = Range(std::move(name), std::move(method), std::nullopt, max, std::move(unit));
  test.criterion.max_exclusive = true;
  return test;
}

SpecTest Reads(std::string name, std::string method, std::string expected) {
  SpecTest test;
  test.name = std::move(name);
  test.method = std::move(method);
  test.criterion.kind = Criterion::Kind::kText;
  test.criterion.expected = std::move(expected);
  return test;
}

ShelfLife Months(int months) { return {months, ShelfLife::Unit::kMonths}; }
ShelfLife Days(int days) { return {days, ShelfLife::Unit::kDays}; }
ShelfLife Hours(int hours) { return {hours, ShelfLife::Unit::kHours}; }

// Whether a lot's certificate stands in for testing only with an identity test on receipt (G-09).
enum class OnReceipt { kCertificate, kCertificateAndIdentityTest };

materials::MaterialCommand Material(std::string id, std::string name, Category category,
                                    std::string unit, std::string storage, ShelfLife shelf_life,
                                    Criticality criticality, OnReceipt on_receipt,
                                    std::vector<SpecTest> tests) {
  materials::MaterialCommand command;
  command.id = std::move(id);
  command.name = std::move(name);
  command.category = category;
  command.unit = std::move(unit);
  command.storage_condition = std::move(storage);
  command.shelf_life = shelf_life;
  command.criticality = criticality;
  command.identity_test_required = on_receipt == OnReceipt::kCertificateAndIdentityTest;
  command.tests = std::move(tests);
  return command;
}

// The materials of the autologous CAR-T process, with the specifications of the team's CGT primer:
// what the unit buys, the apheresis collection it receives, the complete medium it prepares and
// the product it makes (SPEC-CT-014). carlos (QC) defines them.
std::vector<materials::MaterialCommand> CarTMaterials() {
  const SpecTest sterility = PassFail("Sterility", "USP <71> membrane filtration, 14 days");
  const auto endotoxin = [](double max, const char* unit) {
    return Below("Endotoxin", "USP <85> kinetic chromogenic LAL", max, unit);
  };
  const auto cytokine = [&](double content_min, double content_max, SpecTest activity) {
    return std::vector<SpecTest>{
        Reads("Identity", "SDS-PAGE (reducing) and Western blot against the reference standard",
              "Conforms"),
        Range("Purity", "SDS-PAGE densitometry and RP-HPLC", 95, std::nullopt, "%"),
        Range("Protein content", "RP-HPLC against the reference standard", content_min, content_max,
              "ug/vial"),
        std::move(activity),
        endotoxin(0.1, "EU/ug"),
        sterility};
  };
  const auto device = [](const char* endotoxin_unit) {
    return std::vector<SpecTest>{
        PassFail("Sterility assurance",
                 "ISO 11137-2 gamma irradiation, certificate of irradiation (SAL 10^-6)"),
        Below("Bacterial endotoxin", "USP <161> LAL on the rinse extract", 20, endotoxin_unit),
        PassFail("Integrity", "Pressure decay test, every unit"),
        Reads("Visual inspection", "ISO 2859-1 sampling, AQL 0.65", "Conforms")};
  };
  std::vector<materials::MaterialCommand> set;
  set.push_back(Material(
      "MAT-MEDIUM", "HelixCult T-cell expansion medium, serum-free", Category::kMedia, "mL",
      "2-8 C, protected from light", Months(12), Criticality::kCritical, OnReceipt::kCertificate,
      {sterility, endotoxin(0.5, "EU/mL"),
       Range("pH", "USP <791> potentiometric, 20-25 C", 7.0, 7.6, "pH"),
       Range("Osmolality", "USP <785> freezing-point depression", 270, 330, "mOsm/kg"),
       Reads("Appearance", "Visual inspection against black and white backgrounds",
             "Clear red solution, free of visible particles"),
       Range("Growth promotion", "7-day expansion of qualified donor T cells against the reference",
             10, std::nullopt, "fold")}));
  set.push_back(
      Material("MAT-IL2", "Recombinant human IL-2, GMP grade, lyophilised 50 ug vial",
               Category::kCytokine, "ug", "-25 to -15 C", Months(24), Criticality::kCritical,
               OnReceipt::kCertificateAndIdentityTest,
               cytokine(45, 55,
                        Range("Specific activity", "CTLL-2 proliferation against WHO IS 86/500",
                              1.5e7, std::nullopt, "IU/mg"))));
  set.push_back(Material("MAT-IL7", "Recombinant human IL-7, GMP grade, lyophilised 25 ug vial",
                         Category::kCytokine, "ug", "-25 to -15 C", Months(24),
                         Criticality::kCritical, OnReceipt::kCertificateAndIdentityTest,
                         cytokine(22.5, 27.5,
                                  Range("Biological activity (ED50)", "PHA-blast proliferation",
                                        std::nullopt, 1.0, "ng/mL"))));
  set.push_back(Material("MAT-IL15", "Recombinant human IL-15, GMP grade, lyophilised 25 ug vial",
                         Category::kCytokine, "ug", "-25 to -15 C", Months(24),
                         Criticality::kCritical, OnReceipt::kCertificateAndIdentityTest,
                         cytokine(22.5, 27.5,
                                  Range("Biological activity (ED50)", "CTLL-2 proliferation",
                                        std::nullopt, 0.5, "ng/mL"))));
  set.push_back(Material(
      "MAT-CD3CD28", "Anti-CD3/CD28 colloidal nanomatrix activation reagent",
      Category::kActivationReagent, "mL", "2-8 C, do not freeze", Months(12),
      Criticality::kCritical, OnReceipt::kCertificate,
      {sterility, endotoxin(1, "EU/mL"),
       Range("Activation potency (CD25+ at 48 h)",
             "Flow cytometry of reference PBMC stimulated for 48 h", 70, std::nullopt, "%"),
       Reads("Appearance", "Visual inspection", "Clear to slightly opalescent, colourless")}));
  set.push_back(Material(
      "MAT-LV-CD19", "Lentiviral vector, anti-CD19 CAR (4-1BB/CD3-zeta), VSV-G pseudotyped",
      Category::kViralVector, "mL", "<= -65 C", Months(24), Criticality::kCritical,
      OnReceipt::kCertificateAndIdentityTest,
      {Range("Infectious titer", "Transduction of HEK293T, CAR+ cells by flow cytometry", 1e8,
             std::nullopt, "TU/mL"),
       Range("p24 capsid", "p24 ELISA", 1, 50, "ug/mL"), sterility,
       PassFail("Mycoplasma", "Ph. Eur. 2.6.7, qPCR"),
       PassFail("Replication-competent lentivirus",
                "C8166-45 co-culture amplification over 5 passages, p24 ELISA"),
       endotoxin(5, "EU/mL"),
       Reads("Vector identity", "Sanger sequencing of the CAR transgene and its flanks",
             "Conforms to the reference sequence")}));
  set.push_back(Material(
      "MAT-CRYO", "Cryopreservation medium, 10% DMSO, serum-free", Category::kCryoprotectant, "mL",
      "2-8 C", Months(24), Criticality::kCritical, OnReceipt::kCertificateAndIdentityTest,
      {sterility, endotoxin(0.5, "EU/mL"), Range("DMSO content", "GC-FID", 9.5, 10.5, "%"),
       Reads("Appearance", "Visual inspection", "Clear, colourless solution")}));
  set.push_back(Material("MAT-BAG-1L", "Gas-permeable cell culture bag, 1 L, closed system",
                         Category::kBag, "bag", "15-30 C, dry, in the sealed case", Months(36),
                         Criticality::kMajor, OnReceipt::kCertificate, device("EU/bag")));
  set.push_back(
      Material("MAT-KIT-TUBING", "Single-use tubing set for closed processing, weldable PVC",
               Category::kSingleUseKit, "kit", "15-30 C, dry, in the sealed case", Months(36),
               Criticality::kMajor, OnReceipt::kCertificate, device("EU/kit")));
  set.push_back(Material("MAT-APHERESIS", "Autologous leukapheresis product",
                         Category::kStartingMaterial, "mL", "2-8 C, do not freeze", Hours(72),
                         Criticality::kCritical, OnReceipt::kCertificate, {}));
  set.push_back(Material("MAT-CM-IL2", "Complete medium: HelixCult with IL-2 100 IU/mL",
                         Category::kIntermediate, "mL", "2-8 C, protected from light", Days(14),
                         Criticality::kCritical, OnReceipt::kCertificate, {}));
  set.push_back(Material(
      "MAT-DP-CAR19", "Autologous anti-CD19 CAR-T cells, cryopreserved infusion bag",
      Category::kDrugProduct, "mL", "<= -150 C, LN2 vapour", Months(12), Criticality::kCritical,
      OnReceipt::kCertificate,
      {Range("Viability", "AO/DAPI image cytometry (SOP-CT-004)", 70, std::nullopt, "%"),
       Range("Identity (CD3+)", "Flow cytometry", 80, std::nullopt, "%"),
       Range("CAR expression", "Flow cytometry, anti-idiotype antibody", 15, std::nullopt, "%"),
       Range("Vector copy number", "ddPCR", std::nullopt, 5, "copies/cell"),
       Range("Potency (IFN-gamma release)", "ELISA after 24 h co-culture with CD19+ targets", 500,
             std::nullopt, "pg/mL"),
       PassFail("Sterility", "Ph. Eur. 2.6.27, culture 14 days"),
       PassFail("Mycoplasma", "Ph. Eur. 2.6.7, qPCR"), endotoxin(5, "EU/kg"),
       PassFail("Replication-competent lentivirus", "qPCR for VSV-G")}));
  return set;
}

// A supplier as QA sets it up: created, audited, and a qualification proposed for anna to sign.
struct DemoSupplier {
  materials::SupplierCommand supplier;
  materials::AuditCommand audit;
  materials::QualificationCommand qualification;
};

DemoSupplier Supplier(std::string id, std::string name, std::string address) {
  DemoSupplier demo;
  demo.supplier = {std::move(id), std::move(name), std::move(address)};
  return demo;
}

materials::AuditCommand Audit(Timestamp performed_on, std::string kind,
                              materials::AuditOutcome outcome, std::string summary) {
  materials::AuditCommand audit;
  audit.performed_on = performed_on;
  audit.kind = std::move(kind);
  audit.outcome = outcome;
  audit.auditor = "Quinn de Vries";
  audit.summary = std::move(summary);
  return audit;
}

materials::QualificationCommand Qualified(materials::SupplierStatus status,
                                          std::vector<std::string> materials, Timestamp until,
                                          Timestamp requalify_by, std::string reason) {
  materials::QualificationCommand qualification;
  qualification.status = status;
  qualification.materials = std::move(materials);
  qualification.qualified_until = until;
  qualification.requalify_by = requalify_by;
  qualification.reason = std::move(reason);
  return qualification;
}

// Fictitious suppliers for each kind of material. Helix and Meridian approved after satisfactory
// audits; Polaris after a remote audit; Nordvec, the vector CDMO, conditionally after an audit with
// a major finding; Alder, the cytokine supplier, carried over from the paper supplier file with
// its requalification audit overdue, so that its qualification lapses five days after the demo.
std::vector<DemoSupplier> CarTSuppliers(Timestamp now) {
  using materials::AuditOutcome;
  using materials::SupplierStatus;
  std::vector<DemoSupplier> set;

  DemoSupplier helix = Supplier("SUP-HELIX", "Helix Bioreagents GmbH",
                                "Technologiepark 7, 69120 Heidelberg, Germany");
  helix.audit = Audit(DaysAfter(now, -120), "on_site", AuditOutcome::kSatisfactory,
                      "GMP audit of media and reagent manufacture, QC release and the quality "
                      "system: no findings. Aseptic filling in a grade A isolator; media fill "
                      "results and EM trending reviewed.");
  helix.qualification = Qualified(SupplierStatus::kApproved, {"MAT-MEDIUM", "MAT-CD3CD28"},
                                  DaysAfter(now, 730), DaysAfter(now, 640),
                                  "Satisfactory on-site audit; quality agreement QAG-014 signed");
  set.push_back(std::move(helix));

  DemoSupplier alder = Supplier("SUP-ALDER", "Alder Cytokine Sciences Ltd",
                                "4 Fenbridge Court, Cambridge CB4 1WX, United Kingdom");
  alder.audit = Audit(DaysAfter(now, -1090), "on_site", AuditOutcome::kMinorFindings,
                      "GMP audit of recombinant cytokine manufacture: two minor findings "
                      "(deviation trending, cold-chain shipping validation), closed by CAPA.");
  alder.qualification = Qualified(
      SupplierStatus::kApproved, {"MAT-IL2", "MAT-IL7", "MAT-IL15"}, DaysAfter(now, 5),
      DaysAfter(now, -25),
      "Carried over from the paper supplier file SQF-2023-004: approved for three years after the "
      "on-site audit, ending " +
          Day(DaysAfter(now, 5)) + ". The requalification audit due " + Day(DaysAfter(now, -25)) +
          " was postponed by the supplier and has not taken place.");
  set.push_back(std::move(alder));

  DemoSupplier nordvec =
      Supplier("SUP-NORDVEC", "Nordvec Viral Vectors AB", "Forskargatan 8, 752 37 Uppsala, Sweden");
  nordvec.audit = Audit(DaysAfter(now, -80), "on_site", AuditOutcome::kMajorFindings,
                        "Audit of the lentiviral vector CDMO: one major finding (environmental "
                        "monitoring excursions in the grade A fill isolator were not trended or "
                        "investigated) and three minor findings. CAPA plan accepted.");
  nordvec.qualification = Qualified(
      SupplierStatus::kConditional, {"MAT-LV-CD19"}, DaysAfter(now, 180), DaysAfter(now, 120),
      "Sole source of the CAR vector; approved conditionally until the CAPA for the major finding "
      "is verified");
  nordvec.qualification.conditions =
      "Until the CAPA for the major audit finding (EM trending of the fill isolator) is verified "
      "closed at the follow-up audit: each vector lot is released only with Leiden's own identity "
      "test (qPCR of the CAR transgene) and QA's review of the CDMO's fill-day EM data.";
  set.push_back(std::move(nordvec));

  DemoSupplier polaris = Supplier("SUP-POLARIS", "Polaris Cryo Solutions Inc.",
                                  "2150 Harbor Loop Drive, Bothell, WA 98021, USA");
  polaris.audit = Audit(DaysAfter(now, -200), "remote", AuditOutcome::kSatisfactory,
                        "Remote audit of cryopreservation media manufacture and release "
                        "testing: no findings.");
  polaris.qualification =
      Qualified(SupplierStatus::kApproved, {"MAT-CRYO"}, DaysAfter(now, 700), DaysAfter(now, 600),
                "Satisfactory remote audit; quality agreement QAG-017 signed");
  set.push_back(std::move(polaris));

  DemoSupplier meridian = Supplier("SUP-MERIDIAN", "Meridian Single-Use Systems B.V.",
                                   "Industrieweg 45, 5349 AB Oss, the Netherlands");
  meridian.audit = Audit(DaysAfter(now, -90), "questionnaire", AuditOutcome::kSatisfactory,
                         "Supplier questionnaire with ISO 13485 and ISO 11137 certificates, "
                         "extractables data and the change notification agreement: acceptable.");
  meridian.qualification =
      Qualified(SupplierStatus::kApproved, {"MAT-BAG-1L", "MAT-KIT-TUBING"}, DaysAfter(now, 1095),
                DaysAfter(now, 1000), "Satisfactory questionnaire; ISO 13485 certified");
  set.push_back(std::move(meridian));
  return set;
}

TestResult Measured(std::string test, double value, std::string unit) {
  TestResult result;
  result.test = std::move(test);
  result.value = value;
  result.unit = std::move(unit);
  return result;
}

TestResult Passed(std::string test) {
  TestResult result;
  result.test = std::move(test);
  result.passed = true;
  return result;
}

TestResult Observed(std::string test, std::string text) {
  TestResult result;
  result.test = std::move(test);
  result.text = std::move(text);
  return result;
}

// A purchased lot as the unit handles it: wendy receives it into quarantine, carlos enters its
// certificate (with the supplier's PDF, for some) and its identity test, and anna releases it.
struct DemoLot {
  materials::LotReceipt receipt;
  materials::CertificateInput certificate;
  bool certificate_file = false;        // The supplier's PDF uploaded and cited.
  std::optional<std::string> identity;  // The identity test on receipt (passed), if any.
  std::optional<std::string> release;   // anna's comment releasing it; none: kept in quarantine.
  int received_days_ago = kDemoHistoryDays;  // When wendy receives it: at the start of the demo.
  // Where the supplier's own limit, printed on its certificate, differs from the unit's.
  std::map<std::string, std::string> supplier_limits;
};

DemoLot Lot(std::string id, std::string material, std::string supplier, std::string supplier_lot,
            std::string storage, double quantity, std::vector<double> containers,
            Timestamp expiry) {
  DemoLot lot;
  lot.receipt.id = std::move(id);
  lot.receipt.material = std::move(material);
  lot.receipt.supplier = std::move(supplier);
  lot.receipt.supplier_lot = std::move(supplier_lot);
  lot.receipt.storage_location = std::move(storage);
  lot.receipt.quantity = quantity;
  lot.receipt.containers = std::move(containers);
  lot.receipt.expiry = expiry;
  lot.certificate.certificate_number = "CoA-" + lot.receipt.supplier_lot;
  return lot;
}

std::vector<TestResult> CytokineResults(double purity, double content, TestResult activity,
                                        TestResult endotoxin) {
  return {Observed("Identity", "Conforms"),
          Measured("Purity", purity, "%"),
          Measured("Protein content", content, "ug/vial"),
          std::move(activity),
          std::move(endotoxin),
          Passed("Sterility")};
}

std::vector<TestResult> DeviceResults(double endotoxin, const char* unit) {
  return {Passed("Sterility assurance"), Measured("Bacterial endotoxin", endotoxin, unit),
          Passed("Integrity"), Observed("Visual inspection", "Conforms")};
}

// The lots in stock: each material's current lot, a second, short-dated medium lot, and a second
// IL-2 lot whose certificate reports a purity out of specification.
std::vector<DemoLot> CarTLots(Timestamp now) {
  const std::string fridge = "Goods-in quarantine fridge QF-01 (2-8 C)";
  const std::string freezer = "Goods-in quarantine freezer QZ-01 (-20 C)";
  const std::string cage = "Goods-in quarantine cage, bay 2";
  const std::string conforms =
      "Certificate reviewed against the specification: all results conform";
  std::vector<DemoLot> set;

  // Enough for the demo's batches: about 2 L into each Phase 1 complete medium and 1 L more for
  // its harvest, 3 L for a batch of the current process.
  DemoLot medium = Lot("RM-2026-0001", "MAT-MEDIUM", "SUP-HELIX", "HX24-0917", fridge, 24000,
                       std::vector<double>(24, 1000), DaysAfter(now, 300));
  medium.certificate.results = {
      Passed("Sterility"),
      Measured("Endotoxin", 0.12, "EU/mL"),
      Measured("pH", 7.31, "pH"),
      Measured("Osmolality", 296, "mOsm/kg"),
      Observed("Appearance", "Clear red solution, free of visible particles"),
      Measured("Growth promotion", 24, "fold")};
  medium.certificate_file = true;
  medium.release = conforms;
  set.push_back(std::move(medium));

  // Short-dated stock bought for this week's harvest washes, received six days before the demo.
  DemoLot short_dated = Lot("RM-2026-0002", "MAT-MEDIUM", "SUP-HELIX", "HX24-0702", fridge, 2000,
                            {1000, 1000}, DaysAfter(now, 3));
  short_dated.received_days_ago = 6;
  short_dated.certificate.results = {
      Passed("Sterility"),
      Measured("Endotoxin", 0.09, "EU/mL"),
      Measured("pH", 7.28, "pH"),
      Measured("Osmolality", 301, "mOsm/kg"),
      Observed("Appearance", "Clear red solution, free of visible particles"),
      Measured("Growth promotion", 19, "fold")};
  short_dated.release =
      "All results conform. Expires in 3 days: for the washes of this week's batches only";
  set.push_back(std::move(short_dated));

  const std::string sds_page =
      "SDS-PAGE (reducing): one band co-migrating with the reference standard";
  DemoLot il2 = Lot("RM-2026-0003", "MAT-IL2", "SUP-ALDER", "AC-IL2-2419", freezer, 500,
                    std::vector<double>(10, 50), DaysAfter(now, 540));
  il2.certificate.results =
      CytokineResults(98.2, 51.3, Measured("Specific activity", 1.8e7, "IU/mg"),
                      Measured("Endotoxin", 0.02, "EU/ug"));
  il2.identity = sds_page;
  il2.release = conforms;
  set.push_back(std::move(il2));

  DemoLot il2_oos = Lot("RM-2026-0004", "MAT-IL2", "SUP-ALDER", "AC-IL2-2431", freezer, 500,
                        std::vector<double>(10, 50), DaysAfter(now, 600));
  il2_oos.certificate.results =
      CytokineResults(92.4, 49.8, Measured("Specific activity", 1.6e7, "IU/mg"),
                      Measured("Endotoxin", 0.03, "EU/ug"));
  // The supplier releases to its own, looser limit: its certificate says the lot conforms; the
  // unit's specification says it does not.
  il2_oos.supplier_limits = {{"Purity", ">= 90 %"}};
  il2_oos.certificate_file = true;
  il2_oos.identity = sds_page;
  set.push_back(std::move(il2_oos));

  DemoLot il7 = Lot("RM-2026-0005", "MAT-IL7", "SUP-ALDER", "AC-IL7-2388", freezer, 250,
                    std::vector<double>(10, 25), DaysAfter(now, 480));
  il7.certificate.results =
      CytokineResults(97.1, 25.4, Measured("Biological activity (ED50)", 0.42, "ng/mL"),
                      Measured("Endotoxin", 0.04, "EU/ug"));
  il7.identity = sds_page;
  il7.release = conforms;
  set.push_back(std::move(il7));

  // The supplier reports endotoxin per mg, the specification per ug: converted on entry.
  DemoLot il15 = Lot("RM-2026-0006", "MAT-IL15", "SUP-ALDER", "AC-IL15-2402", freezer, 250,
                     std::vector<double>(10, 25), DaysAfter(now, 500));
  il15.certificate.results =
      CytokineResults(96.5, 24.9, Measured("Biological activity (ED50)", 0.21, "ng/mL"),
                      Measured("Endotoxin", 6, "EU/mg"));
  il15.identity = sds_page;
  il15.release = conforms;
  set.push_back(std::move(il15));

  DemoLot activation = Lot("RM-2026-0007", "MAT-CD3CD28", "SUP-HELIX", "HX-TA-1183", fridge, 10,
                           {2, 2, 2, 2, 2}, DaysAfter(now, 270));
  activation.certificate.results = {
      Passed("Sterility"), Measured("Endotoxin", 0.3, "EU/mL"),
      Measured("Activation potency (CD25+ at 48 h)", 88, "%"),
      Observed("Appearance", "Clear to slightly opalescent, colourless")};
  activation.release = conforms;
  set.push_back(std::move(activation));

  // The CDMO reports p24 in ng/mL, the specification is in ug/mL: converted on entry.
  DemoLot vector = Lot("RM-2026-0008", "MAT-LV-CD19", "SUP-NORDVEC", "NV-LV19-0042",
                       "Goods-in quarantine ULT freezer QU-01 (-80 C)", 10,
                       std::vector<double>(10, 1), DaysAfter(now, 700));
  vector.certificate.results = {Measured("Infectious titer", 4.2e8, "TU/mL"),
                                Measured("p24 capsid", 8700, "ng/mL"),
                                Passed("Sterility"),
                                Passed("Mycoplasma"),
                                Passed("Replication-competent lentivirus"),
                                Measured("Endotoxin", 1.2, "EU/mL"),
                                Observed("Vector identity", "Conforms to the reference sequence")};
  vector.certificate_file = true;
  vector.identity = "qPCR of the CAR transgene (vector-specific primers)";
  vector.release =
      "All results conform. Conditional supplier: Leiden identity test passed and the CDMO's "
      "fill-day EM data reviewed, as the conditions require";
  set.push_back(std::move(vector));

  DemoLot cryo = Lot("RM-2026-0009", "MAT-CRYO", "SUP-POLARIS", "PC10-25-1147", fridge, 1000,
                     std::vector<double>(10, 100), DaysAfter(now, 610));
  cryo.certificate.results = {Passed("Sterility"), Measured("Endotoxin", 0.05, "EU/mL"),
                              Measured("DMSO content", 10.1, "%"),
                              Observed("Appearance", "Clear, colourless solution")};
  cryo.identity = "FTIR (ATR): spectrum matches the DMSO reference";
  cryo.release = conforms;
  set.push_back(std::move(cryo));

  DemoLot bags = Lot("RM-2026-0010", "MAT-BAG-1L", "SUP-MERIDIAN", "MSU-B1L-5521", cage, 40,
                     {10, 10, 10, 10}, DaysAfter(now, 900));
  bags.certificate.results = DeviceResults(2.5, "EU/bag");
  bags.release = conforms;
  set.push_back(std::move(bags));

  DemoLot kits = Lot("RM-2026-0011", "MAT-KIT-TUBING", "SUP-MERIDIAN", "MSU-TK-3307", cage, 30,
                     {10, 10, 10}, DaysAfter(now, 820));
  kits.certificate.results = DeviceResults(1.8, "EU/kit");
  kits.release = conforms;
  set.push_back(std::move(kits));

  for (std::size_t i = 0; i < set.size(); ++i) {
    set[i].receipt.receiving_code = "GR-2026-0" + std::to_string(101 + i);
  }
  return set;
}

// How a result reads on paper: "0.12 EU/mL", "Pass", "Conforms".
std::string ResultText(const TestResult& result) {
  if (result.value) return CanonicalNumber(*result.value) + " " + result.unit;
  if (result.passed) return *result.passed ? "Pass" : "Fail";
  return result.text;
}

std::string PdfText(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

// A one-page PDF of `lines` in Helvetica: the supplier's certificate as the unit files it.
std::string Pdf(const std::vector<std::string>& lines) {
  std::string content = "BT /F1 9 Tf 50 800 Td 13 TL\n";
  for (const std::string& line : lines) content += "(" + PdfText(line) + ") Tj T*\n";
  content += "ET\n";
  const std::string page =
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> "
      ">> /Contents 5 0 R >>";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page,
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const std::size_t offset : offsets) {
    const std::string number = std::to_string(offset);
    pdf += std::string(10 - number.size(), '0') + number + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// The supplier's certificate of analysis for `lot`, as a PDF.
std::string CertificatePdf(const DemoSupplier& supplier, const materials::MaterialCommand& material,
                           const DemoLot& lot) {
  std::vector<std::string> lines = {
      supplier.supplier.name,
      supplier.supplier.address,
      "",
      "Certificate of analysis " + lot.certificate.certificate_number,
      "Product: " + material.name,
      "Lot: " + lot.receipt.supplier_lot + "    Expiry: " + Day(lot.receipt.expiry),
      "Storage: " + material.storage_condition,
      ""};
  for (const TestResult& result : lot.certificate.results) {
    const auto test = std::find_if(material.tests.begin(), material.tests.end(),
                                   [&](const SpecTest& spec) { return spec.name == result.test; });
    if (test == material.tests.end()) continue;
    lines.push_back(result.test + " (" + test->method + ")");
    const auto limit = lot.supplier_limits.find(result.test);
    lines.push_back(
        "      Specification: " +
        (limit == lot.supplier_limits.end() ? test->criterion.Describe() : limit->second) +
        "      Result: " + ResultText(result));
  }
  lines.insert(lines.end(), {"", "The lot conforms to the specification above.",
                             "Released by " + supplier.supplier.name +
                                 " Quality Assurance; "
                                 "issued electronically, valid without signature."});
  return Pdf(lines);
}

// An apheresis collection as received: its donor's code, the shipping logger's extremes and what
// QA decided on the donor's eligibility. `collected_hours` counts from the end of collection to the
// batch's receipt step (for a collection of a batch) or to the end of the demo (for the two still
// at goods-in).
struct DemoCollection {
  const char* id;
  const char* donor;  // The code's body; the label printer adds the check character.
  const char* facility;
  int collected_hours;
  double quantity_ml;
  double min_c;
  double max_c;
  materials::Eligibility eligibility;
  bool released;
};

constexpr const char* kLeiden = "Apheresis unit, Rijnland Academic Hospital, Leiden";
constexpr const char* kAlkmaar = "Cell collection centre, Noordwest Clinical Centre, Alkmaar";

// One collection per batch, in the order of the batches, then the two at goods-in when the demo
// ends: one eligible but held after a shipping excursion to 9.1 C, one awaiting its donor's
// eligibility. The second batch's logger peaked at 7.4 C: within 2-8 C, above the alert level.
constexpr std::array<DemoCollection, 9> kCollections{{
    {"AP-2026-0001", "W041326000417", kLeiden, 26, 210, 3.1, 6.8, materials::Eligibility::kEligible,
     true},
    {"AP-2026-0002", "W041326000423", kLeiden, 24, 185, 3.2, 7.4, materials::Eligibility::kEligible,
     true},
    {"AP-2026-0003", "W052126000438", kAlkmaar, 29, 205, 3.3, 6.2,
     materials::Eligibility::kEligible, true},
    {"AP-2026-0004", "W041326000452", kLeiden, 25, 195, 3.0, 6.5, materials::Eligibility::kEligible,
     true},
    {"AP-2026-0005", "W052126000469", kAlkmaar, 28, 220, 3.6, 6.9,
     materials::Eligibility::kEligible, true},
    {"AP-2026-0006", "W041326000475", kLeiden, 27, 200, 3.1, 6.1, materials::Eligibility::kEligible,
     true},
    {"AP-2026-0007", "W041326000481", kLeiden, 24, 190, 3.2, 6.6, materials::Eligibility::kEligible,
     true},
    {"AP-2026-0008", "W052126000431", kAlkmaar, 30, 195, 3.4, 9.1,
     materials::Eligibility::kEligible, false},
    {"AP-2026-0009", "W041326000446", kLeiden, 6, 220, 2.6, 5.9, materials::Eligibility::kPending,
     false},
}};

std::string DonorCode(std::string_view body) {
  return "DIN-" + std::string(body) + "-" +
         std::string(1, materials::DonorCodeCheckCharacter(body));
}

// The shipping logger's download: a reading every 30 minutes from packing to receipt, rising from
// the minimum to the maximum two thirds of the way and settling back.
std::string LoggerCsv(const DemoCollection& collection, Timestamp collected, Timestamp received) {
  std::string csv = "logger,LG-" + std::string(collection.id).substr(3) + "\n" + "shipment," +
                    collection.id + "\ntime_utc,temperature_c\n";
  const Timestamp packed = HoursAfter(collected, 1);
  const std::int64_t step = std::int64_t{30} * 60 * kMicrosPerSecond;
  const std::int64_t count =
      std::max<std::int64_t>(3, (received.Micros() - packed.Micros()) / step);
  const std::int64_t peak = count * 2 / 3;
  for (std::int64_t i = 0; i < count; ++i) {
    const double rise =
        i <= peak ? static_cast<double>(i) / static_cast<double>(peak)
                  : 1.0 - 0.6 * static_cast<double>(i - peak) / static_cast<double>(count - peak);
    const double celsius = collection.min_c + (collection.max_c - collection.min_c) * rise;
    const long tenths = std::lround(celsius * 10);
    csv += Timestamp::FromMicros(packed.Micros() + i * step).ToRfc3339().substr(0, 19) + "Z," +
           std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "\n";
  }
  return csv;
}

// `user` consumes `quantity` `unit` of the scanned lot or container into `into`, as at the bench:
// through the point-of-use check, whose refusal is returned (kFailedPrecondition) and recorded.
Status ConsumeInto(Staff& staff, const std::string& user, const std::string& scanned,
                   const std::string& material, double quantity, const std::string& unit,
                   const Destination& into) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  ConsumeInput input;
  input.use.scanned = scanned;
  input.use.material = material;
  input.use.quantity = quantity;
  input.use.unit = unit;
  input.into = into;
  return staff.Areas()
      .Materials()
      .Consume(context, input)
      .transform([](const materials::UseCheck&) {});
}

// `user` uploads `bytes` to the file store, declaring their SHA-256 as a client does.
Result<BlobInfo> Upload(Staff& staff, const std::string& user, const std::string& bytes,
                        const std::string& media_type) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  return staff.Areas().Documents().UploadFile(context, Sha256::Of(bytes).Hex(), bytes, media_type);
}

using Say = std::function<void(std::string_view)>;

// What the materials area holds for the whole timeline: the materials, suppliers and purchased lots
// as the demo defines them (lots received later are received from here when their day comes).
struct MaterialsCatalog {
  std::vector<materials::MaterialCommand> materials;
  std::vector<DemoSupplier> suppliers;
  std::vector<DemoLot> lots;

  const materials::MaterialCommand& Material(const std::string& id) const {
    const auto found = std::find_if(materials.begin(), materials.end(),
                                    [&](const auto& material) { return material.id == id; });
    ALIQUOT_CHECK(found != materials.end());
    return *found;
  }
  const DemoSupplier& Supplier(const std::string& id) const {
    const auto found = std::find_if(suppliers.begin(), suppliers.end(), [&](const auto& supplier) {
      return supplier.supplier.id == id;
    });
    ALIQUOT_CHECK(found != suppliers.end());
    return *found;
  }
};

// wendy receives `lot` into quarantine; carlos enters its certificate (with the supplier's PDF, for
// some) and its identity test; anna releases it unless it stays in quarantine. Counts the files.
Status ReceivePurchasedLot(Staff& staff, const MaterialsCatalog& catalog, const DemoLot& lot,
                           int& files) {
  MaterialService& area = staff.Areas().Materials();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext wendy, staff.At("wendy"));
  materials::LotReceipt receipt = lot.receipt;
  receipt.unit = catalog.Material(receipt.material).unit;
  ALIQUOT_RETURN_IF_ERROR(area.ReceiveLot(wendy, receipt));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(20));
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext carlos, staff.At("carlos"));
  materials::CertificateInput certificate = lot.certificate;
  if (lot.certificate_file) {
    ALIQUOT_ASSIGN_OR_RETURN(const BlobInfo file,
                             Upload(staff, "carlos",
                                    CertificatePdf(catalog.Supplier(receipt.supplier),
                                                   catalog.Material(receipt.material), lot),
                                    "application/pdf"));
    certificate.file_sha256 = file.sha256;
    ++files;
  }
  ALIQUOT_RETURN_IF_ERROR(area.EnterCertificate(carlos, receipt.id, certificate, ""));
  if (lot.identity) {
    ALIQUOT_RETURN_IF_ERROR(area.RecordIdentityTest(carlos, receipt.id, true, *lot.identity,
                                                    "Identity confirmed on receipt"));
  }
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(10));
  if (!lot.release) return {};
  return staff.Sign("anna", {"material_lot", receipt.id}, Meaning::kReleased, *lot.release);
}

// The materials area as the unit set it up when the demo's history begins (see docs/demo.md):
// carlos defines the materials; quinn creates, audits and proposes the suppliers' qualifications,
// which anna signs; wendy receives the lots in stock, carlos enters their certificates and
// identity tests, anna releases what may be used.
Status SetUpMaterials(Staff& staff, const MaterialsCatalog& catalog, Timestamp now,
                      const Say& say) {
  MaterialService& area = staff.Areas().Materials();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext carlos, staff.At("carlos"));
  for (const materials::MaterialCommand& material : catalog.materials) {
    ALIQUOT_RETURN_IF_ERROR(area.DefineMaterial(carlos, material, ""));
  }
  say(std::to_string(catalog.materials.size()) +
      " materials defined by carlos (QC analyst) with their specifications: medium, IL-2, IL-7, "
      "IL-15, activation reagent, lentiviral vector, cryoprotectant, bags, tubing kits; "
      "apheresis (72 h), complete medium, CAR-T product");
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(30));

  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext quinn, staff.At("quinn"));
  for (const DemoSupplier& supplier : catalog.suppliers) {
    ALIQUOT_RETURN_IF_ERROR(area.CreateSupplier(quinn, supplier.supplier));
    ALIQUOT_RETURN_IF_ERROR(area.RecordAudit(quinn, supplier.supplier.id, supplier.audit));
    ALIQUOT_RETURN_IF_ERROR(
        area.ProposeQualification(quinn, supplier.supplier.id, supplier.qualification));
    ALIQUOT_RETURN_IF_ERROR(
        staff.Sign("anna", {"supplier", materials::ProposalRecordId(supplier.supplier.id, 1)},
                   Meaning::kApproved,
                   "Audit and quality agreement reviewed: qualification "
                   "approved as proposed"));
  }
  say(std::to_string(catalog.suppliers.size()) +
      " suppliers audited by quinn (QA reviewer), qualifications approved by anna: SUP-NORDVEC "
      "(vector CDMO) conditional after a major audit finding; SUP-ALDER (cytokines) "
      "requalification due " +
      Day(DaysAfter(now, -25)) + ", qualified until " + Day(DaysAfter(now, 5)));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(30));

  int received = 0;
  int released = 0;
  int files = 0;
  for (const DemoLot& lot : catalog.lots) {
    if (lot.received_days_ago != kDemoHistoryDays) continue;
    ALIQUOT_RETURN_IF_ERROR(ReceivePurchasedLot(staff, catalog, lot, files));
    ++received;
    if (lot.release) ++released;
  }
  say(std::to_string(received) +
      " lots received by wendy (warehouse), certificates and identity tests entered by carlos (" +
      std::to_string(files) + " with the supplier's PDF), " + std::to_string(released) +
      " released by anna; RM-2026-0004 (IL-2) out of specification, purity 92.4 %, held in "
      "quarantine");
  return {};
}

// wendy receives `collection` at goods-in with its logger file, bram (the second QA approver)
// determines its donor's eligibility, and anna releases it unless it is held.
Status ReceiveCollection(Staff& staff, const DemoCollection& collection, Timestamp collected) {
  MaterialService& area = staff.Areas().Materials();
  const Timestamp now = staff.Now();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext wendy, staff.At("wendy"));
  ALIQUOT_ASSIGN_OR_RETURN(
      const BlobInfo logger,
      Upload(staff, "wendy", LoggerCsv(collection, collected, now), "text/csv"));
  materials::CollectionReceipt receipt;
  receipt.id = collection.id;
  receipt.material = "MAT-APHERESIS";
  receipt.donor_code = DonorCode(collection.donor);
  receipt.collection_facility = collection.facility;
  receipt.collected_at = collected;
  receipt.quantity = collection.quantity_ml;
  receipt.unit = "mL";
  receipt.shipping_min_c = collection.min_c;
  receipt.shipping_max_c = collection.max_c;
  receipt.logger_file_sha256 = logger.sha256;
  receipt.receiving_code = "GR-2026-02" + std::string(collection.id).substr(10);
  receipt.storage_location = "Apheresis quarantine fridge QF-02 (2-8 C), one patient per shelf";
  ALIQUOT_RETURN_IF_ERROR(area.ReceiveCollection(wendy, receipt));
  if (collection.eligibility != materials::Eligibility::kPending) {
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(15));
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext bram, staff.At("bram"));
    ALIQUOT_RETURN_IF_ERROR(area.DetermineEligibility(
        bram, collection.id, collection.eligibility == materials::Eligibility::kEligible,
        "Autologous donor: screening questionnaire and medical history reviewed; HIV-1/2, HBV, "
        "HCV, HTLV-I/II and syphilis markers non-reactive on the collection-day sample"));
  }
  if (!collection.released) return {};
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(10));
  return staff.Sign("anna", {"material_lot", collection.id}, Meaning::kReleased,
                    "Chain of identity checked against the order; logger 2-8 C throughout; "
                    "donor eligible");
}

// The lots a batch draws on, and how much is left of each: the order the stock is used in.
class Stock {
 public:
  void Add(const std::string& lot, const std::string& material, double quantity) {
    lots_.push_back({lot, material, quantity});
  }

  // `amount` of `material` (in its lot unit), from the first lot holding enough: the lot labels to
  // scan and how much of each. kFailedPrecondition when the stock runs short (the demo's bug).
  Result<std::vector<std::pair<std::string, double>>> Take(const std::string& material,
                                                           double amount) {
    std::vector<std::pair<std::string, double>> taken;
    double left = amount;
    for (InStock& lot : lots_) {
      if (lot.material != material || lot.balance <= 1e-9) continue;
      const double drawn = std::min(left, lot.balance);
      lot.balance -= drawn;
      left -= drawn;
      taken.emplace_back(lot.id, drawn);
      if (left <= 1e-9) return taken;
    }
    return Unexpected(FailedPrecondition("the demo's stock of " + material + " ran out"));
  }

 private:
  struct InStock {
    std::string id;
    std::string material;
    double balance = 0;
  };
  std::vector<InStock> lots_;
};

// oliver prepares complete medium `id` for one Phase 1 batch: HelixCult with IL-2 at 100 IU/mL
// (5.5 ug per litre), in the containers the batch's steps take it from, and anna releases it. For
// the first, a vial of the out-of-specification IL-2 lot, picked by mistake, is refused at the
// bench, and the attempt is recorded.
Status PrepareCompleteMedium(Staff& staff, Stock& stock, const std::string& id,
                             bool picks_the_quarantined_vial) {
  MaterialService& area = staff.Areas().Materials();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext oliver, staff.At("oliver"));
  const Destination medium_lot{Destination::Kind::kLot, id};
  materials::ProducedLot complete;
  complete.id = id;
  complete.material = "MAT-CM-IL2";
  complete.quantity = 2100;
  complete.unit = "mL";
  // The seeding, the transfer, the feed and the perfusion: one container each.
  complete.containers = {100, 400, 500, 1100};
  complete.expiry = DaysAfter(staff.Now(), 14);
  complete.storage_location = "Suite fridge F-02 (2-8 C)";
  ALIQUOT_RETURN_IF_ERROR(area.ProduceLot(oliver, complete));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(5));
  if (picks_the_quarantined_vial) {
    const Status refused =
        ConsumeInto(staff, "oliver", "RM-2026-0004/1", "MAT-IL2", 11.55, "ug", medium_lot);
    if (refused) {
      return Unexpected(Internal("the demo expected the quarantined IL-2 lot to be refused"));
    }
    if (refused.error().Code() != ErrorCode::kFailedPrecondition) {
      return Unexpected(refused.error());
    }
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(2));
  }
  for (const auto& [material, amount] :
       std::array<std::pair<const char*, double>, 2>{{{"MAT-MEDIUM", 2100}, {"MAT-IL2", 11.55}}}) {
    ALIQUOT_ASSIGN_OR_RETURN(const auto taken, stock.Take(material, amount));
    for (const auto& [lot, quantity] : taken) {
      ALIQUOT_RETURN_IF_ERROR(ConsumeInto(staff, "oliver", lot, material, quantity,
                                          material == std::string("MAT-IL2") ? "ug" : "mL",
                                          medium_lot));
      ALIQUOT_RETURN_IF_ERROR(staff.Wait(3));
    }
  }
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(40));
  return staff.Sign("anna", {"material_lot", id}, Meaning::kReleased,
                    "Preparation record reviewed: lots released and in date");
}

// ---- Equipment, logbooks and environmental monitoring -----------------------------------------

using environment::Grade;
using environment::Occupancy;
using environment::SampleType;
using equipment::CalibrationPoint;
using equipment::CleaningRule;
using equipment::EntryKind;
using equipment::EquipmentClass;

struct DemoRoom {
  const char* id;
  const char* name;
  Grade grade;
};

// The unit's rooms: two grade B processing suites and the grade C preparation room they share,
// entered through the grade D airlock; the QC laboratory and the cryostorage room unclassified.
constexpr std::array<DemoRoom, 6> kRooms{{
    {"LEI-B101", "Suite 1 processing room", Grade::kB},
    {"LEI-B102", "Suite 2 processing room", Grade::kB},
    {"LEI-C110", "Preparation room, suites 1 and 2", Grade::kC},
    {"LEI-D120", "Gowning and material airlock", Grade::kD},
    {"LEI-QC01", "QC laboratory", Grade::kUnclassified},
    {"LEI-CRY", "Cryostorage room", Grade::kUnclassified},
}};

// A calibration as its certificate reads, entered from it: performed `days_ago` (0: today).
struct DemoCalibration {
  int days_ago = 0;
  std::string provider;
  std::string reference_standard;
  std::vector<CalibrationPoint> points;
};

// A preventive maintenance, entered from the service engineer's report.
struct DemoMaintenance {
  int days_ago = 0;
  std::string description;
  std::vector<std::string> report;  // The report's lines, uploaded as a PDF; none: no file.
};

struct DemoEquipment {
  std::string id;
  equipment::Definition definition;
  std::string qualification;                  // The IQ/OQ/PQ report's reference.
  std::vector<DemoCalibration> calibrations;  // Oldest first.
  std::optional<DemoMaintenance> maintenance;
};

CalibrationPoint Point(double nominal, double as_found, double tolerance, std::string unit) {
  CalibrationPoint point;
  point.nominal = nominal;
  point.as_found = as_found;
  point.tolerance = tolerance;
  point.unit = std::move(unit);
  return point;
}

// A point found as `as_found` and adjusted to `as_left`.
CalibrationPoint Adjusted(double nominal, double as_found, double as_left, double tolerance,
                          std::string unit) {
  CalibrationPoint point = Point(nominal, as_found, tolerance, std::move(unit));
  point.as_left = as_left;
  return point;
}

// Who calibrates in house, as a certificate names its provider.
constexpr const char* kInHouse = "in-house metrology, Leiden";

// The temperature probe of an incubator, bioreactor or freezer against a calibrated reference
// thermometer, at the set point the process uses.
DemoCalibration Thermometry(int days_ago, std::vector<CalibrationPoint> points) {
  return {days_ago, kInHouse,
          "Reference thermometer RT-07 (Pt100, ISO 17025 certificate 2025-3381)",
          std::move(points)};
}

// The unit's equipment for the CAR-T process, as erik (equipment owner) registers it: each suite
// its cabinet, incubator, bioreactor, welder and pipette; the preparation room the cell processing
// system, the apheresis refrigerator, the vector thawer, the tube sealer and the freezer; QC its
// counter, cytometer and PCR instrument. Cabinets, incubators, bioreactors, the cell processing
// system and the centrifuge are cleaned between patients (autologous work, T-01); the cabinets'
// cleanings are verified by a second person and hold 72 h. Instruments carry their calibration
// history, every certificate dated before the demo's history begins: the balance BAL-01 was
// calibrated 358 days before the demo ends, so it falls due 7 days after; suite 2's pipette PIP-02
// 172 days before (its calibration as the demo ends finds it out of tolerance).
std::vector<DemoEquipment> CarTEquipment() {
  constexpr int kYearly = 365;
  const auto between_patients = [](std::optional<int> hold_hours, std::vector<EntryKind> checks) {
    equipment::Definition definition;
    definition.cleaning_rule = CleaningRule::kBetweenPatients;
    definition.clean_hold_hours = hold_hours;
    definition.second_person_checks = std::move(checks);
    return definition;
  };
  const auto describe = [](equipment::Definition definition, std::string name, EquipmentClass kind,
                           std::string manufacturer, std::string model, std::string serial,
                           std::string room) {
    definition.name = std::move(name);
    definition.equipment_class = kind;
    definition.manufacturer = std::move(manufacturer);
    definition.model = std::move(model);
    definition.serial_number = std::move(serial);
    definition.room = std::move(room);
    return definition;
  };
  const auto calibrated = [](equipment::Definition definition, int interval_days,
                             std::string measures) {
    definition.calibration_interval_days = interval_days;
    definition.measures = std::move(measures);
    return definition;
  };
  const auto maintained = [](equipment::Definition definition, int interval_days) {
    definition.maintenance_interval_days = interval_days;
    return definition;
  };
  const equipment::Definition cabinet =
      maintained(between_patients(72, {EntryKind::kCleaning}), kYearly);
  const equipment::Definition patient_only = between_patients(std::nullopt, {});
  const equipment::Definition not_cleaned;  // Cleaning rule none.
  const std::string certification =
      "Annual service and EN 12469 certification: inflow and downflow velocities, HEPA filter "
      "integrity (PAO scan), airflow alarm, UV lamp off";
  const auto certificate = [&](const std::string& id, const std::string& serial) {
    return std::vector<std::string>{
        "Biocontain Services Benelux B.V., Kanaalweg 12, 2311 Leiden",
        "",
        "Service report SR-25-" + serial.substr(serial.size() - 4) +
            " (class II biosafety cabinet " + id + ", serial " + serial + ")",
        "Annual preventive maintenance and EN 12469 certification",
        "Inflow velocity: 0.46 m/s (acceptance >= 0.40 m/s)",
        "Downflow velocity: 0.34 m/s (acceptance 0.25-0.50 m/s)",
        "HEPA filter integrity, PAO scan: downflow and exhaust filters < 0.01 % penetration",
        "Airflow alarm: tested, sounds at 0.38 m/s inflow",
        "",
        "Result: passed. The cabinet is certified for use for 12 months.",
        "Engineer: R. Vermeulen; issued electronically, valid without signature."};
  };

  std::vector<DemoEquipment> set;
  set.push_back(
      {"BSC-01",
       describe(cabinet, "Class II biosafety cabinet, suite 1", EquipmentClass::kBiosafetyCabinet,
                "Thermo Fisher Scientific", "Herasafe 2030i 1.8", "42815377", "LEI-B101"),
       "IQOQ-BSC-01-2025",
       {},
       DemoMaintenance{150, certification, certificate("BSC-01", "42815377")}});
  set.push_back(
      {"BSC-02",
       describe(cabinet, "Class II biosafety cabinet, suite 2", EquipmentClass::kBiosafetyCabinet,
                "Thermo Fisher Scientific", "Herasafe 2030i 1.8", "42815402", "LEI-B102"),
       "IQOQ-BSC-02-2025",
       {},
       DemoMaintenance{148, certification, {}}});
  const equipment::Definition incubator = maintained(calibrated(patient_only, 180, "C"), kYearly);
  set.push_back({"INC-01",
                 describe(incubator, "CO2 incubator, suite 1", EquipmentClass::kIncubator,
                          "Thermo Fisher Scientific", "Heracell VIOS 160i", "42734116", "LEI-B101"),
                 "IQOQPQ-INC-01-2025",
                 {Thermometry(80, {Point(37.0, 37.1, 0.5, "C")})},
                 std::nullopt});
  set.push_back({"INC-02",
                 describe(incubator, "CO2 incubator, suite 2", EquipmentClass::kIncubator,
                          "Thermo Fisher Scientific", "Heracell VIOS 160i", "42734121", "LEI-B102"),
                 "IQOQPQ-INC-02-2025",
                 {Thermometry(75, {Point(37.0, 36.8, 0.5, "C")})},
                 std::nullopt});
  set.push_back({"BIO-01",
                 describe(maintained(calibrated(patient_only, kYearly, "C"), kYearly),
                          "Rocking-motion bioreactor, suite 1", EquipmentClass::kBioreactor,
                          "Cytiva", "Xuri Cell Expansion System W25", "W25-1804417", "LEI-B101"),
                 "IQOQPQ-BIO-01-2025",
                 {Thermometry(90, {Point(37.0, 36.9, 0.5, "C")})},
                 std::nullopt});
  set.push_back({"CPS-01",
                 describe(maintained(patient_only, kYearly), "Closed cell processing system",
                          EquipmentClass::kCellProcessingSystem, "Fresenius Kabi",
                          "LOVO Cell Processing System", "LV2-10493", "LEI-C110"),
                 "IQOQPQ-CPS-01-2025",
                 {},
                 std::nullopt});
  set.push_back({"CEN-01",
                 describe(maintained(calibrated(patient_only, kYearly, "rpm"), kYearly),
                          "Refrigerated centrifuge, suite 1", EquipmentClass::kCentrifuge,
                          "Thermo Fisher Scientific", "Sorvall ST 40R", "42199812", "LEI-B101"),
                 "IQOQ-CEN-01-2025",
                 {{210,
                   kInHouse,
                   "Optical tachometer TA-02 (certificate 2025-0912)",
                   {Point(1000, 1004, 20, "rpm"), Point(3000, 2991, 60, "rpm")}}},
                 std::nullopt});
  set.push_back({"CRF-01",
                 describe(maintained(calibrated(not_cleaned, kYearly, "C"), kYearly),
                          "Controlled-rate freezer", EquipmentClass::kControlledRateFreezer,
                          "Planer", "Kryo 560-16", "K56-21187", "LEI-C110"),
                 "IQOQPQ-CRF-01-2025",
                 {Thermometry(120, {Point(4, 4.2, 1, "C"), Point(-40, -40.3, 1, "C"),
                                    Point(-80, -80.6, 2, "C")})},
                 std::nullopt});
  set.push_back({"LN2-02",
                 describe(calibrated(not_cleaned, kYearly, "C"), "LN2 vapour-phase storage tank",
                          EquipmentClass::kLn2Storage, "Chart MVE", "HEco 1539P-190", "CV19-33051",
                          "LEI-CRY"),
                 "IQOQ-LN2-02-2024",
                 {{200,
                   kInHouse,
                   "Reference thermometer RT-09 (Pt100, certified to -196 C, 2025-3402)",
                   {Point(-150, -150.8, 2, "C"), Point(-190, -189.4, 2, "C")}}},
                 std::nullopt});
  const auto weights = [](int days_ago, double found_1, double found_1000) {
    return DemoCalibration{days_ago,
                           "Sartorius service",
                           "Weight set WS-0042, class E2 (certificate 2024-118)",
                           {Point(1, found_1, 0.002, "g"), Point(100, 100.001, 0.005, "g"),
                            Point(1000, found_1000, 0.05, "g")}};
  };
  set.push_back({"BAL-01",
                 describe(calibrated(not_cleaned, kYearly, "g"),
                          "Precision balance, preparation room", EquipmentClass::kBalance,
                          "Sartorius", "Cubis II MCA3203P", "0039607185", "LEI-C110"),
                 "IQOQ-BAL-01-2024",
                 {weights(723, 1.001, 1000.02), weights(358, 1.000, 999.99)},
                 std::nullopt});
  set.push_back(
      {"BAL-02",
       describe(calibrated(not_cleaned, kYearly, "g"), "Analytical balance, QC laboratory",
                EquipmentClass::kBalance, "Mettler Toledo", "XPR205", "C214563890", "LEI-QC01"),
       "IQOQ-BAL-02-2024",
       {{95,
         "Mettler-Toledo service",
         "Weight set WS-0051, class E2 (certificate 2025-207)",
         {Point(0.1, 0.10002, 0.0002, "g"), Point(200, 200.0001, 0.0005, "g")}}},
       std::nullopt});
  const std::string gravimetric = "Gravimetric, ISO 8655-6, 10 replicates per volume on BAL-02";
  set.push_back(
      {"PIP-01",
       describe(calibrated(not_cleaned, 180, "uL"), "Single-channel pipette 100-1000 uL, suite 1",
                EquipmentClass::kPipette, "Eppendorf", "Research plus 100-1000 uL", "Q41837G",
                "LEI-B101"),
       "IQ-PIP-01-2025",
       {{78,
         kInHouse,
         gravimetric,
         {Point(100, 100.9, 3, "uL"), Point(500, 501.8, 4, "uL"), Point(1000, 997.2, 8, "uL")}}},
       std::nullopt});
  set.push_back(
      {"PIP-02",
       describe(calibrated(not_cleaned, 180, "uL"), "Single-channel pipette 20-200 uL, suite 2",
                EquipmentClass::kPipette, "Eppendorf", "Research plus 20-200 uL", "R29055H",
                "LEI-B102"),
       "IQ-PIP-02-2025",
       {{172,
         kInHouse,
         gravimetric,
         {Point(20, 20.2, 0.5, "uL"), Point(100, 100.3, 1, "uL"), Point(200, 199.6, 1.6, "uL")}}},
       std::nullopt});
  set.push_back({"NC-01",
                 describe(calibrated(not_cleaned, kYearly, "cells/mL"), "Cell counter",
                          EquipmentClass::kCellCounter, "ChemoMetec", "NucleoCounter NC-202",
                          "NC202-1020566", "LEI-QC01"),
                 "IQOQ-NC-01-2025",
                 {{85,
                   "ChemoMetec service",
                   "Certified count reference beads, lot 4417-B (1.00 x 10^6 beads/mL)",
                   {Point(1.0e6, 1.03e6, 1.0e5, "cells/mL")}}},
                 std::nullopt});
  set.push_back(
      {"FC-01",
       describe(maintained(not_cleaned, 180), "Flow cytometer", EquipmentClass::kFlowCytometer,
                "BD Biosciences", "FACSLyric 3L12C", "R658200124", "LEI-QC01"),
       "IQOQPQ-FC-01-2025",
       {},
       std::nullopt});
  set.push_back(
      {"SW-02",
       describe(maintained(not_cleaned, kYearly), "Sterile tube welder, suite 2",
                EquipmentClass::kSterileWelder, "Terumo BCT", "TSCD-II", "TSC2-118302", "LEI-B102"),
       "IQOQ-SW-02-2026",
       {},
       std::nullopt});
  set.push_back(
      {"SW-01",
       describe(maintained(not_cleaned, kYearly), "Sterile tube welder, suite 1",
                EquipmentClass::kSterileWelder, "Terumo BCT", "TSCD-II", "TSC2-104877", "LEI-B101"),
       "IQOQ-SW-01-2024",
       {},
       std::nullopt});
  set.push_back({"BIO-02",
                 describe(maintained(calibrated(patient_only, kYearly, "C"), kYearly),
                          "Rocking-motion bioreactor, suite 2", EquipmentClass::kBioreactor,
                          "Cytiva", "Xuri Cell Expansion System W25", "W25-1806032", "LEI-B102"),
                 "IQOQPQ-BIO-02-2025",
                 {Thermometry(100, {Point(37.0, 37.1, 0.5, "C")})},
                 std::nullopt});
  // Where the apheresis bags wait for manufacture, one patient per shelf.
  set.push_back({"QF-02",
                 describe(calibrated(not_cleaned, kYearly, "C"),
                          "Apheresis quarantine refrigerator", EquipmentClass::kRefrigerator,
                          "Liebherr", "MediLine LKUv 1610", "LK1610-77213", "LEI-C110"),
                 "IQOQ-QF-02-2025",
                 {Thermometry(130, {Point(5.0, 5.2, 1.0, "C")})},
                 std::nullopt});
  set.push_back(
      {"THAW-01",
       describe(not_cleaned, "Dry thawing device for vector vials", EquipmentClass::kThawingDevice,
                "Cytiva", "VIA Thaw CB1000", "CB1-20419", "LEI-C110"),
       "IQOQ-THAW-01-2025",
       {},
       std::nullopt});
  set.push_back({"TS-01",
                 describe(not_cleaned, "Tube sealer", EquipmentClass::kTubeSealer, "Terumo BCT",
                          "TSCD Sealer", "TSS-33108", "LEI-C110"),
                 "IQOQ-TS-01-2025",
                 {},
                 std::nullopt});
  set.push_back(
      {"PCR-01",
       describe(maintained(not_cleaned, kYearly), "Real-time PCR instrument, QC laboratory",
                EquipmentClass::kPcrInstrument, "Bio-Rad", "CFX Opus 96", "785BR13370", "LEI-QC01"),
       "IQOQPQ-PCR-01-2025",
       {},
       std::nullopt});
  return set;
}

identity::RecordRef EntryRecord(const std::string& equipment, int entry) {
  return {"logbook_entry", equipment + ":" + std::to_string(entry)};
}

// erik registers each piece and records its qualification, which he signs and quinn (QA
// reviewer) verifies; then he enters its calibration and maintenance history from the
// certificates and service reports, signing each entry (a second person verifies where its rules
// ask). Counts the files uploaded.
Status RegisterEquipment(Staff& staff, const std::vector<DemoEquipment>& set, Timestamp now,
                         int& files) {
  EquipmentService& area = staff.Areas().Equipment();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext erik, staff.At("erik"));
  const auto sign_off = [&](const DemoEquipment& item, int entry, EntryKind kind) -> Status {
    ALIQUOT_RETURN_IF_ERROR(staff.Sign("erik", EntryRecord(item.id, entry), Meaning::kPerformed));
    if (!item.definition.NeedsVerification(kind)) return {};
    return staff.Sign("vera", EntryRecord(item.id, entry), Meaning::kVerified,
                      "Record checked against the certificate");
  };
  for (const DemoEquipment& item : set) {
    ALIQUOT_RETURN_IF_ERROR(area.Register(erik, item.id, item.definition));
    equipment::QualificationInput qualification;
    qualification.status = equipment::QualificationStatus::kQualified;
    qualification.reference = item.qualification;
    qualification.comment =
        "Installation, operational and performance qualification executed to "
        "the approved protocol; all acceptance criteria met";
    ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded qualified,
                             area.RecordQualification(erik, item.id, qualification));
    ALIQUOT_RETURN_IF_ERROR(
        staff.Sign("erik", EntryRecord(item.id, qualified.entry), Meaning::kPerformed));
    ALIQUOT_RETURN_IF_ERROR(
        staff.Sign("quinn", EntryRecord(item.id, qualified.entry), Meaning::kVerified,
                   "Qualification report " + item.qualification +
                       " reviewed: acceptance criteria met, deviations closed"));
    for (const DemoCalibration& past : item.calibrations) {
      equipment::CalibrationInput calibration;
      calibration.performed_on = DaysAfter(now, -past.days_ago);
      calibration.provider = past.provider;
      calibration.reference_standard = past.reference_standard;
      calibration.points = past.points;
      ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded calibrated,
                               area.RecordCalibration(erik, item.id, calibration));
      ALIQUOT_RETURN_IF_ERROR(sign_off(item, calibrated.entry, EntryKind::kCalibration));
    }
    if (item.maintenance) {
      equipment::MaintenanceInput maintenance;
      maintenance.performed_on = DaysAfter(now, -item.maintenance->days_ago);
      maintenance.type = equipment::MaintenanceType::kPreventive;
      maintenance.description = item.maintenance->description;
      if (!item.maintenance->report.empty()) {
        ALIQUOT_ASSIGN_OR_RETURN(
            const BlobInfo report,
            Upload(staff, "erik", Pdf(item.maintenance->report), "application/pdf"));
        maintenance.report_sha256 = report.sha256;
        ++files;
      }
      ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded maintained,
                               area.RecordMaintenance(erik, item.id, maintenance));
      ALIQUOT_RETURN_IF_ERROR(sign_off(item, maintained.entry, EntryKind::kMaintenance));
    }
  }
  return {};
}

constexpr const char* kSporicidal =
    "Sporicidal agent (hydrogen peroxide and peracetic acid), then sterile 70% IPA";
constexpr const char* kAlcohol = "Sterile 70% IPA";

// A cleaning: `user` cleans and signs it; `verifier`, if any, checks it as the second person;
// none where the equipment's rules ask for one, and it awaits verification.
struct DemoCleaning {
  const char* user;
  const char* equipment;
  const char* agent;
  const char* verifier;  // nullptr: none.
};

Status Clean(Staff& staff, const DemoCleaning& cleaning) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext user, staff.At(cleaning.user));
  equipment::CleaningInput input;
  input.agent = cleaning.agent;
  input.method =
      "Wipe-down top to bottom, clean to dirty, each agent for its contact time "
      "(SOP-CT-009)";
  ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded cleaned, staff.Areas().Equipment().RecordCleaning(
                                                            user, cleaning.equipment, input));
  const identity::RecordRef record = EntryRecord(cleaning.equipment, cleaned.entry);
  ALIQUOT_RETURN_IF_ERROR(staff.Sign(cleaning.user, record, Meaning::kPerformed));
  if (cleaning.verifier == nullptr) return {};
  return staff.Sign(cleaning.verifier, record, Meaning::kVerified,
                    "Cleaning observed; agents in date, contact times kept");
}

// One kind of sample planned at a location; no alert level for grade A viable samples, where any
// growth is an action-level excursion.
environment::PlannedSample Planned(SampleType type, Occupancy occupancy,
                                   std::optional<double> alert_level, std::string frequency) {
  environment::PlannedSample planned;
  planned.type = type;
  planned.occupancy = occupancy;
  planned.alert_level = alert_level;
  planned.frequency = std::move(frequency);
  return planned;
}

// Monitoring at the demo's locations began this many days before the demo runs; carlos brings in
// the results of the last kHistoryDays of them (the days before, the unit was qualifying its
// rooms).
constexpr int kMonitoredSinceDays = 120;
constexpr int kHistoryDays = 90;

environment::LocationCommand MonitoringLocation(std::string id, std::string room, Grade grade,
                                                std::string description,
                                                std::vector<environment::PlannedSample> samples) {
  environment::LocationCommand command;
  command.id = std::move(id);
  command.room = std::move(room);
  command.grade = grade;
  command.description = std::move(description);
  command.samples = std::move(samples);
  return command;
}

// carlos's monitoring plan (SOP-QC-010): in each suite, the cabinet's grade A work zone, the grade
// B room beside it and its floor; the preparation room and the airlock. Site alert levels sit
// below the Annex 1 action limits, from the unit's trend data. Monitored since `since`.
std::vector<environment::LocationCommand> CarTMonitoringPlan(Timestamp since) {
  constexpr Occupancy kAtRest = Occupancy::kAtRest;
  constexpr Occupancy kInOperation = Occupancy::kInOperation;
  const std::string session = "each processing session";
  const auto cabinet = [&](const std::string& suite, const std::string& room,
                           const std::string& cabinet_id) {
    return MonitoringLocation(
        "LEI-" + room.substr(4) + "-" + cabinet_id, room, Grade::kA,
        cabinet_id + " work zone, centre, " + suite,
        {Planned(SampleType::kParticles05, kInOperation, 1000, "continuous, " + session),
         Planned(SampleType::kParticles5, kInOperation, 10, "continuous, " + session),
         Planned(SampleType::kActiveAir, kInOperation, std::nullopt, "each open manipulation"),
         Planned(SampleType::kSettlePlate, kInOperation, std::nullopt,
                 "throughout " + session + ", up to 4 h per plate"),
         Planned(SampleType::kGlovePrint, kInOperation, std::nullopt,
                 "each operator, end of " + session)});
  };
  const auto room = [&](const std::string& suite, const std::string& id,
                        const std::string& cabinet_id) {
    return MonitoringLocation(
        "LEI-" + id.substr(4) + "-ROOM", id, Grade::kB,
        suite + ", centre of the room beside " + cabinet_id,
        {Planned(SampleType::kParticles05, kAtRest, 2000, "weekly, Monday before work"),
         Planned(SampleType::kParticles05, kInOperation, 100000, session),
         Planned(SampleType::kParticles5, kAtRest, 15, "weekly, Monday before work"),
         Planned(SampleType::kParticles5, kInOperation, 1000, session),
         Planned(SampleType::kActiveAir, kInOperation, 5, session),
         Planned(SampleType::kSettlePlate, kInOperation, 3, session)});
  };
  const auto room_floor = [&](const std::string& suite, const std::string& id,
                              const std::string& cabinet_id) {
    return MonitoringLocation("LEI-" + id.substr(4) + "-FLOOR", id, Grade::kB,
                              suite + ", floor in front of " + cabinet_id,
                              {Planned(SampleType::kContactPlate, kInOperation, 3,
                                       "twice a week, end of a processing session")});
  };
  std::vector<environment::LocationCommand> plan = {
      cabinet("suite 1", "LEI-B101", "BSC-01"),
      room("Suite 1", "LEI-B101", "BSC-01"),
      room_floor("Suite 1", "LEI-B101", "BSC-01"),
      cabinet("suite 2", "LEI-B102", "BSC-02"),
      room("Suite 2", "LEI-B102", "BSC-02"),
      room_floor("Suite 2", "LEI-B102", "BSC-02"),
      MonitoringLocation("LEI-C110-ROOM", "LEI-C110", Grade::kC,
                         "Preparation room, bench beside the cell processing system",
                         {Planned(SampleType::kParticles05, kAtRest, 200000, "weekly"),
                          Planned(SampleType::kParticles05, kInOperation, 2000000, "weekly"),
                          Planned(SampleType::kActiveAir, kInOperation, 50, "weekly"),
                          Planned(SampleType::kSettlePlate, kInOperation, 25, "weekly"),
                          Planned(SampleType::kContactPlate, kInOperation, 15, "weekly")}),
      MonitoringLocation("LEI-D120-ROOM", "LEI-D120", Grade::kD, "Airlock, step-over bench",
                         {Planned(SampleType::kParticles05, kAtRest, 2000000, "monthly"),
                          Planned(SampleType::kActiveAir, kInOperation, 100, "weekly"),
                          Planned(SampleType::kContactPlate, kInOperation, 30, "weekly")}),
  };
  for (environment::LocationCommand& location : plan) location.monitored_since = since;
  return plan;
}

// A result as carlos enters it, in the type's own unit.
struct DemoSample {
  const char* location;
  SampleType type;
  Occupancy occupancy;
  double result;
  int exposure_minutes;  // Settle plates only; 0 for the rest.
  const char* person;    // Glove prints only: whose glove; nullptr for the rest.
  const char* comment;   // nullptr: none.
};

// Before processing: the rooms at rest.
constexpr std::array<DemoSample, 6> kAtRestSamples{{
    {"LEI-B101-ROOM", SampleType::kParticles05, Occupancy::kAtRest, 1240, 0, nullptr, nullptr},
    {"LEI-B101-ROOM", SampleType::kParticles5, Occupancy::kAtRest, 6, 0, nullptr, nullptr},
    {"LEI-B102-ROOM", SampleType::kParticles05, Occupancy::kAtRest, 910, 0, nullptr, nullptr},
    {"LEI-B102-ROOM", SampleType::kParticles5, Occupancy::kAtRest, 3, 0, nullptr, nullptr},
    {"LEI-C110-ROOM", SampleType::kParticles05, Occupancy::kAtRest, 61800, 0, nullptr, nullptr},
    {"LEI-D120-ROOM", SampleType::kParticles05, Occupancy::kAtRest, 385000, 0, nullptr, nullptr},
}};

// During processing: mostly clean, but the active air sample beside BSC-01 in suite 1 is above the
// grade B action limit.
constexpr std::array<DemoSample, 27> kInOperationSamples{{
    {"LEI-B101-BSC-01", SampleType::kParticles05, Occupancy::kInOperation, 180, 0, nullptr,
     nullptr},
    {"LEI-B101-BSC-01", SampleType::kParticles5, Occupancy::kInOperation, 0, 0, nullptr, nullptr},
    {"LEI-B101-BSC-01", SampleType::kActiveAir, Occupancy::kInOperation, 0, 0, nullptr, nullptr},
    {"LEI-B101-BSC-01", SampleType::kSettlePlate, Occupancy::kInOperation, 0, 235, nullptr,
     nullptr},
    {"LEI-B101-BSC-01", SampleType::kGlovePrint, Occupancy::kInOperation, 0, 0, "priya", nullptr},
    {"LEI-B101-BSC-01", SampleType::kGlovePrint, Occupancy::kInOperation, 0, 0, "oliver", nullptr},
    {"LEI-B101-ROOM", SampleType::kParticles05, Occupancy::kInOperation, 41200, 0, nullptr,
     nullptr},
    {"LEI-B101-ROOM", SampleType::kParticles5, Occupancy::kInOperation, 118, 0, nullptr, nullptr},
    {"LEI-B101-ROOM", SampleType::kActiveAir, Occupancy::kInOperation, 14, 0, nullptr,
     "1 m3 sampled beside BSC-01 while materials were passed in; colonies sent for "
     "identification"},
    {"LEI-B101-ROOM", SampleType::kSettlePlate, Occupancy::kInOperation, 1, 240, nullptr, nullptr},
    {"LEI-B101-FLOOR", SampleType::kContactPlate, Occupancy::kInOperation, 1, 0, nullptr, nullptr},
    {"LEI-B102-BSC-02", SampleType::kParticles05, Occupancy::kInOperation, 120, 0, nullptr,
     nullptr},
    {"LEI-B102-BSC-02", SampleType::kParticles5, Occupancy::kInOperation, 0, 0, nullptr, nullptr},
    {"LEI-B102-BSC-02", SampleType::kActiveAir, Occupancy::kInOperation, 0, 0, nullptr, nullptr},
    {"LEI-B102-BSC-02", SampleType::kSettlePlate, Occupancy::kInOperation, 0, 180, nullptr,
     nullptr},
    {"LEI-B102-BSC-02", SampleType::kGlovePrint, Occupancy::kInOperation, 0, 0, "priya", nullptr},
    {"LEI-B102-ROOM", SampleType::kParticles05, Occupancy::kInOperation, 28900, 0, nullptr,
     nullptr},
    {"LEI-B102-ROOM", SampleType::kParticles5, Occupancy::kInOperation, 74, 0, nullptr, nullptr},
    {"LEI-B102-ROOM", SampleType::kActiveAir, Occupancy::kInOperation, 1, 0, nullptr, nullptr},
    {"LEI-B102-ROOM", SampleType::kSettlePlate, Occupancy::kInOperation, 1, 180, nullptr, nullptr},
    {"LEI-B102-FLOOR", SampleType::kContactPlate, Occupancy::kInOperation, 0, 0, nullptr, nullptr},
    {"LEI-C110-ROOM", SampleType::kParticles05, Occupancy::kInOperation, 684000, 0, nullptr,
     nullptr},
    {"LEI-C110-ROOM", SampleType::kActiveAir, Occupancy::kInOperation, 7, 0, nullptr, nullptr},
    {"LEI-C110-ROOM", SampleType::kSettlePlate, Occupancy::kInOperation, 4, 240, nullptr, nullptr},
    {"LEI-C110-ROOM", SampleType::kContactPlate, Occupancy::kInOperation, 3, 0, nullptr, nullptr},
    {"LEI-D120-ROOM", SampleType::kActiveAir, Occupancy::kInOperation, 22, 0, nullptr, nullptr},
    {"LEI-D120-ROOM", SampleType::kContactPlate, Occupancy::kInOperation, 9, 0, nullptr, nullptr},
}};

// What the monitoring found: how many results, alerts and excursions, and the deviations raised.
struct MonitoringTally {
  int recorded = 0;
  int alerts = 0;
  int excursions = 0;
  std::map<std::string, int> labelled;  // Per day "yyyymmdd": the last label number given.
  std::vector<std::string> alert_days;  // The day of each alert.
  std::vector<quality::DeviationState> deviations;
};

// carlos enters `input`, labelled for the day it was taken: "EM-<yyyymmdd>-001" on.
Status EnterSample(EnvironmentService& area, const RequestContext& carlos,
                   environment::SampleInput input, MonitoringTally& tally) {
  std::string day = Day(input.taken_at);
  day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
  std::string number = std::to_string(++tally.labelled[day]);
  number.insert(0, 3 - std::min<std::size_t>(3, number.size()), '0');
  input.id = "EM-" + day + "-" + number;
  input.unit = std::string(environment::ResultUnit(input.type));
  ALIQUOT_ASSIGN_OR_RETURN(SampleRecorded recorded, area.RecordSample(carlos, input));
  ++tally.recorded;
  if (recorded.sample.outcome == environment::Outcome::kAlert) {
    ++tally.alerts;
    tally.alert_days.push_back(Day(input.taken_at));
  }
  if (recorded.sample.outcome == environment::Outcome::kAction) ++tally.excursions;
  if (recorded.deviation) tally.deviations.push_back(std::move(*recorded.deviation));
  return {};
}

// carlos enters `samples`, taken now.
Status RecordSamples(Staff& staff, std::span<const DemoSample> samples, MonitoringTally& tally) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext carlos, staff.At("carlos"));
  EnvironmentService& area = staff.Areas().Environment();
  const Timestamp taken = area.Now();
  for (const DemoSample& sample : samples) {
    environment::SampleInput input;
    input.location = sample.location;
    input.type = sample.type;
    input.occupancy = sample.occupancy;
    input.taken_at = taken;
    input.result = sample.result;
    if (sample.exposure_minutes > 0) input.exposure_minutes = sample.exposure_minutes;
    if (sample.person != nullptr) input.person = sample.person;
    if (sample.comment != nullptr) input.comment = sample.comment;
    ALIQUOT_RETURN_IF_ERROR(EnterSample(area, carlos, std::move(input), tally));
  }
  return {};
}

// SplitMix64 with a fixed seed: the history varies from day to day as real counts do, and is the
// same on every run (given the weekday the demo runs on).
class DemoRandom {
 public:
  explicit DemoRandom(std::uint64_t seed) : state_(seed) {}

  // Uniform in [0, 1).
  double Uniform() {
    state_ += 0x9e3779b97f4a7c15U;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9U;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebU;
    z ^= z >> 31U;
    return static_cast<double>(z >> 11U) * 0x1.0p-53;
  }
  // A whole number in [low, high].
  int Between(int low, int high) {
    return low + static_cast<int>(Uniform() * static_cast<double>(high - low + 1));
  }
  // A particle count around `typical`: from 0.4 to 1.6 times it.
  double Around(double typical) { return std::round(typical * (0.4 + 1.2 * Uniform())); }
  // A colony count: 0 but `in_hundred` times in a hundred, then 1 to `most`.
  double Colonies(int in_hundred, int most) {
    return Uniform() * 100 < in_hundred ? Between(1, most) : 0;
  }

 private:
  std::uint64_t state_;
};

// Weekdays as the history's routine uses them; 1970-01-01 was a Thursday.
enum Weekday { kSunday, kMonday, kTuesday, kWednesday, kThursday, kFriday, kSaturday };
Weekday WeekdayOf(Timestamp day) {
  return static_cast<Weekday>((day.Micros() / kMicrosPerDay + kThursday) % 7);
}

Timestamp At(Timestamp midnight, int hour, int minute) {
  return Timestamp::FromMicros(midnight.Micros() +
                               (std::int64_t{hour} * 60 + minute) * 60 * kMicrosPerSecond);
}

// The results of the kHistoryDays before today, as SOP-QC-010's routine produced them (docs/
// demo.md): the rooms at rest on Mondays; suite 1 in operation on Mondays, Wednesdays and Fridays,
// suite 2 on Tuesdays and Thursdays, each session sampled in its cabinet (particles, active air, a
// settle plate, the operators' gloves) and its room (particles, active air, a settle plate), the
// floor on the suite's first two sessions of the week; the preparation room and the airlock on
// Wednesdays, the airlock's particles at rest on the month's first Monday. Every result stays
// below its site alert level (grade A viable counts are 0: any growth is an excursion), but the
// one alert: a settle plate in suite 2 about three weeks ago.
class MonitoringHistory {
 public:
  MonitoringHistory(const std::vector<environment::LocationCommand>& plan, Timestamp now)
      : plan_(plan), today_(Timestamp::FromMicros(now.Micros() - now.Micros() % kMicrosPerDay)) {}

  std::vector<environment::SampleInput> Samples() {
    for (int days_ago = kHistoryDays; days_ago >= 1; --days_ago) {
      const Timestamp day = DaysAfter(today_, -days_ago);
      const Weekday weekday = WeekdayOf(day);
      if (weekday == kSaturday || weekday == kSunday) continue;
      if (weekday == kMonday) RoomsAtRest(day);
      const std::string date = Day(day);  // "2026-01-21"
      const bool first_week_of_month = date[8] == '0' && date[9] <= '7';
      if (weekday == kMonday && first_week_of_month) {
        Add("LEI-D120-ROOM", SampleType::kParticles05, Occupancy::kAtRest, At(day, 7, 5),
            random_.Around(420000));
      }
      if (weekday == kWednesday) PreparationAndAirlock(day);
      if (weekday == kMonday || weekday == kWednesday || weekday == kFriday) {
        std::vector<const char*> operators = {"oliver"};
        if (weekday == kWednesday) operators.push_back("priya");
        Session(day, "LEI-B101", "BSC-01", operators, weekday != kFriday, false);
      } else {
        // The alert: the first suite 2 session 23 days ago or later.
        const bool alert = days_ago <= 23 && !alert_given_;
        alert_given_ = alert_given_ || alert;
        Session(day, "LEI-B102", "BSC-02", {"priya"}, true, alert);
      }
    }
    return std::move(samples_);
  }

 private:
  void RoomsAtRest(Timestamp day) {
    for (const char* room : {"LEI-B101-ROOM", "LEI-B102-ROOM"}) {
      Add(room, SampleType::kParticles05, Occupancy::kAtRest, At(day, 7, 30), random_.Around(950));
      Add(room, SampleType::kParticles5, Occupancy::kAtRest, At(day, 7, 30), random_.Between(0, 8));
    }
  }

  void PreparationAndAirlock(Timestamp day) {
    const char* room = "LEI-C110-ROOM";
    Add(room, SampleType::kParticles05, Occupancy::kAtRest, At(day, 7, 15), random_.Around(64000));
    Add(room, SampleType::kParticles05, Occupancy::kInOperation, At(day, 10, 30),
        random_.Around(650000));
    Add(room, SampleType::kActiveAir, Occupancy::kInOperation, At(day, 10, 40),
        random_.Colonies(40, 6));
    Add(room, SampleType::kSettlePlate, Occupancy::kInOperation, At(day, 10, 0),
        random_.Colonies(40, 5), 240);
    Add(room, SampleType::kContactPlate, Occupancy::kInOperation, At(day, 14, 30),
        random_.Colonies(30, 4));
    Add("LEI-D120-ROOM", SampleType::kActiveAir, Occupancy::kInOperation, At(day, 8, 15),
        random_.Between(4, 30));
    Add("LEI-D120-ROOM", SampleType::kContactPlate, Occupancy::kInOperation, At(day, 15, 0),
        random_.Between(1, 12));
  }

  // One processing session in `room`'s suite, from about 9:00 for about four hours.
  void Session(Timestamp day, const std::string& room, const std::string& cabinet_id,
               const std::vector<const char*>& operators, bool floor, bool alert) {
    const std::string cabinet = room + "-" + cabinet_id;
    const std::string grade_b = room + "-ROOM";
    const Timestamp start = At(day, 9, random_.Between(0, 45));
    const auto later = [&](int minutes) {
      return Timestamp::FromMicros(start.Micros() + std::int64_t{minutes} * 60 * kMicrosPerSecond);
    };
    constexpr Occupancy kInOperation = Occupancy::kInOperation;
    Add(cabinet, SampleType::kParticles05, kInOperation, later(60), random_.Around(150));
    Add(cabinet, SampleType::kParticles5, kInOperation, later(60), random_.Colonies(30, 3));
    Add(cabinet, SampleType::kActiveAir, kInOperation, later(90), 0.0);
    Add(cabinet, SampleType::kSettlePlate, kInOperation, later(0), 0.0, random_.Between(180, 240));
    for (const char* person : operators) {
      Add(cabinet, SampleType::kGlovePrint, kInOperation, later(235), 0.0, 0, person);
    }
    Add(grade_b, SampleType::kParticles05, kInOperation, later(75), random_.Around(34000));
    Add(grade_b, SampleType::kParticles5, kInOperation, later(75), random_.Around(110));
    Add(grade_b, SampleType::kActiveAir, kInOperation, later(120), random_.Colonies(12, 2));
    if (alert) {
      samples_.push_back(Input(grade_b, SampleType::kSettlePlate, kInOperation, later(0), 4, 240,
                               nullptr, "Above the alert level: trended; no action"));
    } else {
      Add(grade_b, SampleType::kSettlePlate, kInOperation, later(0), random_.Colonies(15, 2), 240);
    }
    if (floor) {
      Add(room + "-FLOOR", SampleType::kContactPlate, kInOperation, later(245),
          random_.Colonies(15, 2));
    }
  }

  static environment::SampleInput Input(const std::string& location, SampleType type,
                                        Occupancy occupancy, Timestamp taken, double result,
                                        int exposure_minutes, const char* person,
                                        const char* comment) {
    environment::SampleInput input;
    input.location = location;
    input.type = type;
    input.occupancy = occupancy;
    input.taken_at = taken;
    input.result = result;
    if (exposure_minutes > 0) input.exposure_minutes = exposure_minutes;
    if (person != nullptr) input.person = person;
    if (comment != nullptr) input.comment = comment;
    return input;
  }

  // A routine result, held below the location's alert level whatever the generator drew: only
  // the one deliberate alert is above it, and grade A viable counts are 0.
  void Add(const std::string& location, SampleType type, Occupancy occupancy, Timestamp taken,
           double result, int exposure_minutes = 0, const char* person = nullptr) {
    for (const environment::LocationCommand& command : plan_) {
      if (command.id != location) continue;
      if (command.grade == Grade::kA && environment::IsViable(type)) result = 0;
      for (const environment::PlannedSample& planned : command.samples) {
        if (planned.type != type || planned.occupancy != occupancy || !planned.alert_level) {
          continue;
        }
        result = std::min(result, std::floor(*planned.alert_level * 0.8));
      }
    }
    samples_.push_back(
        Input(location, type, occupancy, taken, result, exposure_minutes, person, nullptr));
  }

  const std::vector<environment::LocationCommand>& plan_;
  Timestamp today_;  // Midnight UTC of the day the demo runs.
  DemoRandom random_{20260121};
  bool alert_given_ = false;
  std::vector<environment::SampleInput> samples_;
};

std::string Joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// The deviation in words: "DEV-2026-0001 (batches B-2026-0001, B-2026-0002)".
std::string DeviationWords(const quality::DeviationState& deviation) {
  return deviation.id + " (batches " + Joined(deviation.details.batches) + ")";
}

// The equipment area as erik (equipment owner) set it up when the demo's history begins: the
// rooms, and every piece of equipment registered and qualified (quinn, QA reviewer, verifies each
// qualification) with its calibration and maintenance history entered from certificates dated
// before then. `now`: when the demo ends, which the certificates' dates count back from.
Status SetUpEquipment(Staff& staff, Timestamp now, const Say& say) {
  EquipmentService& area = staff.Areas().Equipment();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext erik, staff.At("erik"));
  for (const DemoRoom& room : kRooms) {
    environment::RoomCommand command;
    command.id = room.id;
    command.site = "LEI";
    command.name = room.name;
    command.grade = room.grade;
    ALIQUOT_RETURN_IF_ERROR(area.DefineRoom(erik, command, ""));
  }
  say(std::to_string(kRooms.size()) +
      " rooms defined by erik (equipment owner): LEI-B101 and LEI-B102 (grade B processing "
      "suites), LEI-C110 (grade C preparation room), LEI-D120 (grade D airlock), LEI-QC01 and "
      "LEI-CRY (unclassified)");
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(20));
  const std::vector<DemoEquipment> set = CarTEquipment();
  int files = 0;
  ALIQUOT_RETURN_IF_ERROR(RegisterEquipment(staff, set, now, files));
  std::string ids;
  int calibrations = 0;
  for (const DemoEquipment& item : set) {
    ids += (ids.empty() ? "" : ", ") + item.id;
    calibrations += static_cast<int>(item.calibrations.size());
  }
  say(std::to_string(set.size()) + " pieces of equipment registered by erik, each qualified by " +
      "him and verified by quinn (QA reviewer): " + ids);
  say(std::to_string(calibrations) +
      " calibrations entered by erik from their certificates (performed 78 to 723 days before the "
      "demo ends); BAL-01 calibrated 358 days before, due " +
      Day(DaysAfter(now, 7)) + "; BSC-01 and BSC-02 certified (preventive maintenance), " +
      std::to_string(files) + " service report uploaded as PDF");
  return {};
}

// What the demo's deviations read like in its summary: "DEV-2026-0004 (batches ...)".
std::string Raised(const std::vector<quality::DeviationState>& deviations) {
  std::string raised;
  for (const quality::DeviationState& deviation : deviations) {
    raised += (raised.empty() ? "" : ", ") + DeviationWords(deviation);
  }
  return raised;
}

// carlos's monitoring plan, the results of the 90 days before today from the paper records, and
// today's, all entered as the demo ends (each with the time it was taken): one result above an
// alert level weeks ago, and today an active air sample in suite 1 above its action limit, whose
// deviation lists the batches that used equipment in the room since the last compliant sample.
Status MonitorTheEnvironment(Staff& staff, Timestamp now, const Say& say) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext carlos, staff.At("carlos"));
  const std::vector<environment::LocationCommand> plan =
      CarTMonitoringPlan(DaysAfter(now, -kMonitoredSinceDays));
  std::size_t planned = 0;
  for (const environment::LocationCommand& location : plan) {
    ALIQUOT_RETURN_IF_ERROR(staff.Areas().Environment().DefineLocation(carlos, location, ""));
    planned += location.samples.size();
  }
  MonitoringTally history;
  for (environment::SampleInput& input : MonitoringHistory(plan, now).Samples()) {
    ALIQUOT_RETURN_IF_ERROR(
        EnterSample(staff.Areas().Environment(), carlos, std::move(input), history));
  }
  if (history.alerts != 1 || history.excursions != 0) {
    return Unexpected(Internal("the demo's monitoring history crossed an alert level by accident"));
  }
  say("environmental monitoring plan by carlos (QC analyst): " + std::to_string(plan.size()) +
      " sampling locations (grade A in BSC-01 and BSC-02, grade B rooms and floors, C110, D120), " +
      std::to_string(planned) +
      " planned samples with site alert levels below the Annex 1 limits, monitored since " +
      Day(DaysAfter(now, -kMonitoredSinceDays)) + "; " + std::to_string(history.recorded) +
      " results of the " + std::to_string(kHistoryDays) +
      " days before today entered by carlos from the paper records (suite 1 in operation Monday, "
      "Wednesday and Friday, suite 2 Tuesday and Thursday; C110 and D120 weekly), within limits "
      "but 1 above its alert level (settle plate in LEI-B102, " +
      history.alert_days.front() + ")");

  MonitoringTally tally;
  ALIQUOT_RETURN_IF_ERROR(RecordSamples(staff, kAtRestSamples, tally));
  ALIQUOT_RETURN_IF_ERROR(RecordSamples(staff, kInOperationSamples, tally));
  say("environmental monitoring today: " + std::to_string(tally.recorded) +
      " results entered by carlos, at rest before processing and in operation during it; " +
      std::to_string(tally.alerts) + " above an alert level and " +
      std::to_string(tally.excursions) +
      " above the action limit (active air 14 CFU/m3 in LEI-B101): deviation " +
      Raised(tally.deviations));
  return {};
}

// The routine six-monthly calibration of suite 2's pipette finds it out of tolerance at 20 uL:
// adjusted, and a deviation lists the batches it served since its last good calibration.
Status CalibrateTheSuite2Pipette(Staff& staff, const Say& say) {
  EquipmentService& area = staff.Areas().Equipment();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext erik, staff.At("erik"));
  equipment::CalibrationInput calibration;
  calibration.provider = kInHouse;
  calibration.reference_standard = "Gravimetric, ISO 8655-6, 10 replicates per volume on BAL-02";
  calibration.points = {Adjusted(20, 20.9, 20.1, 0.5, "uL"), Adjusted(100, 100.7, 100.2, 1, "uL"),
                        Adjusted(200, 200.9, 200.3, 1.6, "uL")};
  calibration.comment =
      "As found +0.9 uL (+4.5 %) at 20 uL: piston seal worn. Seal replaced, adjusted; as left "
      "within tolerance at every volume.";
  ALIQUOT_ASSIGN_OR_RETURN(const EntryRecorded pipette,
                           area.RecordCalibration(erik, "PIP-02", calibration));
  ALIQUOT_RETURN_IF_ERROR(
      staff.Sign("erik", EntryRecord("PIP-02", pipette.entry), Meaning::kPerformed));
  if (!pipette.deviation) {
    return Unexpected(Internal("the demo expected PIP-02's calibration to raise a deviation"));
  }
  say("PIP-02 (suite 2 pipette) found out of tolerance at calibration by erik (20 uL: 20.9), "
      "adjusted and signed: deviation " +
      DeviationWords(*pipette.deviation));
  return {};
}

// The master batch record (G-01, S88-01): product CAR19 and MBR-CAR19, as dora defines them.
Status DefineTheProcess(Staff& staff) {
  RecipeService& recipes = staff.Areas().Recipes();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext dora, staff.At("dora"));
  recipes::ProductCommand product;
  product.id = "CAR19";
  product.name = "Autologous anti-CD19 CAR-T cells";
  product.therapy = recipes::TherapyKind::kAutologous;
  product.description =
      "Patient-specific T cells transduced with a lentiviral anti-CD19 CAR (4-1BB/CD3-zeta), "
      "cryopreserved in infusion bags";
  ALIQUOT_RETURN_IF_ERROR(recipes.DefineProduct(dora, product));
  recipes::CreateCommand record;
  record.id = "MBR-CAR19";
  record.product = "CAR19";
  record.title = "Autologous anti-CD19 CAR-T, closed 1 L bag process";
  return recipes.CreateMasterBatchRecord(dora, record);
}

// A version of MBR-CAR19 imported from its definition file by dora, checked by quinn and approved
// by `approver`: effective on approval, superseding the one before.
Result<int> ApproveProcessVersion(Staff& staff, std::string_view file, const std::string& reason,
                                  const std::string& approver) {
  RecipeService& recipes = staff.Areas().Recipes();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext dora, staff.At("dora"));
  ImportInput input;
  input.text = std::string(file);
  input.format = DefinitionFormat::kYaml;
  input.change_reason = reason;
  ALIQUOT_ASSIGN_OR_RETURN(const int version, recipes.ImportVersion(dora, "MBR-CAR19", input));
  const identity::RecordRef signed_record{"mbr_version", MbrVersionId("MBR-CAR19", version)};
  ALIQUOT_RETURN_IF_ERROR(staff.Sign("dora", signed_record, Meaning::kAuthored));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(90));
  ALIQUOT_RETURN_IF_ERROR(
      staff.Sign("quinn", signed_record, Meaning::kReviewed,
                 std::string("Checked against the process description and SOP-CT-002 to "
                             "SOP-CT-008")));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(60));
  ALIQUOT_RETURN_IF_ERROR(staff.Sign(approver, signed_record, Meaning::kApproved));
  return version;
}

// ---- Batches -----------------------------------------------------------------------------------

using batches::ExceptionKind;
using batches::InputValue;

// The batches' values come from std::mt19937 with a constant seed, mapped onto ranges here (the
// standard distributions differ between libraries; the engine's sequence does not), so every run
// of the demo records the same batches.
class DemoDraw {
 public:
  explicit DemoDraw(std::uint32_t seed) : engine_(seed) {}

  // Uniform in [low, high].
  double Uniform(double low, double high) {
    return low + (high - low) * static_cast<double>(engine_()) / 4294967295.0;
  }
  // Uniform in [low, high], to `decimals` places: as an instrument or a person reads it.
  double Reading(double low, double high, int decimals) {
    return Round(Uniform(low, high), decimals);
  }
  static double Round(double value, int decimals) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
  }
  // To `digits` significant digits: a cell count as the counter prints it.
  static double Significant(double value, int digits) {
    const double unit =
        std::pow(10.0, std::floor(std::log10(std::abs(value))) - static_cast<double>(digits - 1));
    return std::round(value / unit) * unit;
  }

 private:
  std::mt19937 engine_;
};

// How a batch ends when the demo does.
enum class BatchEnd { kReleased, kUnderReview, kInProgress };

// One patient's batch, as the demo runs it (docs/demo.md, "The batches").
struct BatchPlan {
  std::string name;  // "Phase 1, first patient"
  int version = 1;   // The MBR-CAR19 version in force when it is created.
  std::size_t collection = 0;
  int suite = 1;      // The processing suite: its cabinet, incubator, bioreactor, welder, pipette.
  Timestamp receipt;  // When its apheresis receipt step starts; its timetable counts from here.
  double body_weight = 70;
  double prescribed_dose = 1e6;  // CAR+ viable cells per kg.
  BatchEnd end = BatchEnd::kReleased;
  std::string last_step;  // kInProgress: the last step done when the demo ends.
  // The crew: who receives and counts the apheresis and who checks with them; who activates and
  // transduces (SOP-CT-005); who grows, freezes and stores (SOP-CT-006, SOP-CT-008, WI-CT-012);
  // who harvests, formulates and fills (SOP-CT-007). vera enters the release results.
  std::string receiver;
  std::string partner;
  std::string culture;
  std::string grower;
  std::string second_grower;
  std::string harvester;
  std::string exception_reviewer = "quinn";
  int count_shift_minutes = 0;  // The day 3 to 7 counts earlier or later in the day.
  // Values chosen instead of drawn, by "step.parameter": an alert, an excursion, a typo's truth.
  std::map<std::string, double> chosen;
  std::string excursion;  // "step.parameter" whose chosen value breaches its action limits.
  std::string typo;       // "step.parameter" first entered as `typo_value`, then corrected.
  double typo_value = 0;
  bool incubator_refused = false;  // Its activation finds suite 2's incubator out of service.
  std::string refused_at_gate;     // Asks the training gate before the transduction, refused.
  std::string medium_lot;          // Phase 1: the complete medium prepared for it.
  std::string product_lot;
  int vector_vial = 0;  // The vial of RM-2026-0008 it thaws.
  // The exceptions it is meant to have, as (step, kind); any other is the demo's mistake.
  std::vector<std::pair<std::string, ExceptionKind>> expected;
};

// A value for a parameter, as entered.
struct PlannedValue {
  Json value;
  std::string unit;
};
using PlannedValues = std::map<std::string, PlannedValue>;  // By "step.parameter".

// Realistic values for one batch (the CGT primer's ranges, within every alert limit of both
// versions of MBR-CAR19 unless chosen otherwise): the apheresis as the collection's record says,
// cell counts that grow 2-3 fold by day 3 and 38-55 fold by day 9, viabilities of 85-97 %.
PlannedValues DrawValues(const BatchPlan& plan, const DemoCollection& collection, DemoDraw& draw) {
  PlannedValues values;
  const auto number = [&](const std::string& key, double value, std::string unit) {
    values[key] = {Json(value), std::move(unit)};
  };
  const auto answer = [&](const std::string& key, bool value) { values[key] = {Json(value), ""}; };
  const auto option = [&](const std::string& key, std::string value) {
    values[key] = {Json(std::move(value)), ""};
  };
  // Receipt: the collection's own record.
  number("apheresis_receipt.shipping_min_temperature", collection.min_c, "C");
  number("apheresis_receipt.shipping_max_temperature", collection.max_c, "C");
  option("apheresis_receipt.logger_id", "LG-" + std::string(collection.id).substr(3));
  number("apheresis_receipt.hours_since_collection", collection.collected_hours, "h");
  answer("apheresis_receipt.shipper_seal_intact", true);
  option("apheresis_receipt.bag_condition", "intact");
  const double volume = collection.quantity_ml;
  number("apheresis_receipt.apheresis_volume", volume, "mL");
  // Incoming sample: 6-9.5 x 10^9 nucleated cells, 42-62 % of them T cells.
  const double concentration = DemoDraw::Significant(draw.Uniform(6.0e9, 9.5e9) / volume, 3);
  const double incoming_viability = draw.Reading(90, 97, 1);
  const double cd3 = draw.Reading(42, 62, 1);
  number("incoming_sampling.tnc_concentration", concentration, "cells/mL");
  number("incoming_sampling.viability", incoming_viability, "%");
  number("incoming_sampling.cd3_percent", cd3, "%");
  const double viable_t_cells = concentration * volume * incoming_viability / 100 * cd3 / 100;
  answer("enrichment_setup.leak_test_passed", true);
  option("enrichment_setup.weld_inspection", "pass");
  number("wash_enrichment.volume_processed", volume - 2, "mL");
  number("wash_enrichment.spin_force", 300, "xg");
  number("wash_enrichment.spin_time", 10, "min");
  const double enriched_volume = std::round(draw.Uniform(96, 104));
  number("wash_enrichment.enriched_volume", enriched_volume, "mL");
  // Enrichment recovers 56-72 % of the T cells.
  const double purity = draw.Reading(92, 97.5, 1);
  const double recovery = draw.Uniform(0.56, 0.72);
  number("enriched_count.viable_concentration",
         DemoDraw::Significant(recovery * viable_t_cells / (purity / 100) / enriched_volume, 3),
         "cells/mL");
  number("enriched_count.viability", draw.Reading(92, 97, 1), "%");
  number("enriched_count.cd3_purity", purity, "%");
  number("enriched_count.cd4_cd8_ratio", draw.Reading(1.2, 2.4, 2), "1");
  // Activation: 1.0 x 10^8 viable cells seeded in 100 mL.
  const double culture_volume = 100;
  const double density = DemoDraw::Significant(draw.Uniform(0.96e6, 1.04e6), 3);
  const double seeded = density * culture_volume;
  number("activation.culture_volume", culture_volume, "mL");
  number("activation.seeding_density", density, "cells/mL");
  number("activation.incubator_temperature", draw.Reading(36.9, 37.1, 1), "C");
  number("activation.incubator_co2", draw.Reading(4.9, 5.1, 1), "%");
  number("vector_thaw.thaw_time", std::round(draw.Uniform(4, 7)), "min");
  answer("vector_thaw.fully_thawed", true);
  number("transduction.vector_titer", 4.2e8, "TU/mL");  // RM-2026-0008's certificate.
  number("transduction.moi", draw.Reading(2.8, 3.2, 1), "TU/cell");
  answer("bioreactor_setup.leak_test_passed", true);
  number("bioreactor_setup.temperature_set_point", 37.0, "C");
  number("bioreactor_setup.co2_set_point", 5.0, "%");
  number("bioreactor_setup.rocking_rate", 10, "rpm");
  number("culture_transfer.medium_volume", 400, "mL");
  number("culture_transfer.culture_volume", 500, "mL");
  number("culture_transfer.temperature", draw.Reading(36.9, 37.1, 1), "C");
  // The in-process counts: the bioreactor's readings and the culture's growth since seeding.
  const auto count = [&](const std::string& step, double fold, double culture, double oxygen_low,
                         double oxygen_high) {
    number(step + ".temperature", draw.Reading(36.9, 37.1, 1), "C");
    number(step + ".co2", draw.Reading(4.9, 5.1, 1), "%");
    number(step + ".ph", draw.Reading(7.1, 7.3, 2), "pH");
    number(step + ".dissolved_oxygen", std::round(draw.Uniform(oxygen_low, oxygen_high)), "%");
    number(step + ".culture_volume", culture, "mL");
    number(step + ".viable_concentration", DemoDraw::Significant(fold * seeded / culture, 3),
           "cells/mL");
    number(step + ".viability", draw.Reading(88, 95, 1), "%");
  };
  count("day_3_count", draw.Uniform(2.0, 3.0), std::round(draw.Uniform(496, 504)), 50, 70);
  count("day_5_count", draw.Uniform(5.5, 8.0), std::round(draw.Uniform(492, 500)), 40, 60);
  number("feed.medium_volume", 500, "mL");
  number("feed.culture_volume", 1000, "mL");
  count("day_7_count", draw.Uniform(15, 24), std::round(draw.Uniform(991, 1009)), 32, 48);
  number("perfusion.perfusion_rate", std::round(draw.Uniform(480, 520)), "mL/d");
  const double day_9_fold = draw.Uniform(38, 55);
  const double day_9_volume = std::round(draw.Uniform(991, 1009));
  count("day_9_count", day_9_fold, day_9_volume, 32, 48);
  // Harvest: 86-95 % of the day 9 cells, washed into about 100 mL.
  number("bead_removal.harvested_volume", day_9_volume, "mL");
  values["bead_removal.magnetic_passes"] = {Json(2), ""};
  const double harvest_volume = std::round(draw.Uniform(96, 104));
  const double day_9_cells =
      DemoDraw::Significant(day_9_fold * seeded / day_9_volume, 3) * day_9_volume;
  number("harvest_wash.harvest_volume", harvest_volume, "mL");
  number("harvest_wash.viable_concentration",
         DemoDraw::Significant(day_9_cells * draw.Uniform(0.86, 0.95) / harvest_volume, 3),
         "cells/mL");
  number("harvest_wash.viability", draw.Reading(88, 95, 1), "%");
  const double car = draw.Reading(32, 52, 1);
  number("dose_calculation.car_expression", car, "%");
  number("formulation.spin_force", 400, "xg");
  number("formulation.spin_time", 10, "min");
  number("formulation.cryoprotectant_temperature", draw.Reading(4, 6, 1), "C");
  number("formulation.final_volume", draw.Reading(76.6, 77.4, 1), "mL");
  number("fill_and_label.fill_volume", draw.Reading(69.7, 70.3, 1), "mL");
  answer("fill_and_label.seal_intact", true);
  option("fill_and_label.bag_inspection", "conforms");
  answer("fill_and_label.label_matches_order", true);
  answer("release_sampling.samples_labelled", true);
  number("cryopreservation.start_temperature", draw.Reading(3.5, 5.5, 1), "C");
  number("cryopreservation.cooling_rate", draw.Reading(-1.07, -0.93, 2), "C/min");
  number("cryopreservation.end_temperature", draw.Reading(-91, -89, 1), "C");
  answer("cryopreservation.freeze_curve_acceptable", true);
  number("storage_transfer.carrier_time", draw.Reading(1.0, 1.8, 1), "min");
  number("storage_transfer.storage_temperature", draw.Reading(-186, -181, 1), "C");
  option("storage_transfer.storage_location",
         "LN2-02, rack 3, box " + std::to_string(plan.collection + 1));
  // Release testing, reported by QC after the 14 days of the sterility test.
  number("release_testing.viability", draw.Reading(82, 92, 1), "%");
  number("release_testing.cd3_identity", draw.Reading(94, 98.5, 1), "%");
  number("release_testing.car_expression", DemoDraw::Round(car + draw.Uniform(-3, 3), 1), "%");
  number("release_testing.vector_copy_number", draw.Reading(1.4, 3.2, 1), "copies/cell");
  number("release_testing.potency", std::round(draw.Uniform(1500, 4200)), "pg/mL");
  number("release_testing.endotoxin_concentration", draw.Reading(0.1, 0.45, 2), "EU/mL");
  option("release_testing.sterility", "no_growth");
  option("release_testing.mycoplasma", "not_detected");
  option("release_testing.rcl", "not_detected");
  for (const auto& [key, value] : plan.chosen) values.at(key).value = Json(value);
  return values;
}

// The equipment the demo uses for each class a step names: its suite's own, or the unit's one.
std::string EquipmentFor(const std::string& equipment_class, int suite) {
  static const std::map<std::string, std::pair<const char*, const char*>> kBySuite = {
      {"biosafety_cabinet", {"BSC-01", "BSC-02"}},
      {"incubator", {"INC-01", "INC-02"}},
      {"bioreactor", {"BIO-01", "BIO-02"}},
      {"sterile_welder", {"SW-01", "SW-02"}},
      {"pipette", {"PIP-01", "PIP-02"}},
      {"refrigerator", {"QF-02", "QF-02"}},
      {"cell_processing_system", {"CPS-01", "CPS-01"}},
      {"cell_counter", {"NC-01", "NC-01"}},
      {"flow_cytometer", {"FC-01", "FC-01"}},
      {"thawing_device", {"THAW-01", "THAW-01"}},
      {"centrifuge", {"CEN-01", "CEN-01"}},
      {"tube_sealer", {"TS-01", "TS-01"}},
      {"controlled_rate_freezer", {"CRF-01", "CRF-01"}},
      {"ln2_storage", {"LN2-02", "LN2-02"}},
      {"pcr_instrument", {"PCR-01", "PCR-01"}},
  };
  const auto found = kBySuite.find(equipment_class);
  if (found == kBySuite.end()) return "";
  return suite == 1 ? found->second.first : found->second.second;
}

// Who performs `step` of `plan` (and who completes it, when another shift does), and who checks it
// as the second person where the step asks for one.
struct Crew {
  std::string performer;
  std::string completer;
  std::string verifier;
};

Crew CrewFor(const BatchPlan& plan, const std::string& step) {
  const std::string& operator_on_hand = plan.receiver;  // oliver or priya, never vera.
  const std::map<std::string, Crew> crews = {
      {"apheresis_receipt", {plan.receiver, plan.receiver, plan.partner}},
      {"incoming_sampling", {plan.receiver, plan.receiver, ""}},
      {"enrichment_setup",
       {plan.grower, plan.grower, plan.receiver != plan.grower ? plan.receiver : plan.partner}},
      {"wash_enrichment", {plan.culture, plan.culture, ""}},
      {"enriched_count", {plan.receiver, plan.receiver, ""}},
      {"activation", {plan.culture, plan.culture, ""}},
      {"vector_thaw", {plan.culture, plan.culture, ""}},
      {"transduction",
       {plan.culture, plan.culture, plan.culture == "vera" ? operator_on_hand : "vera"}},
      {"bioreactor_setup", {plan.grower, plan.grower, plan.second_grower}},
      {"culture_transfer", {plan.second_grower, plan.second_grower, ""}},
      {"day_3_count", {plan.grower, plan.grower, ""}},
      {"day_5_count", {plan.second_grower, plan.second_grower, ""}},
      {"feed", {plan.second_grower, plan.second_grower, ""}},
      {"day_7_count", {plan.grower, plan.grower, ""}},
      // A perfusion of two days: started by one shift, ended by another.
      {"perfusion", {plan.grower, plan.second_grower, ""}},
      {"day_9_count", {plan.second_grower, plan.second_grower, ""}},
      {"bead_removal", {plan.harvester, plan.harvester, ""}},
      {"harvest_wash", {plan.harvester, plan.harvester, ""}},
      {"dose_calculation", {plan.harvester, plan.harvester, "vera"}},
      {"formulation", {plan.harvester, plan.harvester, ""}},
      {"fill_and_label", {plan.harvester, plan.harvester, "vera"}},
      {"release_sampling", {plan.harvester, plan.harvester, ""}},
      {"cryopreservation", {plan.grower, plan.grower, ""}},
      {"storage_transfer", {plan.grower, plan.grower, ""}},
      {"release_testing", {"vera", "vera", ""}},
  };
  const auto found = crews.find(step);
  return found == crews.end() ? Crew{} : found->second;
}

// When each step starts, ends and (where a second person checks it) is verified, in minutes after
// the batch's apheresis receipt: the receipt day through activation (day 0), the transduction about
// 21 h after it, the bioreactor from day 2, counts on days 3, 5 and 7, a perfusion of about two
// days, the harvest on day 9 and the fill, freezing and storage that afternoon. Every hold time of
// both versions is kept with room to spare; one step follows the next closely, so that whoever
// works on them stays signed in (a session ends after 15 idle minutes).
struct StepTimes {
  int start = 0;
  int end = 0;
  int verified = -1;  // -1: no second person.
};

StepTimes TimesOf(const std::string& step, int count_shift) {
  static const std::map<std::string, StepTimes> kTimes = {
      {"apheresis_receipt", {0, 15, 17}},
      {"incoming_sampling", {20, 35}},
      {"enrichment_setup", {40, 55, 57}},
      {"wash_enrichment", {60, 210}},
      {"enriched_count", {215, 230}},
      {"activation", {235, 255}},
      {"vector_thaw", {1515, 1527}},
      {"transduction", {1535, 1560, 1562}},
      {"bioreactor_setup", {2880, 2895, 2897}},
      {"culture_transfer", {2900, 2920}},
      {"day_3_count", {4575, 4590}},
      {"day_5_count", {7455, 7470}},
      {"feed", {7475, 7490}},
      {"day_7_count", {10335, 10350}},
      {"perfusion", {10355, 13115}},
      {"day_9_count", {13120, 13135}},
      {"bead_removal", {13140, 13180}},
      {"harvest_wash", {13185, 13245}},
      {"dose_calculation", {13250, 13262, 13265}},
      {"formulation", {13270, 13300}},
      {"fill_and_label", {13305, 13320, 13322}},
      {"cryopreservation", {13330, 13450}},
      {"release_sampling", {13335, 13350}},
      {"storage_transfer", {13455, 13465}},
      {"release_testing", {13355, 13355}},  // Its end: when QC reports, 14 days on.
  };

  StepTimes times = kTimes.at(step);
  if (step == "day_3_count" || step == "day_5_count" || step == "feed" || step == "day_7_count") {
    times.start += count_shift;
    times.end += count_shift;
  }
  if (step == "perfusion") times.start += count_shift;
  return times;
}

Timestamp MinutesAfter(Timestamp t, int minutes) {
  return Timestamp::FromMicros(t.Micros() + std::int64_t{minutes} * 60 * kMicrosPerSecond);
}

Timestamp Midnight(Timestamp t) {
  return Timestamp::FromMicros(t.Micros() - t.Micros() % kMicrosPerDay);
}

// A batch on its way through the timeline: its plan, control recipe, the values it will record,
// and what it became.
struct BatchRun {
  BatchPlan plan;
  const recipes::Definition* recipe = nullptr;
  PlannedValues values;
  std::string id;       // Given by BatchService at creation.
  std::string patient;  // The chain-of-identity code: its collection's donor.
  std::vector<std::string> deviations;

  const DemoCollection& Collection() const { return kCollections.at(plan.collection); }
};

// What a batch action's outcome means to the demo's next action: that it was done.
Status Performed(const Result<ActionOutcome>& outcome) {
  return outcome.transform([](const ActionOutcome&) {});
}

// Before `run`'s step uses `equipment`, it is cleaned if its rules ask for it: once a patient's
// material has left it, before the next patient's (between patients, T-01), or when a cabinet's
// cleaning lapsed unused (72 h). `cleaner` cleans it; vera verifies a cabinet's cleaning.
Status EnsureClean(Staff& staff, const BatchRun& run, const std::string& equipment,
                   const std::string& cleaner) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(cleaner));
  EquipmentCheckInput input;
  input.batch = run.id;
  input.product = "CAR19";
  input.patient_code = run.patient;
  ALIQUOT_ASSIGN_OR_RETURN(const equipment::UseCheck check,
                           staff.Areas().Equipment().Check(context, equipment, input));
  if (check.refusal != equipment::UseRefusal::kNotClean) return {};
  const bool cabinet = equipment.starts_with("BSC-");
  const DemoCleaning cleaning{cleaner.c_str(), equipment.c_str(), cabinet ? kSporicidal : kAlcohol,
                              cabinet ? "vera" : nullptr};
  ALIQUOT_RETURN_IF_ERROR(Clean(staff, cleaning));
  return staff.Wait(cabinet ? 12 : 5);
}

// What the formulas of `step` read in `view`'s batch: its own values, other steps' and the batch
// inputs, each in the unit the definition gives it.
recipes::ValueLookup ValuesOf(const BatchView& view, const recipes::Step& step) {
  return [&view, &step](std::string_view name) -> std::optional<recipes::NameValue> {
    const recipes::Definition& recipe = *view.recipe;
    std::string owner = step.id;
    std::string subject(name);
    if (const std::size_t dot = name.find('.'); dot != std::string_view::npos) {
      owner = std::string(name.substr(0, dot));
      subject = std::string(name.substr(dot + 1));
    }
    const batches::ValueInForce* value = nullptr;
    std::string unit;
    if (owner == "batch") {
      for (const recipes::ParameterDefinition& input : recipe.batch_inputs) {
        if (input.id == subject) unit = input.unit;
      }
      const auto found = view.state.inputs.find(subject);
      if (found != view.state.inputs.end()) value = &found->second;
    } else if (const recipes::Step* definition = recipe.FindStep(owner)) {
      for (const recipes::ParameterDefinition& parameter : definition->parameters) {
        if (parameter.id == subject) unit = parameter.unit;
      }
      for (const recipes::Calculation& calculation : definition->calculations) {
        if (calculation.id == subject) unit = calculation.unit;
      }
      if (const batches::StepExecution* execution = view.state.Step(owner)) {
        const auto found = execution->values.find(subject);
        if (found != execution->values.end()) value = &found->second;
      }
    }
    if (value == nullptr || value->not_applicable || !value->in_unit) return std::nullopt;
    recipes::NameValue result;
    result.value = *value->in_unit;
    if (!unit.empty()) {
      auto parsed = units::Unit::Parse(unit, "unit");
      if (!parsed) return std::nullopt;
      result.unit = *parsed;
    }
    return result;
  };
}

// How much of `line`'s material `step` takes now, in `lot_unit`: its quantity, or its formula of
// the values recorded so far.
Result<double> AmountFor(const BatchView& view, const recipes::Step& step,
                         const recipes::MaterialLine& line, const std::string& lot_unit) {
  ALIQUOT_ASSIGN_OR_RETURN(const units::Unit unit, units::Unit::Parse(lot_unit, "unit"));
  double amount = 0;
  if (const Result<recipes::Quantity> quantity =
          recipes::ParseQuantity(line.quantity, "quantity")) {
    amount = quantity->value * quantity->unit.Factor() / unit.Factor();
  } else {
    ALIQUOT_ASSIGN_OR_RETURN(const recipes::Formula formula,
                             recipes::Formula::Parse(line.quantity, "quantity"));
    ALIQUOT_ASSIGN_OR_RETURN(
        amount, recipes::EvaluateFormula(formula, ValuesOf(view, step), unit, line.material));
  }
  // A lot's balance is kept in millionths of its unit.
  return DemoDraw::Round(amount, 6);
}

// The lot labels `run`'s step scans for `material` and how much of each: the batch's own
// collection, complete medium and vector vial, or the stock.
Result<std::vector<std::pair<std::string, double>>> LotsFor(Stock& stock, const BatchRun& run,
                                                            const std::string& material,
                                                            double amount) {
  if (material == "MAT-APHERESIS")
    return std::vector{std::pair{std::string(run.Collection().id), amount}};
  if (material == "MAT-CM-IL2") return std::vector{std::pair{run.plan.medium_lot, amount}};
  if (material == "MAT-LV-CD19") {
    return std::vector{std::pair{"RM-2026-0008/" + std::to_string(run.plan.vector_vial), amount}};
  }
  return stock.Take(material, amount);
}

// The identifier's code on `run`'s labels.
std::string LabelOf(const BatchRun& run, const std::string& identifier) {
  return identifier == "patient_code" ? run.patient : std::string(run.Collection().id);
}

// `user` enters `key`'s planned value on `run`'s step, from the instrument in use where the
// definition names one (AL-02: the instrument's reading is the original).
Result<ActionOutcome> Enter(Staff& staff, const BatchRun& run, const recipes::Step& step,
                            const recipes::ParameterDefinition& parameter,
                            const PlannedValue& planned, const std::vector<std::string>& equipment,
                            const std::string& user) {
  std::optional<batches::InstrumentSource> instrument;
  if (parameter.source) {
    for (std::size_t i = 0; i < step.equipment.size() && i < equipment.size(); ++i) {
      if (step.equipment[i] == parameter.source->equipment_class) {
        instrument = batches::InstrumentSource{equipment[i], parameter.source->tag};
      }
    }
  }
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  return staff.Areas().Batches().RecordValue(context, run.id, step.id, parameter.id,
                                             {planned.value, planned.unit}, instrument, {});
}

// `user` enters every value of `run`'s step but the excursion (entered last, by the caller). The
// typo is entered as typed and corrected, with its reason, once the step's values are all in and
// their calculations show it (P11-05: the original stays beside the correction).
Status EnterValues(Staff& staff, BatchRun& run, const recipes::Step& step,
                   const std::vector<std::string>& equipment, const std::string& user,
                   int minutes_between = 1) {
  std::optional<int> typed;
  for (const recipes::ParameterDefinition& parameter : step.parameters) {
    const std::string key = step.id + "." + parameter.id;
    if (key == run.plan.excursion) continue;
    const auto planned = run.values.find(key);
    if (planned == run.values.end()) {
      if (parameter.requirement == recipes::Requirement::kOptional) continue;
      return Unexpected(Internal("the demo has no value for " + key));
    }
    PlannedValue value = planned->second;
    if (key == run.plan.typo) value.value = Json(run.plan.typo_value);
    ALIQUOT_ASSIGN_OR_RETURN(const ActionOutcome entered,
                             Enter(staff, run, step, parameter, value, equipment, user));
    if (key == run.plan.typo) typed = entered.entries.front();
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(minutes_between));
  }
  if (!typed) return {};
  const PlannedValue& truth = run.values.at(run.plan.typo);
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(2));
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  return Performed(staff.Areas().Batches().CorrectEntry(
      context, run.id, *typed, {truth.value, truth.unit},
      "Typing error, digits transposed: the bioreactor's level reads " +
          CanonicalNumber(truth.value.AsNumber()) + " " + truth.unit,
      {}));
}

// `user` scans and consumes the step's bill of materials, each amount as the step's values
// make it.
Status ConsumeMaterials(Staff& staff, Stock& stock, const MaterialsCatalog& catalog,
                        const BatchRun& run, const recipes::Step& step, const std::string& user) {
  if (step.materials.empty()) return {};
  BatchService& area = staff.Areas().Batches();
  for (const recipes::MaterialLine& line : step.materials) {
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
    ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, area.Get(context, run.id));
    const std::string& unit = catalog.Material(line.material).unit;
    ALIQUOT_ASSIGN_OR_RETURN(const double amount, AmountFor(view, step, line, unit));
    ALIQUOT_ASSIGN_OR_RETURN(const auto lots, LotsFor(stock, run, line.material, amount));
    for (const auto& [label, quantity] : lots) {
      ALIQUOT_RETURN_IF_ERROR(
          Performed(area.ConsumeMaterial(context, run.id, step.id, label, quantity, unit, {})));
      ALIQUOT_RETURN_IF_ERROR(staff.Wait(1));
    }
  }
  return {};
}

// vera (the verifier, who creates batches) creates `run`'s batch from the master batch record
// effective now, for its collection's patient (T-01, T-02).
Status CreateBatchFor(Staff& staff, BatchRun& run) {
  BatchService& area = staff.Areas().Batches();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext vera, staff.At("vera"));
  const DemoCollection& collection = run.Collection();
  CreateBatchInput input;
  input.master_batch_record = "MBR-CAR19";
  input.identifiers = {{"patient_code", run.patient}, {"collection_id", collection.id}};
  input.inputs = {{"body_weight", {Json(run.plan.body_weight), "kg"}},
                  {"prescribed_dose", {Json(run.plan.prescribed_dose), "cells/kg"}}};
  input.starting_material = collection.id;
  ALIQUOT_ASSIGN_OR_RETURN(const ActionOutcome created, area.Create(vera, input, {}));
  run.id = created.batch;
  ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, area.Get(vera, run.id));
  if (view.state.version != run.plan.version) {
    return Unexpected(Internal("the demo expected " + run.plan.name + " on MBR-CAR19 version " +
                               std::to_string(run.plan.version) + ", not " +
                               std::to_string(view.state.version)));
  }
  return {};
}

// The performer starts `run`'s step at the suite tablet: the equipment cleaned where its rules ask
// and scanned, the labels scanned, the values entered, the materials consumed, the samples taken.
Status StartWork(Staff& staff, Stock& stock, const MaterialsCatalog& catalog, BatchRun& run,
                 const recipes::Step& step) {
  BatchService& area = staff.Areas().Batches();
  const Crew crew = CrewFor(run.plan, step.id);
  std::vector<std::string> equipment;
  // QC's instruments are scanned when their results are entered: the release testing takes two
  // weeks, and they serve other batches meanwhile.
  if (step.id != "release_testing") {
    for (const std::string& equipment_class : step.equipment) {
      equipment.push_back(EquipmentFor(equipment_class, run.plan.suite));
    }
  }
  const std::string cleaner = crew.performer == "vera" ? run.plan.receiver : crew.performer;
  if (step.id == "activation" && run.plan.incubator_refused) {
    // G-06: the out-of-service incubator is refused at the scan, the refusal in the batch record
    // and the incubator's logbook; the step starts with suite 1's, cleaned for this patient.
    for (const std::string& id : equipment) {
      if (id != "INC-02") ALIQUOT_RETURN_IF_ERROR(EnsureClean(staff, run, id, cleaner));
    }
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(crew.performer));
    const Result<ActionOutcome> refused = area.StartStep(context, run.id, step.id, equipment, {});
    if (refused) return Unexpected(Internal("the demo expected INC-02 to be refused"));
    if (refused.error().Code() != ErrorCode::kFailedPrecondition) {
      return Unexpected(refused.error());
    }
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(4));
    std::replace(equipment.begin(), equipment.end(), std::string("INC-02"), std::string("INC-01"));
  }
  for (const std::string& id : equipment) {
    ALIQUOT_RETURN_IF_ERROR(EnsureClean(staff, run, id, cleaner));
  }
  ALIQUOT_ASSIGN_OR_RETURN(RequestContext context, staff.At(crew.performer));
  ALIQUOT_RETURN_IF_ERROR(Performed(area.StartStep(context, run.id, step.id, equipment, {})));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(1));
  for (const std::string& identifier : step.scan_identity) {
    ALIQUOT_ASSIGN_OR_RETURN(context, staff.At(crew.performer));
    ALIQUOT_RETURN_IF_ERROR(Performed(
        area.ScanIdentity(context, run.id, step.id, identifier, LabelOf(run, identifier), {})));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(1));
  }
  if (step.id == "release_testing") return {};
  ALIQUOT_RETURN_IF_ERROR(EnterValues(staff, run, step, equipment, crew.performer));
  ALIQUOT_RETURN_IF_ERROR(ConsumeMaterials(staff, stock, catalog, run, step, crew.performer));
  for (const recipes::SamplingPoint& sample : step.samples) {
    ALIQUOT_ASSIGN_OR_RETURN(context, staff.At(crew.performer));
    ALIQUOT_RETURN_IF_ERROR(Performed(
        area.TakeSample(context, run.id, step.id, sample.id, run.id + "-" + sample.id, {})));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(1));
  }
  if (!run.plan.excursion.starts_with(step.id + ".")) return {};
  // The value beyond its action limit, entered last: a deviation is raised and the step waits for
  // a supervisor's acknowledgement (G-05).
  for (const recipes::ParameterDefinition& parameter : step.parameters) {
    if (step.id + "." + parameter.id != run.plan.excursion) continue;
    ALIQUOT_ASSIGN_OR_RETURN(const ActionOutcome entered,
                             Enter(staff, run, step, parameter, run.values.at(run.plan.excursion),
                                   equipment, crew.performer));
    if (entered.deviations.empty()) {
      return Unexpected(
          Internal("the demo expected " + run.plan.excursion + " to raise a deviation"));
    }
    run.deviations.insert(run.deviations.end(), entered.deviations.begin(),
                          entered.deviations.end());
  }
  return {};
}

// The step is completed (by another shift, for a long one). The release results are entered as
// QC reports them, with the instruments that measured them. The fill makes the product unit, in
// quarantine until it is released with its batch.
Status CompleteWork(Staff& staff, const MaterialsCatalog& catalog, BatchRun& run,
                    const recipes::Step& step) {
  BatchService& area = staff.Areas().Batches();
  const Crew crew = CrewFor(run.plan, step.id);
  if (step.id == "release_testing") {
    std::vector<std::string> equipment;
    for (const std::string& equipment_class : step.equipment) {
      const std::string id = EquipmentFor(equipment_class, run.plan.suite);
      equipment.push_back(id);
      ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(crew.completer));
      ALIQUOT_RETURN_IF_ERROR(Performed(area.AddEquipment(context, run.id, step.id, id, {})));
    }
    // Entered from QC's report, one after the other.
    ALIQUOT_RETURN_IF_ERROR(EnterValues(staff, run, step, equipment, crew.completer, 0));
  }
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(crew.completer));
  ALIQUOT_RETURN_IF_ERROR(Performed(area.CompleteStep(context, run.id, step.id, {})));
  if (step.id != "fill_and_label") return {};
  ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, area.Get(context, run.id));
  materials::ProducedLot product;
  product.id = run.plan.product_lot;
  product.material = "MAT-DP-CAR19";
  product.batch = run.id;
  product.patient_code = run.patient;
  product.quantity = run.values.at("fill_and_label.fill_volume").value.AsNumber();
  product.unit = catalog.Material("MAT-DP-CAR19").unit;
  product.containers = {product.quantity};
  const auto shelf_life = view.state.expiries.find("shelf_life");
  if (shelf_life == view.state.expiries.end()) {
    return Unexpected(Internal("the demo expected the shelf life to run from the formulation"));
  }
  product.expiry = shelf_life->second;
  product.storage_location =
      "LN2 vapour storage LN2-02, rack 3, box " + std::to_string(run.plan.collection + 1);
  return staff.Areas().Materials().ProduceLot(context, product);
}

// A second person verifies the step by e-signature (A11-01).
Status VerifyWork(Staff& staff, const BatchRun& run, const recipes::Step& step) {
  return staff.Sign(CrewFor(run.plan, step.id).verifier, {"batch_step", run.id + ":" + step.id},
                    Meaning::kVerified,
                    "Checked as the second person against the batch record and the labels");
}

// What QA writes beside an exception it reviewed.
std::string ReviewComment(const batches::BatchException& exception) {
  const auto has = [&](ExceptionKind kind) {
    return std::find(exception.kinds.begin(), exception.kinds.end(), kind) != exception.kinds.end();
  };
  if (has(ExceptionKind::kActionLimit) || has(ExceptionKind::kDeviation)) {
    return "Reviewed with its deviation, assessed and closed: no impact on the product";
  }
  if (has(ExceptionKind::kCorrection)) {
    return "Transcription error corrected with its reason before the step was completed; the "
           "original is kept beside it and the recalculated values were checked";
  }
  if (has(ExceptionKind::kRefusedAttempt)) {
    return "The equipment check refused the out-of-service incubator as intended; the step used "
           "INC-01, cleaned for this patient";
  }
  if (has(ExceptionKind::kAlertLimit)) {
    return "Within the action limits: noted for the trend, no impact";
  }
  return "Reviewed";
}

// QA's review by exception (G-04): `reviewer` starts it once the batch is complete.
Status StartReviewOf(Staff& staff, const BatchRun& run, const std::string& reviewer) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(reviewer));
  return Performed(staff.Areas().Batches().StartReview(context, run.id, {}));
}

// `reviewer` records every exception of the batch as reviewed, each with a comment.
Status ReviewExceptionsOf(Staff& staff, const BatchRun& run, const std::string& reviewer) {
  BatchService& area = staff.Areas().Batches();
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(reviewer));
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<batches::BatchException> exceptions,
                           area.Exceptions(context, run.id));
  for (const batches::BatchException& exception : exceptions) {
    if (exception.reviewed_at) continue;
    ALIQUOT_RETURN_IF_ERROR(Performed(
        area.ReviewException(context, run.id, exception.key, ReviewComment(exception), {})));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(3));
  }
  return {};
}

// The batch has exactly the exceptions its plan meant it to have: a drawn value that crossed an
// alert limit, a step that ran long or a hold time missed is the demo's mistake, not a story.
Status CheckExceptions(Staff& staff, const BatchRun& run, const std::string& user) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  ALIQUOT_ASSIGN_OR_RETURN(const std::vector<batches::BatchException> exceptions,
                           staff.Areas().Batches().Exceptions(context, run.id));
  const auto expected = [&](const std::string& step, ExceptionKind kind) {
    return std::find(run.plan.expected.begin(), run.plan.expected.end(),
                     std::pair<std::string, ExceptionKind>{step, kind}) != run.plan.expected.end();
  };
  std::string unexpected;
  for (const batches::BatchException& exception : exceptions) {
    const bool meant =
        std::any_of(exception.kinds.begin(), exception.kinds.end(),
                    [&](ExceptionKind kind) { return expected(exception.step, kind); });
    if (!meant) unexpected += (unexpected.empty() ? "" : "; ") + exception.summary;
  }
  for (const std::pair<std::string, ExceptionKind>& meant : run.plan.expected) {
    const bool found =
        std::any_of(exceptions.begin(), exceptions.end(), [&](const auto& exception) {
          return exception.step == meant.first &&
                 std::find(exception.kinds.begin(), exception.kinds.end(), meant.second) !=
                     exception.kinds.end();
        });
    if (!found) {
      unexpected += (unexpected.empty() ? "" : "; ") + std::string("no ") +
                    std::string(batches::ExceptionKindName(meant.second)) + " on step " +
                    meant.first;
    }
  }
  if (unexpected.empty()) return {};
  return Unexpected(Internal(run.plan.name + " (" + run.id +
                             ") does not have the exceptions the demo planned: " + unexpected));
}

// "oliver, priya and vera": who recorded anything on the batch's steps.
std::string PeopleOf(const BatchView& view) {
  std::set<std::string> people;
  for (const auto& [step, execution] : view.state.steps) {
    people.insert(execution.performers.begin(), execution.performers.end());
  }
  std::string text;
  std::size_t i = 0;
  for (const std::string& person : people) {
    text += (i == 0 ? "" : (i + 1 == people.size() ? " and " : ", ")) + person;
    ++i;
  }
  return text;
}

// One line for `say` about where the batch stands.
Status SayBatch(Staff& staff, const BatchRun& run, const std::string& user, const std::string& what,
                const Say& say) {
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
  ALIQUOT_ASSIGN_OR_RETURN(const BatchView view, staff.Areas().Batches().Get(context, run.id));
  int done = 0;
  for (const auto& [step, execution] : view.state.steps) {
    if (execution.status == batches::StepStatus::kDone) ++done;
  }
  const std::size_t steps = view.recipe->Steps().size();
  say("batch " + run.id + " (" + run.plan.name + ", MBR-CAR19 version " +
      std::to_string(view.state.version) + ", suite " + std::to_string(run.plan.suite) +
      ", patient " + run.patient + "): " + std::to_string(done) + " of " + std::to_string(steps) +
      " steps done by " + PeopleOf(view) + " from " + Day(view.state.created_at) + "; " + what);
  return {};
}

// Puts `run`'s batch on the agenda: its collection at goods-in the evening before (and, for Phase
// 1, its complete medium), its creation, every step of the control recipe at its time (up to the
// last step done, for one still in progress), the release results two weeks after the fill, and
// QA's review and disposition.
void ScheduleBatch(Agenda& agenda, Staff& staff, Stock& stock, const MaterialsCatalog& catalog,
                   const std::shared_ptr<BatchRun>& run, bool first_medium, const Say& say) {
  const BatchPlan& plan = run->plan;
  const Timestamp receipt = plan.receipt;
  const std::string name = plan.name;
  if (!plan.medium_lot.empty()) {
    agenda.At(MinutesAfter(receipt, -14 * 60), name + ": complete medium " + plan.medium_lot,
              [&staff, &stock, run, first_medium]() -> Status {
                return PrepareCompleteMedium(staff, stock, run->plan.medium_lot, first_medium);
              });
  }
  agenda.At(MinutesAfter(receipt, -12 * 60), name + ": collection at goods-in",
            [&staff, run]() -> Status {
              const DemoCollection& collection = run->Collection();
              return ReceiveCollection(
                  staff, collection,
                  MinutesAfter(run->plan.receipt, -60 * collection.collected_hours));
            });
  agenda.At(MinutesAfter(receipt, -40), name + ": created",
            [&staff, run]() -> Status { return CreateBatchFor(staff, *run); });
  // Line clearance before the patient's first open step: the suite's cabinet cleaned (and its
  // cleaning verified) if another patient's material was in it since.
  agenda.At(MinutesAfter(receipt, -25), name + ": line clearance", [&staff, run]() -> Status {
    return EnsureClean(staff, *run, EquipmentFor("biosafety_cabinet", run->plan.suite),
                       run->plan.receiver);
  });
  Timestamp last = receipt;
  for (const recipes::Step* step : run->recipe->Steps()) {
    const StepTimes times = TimesOf(step->id, plan.count_shift_minutes);
    const std::string what = name + ": " + step->id;
    if (step->id == "transduction" && !plan.refused_at_gate.empty()) {
      // G-11: the one not retrained on SOP-CT-005 asks the gate at the tablet, and is refused.
      agenda.At(
          MinutesAfter(receipt, times.start - 25), what + " (gate)",
          [&staff, run, say]() -> Status {
            const std::string& user = run->plan.refused_at_gate;
            ALIQUOT_ASSIGN_OR_RETURN(const RequestContext context, staff.At(user));
            const Result<training::Qualification> gate = staff.Areas().Training().Gate(
                context, "SOP-CT-005", "Transduction step, batch " + run->id);
            if (gate) {
              return Status(Unexpected(Internal("the demo expected the gate to refuse " + user)));
            }
            if (gate.error().Code() != ErrorCode::kPermissionDenied) {
              return Status(Unexpected(gate.error()));
            }
            say("gate: " + user +
                " refused on SOP-CT-005 at LEI-SUITE2-TAB1 before the transduction "
                "of " +
                run->id + " (trained on an earlier version), as the demo intends; " +
                run->plan.culture + " transduces; the attempt is in the ledger");
            return Status();
          });
    }
    agenda.At(MinutesAfter(receipt, times.start), what + " started",
              [&staff, &stock, &catalog, run, step]() -> Status {
                return StartWork(staff, stock, catalog, *run, *step);
              });
    if (plan.excursion.starts_with(step->id + ".")) {
      // G-05: the supervisor acknowledges the excursion by e-signature before the step goes on.
      agenda.At(MinutesAfter(receipt, times.start + 25), what + " acknowledged",
                [&staff, run]() -> Status {
                  const std::string& deviation = run->deviations.front();
                  return staff.Sign(
                      "vera", {"batch_excursion", run->id + ":" + deviation}, Meaning::kApproved,
                      "Excursion acknowledged: QA informed through " + deviation +
                          "; the harvest goes on to formulation, release testing decides");
                });
    }
    Timestamp end = MinutesAfter(receipt, times.end);
    if (step->id == "release_testing") {
      // QC reports when the sterility test reads out, 14 days after the fill.
      const StepTimes fill = TimesOf("fill_and_label", 0);
      end = MinutesAfter(DaysAfter(Midnight(MinutesAfter(receipt, fill.start)), 14), 11 * 60);
    }
    agenda.At(end, what + " completed", [&staff, &catalog, run, step]() -> Status {
      return CompleteWork(staff, catalog, *run, *step);
    });
    last = end;
    if (step->verification == recipes::Verification::kSecondPerson) {
      const Timestamp verified = MinutesAfter(receipt, times.verified);
      agenda.At(verified, what + " verified",
                [&staff, run, step]() -> Status { return VerifyWork(staff, *run, *step); });
      last = std::max(last, verified);
    }
    if (plan.end == BatchEnd::kInProgress && step->id == plan.last_step) break;
  }
  if (plan.end == BatchEnd::kInProgress) {
    agenda.At(MinutesAfter(last, 5), name + ": where it stands", [&staff, run, say]() -> Status {
      ALIQUOT_RETURN_IF_ERROR(CheckExceptions(staff, *run, run->plan.grower));
      return SayBatch(staff, *run, run->plan.grower,
                      "in progress: its culture in the bioreactor after the " +
                          run->plan.last_step + "; next: the day 5 count",
                      say);
    });
    return;
  }
  // QA's review the morning after the release results.
  const Timestamp review = MinutesAfter(DaysAfter(Midnight(last), 1), 9 * 60 + 30);
  agenda.At(review, name + ": review started",
            [&staff, run]() -> Status { return StartReviewOf(staff, *run, "quinn"); });
  if (!plan.excursion.empty()) {
    // The deviation: quinn assesses it the morning after the harvest; anna closes it once the
    // release results are in.
    const Timestamp harvest =
        MinutesAfter(receipt, TimesOf("harvest_wash", plan.count_shift_minutes).start);
    agenda.At(MinutesAfter(DaysAfter(Midnight(harvest), 1), 10 * 60), name + ": deviation assessed",
              [&staff, run]() -> Status {
                ALIQUOT_ASSIGN_OR_RETURN(const RequestContext quinn, staff.At("quinn"));
                quality::DeviationAssessment assessment;
                assessment.classification = quality::Classification::kMinor;
                assessment.impact =
                    "Harvest viability 76 % is below the action limit of 80 % of MBR-CAR19 "
                    "version 2, but above SPEC-CT-014's release limit of 70 %; the dose was "
                    "formulated on viable cells, so the patient receives the prescribed dose. The "
                    "release results decide the batch's disposition.";
                assessment.root_cause =
                    "Day 9 culture at high density with the perfusion at the low end of its "
                    "range; no equipment or material fault found";
                assessment.investigation_required = false;
                assessment.batches_affected = {run->id};
                return staff.Areas().Quality().Assess(quinn, run->deviations.front(), assessment);
              });
    agenda.At(MinutesAfter(DaysAfter(Midnight(review), 1), 11 * 60), name + ": deviation closed",
              [&staff, run, say]() -> Status {
                ALIQUOT_RETURN_IF_ERROR(staff.Sign(
                    "anna", {"deviation", run->deviations.front()}, Meaning::kApproved,
                    "Assessment accepted: release viability within SPEC-CT-014, dose met; no "
                    "impact on the product"));
                ALIQUOT_RETURN_IF_ERROR(CheckExceptions(staff, *run, "anna"));
                return SayBatch(staff, *run, "anna",
                                "under review: harvest viability 76 % below its action limit of "
                                "80 % raised " +
                                    run->deviations.front() +
                                    ", acknowledged by vera, assessed (minor) by quinn and "
                                    "closed by anna",
                                say);
              });
    return;
  }
  agenda.At(MinutesAfter(review, 40), name + ": exceptions reviewed", [&staff, run]() -> Status {
    return ReviewExceptionsOf(staff, *run, run->plan.exception_reviewer);
  });
  if (plan.end == BatchEnd::kUnderReview) {
    agenda.At(MinutesAfter(review, 90), name + ": under review", [&staff, run, say]() -> Status {
      ALIQUOT_RETURN_IF_ERROR(CheckExceptions(staff, *run, "quinn"));
      return SayBatch(staff, *run, "quinn",
                      "under review: the incubator refused at activation, a typing error in the "
                      "day 7 culture volume corrected with its reason (the original beside it); "
                      "every exception reviewed by quinn, awaiting release",
                      say);
    });
    return;
  }
  agenda.At(MinutesAfter(review, 4 * 60 + 30), name + ": released", [&staff, run, say]() -> Status {
    ALIQUOT_RETURN_IF_ERROR(
        staff.Sign("anna", {"batch", run->id}, Meaning::kReleased,
                   "Batch record reviewed by exception; release results within SPEC-CT-014; "
                   "chain of identity intact from apheresis to the filled bag"));
    ALIQUOT_RETURN_IF_ERROR(CheckExceptions(staff, *run, "anna"));
    return SayBatch(staff, *run, "anna",
                    "released by anna on " + Day(staff.Now()) + " after " +
                        run->plan.exception_reviewer + "'s review; product unit " +
                        run->plan.product_lot + " in LN2 storage",
                    say);
  });
}

// The demo's seven batches (docs/demo.md): three of the Phase 1 process, released; four of the
// current one: one released, one with an action-limit excursion and its deviation, one with a
// correction (and the out-of-service incubator refused), both under review, and one in progress.
// Receipt times count back from midnight of the day the demo ends (`today`), but the last batch's,
// which counts back from the end itself (`now`), so that its last count is the night before.
std::vector<BatchPlan> CarTBatches(Timestamp today, Timestamp now) {
  const auto day = [&](int days_before, int hour, int minute) {
    return MinutesAfter(DaysAfter(today, -days_before), hour * 60 + minute);
  };
  std::vector<BatchPlan> plans;
  plans.reserve(kCollections.size());
  const auto plan = [&](std::string name, int version, int suite, Timestamp receipt,
                        double body_weight, double dose) -> BatchPlan& {
    BatchPlan batch;
    batch.name = std::move(name);
    batch.version = version;
    batch.collection = plans.size();
    batch.suite = suite;
    batch.receipt = receipt;
    batch.body_weight = body_weight;
    batch.prescribed_dose = dose;
    batch.product_lot = "DP-2026-000" + std::to_string(plans.size() + 1);
    batch.vector_vial = static_cast<int>(plans.size()) + 1;
    if (version == 1) batch.medium_lot = "IM-2026-000" + std::to_string(plans.size() + 1);
    plans.push_back(std::move(batch));
    return plans.back();
  };
  const auto crew = [](BatchPlan& batch, const char* receiver, const char* partner,
                       const char* culture, const char* grower, const char* second_grower,
                       const char* harvester) {
    batch.receiver = receiver;
    batch.partner = partner;
    batch.culture = culture;
    batch.grower = grower;
    batch.second_grower = second_grower;
    batch.harvester = harvester;
  };
  // Phase 1, dose cohorts of 5 x 10^5 and 1 x 10^6 CAR+ cells per kg.
  BatchPlan& first = plan("Phase 1, first patient", 1, 1, day(72, 7, 0), 68.4, 5e5);
  crew(first, "oliver", "priya", "priya", "oliver", "vera", "priya");
  BatchPlan& second = plan("Phase 1, second patient", 1, 2, day(66, 8, 30), 81.2, 5e5);
  crew(second, "priya", "vera", "oliver", "vera", "oliver", "oliver");
  second.count_shift_minutes = 300;
  second.exception_reviewer = "bram";
  // Its logger peaked at 7.4 C: within 2-8 C, above the alert level of 7 C.
  second.expected = {{"apheresis_receipt", ExceptionKind::kAlertLimit}};
  BatchPlan& third = plan("Phase 1, third patient", 1, 1, day(55, 6, 30), 59.7, 1e6);
  crew(third, "oliver", "vera", "oliver", "oliver", "vera", "priya");
  third.count_shift_minutes = -240;
  // The current process, effective since 40 days before the demo ends.
  BatchPlan& released = plan("Phase 2, first patient", 2, 2, day(38, 9, 0), 74.5, 1e6);
  crew(released, "priya", "oliver", "priya", "vera", "oliver", "oliver");
  released.count_shift_minutes = 420;
  BatchPlan& excursion = plan("Phase 2, second patient", 2, 1, day(33, 7, 30), 88.1, 1e6);
  crew(excursion, "oliver", "priya", "vera", "oliver", "vera", "priya");
  excursion.count_shift_minutes = -300;
  excursion.end = BatchEnd::kUnderReview;
  excursion.excursion = "harvest_wash.viability";
  excursion.chosen = {{"harvest_wash.viability", 76}, {"release_testing.viability", 81.4}};
  excursion.expected = {{"harvest_wash", ExceptionKind::kActionLimit},
                        {"harvest_wash", ExceptionKind::kDeviation}};
  BatchPlan& corrected = plan("Phase 2, third patient", 2, 2, day(26, 8, 0), 63.9, 1e6);
  crew(corrected, "priya", "vera", "priya", "oliver", "vera", "oliver");
  corrected.count_shift_minutes = 180;
  corrected.end = BatchEnd::kUnderReview;
  corrected.incubator_refused = true;
  corrected.typo = "day_7_count.culture_volume";
  corrected.typo_value = 1040;
  corrected.chosen = {{"day_7_count.culture_volume", 1004}};
  corrected.expected = {{"activation", ExceptionKind::kRefusedAttempt},
                        {"day_7_count", ExceptionKind::kCorrection}};
  // In progress: its day 3 count the night before the demo ends; oliver, not retrained on
  // SOP-CT-005 version 2, is refused at the gate before its transduction.
  const StepTimes day_3 = TimesOf("day_3_count", 0);
  BatchPlan& running =
      plan("Phase 2, fourth patient", 2, 1, MinutesAfter(now, -9 * 60 - day_3.start), 77.3, 1e6);
  crew(running, "oliver", "priya", "priya", "vera", "oliver", "priya");
  running.end = BatchEnd::kInProgress;
  running.last_step = "day_3_count";
  running.refused_at_gate = "oliver";
  return plans;
}

}  // namespace

Timestamp DemoStart(Timestamp now) { return DaysAfter(now, -kDemoHistoryDays); }

namespace {

// Whatever happens, the clock is the real one again once the demo returns.
class ReleaseOnReturn {
 public:
  explicit ReleaseOnReturn(DemoClock& clock) : clock_(clock) {}
  ~ReleaseOnReturn() { clock_.Release(); }
  ReleaseOnReturn(const ReleaseOnReturn&) = delete;
  ReleaseOnReturn& operator=(const ReleaseOnReturn&) = delete;

 private:
  DemoClock& clock_;
};

// The people and their access, when the demo's history begins: the first administrator is
// bootstrapped, registers the terminals and creates the accounts; each person signs in at their
// terminal with the temporary password and sets their own; QA approves the access.
Status CreatePeople(Services& areas, Staff& staff, const std::string& terminal, const Say& say) {
  const DemoServices services{areas.Identity().identity, areas.Sessions(), areas.Signatures()};
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

  std::string registered;
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
    registered +=
        std::string(registered.empty() ? "" : ", ") + device.id + " (" + device.name + ")";
  }
  say("terminals " + registered);
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(10));

  // Each person signs in at their own terminal with the temporary password and sets their own.
  for (const DemoUser& user : kUsers) {
    ALIQUOT_ASSIGN_OR_RETURN(
        const NewCredential temporary,
        services.identity.CreateUser(admin, user.id, user.name, {{"LEI", user.role}}));
    ALIQUOT_ASSIGN_OR_RETURN(
        const RequestContext context,
        FirstSignIn(services.sessions, user.id, temporary.secret, TerminalTokenOf(user.id)));
    if (user.role == Role::kAuditor) {
      ALIQUOT_RETURN_IF_ERROR(services.sessions.SignOut(context));
    } else {
      staff.Adopt(user.id, context);
    }
    say(std::string("user ") + user.id + " (" + user.name + "), " +
        std::string(identity::RoleName(user.role)));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(1));
  }
  ALIQUOT_RETURN_IF_ERROR(services.sessions.SignOut(admin));

  // QA approves everyone's access but the auditor's (pending) and her own: she cannot approve her
  // own access, so the second QA approver does.
  constexpr std::string_view kAccessApproved =
      "Access request approved: role matches the job description";
  int approved = 0;
  for (const char* id : {"sam", "oliver", "priya", "vera", "quinn", "bram", "carlos", "dora",
                         "tomas", "erik", "wendy"}) {
    ALIQUOT_RETURN_IF_ERROR(
        staff.Sign("anna", {"user", id}, Meaning::kApproved, std::string(kAccessApproved)));
    ++approved;
  }
  ALIQUOT_RETURN_IF_ERROR(
      staff.Sign("bram", {"user", "anna"}, Meaning::kApproved, std::string(kAccessApproved)));
  say("access of " + std::to_string(approved) +
      " accounts approved by anna (QA approver), anna's by bram; audrey's pending");
  return {};
}

// The document revisions along the timeline (docs/demo.md), each a Markdown file of its own.
struct Revisions {
  Procedure transduction;
  Procedure fill;
  Procedure counting;
  Procedure cleaning;
};

Revisions CarTRevisions(const std::map<std::string, Procedure>& by_id) {
  Revisions revisions{by_id.at("SOP-CT-005"), by_id.at("SOP-CT-007"), by_id.at("SOP-CT-004"),
                      by_id.at("SOP-CT-009")};
  revisions.transduction.steps[4] =
      "Calculate the vector volume for an MOI of 2-4 from the viable cell count at transduction.";
  revisions.transduction.steps[5] =
      "Start transduction 18-30 h after activation; outside this window, do not add the vector: "
      "call QA.";
  revisions.fill.steps[5] =
      "Fill the dose into two infusion bags of equal volume and one QC retain bag, to the volumes "
      "in the batch record; weld and seal; take the release samples (sterility, mycoplasma, "
      "endotoxin, identity, CAR expression, VCN, potency).";
  revisions.fill.steps[6] =
      "Label each bag with the COI ID, product name, bag number and expiry; the verifier scans "
      "each label's COI barcode against the order.";
  revisions.counting.references[0] = "Cell counter user manual, revision 4";
  revisions.counting.references[1] =
      "ISO 20391-2 Cell counting, experimental design and statistics";
  revisions.cleaning.steps[3] =
      "Apply the sporicidal agent to all grade A/B surfaces at least weekly, and after any "
      "spore-former found by environmental monitoring.";
  return revisions;
}

const std::string& TransductionReason() {
  static const std::string kReason =
      "MOI window narrowed to 2-4 after the Phase 1 comparability review; transduction 18-30 h "
      "after activation";
  return kReason;
}

const std::string& FillReason() {
  static const std::string kReason =
      "Two-bag fill with a QC retain bag, so that a result can be retested without thawing the "
      "patient's dose; labels checked by barcode scan. Effective once the new bag sets are in "
      "stock";
  return kReason;
}

const std::string& CountingReason() {
  static const std::string kReason =
      "Reference update: cell counter user manual revision 4 and ISO 20391-2; the method is "
      "unchanged";
  return kReason;
}

const std::string& CleaningReason() {
  static const std::string kReason =
      "Sporicidal agent weekly instead of monthly after Bacillus was found in grade B suite 2 "
      "(EM trend review)";
  return kReason;
}

// The controlled documents, curricula and training when the demo's history begins: dora uploads
// and drafts version 1 of the CAR-T set, quinn reviews and anna approves each; tomas sets the
// curricula; everyone trains on their curricula's documents (gowning taught and assessed by vera);
// tomas assigns priya, a new starter, what she has yet to learn. `now`: when the demo ends.
Status CreateDocuments(Services& areas, Staff& staff, const std::vector<Procedure>& set,
                       Timestamp now, const Say& say) {
  for (const Procedure& procedure : set) {
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext dora, staff.At("dora"));
    documents::CreateDocumentCommand command;
    command.id = procedure.id;
    command.site = "LEI";
    command.kind = procedure.kind;
    command.review_interval_months = procedure.review_interval_months;
    ALIQUOT_RETURN_IF_ERROR(areas.Documents().CreateDocument(dora, command));
    DraftInput input;
    input.change_reason = "First issue for the autologous CAR-T process at Leiden";
    input.revision = documents::Revision::kMajor;
    ALIQUOT_RETURN_IF_ERROR(
        Publish(staff, procedure, 1, {{1, "First issue."}}, input, Until::kApproved)
            .transform([](int) {}));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(2));
  }
  say(std::to_string(set.size()) +
      " controlled documents (SOP-CT-001 to SPEC-CT-014) uploaded as Markdown by dora, version 1 "
      "authored by dora, reviewed by quinn, approved by anna: effective on approval; WI-CT-012 "
      "reviewed monthly, the rest every 24 months");
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(30));

  // Curricula before any revision, so that a major revision assigns retraining (G-11).
  ALIQUOT_ASSIGN_OR_RETURN(const RequestContext tomas, staff.At("tomas"));
  const std::vector<DemoCurriculum> curricula = CarTCurricula();
  for (const DemoCurriculum& curriculum : curricula) {
    training::CurriculumCommand command;
    command.id = curriculum.id;
    command.site = "LEI";
    command.title = curriculum.title;
    command.roles = curriculum.roles;
    command.documents = curriculum.documents;
    command.requalification_months = curriculum.requalification_months;
    ALIQUOT_RETURN_IF_ERROR(areas.Training().SetCurriculum(tomas, command, "Initial curriculum"));
  }
  say("curricula set by tomas (training coordinator): CUR-OPERATOR, CUR-GOWNING (annual "
      "requalification), CUR-QC, CUR-QA, CUR-EQUIPMENT, CUR-WAREHOUSE");
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(30));

  // Everyone trains on version 1 of their curricula's documents: read and understood, but gowning
  // for the operators, which vera teaches and assesses. priya, a new starter, has yet to train on
  // the bioreactor, freezing and welding: tomas assigns them.
  struct Gap {
    const char* document;
    int due_in_days;
  };
  constexpr std::array<Gap, 3> kPriyasInduction{
      {{"SOP-CT-006", 7}, {"SOP-CT-008", 10}, {"WI-CT-012", 14}}};
  std::set<std::pair<std::string, std::string>> gaps;
  for (const Gap& gap : kPriyasInduction) gaps.insert({"priya", gap.document});
  int read = 0;
  int taught = 0;
  // The verifier first, so that vera is qualified on gowning before she qualifies others.
  for (const bool trainers : {true, false}) {
    for (const DemoUser& trainee : kUsers) {
      if ((trainee.role == Role::kVerifier) != trainers) continue;
      const std::string user(trainee.id);
      std::set<std::string> required;
      for (const DemoCurriculum& curriculum : curricula) {
        if (!curriculum.roles.Contains(trainee.role)) continue;
        required.insert(curriculum.documents.begin(), curriculum.documents.end());
      }
      for (const std::string& document : required) {
        if (gaps.count({user, document}) != 0) continue;
        if (document == "SOP-CT-001" && trainee.role == Role::kOperator) {
          ALIQUOT_RETURN_IF_ERROR(InstructorLed(staff, user, document, 1));
          ++taught;
        } else {
          ALIQUOT_RETURN_IF_ERROR(
              staff.Sign(user, TrainingOf(user, document, 1), Meaning::kPerformed));
          ++read;
        }
      }
      ALIQUOT_RETURN_IF_ERROR(staff.Wait(5));
    }
  }
  say("training on version 1: " + std::to_string(read) +
      " read-and-understood signatures; gowning (SOP-CT-001) of oliver and priya instructor-led "
      "by vera, assessed passed, 18/20 (" +
      std::to_string(taught) + " sessions)");
  std::string assigned;
  for (const Gap& gap : kPriyasInduction) {
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext coordinator, staff.At("tomas"));
    AssignInput induction;
    induction.user = "priya";
    induction.document = gap.document;
    induction.due = DaysAfter(now, gap.due_in_days);
    induction.reason = "New starter induction: operator curriculum, with vera at the bench";
    ALIQUOT_RETURN_IF_ERROR(areas.Training().Assign(coordinator, induction));
    assigned +=
        std::string(assigned.empty() ? "" : ", ") + gap.document + " due " + Day(induction.due);
  }
  say("gaps: priya (new starter) not yet trained on SOP-CT-006, SOP-CT-008 and WI-CT-012 (so she "
      "neither grows, freezes nor welds); tomas assigned them: " +
      assigned);
  return {};
}

}  // namespace

Status CreateDemoSite(Services& areas, DemoClock& clock, const std::string& terminal,
                      const std::function<void(std::string_view)>& say) {
  const ReleaseOnReturn release(clock);
  // The history runs from where the clock stands to 75 days later: the real now, when the command
  // line made the clock (DemoStart).
  const Timestamp start = clock.Now();
  const Timestamp now = DaysAfter(start, kDemoHistoryDays);
  const Timestamp today = Midnight(now);
  if (!clock.Released() && now > clock.RealNow()) {
    return Unexpected(Internal("the demo's clock must stand at most 75 days before the real now"));
  }
  Staff staff(areas, clock);
  // A site with users refuses the bootstrap: a second run stops here.
  ALIQUOT_RETURN_IF_ERROR(CreatePeople(areas, staff, terminal, say));
  if (clock.Released()) {
    return Unexpected(Internal("the demo runs on a new DemoClock, not on a released one"));
  }
  say("the history begins " + start.ToRfc3339() + ", 75 days before now, on the demo's clock");

  // ---- When the history begins: documents and training, materials, equipment.
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(45));
  const std::vector<Procedure> set = CarTDocuments();
  std::map<std::string, Procedure> by_id;
  for (const Procedure& procedure : set) by_id.emplace(procedure.id, procedure);
  ALIQUOT_RETURN_IF_ERROR(CreateDocuments(areas, staff, set, now, say));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(60));
  MaterialsCatalog catalog{CarTMaterials(), CarTSuppliers(now), CarTLots(now)};
  ALIQUOT_RETURN_IF_ERROR(SetUpMaterials(staff, catalog, now, say));
  ALIQUOT_RETURN_IF_ERROR(staff.Wait(60));
  ALIQUOT_RETURN_IF_ERROR(SetUpEquipment(staff, now, say));

  Agenda agenda;
  // ---- The process: Phase 1 effective a day in, the current version 40 days before now.
  agenda.At(DaysAfter(start, 1), "MBR-CAR19 version 1", [&staff, &say]() -> Status {
    ALIQUOT_RETURN_IF_ERROR(DefineTheProcess(staff));
    ALIQUOT_ASSIGN_OR_RETURN(const int version,
                             ApproveProcessVersion(staff, DemoCarTDefinitionPhase1(),
                                                   "First issue: the Phase 1 process", "anna"));
    say("product CAR19 and master batch record MBR-CAR19 defined by dora; version " +
        std::to_string(version) +
        " (Phase 1) imported from its definition file, checked by quinn, approved by anna: "
        "effective " +
        Day(staff.Now()));
    return Status();
  });
  agenda.At(DaysAfter(now, -40), "MBR-CAR19 version 2", [&staff, &say]() -> Status {
    ALIQUOT_ASSIGN_OR_RETURN(
        const int version,
        ApproveProcessVersion(
            staff, DemoCarTDefinitionCurrent(),
            "Phase 2/3 process: limits tightened from the Phase 1 batch data, IL-7/IL-15 instead "
            "of IL-2, MOI 2-4 (SOP-CT-005 version 2), a day-5 count and a second-person check of "
            "the dose",
            "bram"));
    ALIQUOT_ASSIGN_OR_RETURN(const RequestContext dora, staff.At("dora"));
    ALIQUOT_ASSIGN_OR_RETURN(const VersionDifferences differences,
                             staff.Areas().Recipes().Differences(dora, "MBR-CAR19", 1, version));
    ALIQUOT_ASSIGN_OR_RETURN(const RecipeVersionView current,
                             staff.Areas().Recipes().Version(dora, "MBR-CAR19", version));
    say("MBR-CAR19 version " + std::to_string(version) + " (Phases 2-3, " +
        std::to_string(current.definition.Steps().size()) +
        " steps) checked by quinn, approved by bram: effective " + Day(staff.Now()) + ", " +
        std::to_string(differences.differences.size()) +
        " differences from version 1, which it supersedes");
    return Status();
  });

  // ---- The document revisions and periodic reviews.
  const Revisions revisions = CarTRevisions(by_id);
  for (const int days : {30, 60}) {
    agenda.At(DaysAfter(start, days), "periodic review of WI-CT-012", [&staff]() -> Status {
      return staff.Sign("dora", {"document", "WI-CT-012"}, Meaning::kReviewed,
                        "Monthly review during the welder's validation: still accurate");
    });
  }
  agenda.At(DaysAfter(now, -41), "SOP-CT-005 version 2", [&staff, &revisions, &say]() -> Status {
    // A major revision effective on approval: everyone on CUR-OPERATOR is assigned to retrain,
    // due at once. priya and vera retrain; oliver does not, so the gate refuses him from now on.
    DraftInput major;
    major.change_reason = TransductionReason();
    major.revision = documents::Revision::kMajor;
    ALIQUOT_ASSIGN_OR_RETURN(
        const int version,
        Publish(staff, revisions.transduction, 2,
                {{1, "First issue."}, {2, TransductionReason() + "."}}, major, Until::kApproved));
    ALIQUOT_RETURN_IF_ERROR(staff.Wait(90));
    for (const char* user : {"priya", "vera"}) {
      ALIQUOT_RETURN_IF_ERROR(
          staff.Sign(user, TrainingOf(user, "SOP-CT-005", version), Meaning::kPerformed));
    }
    say("SOP-CT-005 version 2 (major: MOI 2-4, transduction 18-30 h after activation) effective " +
        Day(staff.Now()) +
        ": retraining assigned to oliver, priya and vera; priya and vera retrained, oliver not "
        "(overdue): from then on priya and vera activate and transduce");
    return Status();
  });
  agenda.At(DaysAfter(now, -30), "SOP-CT-004 version 2", [&staff, &revisions, &say]() -> Status {
    DraftInput minor;
    minor.change_reason = CountingReason();
    minor.revision = documents::Revision::kMinor;
    ALIQUOT_RETURN_IF_ERROR(Publish(staff, revisions.counting, 2,
                                    {{1, "First issue."}, {2, CountingReason() + "."}}, minor,
                                    Until::kApproved)
                                .transform([](int) {}));
    say("SOP-CT-004 version 2 (minor: reference update) effective " + Day(staff.Now()) +
        ": nobody retrains");
    return Status();
  });
  agenda.At(
      DaysAfter(now, -4), "SOP-CT-007 version 2", [&staff, &revisions, now, &say]() -> Status {
        // A major revision effective in 14 days: assignments are due then, and vera trains ahead.
        DraftInput pending;
        pending.change_reason = FillReason();
        pending.revision = documents::Revision::kMajor;
        pending.effective_from = DaysAfter(now, 14);
        ALIQUOT_ASSIGN_OR_RETURN(
            const int version,
            Publish(staff, revisions.fill, 2, {{1, "First issue."}, {2, FillReason() + "."}},
                    pending, Until::kApproved));
        ALIQUOT_RETURN_IF_ERROR(staff.Wait(120));
        ALIQUOT_RETURN_IF_ERROR(
            staff.Sign("vera", TrainingOf("vera", "SOP-CT-007", version), Meaning::kPerformed));
        say("SOP-CT-007 version 2 (major: two-bag fill) approved " + Day(staff.Now()) +
            ", effective " + Day(*pending.effective_from) +
            ": training assigned, due then; vera trained ahead");
        return Status();
      });
  agenda.At(DaysAfter(now, -2), "SOP-CT-009 version 2", [&staff, &revisions, &say]() -> Status {
    DraftInput draft;
    draft.change_reason = CleaningReason();
    draft.revision = documents::Revision::kMajor;
    ALIQUOT_RETURN_IF_ERROR(Publish(staff, revisions.cleaning, 2,
                                    {{1, "First issue."}, {2, CleaningReason() + "."}}, draft,
                                    Until::kInReview)
                                .transform([](int) {}));
    say("SOP-CT-009 version 2 (sporicide weekly) authored by dora " + Day(staff.Now()) +
        ": in review, waiting for quinn");
    return Status();
  });

  // ---- Materials and equipment along the way.
  agenda.At(DaysAfter(now, -6), "RM-2026-0002 received", [&staff, &catalog, &say]() -> Status {
    int files = 0;
    for (const DemoLot& lot : catalog.lots) {
      if (lot.received_days_ago == kDemoHistoryDays) continue;
      ALIQUOT_RETURN_IF_ERROR(ReceivePurchasedLot(staff, catalog, lot, files));
    }
    say("RM-2026-0002 (medium, short-dated for this week's harvests) received by wendy and "
        "released by anna " +
        Day(staff.Now()) + "; it expires " + Day(catalog.lots[1].receipt.expiry));
    return Status();
  });
  const std::string out_of_service =
      "CO2 sensor drift: reads 5.0 % against 4.2 % on the reference analyser; service engineer "
      "booked";
  agenda.At(MinutesAfter(DaysAfter(today, -27), 8 * 60), "INC-02 out of service",
            [&staff, &out_of_service, &say]() -> Status {
              ALIQUOT_ASSIGN_OR_RETURN(const RequestContext erik, staff.At("erik"));
              ALIQUOT_RETURN_IF_ERROR(staff.Areas()
                                          .Equipment()
                                          .TakeOutOfService(erik, "INC-02", out_of_service)
                                          .transform([](const EntryRecorded&) {}));
              say("INC-02 (CO2 incubator, suite 2) taken out of service by erik " +
                  Day(staff.Now()) + ": " + out_of_service);
              return Status();
            });

  // ---- The batches.
  Stock stock;
  for (const DemoLot& lot : catalog.lots) {
    if (lot.release) stock.Add(lot.receipt.id, lot.receipt.material, lot.receipt.quantity);
  }
  std::vector<recipes::Definition> definitions;
  for (const std::string_view file : {DemoCarTDefinitionPhase1(), DemoCarTDefinitionCurrent()}) {
    ALIQUOT_ASSIGN_OR_RETURN(const Json json, ParseYaml(file));
    std::vector<recipes::Problem> problems;
    definitions.push_back(recipes::DefinitionFromJson(json, problems));
    if (!problems.empty()) {
      return Unexpected(Internal("the demo's definition file does not read: " +
                                 problems.front().pointer + ": " + problems.front().message));
    }
  }
  DemoDraw draw(20260416);
  std::vector<std::shared_ptr<BatchRun>> runs;
  for (BatchPlan& plan : CarTBatches(today, now)) {
    auto run = std::make_shared<BatchRun>();
    run->recipe = &definitions.at(static_cast<std::size_t>(plan.version - 1));
    run->values = DrawValues(plan, kCollections.at(plan.collection), draw);
    run->patient = DonorCode(kCollections.at(plan.collection).donor);
    run->plan = std::move(plan);
    ScheduleBatch(agenda, staff, stock, catalog, run, runs.empty(), say);
    runs.push_back(std::move(run));
  }

  // ---- Now: two collections at goods-in, the cabinets cleaned, the day's monitoring results and
  // a pipette found out of tolerance.
  agenda.At(now, "today at goods-in", [&staff, now, &runs, &say]() -> Status {
    for (std::size_t i = runs.size(); i < kCollections.size(); ++i) {
      const DemoCollection& collection = kCollections.at(i);
      ALIQUOT_RETURN_IF_ERROR(ReceiveCollection(
          staff, collection, MinutesAfter(now, -60 * collection.collected_hours)));
    }
    say("2 apheresis collections at goods-in today, received by wendy with their logger files: "
        "AP-2026-0008 eligible (bram) but held in quarantine after a shipping excursion to "
        "9.1 C; AP-2026-0009 awaiting its donor's eligibility");
    return Status();
  });
  agenda.At(now, "cabinets cleaned", [&staff, &say]() -> Status {
    ALIQUOT_RETURN_IF_ERROR(Clean(staff, {"oliver", "BSC-01", kSporicidal, "vera"}));
    ALIQUOT_RETURN_IF_ERROR(Clean(staff, {"priya", "BSC-02", kSporicidal, nullptr}));
    say("today: BSC-01 cleaned by oliver and verified by vera; BSC-02 cleaned by priya, awaiting "
        "vera's verification");
    return Status();
  });
  agenda.At(now, "environmental monitoring",
            [&staff, now, &say]() -> Status { return MonitorTheEnvironment(staff, now, say); });
  agenda.At(now, "PIP-02 calibrated",
            [&staff, &say]() -> Status { return CalibrateTheSuite2Pipette(staff, say); });
  ALIQUOT_RETURN_IF_ERROR(agenda.Run(staff));
  ALIQUOT_RETURN_IF_ERROR(staff.SignOutEveryone());
  say(std::to_string(staff.SignatureCount()) + " electronic signatures in all");
  return {};
}

}  // namespace aliquot::app
