// Issue 12, people: roles over time, per-program eligibility and municipalities, end to end
// through the real muster-server (and muster-kiosk) binaries, on a SQLite file and on a
// throwaway PostgreSQL database. Hours are hand-computed: every session here is attended from
// start to end, so each gives its full credit_hours.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sys/wait.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "shared/ledger.hpp"
#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/server_store.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kServer = fs::path(MUSTER_BINARY_DIR) / "sync/server/muster-server";
const fs::path kKiosk = fs::path(MUSTER_BINARY_DIR) / "kiosk/muster-kiosk";
const fs::path kPrograms = fs::path(MUSTER_SOURCE_DIR) / "assets/programs";

// Two towns spelled almost alike, and one the roster names only by a spelling.
constexpr const char* kMunicipalities = "id,name,council_seats\n"
                                        "AL-RVB,City of Riverbend,2\n"
                                        "AL-RBD,City of River Bend,1\n"
                                        "AL-OAK,Town of Oak Falls,1\n";

constexpr const char* kRosterHeader =
    "attendee_id,first_name,last_name,role,municipality,email,municipality_id\n";
// January: RV-CM1 is a councilmember and RV-CLK the clerk. OF-CM1 writes the town differently.
constexpr const char* kRosterJanuary = "RV-MAY,Mae,Rivers,mayor,,mae@rvb.example.org,AL-RVB\n"
                                       "RV-CM1,Cal,Stone,councilmember,City of Riverbend,,AL-RVB\n"
                                       "RV-CM2,Cora,Banks,councilmember,,,AL-RVB\n"
                                       "RV-CLK,Kit,Lowe,clerk,,,AL-RVB\n"
                                       "RB-MAY,Mo,Bend,mayor,River Bend,,AL-RBD\n"
                                       "RB-MGR,Ned,Hale,manager,,,AL-RBD\n"
                                       "OF-MAY,Olive,Fall,mayor,Town of Oak Falls,,\n"
                                       "OF-CM1,Otto,Fall,councilmember,Oak Falls,,\n";
// June: the two Riverbend people swapped roles (RV-CM1 lost the seat, RV-CLK won it).
constexpr const char* kRosterJune = "RV-MAY,Mae,Rivers,mayor,,mae@rvb.example.org,AL-RVB\n"
                                    "RV-CM1,Cal,Stone,clerk,City of Riverbend,,AL-RVB\n"
                                    "RV-CM2,Cora,Banks,councilmember,,,AL-RVB\n"
                                    "RV-CLK,Kit,Lowe,councilmember,,,AL-RVB\n"
                                    "RB-MAY,Mo,Bend,mayor,River Bend,,AL-RBD\n"
                                    "RB-MGR,Ned,Hale,manager,,,AL-RBD\n"
                                    "OF-MAY,Olive,Fall,mayor,Town of Oak Falls,,\n"
                                    "OF-CM1,Otto,Fall,councilmember,Oak Falls,,\n";

// Central time's UTC offset on `day` ("YYYY-MM-DD"): daylight time from April to October (the
// dates used here are far from the switch days).
std::string central(const std::string& day) {
  const int month = std::stoi(day.substr(5, 2));
  return month >= 4 && month <= 10 ? "-05:00" : "-06:00";
}

// One event: S1 09:00-11:00 (2 h) and S2 13:00-14:00 (1 h), Central time, on `day`.
std::string event_json(const std::string& id, const std::string& day, const json& programs) {
  const auto session = [&](const char* sid, const char* title, const char* from, const char* to,
                           double hours, const char* code) {
    json s = json::object();
    s["id"] = sid;
    s["title"] = std::string(title) + " " + id;
    s["room"] = "Hall";
    s["start"] = day + "T" + from + central(day);
    s["end"] = day + "T" + to + central(day);
    s["credit_hours"] = hours;
    s["course_code"] = std::string(code) + "-" + id;
    s["topic"] = std::string(title) + " " + id;
    return s;
  };
  json event = json::object();
  event["id"] = id;
  event["name"] = "Training " + id;
  event["timezone"] = "America/Chicago";
  event["location"] = "Civic Center";
  event["credit_policy"] = json::parse(
      R"({"arrival_grace_min": 10, "leave_grace_min": 10, "increment_hours": 0.25,
          "debounce_s": 60})");
  event["sessions"] = json::array({session("S1", "Ethics", "09:00:00", "11:00:00", 2, "ETH"),
                                   session("S2", "Budget", "13:00:00", "14:00:00", 1, "FIN")});
  if (!programs.is_null()) event["programs"] = programs;
  return event.dump(2);
}

using Outcome = test::ProcessOutcome;
using test::lines_of;
using test::quoted;

Outcome run_program(const fs::path& program, const fs::path& dir,
                    const std::vector<std::string>& args, const std::string& input = "") {
  return test::run_program(program, dir, args, input);
}

class People : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    ASSERT_TRUE(fs::exists(kServer)) << kServer;
    ASSERT_EQ(backend_.create(GetParam(), dir_.path(), "muster_people_"), "");
    db_ = backend_.url();
    key_ = (dir_ / "league.key").string();
    const Outcome init = run({"init", "--db", db_, "--league-key", key_});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  Outcome run(const std::vector<std::string>& args) {
    return run_program(kServer, dir_.path(), args);
  }

  std::string file(const std::string& name, const std::string& contents) {
    const fs::path path = dir_ / name;
    test::write_file(path, contents);
    return path.string();
  }

  void import_roster(const char* rows, const char* effective) {
    const std::string path = file("roster.csv", std::string(kRosterHeader) + rows);
    const Outcome o = run({"import-roster", "--db", db_, path, "--effective", effective});
    ASSERT_EQ(o.code, 0) << o.err;
  }

  void import_event(const std::string& id, const std::string& day, const json& programs,
                    const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"import-event", "--db", db_,
                                     file(id + ".json", event_json(id, day, programs))};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome o = run(args);
    ASSERT_EQ(o.code, 0) << o.err;
  }

  void import_basics() {
    ASSERT_EQ(
        run({"import-municipalities", "--db", db_, file("municipalities.csv", kMunicipalities)})
            .code,
        0);
    import_roster(kRosterJanuary, "2026-01-05");
  }

  // A door of `event` at which each attendee arrives at 08:58 and stays to the end of `session`.
  void attend(const std::string& event, const std::string& day, const std::string& session,
              const std::vector<std::string>& attendees) {
    auto store = server::open_server_store(db_);
    ASSERT_TRUE(store.ok()) << store.message();
    const std::string device = "DOOR-" + event + "-" + session + "-" + std::to_string(++doors_);
    const Instant now = Instant{std::chrono::floor<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())};
    const std::string code = "CODE-" + device;
    ASSERT_TRUE((*store)
                    ->add_provisioning_code(server::hash_secret(code), event, device,
                                            now + std::chrono::hours(1))
                    .ok());
    ASSERT_TRUE((*store)
                    ->redeem_provisioning_code(server::hash_secret(code), device,
                                               server::hash_secret("t" + device), now)
                    .ok());
    std::vector<Scan> scans;
    Digest head{};
    const std::string arrival = (session == "S1" ? "T08:58:00" : "T12:58:00") + central(day);
    for (const auto& attendee : attendees) {
      Scan scan;
      scan.device_id = device;
      scan.sequence = scans.size() + 1;
      scan.attendee_id = attendee;
      scan.badge_serial = "SERIAL-" + attendee;
      scan.session_id = session;
      scan.kind = ScanKind::arrive;
      scan.wall_time = *parse_iso8601(day + arrival);
      scan.monotonic_ms = static_cast<std::int64_t>(scan.sequence) * 1000;
      seal(scan, head);
      head = scan.hash;
      scans.push_back(scan);
    }
    auto stored = (*store)->store_scans(device, event, scans, now);
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_FALSE(stored->rejection.has_value()) << stored->rejection->reason;
  }

  // attendee id -> session id -> the credits JSON session object
  std::map<std::string, std::map<std::string, json>> credits(const std::string& event) {
    const Outcome o = run({"credits", "--db", db_, "--event", event, "--format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    std::map<std::string, std::map<std::string, json>> rows;
    const json doc = json::parse(o.out); // kept: a loop over a temporary's member would dangle
    for (const auto& person : doc.at("attendees")) {
      for (const auto& session : person.at("sessions")) {
        rows[person.at("attendee_id").get<std::string>()]
            [session.at("session_id").get<std::string>()] = session;
      }
    }
    return rows;
  }

  // official -> entry id -> hours
  std::map<std::string, std::map<std::string, double>> ledger() {
    auto store = server::open_ledger_store(db_);
    EXPECT_TRUE(store.ok()) << store.message();
    std::map<std::string, std::map<std::string, double>> hours;
    auto entries = (*store)->entries("");
    EXPECT_TRUE(entries.ok()) << entries.message();
    for (const auto& e : *entries)
      hours[e.official_id][e.id] = e.hours;
    return hours;
  }

  // The transcript's courses by entry id, evaluated under `program` on 2026-12-31.
  std::map<std::string, json> transcript(const std::string& official, const std::string& program,
                                         json* document = nullptr) {
    const Outcome o = run({"transcript", "--db", db_, "--official", official, "--program",
                           (kPrograms / program).string(), "--as-of", "2026-12-31"});
    EXPECT_EQ(o.code, 0) << o.err;
    const json doc = json::parse(o.out);
    if (document != nullptr) *document = doc;
    std::map<std::string, json> courses;
    for (const auto& course : doc.at("courses"))
      courses[course.at("id").get<std::string>()] = course;
    return courses;
  }

  test::TempDir dir_;
  test::BackendDatabase backend_;
  std::string db_;
  std::string key_;
  int doors_ = 0;
};

TEST_P(People, CreditIsJudgedByTheRoleOnTheSessionsDate) {
  import_basics();
  import_event("spring", "2026-03-05", nullptr); // no "programs": the ALM program
  attend("spring", "2026-03-05", "S1", {"RV-CM1", "RV-CLK", "RV-MAY"});
  import_roster(kRosterJune, "2026-06-01"); // RV-CM1 is a clerk, RV-CLK a councilmember now

  // The credit of March follows the March roles: today's clerk keeps what the councilmember
  // earned, today's councilmember earns nothing for what the clerk attended.
  auto rows = credits("spring");
  EXPECT_EQ(rows["RV-CM1"]["S1"].at("role"), "councilmember");
  EXPECT_EQ(rows["RV-CM1"]["S1"].at("eligible"), true);
  EXPECT_DOUBLE_EQ(rows["RV-CM1"]["S1"].at("credit_hours").get<double>(), 2.0);
  EXPECT_EQ(rows["RV-CLK"]["S1"].at("role"), "clerk");
  EXPECT_EQ(rows["RV-CLK"]["S1"].at("eligible"), false);
  EXPECT_DOUBLE_EQ(rows["RV-CLK"]["S1"].at("credit_hours").get<double>(), 0.0);
  const Outcome csv = run({"credits", "--db", db_, "--event", "spring"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_NE(csv.out.find("RV-CM1,Cal Stone,councilmember,City of Riverbend,S1,"), std::string::npos)
      << csv.out;

  const Outcome close = run({"close-event", "--db", db_, "--event", "spring"});
  ASSERT_EQ(close.code, 0) << close.err;
  EXPECT_NE(close.out.find("posted 2 credit(s), 4 hours, to 2 official(s)"), std::string::npos)
      << close.out;
  auto hours = ledger();
  EXPECT_DOUBLE_EQ(hours["RV-CM1"]["spring/S1"], 2.0);
  EXPECT_DOUBLE_EQ(hours["RV-MAY"]["spring/S1"], 2.0);
  EXPECT_EQ(hours.count("RV-CLK"), 0u);

  // July, ALM and ICMA (ICMA credits every role): everyone who attended gets an entry.
  import_event("summer", "2026-07-09", json::array({"alm-cmo", "icma-cm"}));
  attend("summer", "2026-07-09", "S1", {"RV-CM1", "RV-CLK", "RB-MGR"});
  attend("summer", "2026-07-09", "S2", {"RV-CM1"});
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", "summer"}).code, 0);
  hours = ledger();
  EXPECT_DOUBLE_EQ(hours["RV-CM1"]["summer/S1"], 2.0);
  EXPECT_DOUBLE_EQ(hours["RV-CM1"]["summer/S2"], 1.0);
  EXPECT_DOUBLE_EQ(hours["RV-CLK"]["summer/S1"], 2.0);
  EXPECT_DOUBLE_EQ(hours["RB-MGR"]["summer/S1"], 2.0);

  // Transcripts judge each entry by the role on its date, under the program asked for.
  auto alm = transcript("RV-CM1", "alm-cmo.jsonc");
  EXPECT_DOUBLE_EQ(alm["spring/S1"].at("hours_credited").get<double>(), 2.0);
  EXPECT_EQ(alm["spring/S1"].at("role"), "councilmember");
  EXPECT_EQ(alm["summer/S1"].at("role"), "clerk");
  EXPECT_DOUBLE_EQ(alm["summer/S1"].at("hours_credited").get<double>(), 0.0);
  ASSERT_EQ(alm["summer/S1"].at("refused").size(), 1u);
  EXPECT_EQ(alm["summer/S1"].at("refused")[0].at("reason"), "role_not_eligible");
  EXPECT_NE(alm["summer/S1"].at("refused")[0].at("message").get<std::string>().find("clerk"),
            std::string::npos);
  // ICMA counts only what an event granted under ICMA: July, not the ALM-only spring event.
  json icma_doc;
  auto icma = transcript("RV-CM1", "icma-cm.jsonc", &icma_doc);
  EXPECT_DOUBLE_EQ(icma_doc.at("totals").at("hours_credited").get<double>(), 3.0);
  ASSERT_EQ(icma["spring/S1"].at("refused").size(), 1u);
  EXPECT_EQ(icma["spring/S1"].at("refused")[0].at("reason"), "program_not_granted");
  EXPECT_DOUBLE_EQ(transcript("RV-CLK", "alm-cmo.jsonc")["summer/S1"].at("hours_credited"), 2.0);
  EXPECT_DOUBLE_EQ(transcript("RB-MGR", "alm-cmo.jsonc")["summer/S1"].at("hours_credited"), 0.0);
  EXPECT_DOUBLE_EQ(transcript("RB-MGR", "icma-cm.jsonc")["summer/S1"].at("hours_credited"), 2.0);

  // Letters follow the role on the day: the March clerk gets one, the March councilmember not.
  const Outcome letter = run({"verification-letter", "--db", db_, "--event", "spring", "--attendee",
                              "RV-CLK", "--out", (dir_ / "l1.pdf").string()});
  EXPECT_EQ(letter.code, 0) << letter.err;
  const Outcome refused = run({"verification-letter", "--db", db_, "--event", "spring",
                               "--attendee", "RV-CM1", "--out", (dir_ / "l2.pdf").string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("councilmember and earns CMO credit"), std::string::npos)
      << refused.err;

  // The official's record shows the role history.
  const Outcome record = run({"official", "--db", db_, "--id", "RV-CM1"});
  ASSERT_EQ(record.code, 0) << record.err;
  EXPECT_NE(record.out.find("role:        councilmember before the first change\n"
                            "  role:        clerk from 2026-06-01"),
            std::string::npos)
      << record.out;

  // The old command without --effective still works; the same roster changes no role.
  const Outcome again = run(
      {"import-roster", "--db", db_, file("again.csv", std::string(kRosterHeader) + kRosterJune)});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 new, 0 updated, 8 unchanged"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("Role history"), std::string::npos) << again.out;
  EXPECT_EQ(run({"import-roster", "--db", db_, "--effective", "June 1", file("x.csv", "")}).code,
            2);
}

TEST_P(People, AnUndatedRoleChangeNeverReachesBackIntoAttendedSessions) {
  import_basics();
  // A session ahead of the server's calendar (the kiosk's clock or the event is in the future).
  import_event("ahead", "2099-03-05", nullptr);
  attend("ahead", "2099-03-05", "S1", {"RV-CM1"});
  const Outcome o = run(
      {"import-roster", "--db", db_, file("june.csv", std::string(kRosterHeader) + kRosterJune)});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("effective 2099-03-06, the day after the last session with attendance"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(credits("ahead")["RV-CM1"]["S1"].at("eligible"), true);
}

TEST_P(People, EachProgramsEligibleRolesDecideCreditEndToEnd) {
  import_basics();
  // A League's AMCTO file that names its roles: clerks, managers and staff only.
  const fs::path programs = dir_ / "programs";
  fs::create_directories(programs);
  std::string amcto = test::read_file(kPrograms / "amcto-pdu.jsonc");
  const std::string any = "\"eligible_roles\": []";
  ASSERT_NE(amcto.find(any), std::string::npos);
  amcto.replace(amcto.find(any), any.size(), R"("eligible_roles": ["clerk", "manager", "staff"])");
  test::write_file(programs / "amcto-pdu.jsonc", amcto);
  fs::copy_file(kPrograms / "alm-cmo.jsonc", programs / "alm-cmo.jsonc");

  const Outcome unknown =
      run({"import-event", "--db", db_,
           file("bad.json", event_json("bad", "2026-07-10", json::array({"nope"}))),
           "--programs-dir", programs.string()});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("no program 'nope'"), std::string::npos) << unknown.err;

  import_event("clerks", "2026-07-10", json::array({"amcto-pdu"}),
               {"--programs-dir", programs.string()});
  attend("clerks", "2026-07-10", "S1", {"RV-CLK", "RV-MAY", "RB-MGR"});
  auto rows = credits("clerks");
  EXPECT_EQ(rows["RV-CLK"]["S1"].at("eligible"), true);
  EXPECT_DOUBLE_EQ(rows["RV-CLK"]["S1"].at("credit_hours").get<double>(), 2.0);
  EXPECT_EQ(rows["RB-MGR"]["S1"].at("eligible"), true);
  EXPECT_EQ(rows["RV-MAY"]["S1"].at("eligible"), false); // a mayor: not under this program

  const Outcome close = run({"close-event", "--db", db_, "--event", "clerks"});
  ASSERT_EQ(close.code, 0) << close.err;
  auto hours = ledger();
  EXPECT_DOUBLE_EQ(hours["RV-CLK"]["clerks/S1"], 2.0);
  EXPECT_DOUBLE_EQ(hours["RB-MGR"]["clerks/S1"], 2.0);
  EXPECT_EQ(hours.count("RV-MAY"), 0u);
  EXPECT_EQ(run({"verification-letter", "--db", db_, "--event", "clerks", "--attendee", "RV-MAY",
                 "--out", (dir_ / "mayor.pdf").string()})
                .code,
            0);
  EXPECT_EQ(run({"verification-letter", "--db", db_, "--event", "clerks", "--attendee", "RV-CLK",
                 "--out", (dir_ / "clerk.pdf").string()})
                .code,
            1);

  // The kiosk at the door shows the same: the package carries the event's eligible roles.
  ASSERT_TRUE(fs::exists(kKiosk)) << kKiosk;
  const fs::path badges = dir_ / "badges";
  ASSERT_EQ(run({"issue-badges", "--db", db_, "--league-key", key_, "--event", "clerks", "--out",
                 badges.string()})
                .code,
            0);
  std::map<std::string, std::string> payload;
  for (const auto& line : lines_of(test::read_file(badges / "badges.tsv"))) {
    const auto tab = line.rfind('\t');
    payload[line.substr(0, line.find('\t'))] = line.substr(tab + 1);
  }
  const fs::path package = dir_ / "clerks.pkg";
  ASSERT_EQ(run({"package", "--db", db_, "--league-key", key_, "--event", "clerks", "--out",
                 package.string()})
                .code,
            0);
  const std::string data = (dir_ / "kiosk").string();
  const Outcome imported =
      run_program(kKiosk, dir_.path(), {"--data", data, "import-package", package.string()});
  ASSERT_EQ(imported.code, 0) << imported.err;
  // Arrivals, then early leaves at 10:00: half of the 2 h session, 1 h for whoever the event's
  // programs credit (the kiosk keeps the manager's role as it is).
  std::string scans;
  int minute = 55;
  for (const char* who : {"RV-CLK", "RV-MAY", "RB-MGR"})
    scans += "@2026-07-10T08:" + std::to_string(minute++) + ":00-05:00 " + payload[who] + "\n";
  minute = 0;
  for (const char* who : {"RV-CLK", "RV-MAY", "RB-MGR"})
    scans += "@2026-07-10T10:0" + std::to_string(minute++) + ":00-05:00 " + payload[who] + "\n";
  const Outcome door =
      run_program(kKiosk, dir_.path(),
                  {"--data", data, "--room", "Hall", "headless", "--simulated-clock"}, scans);
  ASSERT_EQ(door.code, 0) << door.err;
  const auto lines = lines_of(door.out);
  ASSERT_EQ(lines.size(), 6u) << door.out;
  std::map<std::string, json> left;
  for (std::size_t i = 3; i < 6; ++i) {
    const json outcome = json::parse(lines[i]);
    ASSERT_EQ(outcome.at("result"), "left") << lines[i];
    left[outcome.at("attendee").get<std::string>()] = outcome;
  }
  EXPECT_DOUBLE_EQ(left["RV-CLK"].at("credit_hours").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(left["RV-MAY"].at("credit_hours").get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(left["RB-MGR"].at("credit_hours").get<double>(), 1.0);
}

TEST_P(People, CertifiedMunicipalityIsJudgedOnTheFullCouncil) {
  import_basics();
  import_roster(kRosterJune, "2026-06-01");
  for (const char* id : {"RV-MAY", "RV-CM2", "RV-CLK", "RB-MAY", "OF-MAY"}) {
    ASSERT_EQ(run({"official", "--db", db_, "--id", id, "--designation", "basic:2021-07-01"}).code,
              0);
  }
  const Outcome report = run({"report", "--db", db_, "--kind", "certified-municipalities",
                              "--as-of", "2026-12-31", "--format", "csv"});
  ASSERT_EQ(report.code, 0) << report.err;
  const auto lines = lines_of(report.out);
  ASSERT_EQ(lines.size(), 5u) << report.out;
  EXPECT_EQ(lines[0], "municipality,certified,officials,holders,not_holding,note,municipality_id,"
                      "council_seats");
  // Oak Falls: its mayor holds Basic, but its one seat has no known official (the roster's
  // councilmember wrote "Oak Falls", which is not the League's name for it).
  EXPECT_EQ(lines[1], "Town of Oak Falls,false,1,1,,1 of 1 council seats not held by a known "
                      "official with Basic,AL-OAK,1");
  // River Bend: a designated mayor alone is not a full council.
  EXPECT_EQ(lines[2], "City of River Bend,false,1,1,,1 of 1 council seats not held by a known "
                      "official with Basic,AL-RBD,1");
  // Riverbend: the mayor and both seats (RV-CLK holds RV-CM1's seat since June) hold Basic.
  EXPECT_EQ(lines[3], "City of Riverbend,true,3,3,,,AL-RVB,2");
  EXPECT_EQ(lines[4], "Oak Falls,false,1,0,OF-CM1,not a known municipality "
                      "(import-municipalities; roster municipality_id),,");

  // In March the council was RV-CM1 and RV-CM2, and RV-CM1 does not hold Basic.
  const Outcome march = run({"report", "--db", db_, "--kind", "certified-municipalities", "--as-of",
                             "2026-03-01", "--format", "json"});
  ASSERT_EQ(march.code, 0) << march.err;
  std::map<std::string, json> towns;
  const json march_doc = json::parse(march.out);
  for (const auto& row : march_doc.at("rows"))
    towns[row.at("municipality_id").get<std::string>()] = row;
  EXPECT_EQ(towns["AL-RVB"].at("certified"), false);
  EXPECT_EQ(towns["AL-RVB"].at("not_holding"), "RV-CM1");
  EXPECT_EQ(towns["AL-RVB"].at("council_seats"), 2);

  // A roster naming a municipality the League does not have is refused as a whole.
  const Outcome bad =
      run({"import-roster", "--db", db_,
           file("bad.csv", std::string(kRosterHeader) + "XX-1,Al,Bee,mayor,,,AL-NOPE\n")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("AL-NOPE"), std::string::npos) << bad.err;
  // The municipality file is checked as a whole too.
  EXPECT_EQ(run({"import-municipalities", "--db", db_,
                 file("m.csv", "id,name,council_seats\nAL-X,X,many\n")})
                .code,
            1);
}

TEST(PeopleCli, HelpNamesTheNewCommandAndFlags) {
  test::TempDir dir;
  const Outcome roster = run_program(kServer, dir.path(), {"import-roster", "--help"});
  EXPECT_EQ(roster.code, 0);
  EXPECT_NE(roster.out.find("--effective"), std::string::npos) << roster.out;
  const Outcome event = run_program(kServer, dir.path(), {"import-event", "--help"});
  EXPECT_NE(event.out.find("--programs-dir"), std::string::npos) << event.out;
  const Outcome towns = run_program(kServer, dir.path(), {"import-municipalities", "--help"});
  EXPECT_EQ(towns.code, 0);
  EXPECT_NE(towns.out.find("id,name,council_seats"), std::string::npos) << towns.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, People, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

} // namespace
} // namespace muster
