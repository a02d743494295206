// Issue 6's server features, end to end: the real muster-server binary as a subprocess over a
// real SQLite file (and one PostgreSQL case), plus library calls to look inside the stores.
// Hours are hand-computed from the demo event (assets/demo/event.json: S1 08:30-10:00 CST,
// S2 10:15-11:45 CST, 1.5 h each, grace 10 min, increment 0.25 h).
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "shared/ledger.hpp"
#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/badge_render.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/ledger_store.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/sql_connection.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kProgram = fs::path(MUSTER_BINARY_DIR) / "sync/server/muster-server";
const fs::path kDemo = fs::path(MUSTER_SOURCE_DIR) / "assets/demo";
const fs::path kAlm = fs::path(MUSTER_SOURCE_DIR) / "assets/programs/alm-cmo.jsonc";
const fs::path kAmcto = fs::path(MUSTER_SOURCE_DIR) / "assets/programs/amcto-pdu.jsonc";
const fs::path kIcma = fs::path(MUSTER_SOURCE_DIR) / "assets/programs/icma-cm.jsonc";
constexpr const char* kEvent = "fall-2026-training";

using Outcome = test::ProcessOutcome;
using test::lines_of;
using test::quoted;

Outcome run_in(const fs::path& dir, const std::vector<std::string>& args) {
  return test::run_program(kProgram, dir, args);
}

// A kiosk door: scans chained like a kiosk's, stored through the store API.
struct Door {
  std::string id;
  std::vector<Scan> scans;
  Digest head{};
};

void add_scan(Door& door, const std::string& attendee, const std::string& session, ScanKind kind,
              const char* time, std::string details = {}) {
  Scan scan;
  scan.details = std::move(details);
  scan.device_id = door.id;
  scan.sequence = door.scans.size() + 1;
  scan.attendee_id = attendee;
  scan.badge_serial = "SERIAL-" + attendee;
  scan.session_id = session;
  scan.kind = kind;
  scan.wall_time = *parse_iso8601(time);
  scan.monotonic_ms = static_cast<std::int64_t>(scan.sequence) * 1000;
  seal(scan, door.head);
  door.head = scan.hash;
  door.scans.push_back(scan);
}

void provision(server::ServerStore& store, const Door& door) {
  const Instant now = *parse_iso8601("2026-12-03T12:00:00Z");
  const std::string code = "CODE-" + door.id;
  ASSERT_TRUE(store
                  .add_provisioning_code(server::hash_secret(code), kEvent, door.id,
                                         now + std::chrono::hours(1))
                  .ok());
  ASSERT_TRUE(store
                  .redeem_provisioning_code(server::hash_secret(code), door.id,
                                            server::hash_secret("t" + door.id), now)
                  .ok());
}

void store_door(server::ServerStore& store, const Door& door) {
  auto stored =
      store.store_scans(door.id, kEvent, door.scans, *parse_iso8601("2026-12-03T18:00:00Z"));
  ASSERT_TRUE(stored.ok()) << stored.message();
  ASSERT_FALSE(stored->rejection.has_value()) << stored->rejection->reason;
}

// The scans of server_cli_test's credits case: RB-0001 (mayor) S1 1.0 h (early leave 09:30
// CST) + S2 1.5 h; RB-0002 (councilmember) S1 1.25 h over two doors; RB-0003 (clerk) S1, no credit.
void store_demo_scans(server::ServerStore& store) {
  Door a{"DOOR-A", {}, {}};
  Door b{"DOOR-B", {}, {}};
  provision(store, a);
  provision(store, b);
  add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
  add_scan(a, "RB-0001", "S1", ScanKind::leave, "2026-12-03T15:30:00Z");
  add_scan(a, "RB-0002", "S1", ScanKind::arrive, "2026-12-03T14:45:00Z");
  add_scan(b, "RB-0002", "S1", ScanKind::leave, "2026-12-03T15:55:00Z");
  add_scan(b, "RB-0003", "S1", ScanKind::arrive, "2026-12-03T14:29:00Z");
  add_scan(b, "RB-0001", "S2", ScanKind::arrive, "2026-12-03T16:14:00Z");
  store_door(store, a);
  store_door(store, b);
}

// Grey-level variance of page 1 rendered at 50 dpi: a blank page is ~0.
double page_variance(const fs::path& pdf, const fs::path& dir) {
  const fs::path prefix = dir / ("page-" + pdf.stem().string());
  const std::string command = "timeout 60 pdftoppm -png -r 50 -f 1 -l 1 " + quoted(pdf.string()) +
                              " " + quoted(prefix.string());
  if (std::system(command.c_str()) != 0) return -1;
  fs::path png = prefix.string() + "-1.png";
  if (!fs::exists(png)) png = prefix.string() + "-01.png";
  auto image = server::read_png_gray(png);
  if (!image || image->pixels.empty()) return -1;
  double sum = 0;
  for (const auto p : image->pixels)
    sum += p;
  const double mean = sum / static_cast<double>(image->pixels.size());
  double squares = 0;
  for (const auto p : image->pixels)
    squares += (p - mean) * (p - mean);
  return squares / static_cast<double>(image->pixels.size());
}

class CreditCommands : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    ASSERT_TRUE(fs::exists(kProgram)) << kProgram;
    db_ = (dir_ / "league.db").string();
  }

  Outcome run(const std::vector<std::string>& args) { return run_in(dir_.path(), args); }

  void prepare() {
    const Outcome init = run({"init", "--db", db_});
    ASSERT_EQ(init.code, 0) << init.err;
    ASSERT_EQ(run({"import-roster", "--db", db_, (kDemo / "roster.csv").string()}).code, 0);
    ASSERT_EQ(run({"import-event", "--db", db_, (kDemo / "event.json").string()}).code, 0);
  }

  // 16 hours of outside credit under ICMA for the staff member LG-0001 (not eligible under ALM).
  void add_icma_summit() {
    ASSERT_EQ(run({"outside-credit", "--db", db_, "--official", "LG-0001", "--date", "2026-03-02",
                   "--hours", "16", "--title", "ICMA regional summit", "--reference", "I-1",
                   "--program", kIcma.string()})
                  .code,
              0);
  }

  void prepare_with_scans() {
    prepare();
    auto s = store();
    store_demo_scans(*s);
  }

  std::unique_ptr<server::ServerStore> store() {
    auto opened = server::open_server_store(db_);
    EXPECT_TRUE(opened.ok()) << opened.message();
    return std::move(opened).value();
  }

  std::unique_ptr<server::LedgerStore> ledger() {
    auto opened = server::open_ledger_store(db_);
    EXPECT_TRUE(opened.ok()) << opened.message();
    return std::move(opened).value();
  }

  // official id -> entry id -> hours
  std::map<std::string, std::map<std::string, double>> ledger_hours() {
    std::map<std::string, std::map<std::string, double>> hours;
    auto entries = ledger()->entries("");
    EXPECT_TRUE(entries.ok()) << entries.message();
    for (const auto& e : *entries)
      hours[e.official_id][e.id] = e.hours;
    return hours;
  }

  void add_entry(const std::string& official, const std::string& id, const char* date, double hours,
                 const std::string& code) {
    LedgerEntry entry;
    entry.id = id;
    entry.official_id = official;
    entry.date = *parse_date(date);
    entry.hours = hours;
    entry.course_code = code;
    entry.title = "Course " + code;
    entry.source = CreditSource::league_event;
    auto added = ledger()->add_entry(entry, *parse_iso8601("2026-01-01T00:00:00Z"));
    ASSERT_TRUE(added.ok()) << added.message();
  }

  // Basic for the ALM program: the 20 core courses (1 h each) and 20 other hours.
  void complete_basic(const std::string& official, const char* core_date, const char* other_date) {
    const auto alm = read_program(kAlm);
    ASSERT_TRUE(alm.ok()) << alm.message();
    for (const CoreCourse& course : alm->core_courses)
      add_entry(official, "core/" + course.code, core_date, 1, course.code);
    for (int i = 1; i <= 4; ++i) {
      add_entry(official, "other/" + std::to_string(i), other_date, 5,
                "OTHER-" + std::to_string(i));
    }
  }

  test::TempDir dir_;
  std::string db_;
};

// ---- close-event ----

TEST_F(CreditCommands, CloseEventPostsHandComputedHours) {
  prepare_with_scans();
  const Outcome close = run({"close-event", "--db", db_, "--event", kEvent});
  ASSERT_EQ(close.code, 0) << close.err;
  EXPECT_NE(close.out.find("posted 3 credit(s), 3.75 hours, to 2 official(s)"), std::string::npos)
      << close.out;
  const auto hours = ledger_hours();
  ASSERT_EQ(hours.size(), 2u); // the clerk RB-0003 earns no CMO credit
  EXPECT_DOUBLE_EQ(hours.at("RB-0001").at("fall-2026-training/S1"), 1.0);
  EXPECT_DOUBLE_EQ(hours.at("RB-0001").at("fall-2026-training/S2"), 1.5);
  EXPECT_DOUBLE_EQ(hours.at("RB-0002").at("fall-2026-training/S1"), 1.25);
  EXPECT_EQ(hours.count("RB-0003"), 0u);
  auto entries = ledger()->entries("RB-0001");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(format_date(entries->front().date), "2026-12-03"); // the event's local day
  EXPECT_EQ(entries->front().source, CreditSource::league_event);
  EXPECT_EQ(entries->front().course_code, "CMO-ETH-101");
}

TEST_F(CreditCommands, CloseEventTwiceChangesNothing) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  const auto before = ledger_hours();
  auto closing = ledger()->closing(kEvent);
  ASSERT_TRUE(closing.ok() && closing->has_value());
  const Outcome again = run({"close-event", "--db", db_, "--event", kEvent});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 scan(s) arrived after closing; credit not changed"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(ledger_hours(), before);
  auto closing_after = ledger()->closing(kEvent);
  ASSERT_TRUE(closing_after.ok() && closing_after->has_value());
  EXPECT_EQ((*closing_after)->closed_at, (*closing)->closed_at);
  EXPECT_EQ((*closing_after)->scans_at_close, 6u);
}

TEST_F(CreditCommands, LateSyncAfterClosingIsReportedNotAdded) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  const auto closed = ledger_hours();
  // A third door syncs late: RB-0002 attended all of S2 (10:15-11:45 CST) -> 1.5 h.
  Door c{"DOOR-C", {}, {}};
  {
    auto s = store();
    provision(*s, c);
    add_scan(c, "RB-0002", "S2", ScanKind::arrive, "2026-12-03T16:10:00Z");
    add_scan(c, "RB-0002", "S2", ScanKind::leave, "2026-12-03T17:50:00Z");
    store_door(*s, c);
  }
  const Outcome report = run({"close-event", "--db", db_, "--event", kEvent});
  ASSERT_EQ(report.code, 0) << report.err;
  EXPECT_NE(report.out.find("2 scan(s) arrived after closing; credit not changed"),
            std::string::npos)
      << report.out;
  EXPECT_NE(report.out.find("--amend"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("RB-0002 fall-2026-training/S2: not posted -> 1.5 h"),
            std::string::npos)
      << report.out;
  EXPECT_EQ(ledger_hours(), closed); // reported, not silently added

  const Outcome amend = run({"close-event", "--db", db_, "--event", kEvent, "--amend"});
  ASSERT_EQ(amend.code, 0) << amend.err;
  EXPECT_NE(amend.out.find("Amended: 1 credit(s) changed"), std::string::npos) << amend.out;
  EXPECT_DOUBLE_EQ(ledger_hours().at("RB-0002").at("fall-2026-training/S2"), 1.5);
  const Outcome after = run({"close-event", "--db", db_, "--event", kEvent});
  EXPECT_NE(after.out.find("0 scan(s) arrived after closing; credit not changed"),
            std::string::npos)
      << after.out;
}

TEST_F(CreditCommands, AmendingAVoidedScanKeepsTheEntryAtZeroHours) {
  prepare_with_scans();
  auto s = store();
  auto l = ledger();
  const Instant now = *parse_iso8601("2026-12-04T12:00:00Z");
  ASSERT_TRUE(server::close_event(*s, *l, kEvent, now, false).ok());
  // Staff void RB-0001's S2 arrival (DOOR-B sequence 3) after closing.
  Door staff{"DOOR-S", {}, {}};
  provision(*s, staff);
  add_scan(staff, "RB-0001", "S2", ScanKind::correction, "2026-12-03T18:00:00Z");
  staff.scans[0].correction = Correction::void_scan;
  staff.scans[0].voids_device_id = "DOOR-B";
  staff.scans[0].voids_sequence = 3;
  staff.scans[0].staff_id = "LG-0001";
  staff.scans[0].reason = "scanned the wrong badge";
  staff.scans[0].effective_time = staff.scans[0].wall_time;
  staff.head = {};
  seal(staff.scans[0], staff.head);
  store_door(*s, staff);
  auto amended = server::close_event(*s, *l, kEvent, now, true);
  ASSERT_TRUE(amended.ok()) << amended.message();
  ASSERT_EQ(amended->changes.size(), 1u);
  EXPECT_EQ(amended->changes[0].entry_id, "fall-2026-training/S2");
  EXPECT_EQ(amended->changes[0].computed_hours, std::nullopt);
  const auto hours = ledger_hours();
  EXPECT_DOUBLE_EQ(hours.at("RB-0001").at("fall-2026-training/S2"), 0.0); // kept, not deleted
}

// The console's close preview (preview_close): what close-event would post and the late-sync
// report, with nothing written, before and after the close.
TEST_F(CreditCommands, ClosePreviewShowsTheCloseAndLateSyncsWithoutWriting) {
  prepare_with_scans();
  auto s = store();
  auto l = ledger();
  auto first = server::preview_close(*s, *l, kEvent);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_TRUE(first->report.first_close);
  EXPECT_EQ(first->report.posted, 0u);
  ASSERT_EQ(first->entries.size(), 3u); // as CloseEventPostsHandComputedHours posts
  EXPECT_EQ(first->entries[0].official_id, "RB-0001");
  EXPECT_DOUBLE_EQ(first->entries[0].hours, 1.0);
  EXPECT_EQ(first->entries[2].official_id, "RB-0002");
  EXPECT_DOUBLE_EQ(first->entries[2].hours, 1.25);
  EXPECT_EQ(first->event_scans, 6u);
  // Both doors last synced when provisioned, before the event ended: their scans may be late.
  EXPECT_EQ(first->unsynced_doors.size(), 2u);
  EXPECT_TRUE(ledger_hours().empty()); // the preview wrote nothing
  auto closing = l->closing(kEvent);
  ASSERT_TRUE(closing.ok());
  EXPECT_FALSE(closing->has_value());

  ASSERT_TRUE(s->touch_device("DOOR-A", *parse_iso8601("2026-12-03T23:00:00Z")).ok());
  const Instant now = *parse_iso8601("2026-12-04T12:00:00Z");
  ASSERT_TRUE(server::close_event(*s, *l, kEvent, now, false).ok());
  const auto posted = ledger_hours();
  Door c{"DOOR-C", {}, {}};
  provision(*s, c);
  add_scan(c, "RB-0002", "S2", ScanKind::arrive, "2026-12-03T16:10:00Z");
  add_scan(c, "RB-0002", "S2", ScanKind::leave, "2026-12-03T17:50:00Z");
  store_door(*s, c);
  auto late = server::preview_close(*s, *l, kEvent);
  ASSERT_TRUE(late.ok()) << late.message();
  EXPECT_FALSE(late->report.first_close);
  EXPECT_EQ(late->report.scans_after_close, 2u);
  ASSERT_EQ(late->report.changes.size(), 1u);
  EXPECT_EQ(late->report.changes[0].entry_id, "fall-2026-training/S2");
  EXPECT_EQ(late->report.changes[0].posted_hours, std::nullopt);
  EXPECT_EQ(late->report.changes[0].computed_hours, 1.5);
  ASSERT_EQ(late->unsynced_doors.size(), 2u); // DOOR-B and DOOR-C; DOOR-A synced after the end
  for (const auto& door : late->unsynced_doors)
    EXPECT_NE(door.id, "DOOR-A");
  EXPECT_EQ(ledger_hours(), posted); // still nothing written
}

TEST_F(CreditCommands, CloseEventOfAnUnknownEventFails) {
  prepare();
  const Outcome close = run({"close-event", "--db", db_, "--event", "no-such-event"});
  EXPECT_EQ(close.code, 1);
  EXPECT_NE(close.err.find("no-such-event"), std::string::npos) << close.err;
}

// ---- transcripts ----

TEST_F(CreditCommands, TranscriptJsonListsCoursesLevelsAndTotals) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  const Outcome t = run({"transcript", "--db", db_, "--official", "RB-0001", "--format", "json",
                         "--as-of", "2026-12-31"});
  ASSERT_EQ(t.code, 0) << t.err;
  const json doc = json::parse(t.out);
  EXPECT_EQ(doc.at("official_id"), "RB-0001");
  EXPECT_EQ(doc.at("program_id"), "alm-cmo");
  const json& courses = doc.at("courses");
  ASSERT_EQ(courses.size(), 2u);
  EXPECT_EQ(courses[0].at("date"), "2026-12-03");
  EXPECT_EQ(courses[0].at("course_code"), "CMO-ETH-101");
  EXPECT_DOUBLE_EQ(courses[0].at("hours").get<double>(), 1.0);
  EXPECT_EQ(courses[0].at("levels")[0].at("level_id"), "basic");
  EXPECT_DOUBLE_EQ(courses[1].at("hours_credited").get<double>(), 1.5);
  const json& levels = doc.at("levels");
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels[0].at("id"), "basic");
  EXPECT_DOUBLE_EQ(levels[0].at("hours_counted").get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(levels[0].at("hours_required").get<double>(), 40);
  EXPECT_EQ(levels[0].at("met"), false);
  EXPECT_DOUBLE_EQ(levels[1].at("hours_counted").get<double>(), 0);
  EXPECT_DOUBLE_EQ(doc.at("totals").at("hours_credited").get<double>(), 2.5);
}

TEST_F(CreditCommands, TranscriptCsvHasCourseRowsAndLevelTotals) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  // Basic held since 2020: League hours go to Advanced.
  ASSERT_EQ(
      run({"official", "--db", db_, "--id", "RB-0002", "--designation", "basic:2020-06-30"}).code,
      0);
  const Outcome t = run({"transcript", "--db", db_, "--official", "RB-0002", "--format", "csv",
                         "--as-of", "2026-12-31"});
  ASSERT_EQ(t.code, 0) << t.err;
  const auto lines = lines_of(t.out);
  ASSERT_EQ(lines.size(), 5u) << t.out;
  EXPECT_EQ(lines[0], "kind,date,course_code,title,source,hours,hours_credited,level,note");
  EXPECT_EQ(lines[1], "course,2026-12-03,CMO-ETH-101,Ethics for Municipal Officials,"
                      "league_event,1.25,1.25,advanced:1.25,");
  EXPECT_EQ(lines[2], "total,2020-06-30,,Basic,,40,0,basic,met");
  EXPECT_EQ(lines[3], "total,,,Advanced,,40,1.25,advanced,not met: 38.75 more hours");
  EXPECT_EQ(lines[4].rfind("total,,,Emeritus,,120,0,emeritus,not met", 0), 0u) << lines[4];
}

// MUSTER_CREDIT_SAMPLES_DIR set: the PDFs are copied there (docs/samples/README.md).
void keep_sample(const fs::path& pdf) {
  if (const char* dir = std::getenv("MUSTER_CREDIT_SAMPLES_DIR")) {
    fs::copy_file(pdf, fs::path(dir) / pdf.filename(), fs::copy_options::overwrite_existing);
  }
}

TEST_F(CreditCommands, TranscriptPdfRendersAPage) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  ASSERT_EQ(run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date", "2026-03-01",
                 "--hours", "4", "--title", "Grant writing workshop", "--reference", "APP-017",
                 "--topic", "grants"})
                .code,
            0);
  ASSERT_EQ(run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date", "2026-04-01",
                 "--hours", "3", "--title", "Stormwater seminar", "--reference", "APP-021",
                 "--topic", "stormwater"})
                .code,
            0);
  const fs::path pdf = dir_ / "transcript.pdf";
  const Outcome t = run({"transcript", "--db", db_, "--official", "RB-0001", "--format", "pdf",
                         "--out", pdf.string(), "--as-of", "2026-12-31"});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_EQ(test::read_file(pdf).substr(0, 5), "%PDF-");
  EXPECT_GT(page_variance(pdf, dir_.path()), 100.0);
  keep_sample(pdf);
  // pdf without --out is a clear error.
  const Outcome missing =
      run({"transcript", "--db", db_, "--official", "RB-0001", "--format", "pdf"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("--out"), std::string::npos);
}

TEST_F(CreditCommands, LongTranscriptPdfBreaksIntoPages) {
  prepare();
  for (int i = 1; i <= 70; ++i) {
    const std::string code = "TOPIC-" + std::to_string(i);
    add_entry("SG-0003", "long/" + std::to_string(i), "2026-02-01", 1, code);
  }
  const fs::path pdf = dir_ / "long.pdf";
  const Outcome t = run({"transcript", "--db", db_, "--official", "SG-0003", "--format", "pdf",
                         "--out", pdf.string(), "--as-of", "2026-12-31"});
  ASSERT_EQ(t.code, 0) << t.err;
  const Outcome csv = run({"transcript", "--db", db_, "--official", "SG-0003", "--format", "csv",
                           "--as-of", "2026-12-31"});
  EXPECT_EQ(lines_of(csv.out).size(), 1u + 70u + 3u);
  // Page 2 exists and is not blank.
  const fs::path prefix = dir_ / "long-page";
  const std::string command = "timeout 60 pdftoppm -png -r 50 -f 2 -l 2 -singlefile " +
                              quoted(pdf.string()) + " " + quoted(prefix.string());
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto image = server::read_png_gray(prefix.string() + ".png");
  ASSERT_TRUE(image.ok()) << image.message();
  const auto dark = std::count_if(image->pixels.begin(), image->pixels.end(),
                                  [](std::uint8_t p) { return p < 128; });
  EXPECT_GT(dark, 200);
}

// build_transcripts (a batch: roster, records, histories and events read once, the ledger by
// chunks) gives every official exactly build_transcript's transcript, on varied data: League
// credit from two doors, a role change, outside credit, a designation, a left office with a
// pre-approval, a completed level, under each of the three programs.
TEST_F(CreditCommands, TranscriptBatchEqualsOneTranscriptPerOfficial) {
  prepare_with_scans();
  {
    auto s = store();
    auto roster = s->roster();
    ASSERT_TRUE(roster.ok()) << roster.message();
    for (Attendee& a : *roster) {
      if (a.id == "RB-0002") a.role = Role::mayor; // councilmember -> mayor from 2026-12-04
    }
    ASSERT_TRUE(s->upsert_roster(*roster, *parse_date("2026-12-04")).ok());
  }
  ASSERT_EQ(run({"official", "--db", db_, "--id", "RB-0002", "--left-office", "2026-06-30"}).code,
            0);
  ASSERT_EQ(run({"preapprove", "--db", db_, "--official", "RB-0002", "--event", kEvent,
                 "--reference", "LETTER-1"})
                .code,
            0);
  ASSERT_EQ(
      run({"official", "--db", db_, "--id", "SG-0002", "--designation", "advanced:2023-06-30"})
          .code,
      0);
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  ASSERT_EQ(run({"outside-credit", "--db", db_, "--official", "SG-0002", "--date", "2026-03-01",
                 "--hours", "4", "--title", "State budget seminar", "--reference", "APP-9"})
                .code,
            0);
  complete_basic("SG-0001", "2025-03-01", "2025-04-01");

  auto s = store();
  auto l = ledger();
  auto roster = s->roster();
  ASSERT_TRUE(roster.ok()) << roster.message();
  std::vector<std::string> ids;
  for (const Attendee& a : *roster)
    ids.push_back(a.id);
  ASSERT_GE(ids.size(), 4u);
  const Date as_of = *parse_date("2026-12-31");
  for (const fs::path& file : {kAlm, kAmcto, kIcma}) {
    auto program = server::load_program(file);
    ASSERT_TRUE(program.ok()) << program.message();
    std::vector<std::string> batch;
    auto done = server::build_transcripts(*s, *l, *program, ids, as_of,
                                          [&](server::Transcript&& t) -> server::CreditResult<Ok> {
                                            batch.push_back(server::transcript_json(t));
                                            return Ok{};
                                          });
    ASSERT_TRUE(done.ok()) << done.message();
    ASSERT_EQ(batch.size(), ids.size());
    std::size_t with_courses = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto one = server::build_transcript(*s, *l, *program, ids[i], as_of);
      ASSERT_TRUE(one.ok()) << one.message();
      EXPECT_EQ(batch[i], server::transcript_json(*one)) << file << " " << ids[i];
      if (!one->progress.entries.empty()) ++with_courses;
    }
    EXPECT_GE(with_courses, 3u) << file; // RB-0001, RB-0002, SG-0001, SG-0002 have entries
  }
  // An id not on the roster fails the batch as build_transcript fails.
  auto program = server::load_program(kAlm);
  ASSERT_TRUE(program.ok());
  const std::vector<std::string> unknown = {ids[0], "NOBODY"};
  std::size_t handed = 0;
  auto failed = server::build_transcripts(*s, *l, *program, unknown, as_of,
                                          [&](server::Transcript&&) -> server::CreditResult<Ok> {
                                            ++handed;
                                            return Ok{};
                                          });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), server::CreditError::not_found);
  EXPECT_NE(failed.message().find("no official 'NOBODY' on the roster"), std::string::npos);
  EXPECT_EQ(handed, 1u);
}

// A first close of more entries than one multi-row INSERT holds (100): every entry stored with
// every field, and entries_of over more ids than one query takes (500) reads them all back in
// entries("")'s order.
TEST_F(CreditCommands, LargeCloseAndChunkedLedgerReadsKeepEveryEntry) {
  prepare();
  auto s = store();
  auto event = s->event(kEvent);
  ASSERT_TRUE(event.ok()) << event.message();
  std::vector<LedgerEntry> computed;
  std::vector<std::string> ids;
  for (int i = 0; i < 520; ++i) {
    const std::string official = "X-" + std::to_string(1000 + i);
    ids.push_back(official);
    for (const Session& session : event->sessions) {
      if (i % 2 == 1 && &session != &event->sessions.front()) continue;
      LedgerEntry entry = make_league_entry(*event, session, official, 0.25 * (1 + i % 5));
      entry.approved = i % 7 == 0;
      entry.programs = {"alm-cmo", "icma-cm"};
      computed.push_back(entry);
    }
  }
  ASSERT_GT(computed.size(), 700u);
  auto l = ledger();
  auto posted = l->post_event(kEvent, computed, 0, *parse_iso8601("2026-12-04T00:00:00Z"), false);
  ASSERT_TRUE(posted.ok()) << posted.message();
  EXPECT_EQ(posted->posted, computed.size());
  auto all = l->entries("");
  ASSERT_TRUE(all.ok()) << all.message();
  ASSERT_EQ(all->size(), computed.size());
  std::sort(computed.begin(), computed.end(), [](const LedgerEntry& a, const LedgerEntry& b) {
    return std::tie(a.official_id, a.id) < std::tie(b.official_id, b.id);
  });
  std::vector<LedgerEntry> sorted = *all;
  std::sort(sorted.begin(), sorted.end(), [](const LedgerEntry& a, const LedgerEntry& b) {
    return std::tie(a.official_id, a.id) < std::tie(b.official_id, b.id);
  });
  for (std::size_t i = 0; i < computed.size(); ++i) {
    EXPECT_EQ(sorted[i].official_id, computed[i].official_id);
    EXPECT_EQ(sorted[i].id, computed[i].id);
    EXPECT_EQ(sorted[i].date, computed[i].date);
    EXPECT_DOUBLE_EQ(sorted[i].hours, computed[i].hours);
    EXPECT_EQ(sorted[i].course_code, computed[i].course_code);
    EXPECT_EQ(sorted[i].title, computed[i].title);
    EXPECT_EQ(sorted[i].approved, computed[i].approved);
    EXPECT_EQ(sorted[i].event_id, computed[i].event_id);
    EXPECT_EQ(sorted[i].programs, computed[i].programs);
  }
  // In reverse: entries_of sorts as entries("") does, whatever the order of the ids.
  std::reverse(ids.begin(), ids.end());
  auto chunked = l->entries_of(ids);
  ASSERT_TRUE(chunked.ok()) << chunked.message();
  ASSERT_EQ(chunked->size(), all->size());
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*chunked)[i].official_id, (*all)[i].official_id);
    EXPECT_EQ((*chunked)[i].id, (*all)[i].id);
  }
}

TEST_F(CreditCommands, TranscriptOfAnUnknownOfficialFails) {
  prepare();
  const Outcome t = run({"transcript", "--db", db_, "--official", "NOBODY"});
  EXPECT_EQ(t.code, 1);
  EXPECT_NE(t.err.find("NOBODY"), std::string::npos) << t.err;
}

// ---- credit forms and verification letters ----

TEST_F(CreditCommands, CreditFormCsvShowsArrivalLeaveAndEarlyLeave) {
  prepare_with_scans();
  const Outcome form = run(
      {"credit-form", "--db", db_, "--event", kEvent, "--official", "RB-0001", "--format", "csv"});
  ASSERT_EQ(form.code, 0) << form.err;
  const auto lines = lines_of(form.out);
  ASSERT_EQ(lines.size(), 3u) << form.out;
  EXPECT_EQ(lines[0], "event_id,official_id,name,session_id,session_title,date,arrived,left,"
                      "early_leave,early_leave_time,credit_hours,eligible,survey,"
                      "kiosk_confirmation,checked_in_at");
  // A leave without the kiosk's confirmation details (headless, an older kiosk).
  EXPECT_EQ(lines[1], "fall-2026-training,RB-0001,Loretta Haynes,S1,Ethics for Municipal "
                      "Officials,2026-12-03,08:35 CST,09:30 CST,true,09:30 CST,1.00,true,none,"
                      "not confirmed by the official,");
  EXPECT_NE(lines[2].find(",S2,"), std::string::npos);
  EXPECT_NE(lines[2].find(",10:14 CST,,false,,1.50,true,"), std::string::npos) << lines[2];
}

// RB-0001: S1 left at 09:30 CST confirming at the kiosk, then answered the survey; S2 left by a
// staff correction; RB-0002: S1 never scanned out.
void store_survey_scans(server::ServerStore& store) {
  Door a{"DOOR-A", {}, {}};
  provision(store, a);
  add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
  add_scan(a, "RB-0001", "S1", ScanKind::leave, "2026-12-03T15:30:00Z", R"({"confirmed":"kiosk"})");
  add_scan(a, "RB-0001", "S1", ScanKind::survey, "2026-12-03T15:30:20Z",
           R"({"answers":{"pace":"Right","useful":"Yes"}})");
  add_scan(a, "RB-0001", "S2", ScanKind::arrive, "2026-12-03T16:14:00Z");
  add_scan(a, "RB-0002", "S1", ScanKind::arrive, "2026-12-03T14:45:00Z");
  Scan correction;
  correction.device_id = a.id;
  correction.sequence = a.scans.size() + 1;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S2";
  correction.kind = ScanKind::correction;
  correction.correction = Correction::leave;
  correction.wall_time = *parse_iso8601("2026-12-03T17:10:00Z");
  correction.effective_time = *parse_iso8601("2026-12-03T17:00:00Z");
  correction.staff_id = "staff-1";
  correction.reason = "forgot to scan out";
  seal(correction, a.head);
  a.head = correction.hash;
  a.scans.push_back(correction);
  store_door(store, a);
}

void add_survey_to_event(server::ServerStore& store) {
  auto event = store.event(kEvent);
  ASSERT_TRUE(event.ok()) << event.message();
  event->survey = {{"useful", "Was this session useful?", {"Yes", "Somewhat", "No"}},
                   {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
  ASSERT_TRUE(store.upsert_event(*event).ok());
}

TEST_F(CreditCommands, CreditFormShowsSurveyAnswersAndHowEachLeaveWasConfirmed) {
  prepare();
  {
    auto s = store();
    add_survey_to_event(*s);
    store_survey_scans(*s);
  }
  const Outcome form = run(
      {"credit-form", "--db", db_, "--event", kEvent, "--official", "RB-0001", "--format", "csv"});
  ASSERT_EQ(form.code, 0) << form.err;
  const auto lines = lines_of(form.out);
  ASSERT_EQ(lines.size(), 3u) << form.out;
  // Answers in the event's question order; the confirmation names the kiosk's local time.
  EXPECT_NE(lines[1].find(",S1,"), std::string::npos);
  EXPECT_NE(lines[1].find(",useful: Yes; pace: Right,confirmed at kiosk 09:30,"), std::string::npos)
      << lines[1];
  EXPECT_NE(lines[2].find(",S2,"), std::string::npos);
  EXPECT_NE(lines[2].find(",11:00 CST,"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find(",none,staff correction,"), std::string::npos) << lines[2];

  const Outcome other = run(
      {"credit-form", "--db", db_, "--event", kEvent, "--official", "RB-0002", "--format", "csv"});
  ASSERT_EQ(other.code, 0) << other.err;
  const auto other_lines = lines_of(other.out);
  ASSERT_EQ(other_lines.size(), 2u) << other.out;
  EXPECT_NE(other_lines[1].find(",none,no leave recorded,"), std::string::npos) << other_lines[1];

  const fs::path pdf = dir_ / "credit-form-survey.pdf";
  const Outcome rendered = run({"credit-form", "--db", db_, "--event", kEvent, "--official",
                                "RB-0001", "--format", "pdf", "--out", pdf.string()});
  ASSERT_EQ(rendered.code, 0) << rendered.err;
  EXPECT_GT(page_variance(pdf, dir_.path()), 100.0);
  keep_sample(pdf);
}

TEST_F(CreditCommands, CreditFormPdfRenders) {
  prepare_with_scans();
  const fs::path pdf = dir_ / "credit-form.pdf";
  const Outcome form = run({"credit-form", "--db", db_, "--event", kEvent, "--official", "RB-0001",
                            "--format", "pdf", "--out", pdf.string()});
  ASSERT_EQ(form.code, 0) << form.err;
  EXPECT_GT(page_variance(pdf, dir_.path()), 100.0);
  keep_sample(pdf);
}

TEST_F(CreditCommands, CreditFormWithoutAttendanceFails) {
  prepare_with_scans();
  const Outcome form = run(
      {"credit-form", "--db", db_, "--event", kEvent, "--official", "SG-0001", "--format", "csv"});
  EXPECT_EQ(form.code, 1);
  EXPECT_NE(form.err.find("no attendance"), std::string::npos) << form.err;
}

TEST_F(CreditCommands, VerificationLetterOnlyForRolesWithoutCredit) {
  prepare_with_scans();
  const fs::path letter = dir_ / "letter.pdf";
  const Outcome clerk = run({"verification-letter", "--db", db_, "--event", kEvent, "--attendee",
                             "RB-0003", "--out", letter.string()});
  ASSERT_EQ(clerk.code, 0) << clerk.err;
  EXPECT_GT(page_variance(letter, dir_.path()), 100.0);
  const fs::path refused = dir_ / "refused.pdf";
  const Outcome mayor = run({"verification-letter", "--db", db_, "--event", kEvent, "--attendee",
                             "RB-0001", "--out", refused.string()});
  EXPECT_EQ(mayor.code, 1);
  EXPECT_NE(mayor.err.find("earns CMO credit"), std::string::npos) << mayor.err;
  EXPECT_FALSE(fs::exists(refused));
}

// ---- reports ----

TEST_F(CreditCommands, GraduationReportListsLevelsCompletedByTheEndOfJuly) {
  prepare();
  complete_basic("SG-0001", "2026-03-01", "2026-04-01"); // complete on 2026-04-01: this year
  complete_basic("SG-0002", "2026-03-01", "2026-08-01"); // complete on 2026-08-01: next year
  const Outcome report = run({"report", "--db", db_, "--kind", "graduation", "--year", "2026",
                              "--as-of", "2026-12-31", "--format", "csv"});
  ASSERT_EQ(report.code, 0) << report.err;
  const auto lines = lines_of(report.out);
  ASSERT_EQ(lines.size(), 2u) << report.out;
  EXPECT_EQ(lines[0],
            "official_id,name,role,municipality,levels,level_names,completed_on,deadline");
  EXPECT_EQ(lines[1], "SG-0001,\"Wendell Whitfield, Jr.\",mayor,Town of Sweetgum,basic,Basic,"
                      "2026-04-01,2026-07-31");
}

TEST_F(CreditCommands, ComplianceReportListsOfficialsBehind) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  complete_basic("SG-0001", "2026-03-01", "2026-04-01"); // 40 h in 2026: compliant
  const Outcome report = run(
      {"report", "--db", db_, "--kind", "compliance", "--as-of", "2026-12-31", "--format", "json"});
  ASSERT_EQ(report.code, 0) << report.err;
  const json doc = json::parse(report.out);
  EXPECT_EQ(doc.at("kind"), "compliance");
  EXPECT_EQ(doc.at("year"), 2026);
  std::map<std::string, json> rows;
  for (const auto& row : doc.at("rows"))
    rows[row.at("official_id").get<std::string>()] = row;
  EXPECT_EQ(rows.count("SG-0001"), 0u);
  EXPECT_EQ(rows.count("RB-0003"), 0u); // clerk: no requirement
  ASSERT_EQ(rows.count("RB-0002"), 1u);
  EXPECT_DOUBLE_EQ(rows["RB-0002"].at("earned").get<double>(), 1.25);
  EXPECT_DOUBLE_EQ(rows["RB-0002"].at("behind_by").get<double>(), 8.75);
  EXPECT_DOUBLE_EQ(rows["RB-0001"].at("behind_by").get<double>(), 7.5);
  EXPECT_EQ(rows.size(), 7u); // the 8 mayors and councilmembers but SG-0001
}

TEST_F(CreditCommands, CertifiedMunicipalitiesNeedMayorAndEveryCouncilmember) {
  prepare();
  // Riverbend: mayor and councilmember hold Basic (the clerk does not count).
  for (const char* id : {"RB-0001", "RB-0002"}) {
    ASSERT_EQ(run({"official", "--db", db_, "--id", id, "--designation", "basic:2021-07-01"}).code,
              0);
  }
  // Persimmon Creek: only the mayor (earned through the ledger, not a recorded designation).
  complete_basic("PC-0001", "2025-03-01", "2025-04-01");
  const Outcome report = run({"report", "--db", db_, "--kind", "certified-municipalities",
                              "--as-of", "2026-06-30", "--format", "csv"});
  ASSERT_EQ(report.code, 0) << report.err;
  const auto lines = lines_of(report.out);
  ASSERT_EQ(lines.size(), 5u) << report.out;
  EXPECT_EQ(lines[0], "municipality,certified,officials,holders,not_holding,note");
  EXPECT_EQ(lines[1], "City of Persimmon Creek,false,2,1,PC-0002,1 without Basic");
  EXPECT_EQ(lines[2], "City of Riverbend,true,2,2,,");
  EXPECT_EQ(lines[3], "Town of Sweetgum,false,3,0,SG-0001;SG-0002;SG-0003,3 without Basic");
  EXPECT_EQ(lines[4], "Village of Oak Falls,false,1,0,OF-0001,no mayor on the roster");
  // A councilmember who left office no longer counts against the town.
  ASSERT_EQ(run({"official", "--db", db_, "--id", "PC-0002", "--left-office", "2026-01-15"}).code,
            0);
  const Outcome after =
      run({"report", "--db", db_, "--kind", "certified-municipalities", "--as-of", "2026-06-30"});
  EXPECT_EQ(lines_of(after.out)[1], "City of Persimmon Creek,true,1,1,,");
}

// ---- outside credit ----

TEST_F(CreditCommands, OutsideCreditIsCappedAtFiveHoursPerCalendarYear) {
  prepare();
  const Outcome first = run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date",
                             "2026-03-01", "--hours", "4", "--title", "Grant writing",
                             "--reference", "DOC-1", "--topic", "grants"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("Counted 4 of 4 hours toward Basic 4."), std::string::npos) << first.out;
  const Outcome second = run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date",
                              "2026-04-01", "--hours", "3", "--title", "Stormwater", "--reference",
                              "DOC-2", "--topic", "stormwater"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("Counted 1 of 3 hours toward Basic 1."), std::string::npos)
      << second.out;
  EXPECT_NE(second.out.find("Not counted: 2 h (outside_year_cap)"), std::string::npos)
      << second.out;
  // A new calendar year has its own 5 hours.
  const Outcome next =
      run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date", "2027-01-10",
           "--hours", "3", "--title", "Budgeting", "--reference", "DOC-3", "--topic", "budget"});
  EXPECT_NE(next.out.find("Counted 3 of 3 hours"), std::string::npos) << next.out;
  auto entries = ledger()->entries("RB-0001");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].source, CreditSource::outside);
  EXPECT_TRUE((*entries)[0].approved);
  EXPECT_EQ((*entries)[0].documents_ref, "DOC-1");
}

TEST_F(CreditCommands, OutsideCreditIsCappedAtTenHoursPerLevel) {
  prepare();
  for (const char* year : {"2024", "2025"}) {
    const Outcome o = run({"outside-credit", "--db", db_, "--official", "RB-0002", "--date",
                           std::string(year) + "-03-01", "--hours", "5", "--title", "Course",
                           "--reference", std::string("R") + year, "--topic", year});
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("Counted 5 of 5 hours toward Basic 5."), std::string::npos) << o.out;
  }
  const Outcome third =
      run({"outside-credit", "--db", db_, "--official", "RB-0002", "--date", "2026-03-01",
           "--hours", "5", "--title", "Course", "--reference", "R2026", "--topic", "2026"});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_NE(third.out.find("Counted 0 of 5 hours."), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("(outside_level_cap)"), std::string::npos) << third.out;
}

TEST_F(CreditCommands, OutsideCreditRecordedTwiceOrInvalidIsRefused) {
  prepare();
  const std::vector<std::string> args{
      "outside-credit", "--db", db_,       "--official", "RB-0001",     "--date", "2026-03-01",
      "--hours",        "2",    "--title", "Course",     "--reference", "DOC-9"};
  ASSERT_EQ(run(args).code, 0);
  const Outcome twice = run(args);
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("recorded before"), std::string::npos) << twice.err;
  EXPECT_EQ(run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date", "2026-13-01",
                 "--hours", "2", "--title", "T", "--reference", "R"})
                .code,
            2);
  EXPECT_EQ(run({"outside-credit", "--db", db_, "--official", "RB-0001", "--date", "2026-03-02",
                 "--hours", "-1", "--title", "T", "--reference", "R"})
                .code,
            1);
  EXPECT_EQ(run({"outside-credit", "--db", db_, "--official", "NOBODY", "--date", "2026-03-02",
                 "--hours", "1", "--title", "T", "--reference", "R"})
                .code,
            1);
  EXPECT_EQ(ledger()->entries("RB-0001")->size(), 1u);
}

// ---- officials' program data ----

TEST_F(CreditCommands, OfficialCommandStoresTermAndDesignations) {
  prepare();
  const Outcome set = run({"official", "--db", db_, "--id", "SG-0002", "--term-start", "2025-11-03",
                           "--first-term", "--designation", "basic:2023-07-15"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_NE(set.out.find("designation: basic since 2023-07-15"), std::string::npos) << set.out;
  // A second call changes only what it names.
  ASSERT_EQ(run({"official", "--db", db_, "--id", "SG-0002", "--left-office", "2026-05-01"}).code,
            0);
  auto record = ledger()->official("SG-0002");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(format_date(*(*record)->term_start), "2025-11-03");
  EXPECT_TRUE((*record)->first_term);
  EXPECT_EQ(format_date(*(*record)->left_office), "2026-05-01");
  ASSERT_EQ((*record)->designations.size(), 1u);
  EXPECT_EQ((*record)->designations[0].level_id, "basic");
  EXPECT_EQ(run({"official", "--db", db_, "--id", "SG-0002", "--designation", "basic"}).code, 2);
  EXPECT_EQ(run({"official", "--db", db_, "--id", "NOBODY", "--first-term"}).code, 1);
}

// ---- HTTP API ----

TEST_F(CreditCommands, ApiTranscriptNeedsAnAdminToken) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  const Outcome token_run = run({"admin-token", "--db", db_, "--label", "test"});
  ASSERT_EQ(token_run.code, 0) << token_run.err;
  const std::string token = lines_of(token_run.out).back();
  ASSERT_EQ(token.rfind("muster-admin.", 0), 0u) << token;

  server::HttpOptions options;
  options.database = db_;
  options.port = 0;
  options.threads = 2;
  options.log_requests = false;
  auto started = server::HttpServer::start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  httplib::Client client("127.0.0.1", (*started)->port());
  client.set_read_timeout(30, 0);
  const std::string path = "/api/v1/officials/RB-0001/transcript?as_of=2026-12-31";

  auto none = client.Get(path.c_str());
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = client.Get(path.c_str(), {{"Authorization", "Bearer muster-admin.deadbeef"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  auto ok = client.Get(path.c_str(), {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const json doc = json::parse(ok->body);
  EXPECT_EQ(doc.at("official_id"), "RB-0001");
  EXPECT_EQ(doc.at("courses").size(), 2u);
  EXPECT_DOUBLE_EQ(doc.at("levels")[0].at("hours_counted").get<double>(), 2.5);
  auto unknown =
      client.Get("/api/v1/officials/NOBODY/transcript", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  (*started)->stop();
}

// Issue 15: each transcript request opened two connections, each reading the whole database
// for integrity_check, before it checked who asked. The check runs once, at the server's start.
TEST_F(CreditCommands, ApiTranscriptRequestsRunNoIntegrityCheck) {
  prepare_with_scans();
  const Outcome token_run = run({"admin-token", "--db", db_, "--label", "test"});
  ASSERT_EQ(token_run.code, 0) << token_run.err;
  const std::string token = lines_of(token_run.out).back();
  server::HttpOptions options;
  options.database = db_;
  options.port = 0;
  options.log_requests = false;
  auto started = server::HttpServer::start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  const auto at_start = server::sqlite_integrity_checks_run();
  httplib::Client client("127.0.0.1", (*started)->port());
  const std::string path = "/api/v1/officials/RB-0001/transcript?as_of=2026-12-31";
  for (const std::string& bearer : {std::string("muster-admin.nobody"), token, token}) {
    auto answer = client.Get(path.c_str(), {{"Authorization", "Bearer " + bearer}});
    ASSERT_TRUE(answer);
    EXPECT_NE(answer->status, 500);
  }
  EXPECT_EQ(server::sqlite_integrity_checks_run(), at_start);
  (*started)->stop();
}

// ---- issue 12: program rules usable end to end ----

TEST_F(CreditCommands, ImportEventWarnsWhenACoreCodeIsNotInTheProgram) {
  const Outcome init = run({"init", "--db", db_});
  ASSERT_EQ(init.code, 0) << init.err;
  ASSERT_EQ(run({"import-roster", "--db", db_, (kDemo / "roster.csv").string()}).code, 0);
  // The demo's core sessions use codes of the shipped core list: no warning.
  const Outcome demo = run({"import-event", "--db", db_, (kDemo / "event.json").string()});
  ASSERT_EQ(demo.code, 0) << demo.err;
  EXPECT_EQ(demo.out.find("warning"), std::string::npos) << demo.out;
  // S2 marked core under a code the program does not list, S3 listed but not marked: only S2.
  std::string text = test::read_file(kDemo / "event.json");
  text.replace(text.find("CMO-FIN-110"), 11, "CMO-FIN-999");
  const fs::path changed = dir_ / "event.json";
  {
    std::ofstream file(changed);
    file << text;
  }
  const Outcome warned = run({"import-event", "--db", db_, changed.string()});
  ASSERT_EQ(warned.code, 0) << warned.err;
  EXPECT_NE(warned.out.find("warning: session S2 (Municipal Budgeting Basics) is marked core but "
                            "its course code 'CMO-FIN-999' is not in the core list of alm-cmo"),
            std::string::npos)
      << warned.out;
  EXPECT_EQ(warned.out.find("session S3"), std::string::npos) << warned.out;
  // The same event under AMCTO only (no core curriculum there): nothing to warn about; under
  // AMCTO and ALM the ALM list still checks it.
  std::string amcto = text;
  amcto.replace(amcto.find("\"sessions\""), 0, "\"programs\": [\"amcto-pdu\"], ");
  std::string both = text;
  both.replace(both.find("\"sessions\""), 0, "\"programs\": [\"amcto-pdu\", \"alm-cmo\"], ");
  for (const auto& [name, body, expect_warning] :
       {std::tuple{"amcto.json", amcto, false}, std::tuple{"both.json", both, true}}) {
    const fs::path file = dir_ / name;
    {
      std::ofstream out(file);
      out << body;
    }
    const Outcome imported = run({"import-event", "--db", db_, file.string()});
    ASSERT_EQ(imported.code, 0) << imported.err;
    EXPECT_EQ(imported.out.find("CMO-FIN-999") != std::string::npos, expect_warning)
        << name << ": " << imported.out;
  }
}

TEST_F(CreditCommands, PartlyAttendedCoreCourseIsToppedUpByARetake) {
  prepare_with_scans();
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  // RB-0001 attended 1 of Ethics' 1.5 h (S1, offered with 1.5): started, not complete.
  json doc = json::parse(
      run({"transcript", "--db", db_, "--official", "RB-0001", "--as-of", "2026-12-31"}).out);
  EXPECT_EQ(doc.at("courses")[0].at("core"), true);
  EXPECT_EQ(doc.at("levels")[0].at("core_courses_counted"), 1); // Budgeting (S2), complete
  EXPECT_EQ(doc.at("levels")[0].at("core_courses_partial"),
            json::array({"CMO-ETH-101: 1 of 1.5 h"}));
  // The online retake tops it up to 1.5 h: 0.5 of its 1 h counts, the rest is a duplicate.
  const Outcome retake =
      run({"online-credit", "--db", db_, "--official", "RB-0001", "--date", "2027-01-15", "--title",
           "Ethics (online)", "--course-code", "CMO-ETH-101", "--score", "90"});
  ASSERT_EQ(retake.code, 0) << retake.err;
  EXPECT_NE(retake.out.find("Counted 0.5 of 1 hours toward Basic 0.5."), std::string::npos)
      << retake.out;
  EXPECT_NE(retake.out.find("Not counted: 0.5 h (duplicate_core)"), std::string::npos)
      << retake.out;
  doc = json::parse(
      run({"transcript", "--db", db_, "--official", "RB-0001", "--as-of", "2027-02-01"}).out);
  EXPECT_EQ(doc.at("levels")[0].at("core_courses_counted"), 2);
  EXPECT_DOUBLE_EQ(doc.at("levels")[0].at("core_hours_counted").get<double>(), 3.0);
  EXPECT_TRUE(doc.at("levels")[0].at("core_courses_partial").empty());
  // A second retake earns nothing: the course has its full hours.
  const Outcome again =
      run({"online-credit", "--db", db_, "--official", "RB-0001", "--date", "2027-02-15", "--title",
           "Ethics (online)", "--course-code", "CMO-ETH-101", "--score", "95"});
  EXPECT_NE(again.out.find("Counted 0 of 1 hours."), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("was already credited in full (1.5 h) on 2027-01-15"), std::string::npos)
      << again.out;
}

TEST_F(CreditCommands, OnlineCreditNeedsAPassingScore) {
  prepare();
  const Outcome failed = run({"online-credit", "--db", db_, "--official", "SG-0002", "--date",
                              "2026-05-10", "--title", "Public Records (online)", "--course-code",
                              "CMO-LAW-121", "--score", "65", "--reference", "CERT-88"});
  ASSERT_EQ(failed.code, 0) << failed.err; // recorded, not counted
  EXPECT_NE(failed.out.find("1 h, Public Records (online), test score 65%"), std::string::npos)
      << failed.out;
  EXPECT_NE(failed.out.find("Not counted: 1 h (online_test_not_passed)"), std::string::npos)
      << failed.out;
  EXPECT_NE(failed.out.find("(score 65%, below the pass mark of 70%)"), std::string::npos)
      << failed.out;
  const Outcome passed = run({"online-credit", "--db", db_, "--official", "SG-0002", "--date",
                              "2026-06-10", "--title", "Public Records (online)", "--course-code",
                              "CMO-LAW-121", "--score", "70", "--reference", "CERT-91"});
  ASSERT_EQ(passed.code, 0) << passed.err;
  EXPECT_NE(passed.out.find("Counted 1 of 1 hours toward Basic 1."), std::string::npos)
      << passed.out;
  const json doc = json::parse(
      run({"transcript", "--db", db_, "--official", "SG-0002", "--as-of", "2026-12-31"}).out);
  const json& courses = doc.at("courses");
  ASSERT_EQ(courses.size(), 2u);
  EXPECT_EQ(courses[0].at("source"), "online");
  EXPECT_DOUBLE_EQ(courses[0].at("test_score").get<double>(), 65);
  EXPECT_EQ(courses[0].at("refused")[0].at("reason"), "online_test_not_passed");
  EXPECT_DOUBLE_EQ(courses[1].at("hours_credited").get<double>(), 1);
  EXPECT_EQ(courses[1].at("core"), true);
  EXPECT_DOUBLE_EQ(doc.at("annual").at("earned").get<double>(), 1);
  // A score out of range is a usage error; nothing more is recorded.
  EXPECT_EQ(run({"online-credit", "--db", db_, "--official", "SG-0002", "--date", "2026-06-11",
                 "--title", "T", "--score", "120"})
                .code,
            2);
  EXPECT_EQ(ledger()->entries("SG-0002")->size(), 2u);
}

TEST_F(CreditCommands, EmeritusPointsAreCappedAtSixAYear) {
  prepare();
  // Advanced held: Emeritus counts points from then on.
  ASSERT_EQ(
      run({"official", "--db", db_, "--id", "PC-0001", "--designation", "advanced:2024-06-30"})
          .code,
      0);
  const std::vector<std::pair<std::string, std::string>> events = {
      {"2026-01-20", "alm_standing_committee"},
      {"2026-03-10", "nlc_congressional_city_conference"},
      {"2026-04-15", "legislative_advocacy"},
      {"2026-05-20", "alm_convention"},
      {"2026-06-05", "municipal_leadership_institute"},
      {"2026-09-15", "alm_standing_committee"},
      {"2026-11-12", "nlc_congress_of_cities"}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Outcome o = run({"point", "--db", db_, "--official", "PC-0001", "--date", events[i].first,
                           "--type", events[i].second});
    ASSERT_EQ(o.code, 0) << o.err;
    if (i < 6) {
      EXPECT_NE(o.out.find("Counted 1 point(s) toward Emeritus."), std::string::npos) << o.out;
    } else {
      EXPECT_NE(o.out.find("Counted 0 point(s)."), std::string::npos) << o.out;
      EXPECT_NE(o.out.find("Not counted: 1 point(s) (points_year_cap): 1 point(s) over the 6 "
                           "points allowed in 2026"),
                std::string::npos)
          << o.out;
    }
  }
  // A new year has its own six.
  ASSERT_EQ(run({"point", "--db", db_, "--official", "PC-0001", "--date", "2027-01-20", "--type",
                 "alm_standing_committee"})
                .code,
            0);
  const json doc = json::parse(
      run({"transcript", "--db", db_, "--official", "PC-0001", "--as-of", "2027-12-31"}).out);
  const json& emeritus = doc.at("levels")[2];
  EXPECT_EQ(emeritus.at("id"), "emeritus");
  EXPECT_EQ(emeritus.at("points_counted"), 7);
  EXPECT_EQ(doc.at("courses")[6].at("refused")[0].at("reason"), "points_year_cap");
  // CSV and PDF show the cap too.
  const auto csv = lines_of(run({"transcript", "--db", db_, "--official", "PC-0001", "--format",
                                 "csv", "--as-of", "2027-12-31"})
                                .out);
  ASSERT_GE(csv.size(), 8u);
  EXPECT_EQ(csv[7], "course,2026-11-12,,NLC Congress of Cities (City Summit),outside,0,0,,1 "
                    "point(s) over the 6 points allowed in 2026");
  const fs::path pdf = dir_ / "points.pdf";
  ASSERT_EQ(run({"transcript", "--db", db_, "--official", "PC-0001", "--format", "pdf", "--out",
                 pdf.string(), "--as-of", "2027-12-31"})
                .code,
            0);
  const fs::path text = dir_ / "points.txt";
  ASSERT_EQ(
      std::system(
          ("timeout 60 pdftotext " + quoted(pdf.string()) + " " + quoted(text.string())).c_str()),
      0);
  std::string words = test::read_file(text);
  std::replace(words.begin(), words.end(), '\n', ' '); // the PDF wraps long lines
  EXPECT_NE(words.find("1 point(s) not counted: 1 point(s) over the 6 points allowed in 2026"),
            std::string::npos)
      << words;
  // Not a qualifying event: refused with the list.
  const Outcome bad = run({"point", "--db", db_, "--official", "PC-0001", "--date", "2027-02-01",
                           "--type", "county_fair"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("one of alm_standing_committee"), std::string::npos) << bad.err;
}

TEST_F(CreditCommands, PreapprovalMakesALeagueEventCountAfterLeavingOffice) {
  prepare_with_scans();
  // Both left office on 2026-06-30: one year to finish Basic; League events need pre-approval.
  for (const char* id : {"RB-0001", "RB-0002"}) {
    ASSERT_EQ(run({"official", "--db", db_, "--id", id, "--left-office", "2026-06-30"}).code, 0);
  }
  // RB-0002 is pre-approved before the close, RB-0001 after it.
  const Outcome before = run({"preapprove", "--db", db_, "--official", "RB-0002", "--event", kEvent,
                              "--reference", "LETTER-2026-14"});
  ASSERT_EQ(before.code, 0) << before.err;
  EXPECT_NE(before.out.find("0 posted credit(s) marked approved"), std::string::npos) << before.out;
  ASSERT_EQ(run({"close-event", "--db", db_, "--event", kEvent}).code, 0);
  const auto credited = [&](const char* id) {
    const json doc = json::parse(
        run({"transcript", "--db", db_, "--official", id, "--as-of", "2026-12-31"}).out);
    return doc.at("totals").at("hours_credited").get<double>();
  };
  EXPECT_DOUBLE_EQ(credited("RB-0002"), 1.25);
  EXPECT_DOUBLE_EQ(credited("RB-0001"), 0); // needs_preapproval
  const Outcome after = run({"preapprove", "--db", db_, "--official", "RB-0001", "--event", kEvent,
                             "--reference", "LETTER-2026-15"});
  ASSERT_EQ(after.code, 0) << after.err;
  EXPECT_NE(after.out.find("2 posted credit(s) marked approved"), std::string::npos) << after.out;
  EXPECT_DOUBLE_EQ(credited("RB-0001"), 2.5);
  // Recorded twice, or for an unknown event: refused.
  EXPECT_EQ(run({"preapprove", "--db", db_, "--official", "RB-0001", "--event", kEvent,
                 "--reference", "X"})
                .code,
            1);
  EXPECT_EQ(run({"preapprove", "--db", db_, "--official", "RB-0001", "--event", "nope",
                 "--reference", "X"})
                .code,
            1);
}

TEST_F(CreditCommands, LevelCapsDoNotReduceTheActsYearlyHours) {
  prepare();
  // Advanced held: Emeritus takes no non-League hours, yet 4 approved hours are 2026 training.
  ASSERT_EQ(
      run({"official", "--db", db_, "--id", "SG-0002", "--designation", "advanced:2023-06-30"})
          .code,
      0);
  const Outcome o =
      run({"outside-credit", "--db", db_, "--official", "SG-0002", "--date", "2026-03-01",
           "--hours", "4", "--title", "State budget seminar", "--reference", "APP-9"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("(outside_not_at_level)"), std::string::npos) << o.out;
  const json report = json::parse(run({"report", "--db", db_, "--kind", "compliance", "--as-of",
                                       "2026-12-31", "--format", "json"})
                                      .out);
  bool found = false;
  for (const auto& row : report.at("rows")) {
    if (row.at("official_id") != "SG-0002") continue;
    found = true;
    EXPECT_DOUBLE_EQ(row.at("required").get<double>(), 5); // holders of Basic
    EXPECT_DOUBLE_EQ(row.at("earned").get<double>(), 4);
    EXPECT_DOUBLE_EQ(row.at("behind_by").get<double>(), 1);
  }
  EXPECT_TRUE(found) << report.dump(2);
}

TEST_F(CreditCommands, AmctoTranscriptShowsCategoriesAndTheCycleInEveryFormat) {
  prepare();
  const std::string amcto = kAmcto.string();
  // The clerk holds the AMCTO designation since 2025-01-15: the cycle runs to 2028-01-14.
  ASSERT_EQ(
      run({"official", "--db", db_, "--id", "RB-0003", "--designation", "amcto-cmo:2025-01-15"})
          .code,
      0);
  Outcome o = run({"outside-credit", "--db", db_, "--official", "RB-0003", "--date", "2025-04-02",
                   "--hours", "7", "--title", "Records management course", "--reference", "C-1",
                   "--category", "continuing_education", "--competency", "municipal_operations",
                   "--program", amcto});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Counted 7 of 7 hours."), std::string::npos) << o.out;
  o = run({"online-credit", "--db", db_, "--official", "RB-0003", "--date", "2025-06-02", "--title",
           "Webinar: budgets", "--score", "50", "--hours", "2", "--category", "self_directed",
           "--competency", "financial_management", "--program", amcto});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Counted 2 of 2 hours."), std::string::npos) << o.out; // no test needed
  // Without a category it is refused until classified.
  o = run({"outside-credit", "--db", db_, "--official", "RB-0003", "--date", "2026-02-02",
           "--hours", "3", "--title", "Conference talk", "--reference", "C-2", "--program", amcto});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("(category_missing)"), std::string::npos) << o.out;
  EXPECT_EQ(run({"classify", "--db", db_, "--official", "RB-0003", "--entry",
                 "outside/2026-02-02/C-2", "--category", "lecturing", "--program", amcto})
                .code,
            1); // not an AMCTO category
  o = run({"classify", "--db", db_, "--official", "RB-0003", "--entry", "outside/2026-02-02/C-2",
           "--category", "teaching", "--competency", "communication", "--program", amcto});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("Classified 1 entry of RB-0003"), std::string::npos) << o.out;

  const std::vector<std::string> base{"transcript", "--db", db_,       "--official", "RB-0003",
                                      "--program",  amcto,  "--as-of", "2026-12-31"};
  auto args = base;
  const json doc = json::parse(run(args).out);
  EXPECT_EQ(doc.at("program_id"), "amcto-pdu");
  EXPECT_EQ(doc.at("courses")[0].at("category"), "continuing_education");
  EXPECT_EQ(doc.at("courses")[2].at("competency"), "communication");
  const json& cycle = doc.at("cycle");
  EXPECT_EQ(cycle.at("start"), "2025-01-15");
  EXPECT_EQ(cycle.at("end"), "2028-01-14");
  EXPECT_DOUBLE_EQ(cycle.at("earned").get<double>(), 12);
  EXPECT_DOUBLE_EQ(cycle.at("required").get<double>(), 60);
  EXPECT_DOUBLE_EQ(cycle.at("by_category").at("teaching").get<double>(), 3);
  EXPECT_DOUBLE_EQ(cycle.at("by_competency").at("financial_management").get<double>(), 2);

  args.insert(args.end(), {"--format", "csv"});
  const auto lines = lines_of(run(args).out);
  ASSERT_EQ(lines.size(), 1u + 3u + 1u + 3u + 3u) << run(args).out;
  EXPECT_EQ(
      lines[0],
      "kind,date,course_code,title,source,hours,hours_credited,level,note,category,competency");
  EXPECT_EQ(lines[1], "course,2025-04-02,,Records management course,outside,7,7,,,"
                      "continuing_education,municipal_operations");
  EXPECT_EQ(lines[4], "cycle,2025-01-15,,\"cycle 2025-01-15 to 2028-01-14: 12 of 60 PDU, 48 PDU "
                      "still needed by 2028-01-14\",,60,12,,not met,,");
  EXPECT_EQ(lines[5], "cycle_category,,,,,,7,,,continuing_education,");

  const fs::path pdf = dir_ / "amcto.pdf";
  args = base;
  args.insert(args.end(), {"--format", "pdf", "--out", pdf.string()});
  ASSERT_EQ(run(args).code, 0);
  const fs::path text = dir_ / "amcto.txt";
  ASSERT_EQ(std::system(("timeout 60 pdftotext -layout " + quoted(pdf.string()) + " " +
                         quoted(text.string()))
                            .c_str()),
            0);
  const std::string words = test::read_file(text);
  EXPECT_NE(words.find("Cycle (3 years): cycle 2025-01-15 to 2028-01-14: 12 of 60 PDU"),
            std::string::npos)
      << words;
  EXPECT_NE(words.find("continuing_education"), std::string::npos) << words;
  EXPECT_NE(words.find("financial_management"), std::string::npos) << words;
  keep_sample(pdf);
}

TEST_F(CreditCommands, IcmaTranscriptCountsFortyHoursAYearForStaff) {
  prepare();
  const std::string icma = kIcma.string();
  ASSERT_NO_FATAL_FAILURE(add_icma_summit());
  ASSERT_EQ(run({"online-credit", "--db", db_, "--official", "LG-0001", "--date", "2026-04-02",
                 "--title", "Webinar: ethics", "--score", "40", "--hours", "2", "--program", icma})
                .code,
            0);
  const json doc = json::parse(run({"transcript", "--db", db_, "--official", "LG-0001", "--program",
                                    icma, "--as-of", "2026-12-31"})
                                   .out);
  EXPECT_EQ(doc.at("program_id"), "icma-cm");
  EXPECT_DOUBLE_EQ(doc.at("annual").at("earned").get<double>(), 18);
  EXPECT_DOUBLE_EQ(doc.at("annual").at("behind_by").get<double>(), 22);
  EXPECT_TRUE(doc.at("cycle").is_null());
  // The ALM program refuses the same staff member's hours: the role is not eligible there.
  const json alm = json::parse(
      run({"transcript", "--db", db_, "--official", "LG-0001", "--as-of", "2026-12-31"}).out);
  EXPECT_DOUBLE_EQ(alm.at("totals").at("hours_credited").get<double>(), 0);
}

// `serve --program`: every page of one server follows the same program. The API's transcript
// and the console's transcript PDF of a staff member (eligible under ICMA, not under ALM) say
// what `transcript --program` says, and a server on the default program says ALM's.
TEST_F(CreditCommands, ServedTranscriptsFollowTheServersProgram) {
  prepare();
  const std::string icma = kIcma.string();
  ASSERT_NO_FATAL_FAILURE(add_icma_summit());
  const json cli = json::parse(run({"transcript", "--db", db_, "--official", "LG-0001", "--program",
                                    icma, "--as-of", "2026-12-31"})
                                   .out);
  ASSERT_EQ(cli.at("program_id"), "icma-cm");
  const Outcome token_run = run({"admin-token", "--db", db_, "--label", "test"});
  ASSERT_EQ(token_run.code, 0) << token_run.err;
  const std::string token = lines_of(token_run.out).back();
  {
    auto accounts = server::open_account_store(db_);
    ASSERT_TRUE(accounts.ok()) << accounts.message();
    ASSERT_TRUE((*accounts)
                    ->add_user({"ada", server::ConsoleRole::viewer,
                                server::hash_password("correct horse battery"), Instant{}})
                    .ok());
  }

  const auto served = [&](const std::optional<fs::path>& program) {
    server::HttpOptions options;
    options.database = db_;
    options.port = 0;
    options.threads = 2;
    options.log_requests = false;
    options.program_file = program;
    auto started = server::HttpServer::start(options);
    EXPECT_TRUE(started.ok()) << started.message();
    httplib::Client client("127.0.0.1", (*started)->port());
    client.set_read_timeout(30, 0);
    auto api = client.Get("/api/v1/officials/LG-0001/transcript?as_of=2026-12-31",
                          {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(api && api->status == 200) << (api ? api->body : "no answer");
    // The console's download, signed in through the form as a browser does.
    auto form = client.Get("/console/login");
    EXPECT_TRUE(form && form->status == 200);
    const std::string login_cookie = form->get_header_value("Set-Cookie");
    const std::string csrf = login_cookie.substr(login_cookie.find('=') + 1, 64);
    auto signed_in = client.Post("/console/login", {{"Cookie", "muster_login_csrf=" + csrf}},
                                 httplib::Params{{"csrf_token", csrf},
                                                 {"username", "ada"},
                                                 {"password", "correct horse battery"}});
    EXPECT_TRUE(signed_in && signed_in->status == 303);
    const std::string cookie = signed_in->get_header_value("Set-Cookie");
    auto pdf = client.Get("/console/people/LG-0001/transcript.pdf",
                          {{"Cookie", cookie.substr(0, cookie.find(';'))}});
    EXPECT_TRUE(pdf && pdf->status == 200);
    (*started)->stop();
    const fs::path file = dir_ / "served-transcript.pdf";
    std::ofstream(file, std::ios::binary) << (pdf ? pdf->body : std::string());
    const fs::path text = dir_ / "served-transcript.txt";
    EXPECT_EQ(std::system(("timeout 60 pdftotext -layout " + quoted(file.string()) + " " +
                           quoted(text.string()))
                              .c_str()),
              0);
    return std::pair{json::parse(api ? api->body : "{}"), test::read_file(text)};
  };

  const auto [icma_api, icma_pdf] = served(kIcma);
  EXPECT_EQ(icma_api.at("program_id"), "icma-cm");
  EXPECT_EQ(icma_api.at("annual"), cli.at("annual"));
  EXPECT_EQ(icma_api.at("totals"), cli.at("totals"));
  EXPECT_NE(icma_pdf.find("ICMA Credentialed Manager"), std::string::npos) << icma_pdf;

  const auto [alm_api, alm_pdf] = served(std::nullopt);
  EXPECT_EQ(alm_api.at("program_id"), "alm-cmo");
  EXPECT_EQ(alm_pdf.find("ICMA Credentialed Manager"), std::string::npos) << alm_pdf;
}

// ---- schema migration ----

TEST_F(CreditCommands, VersionOneDatabaseUpgradesToTheCurrentVersion) {
  prepare_with_scans();
  // Make it exactly a v1 database: migration 2 only added tables, migrations 3 to 6 added
  // columns, tables and an index; each bumped the version.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    const char* sql =
        "DROP TABLE ledger_entries; DROP TABLE ledger_amendments; DROP TABLE official_records;"
        "DROP TABLE official_designations; DROP TABLE event_closings; DROP TABLE admin_tokens;"
        "ALTER TABLE scans DROP COLUMN details; ALTER TABLE events DROP COLUMN survey_json;"
        "ALTER TABLE attendees DROP COLUMN provisional; ALTER TABLE attendees DROP COLUMN same_as;"
        "DROP TABLE device_certificates; DROP TABLE preapprovals;"
        "ALTER TABLE events DROP COLUMN lead_time_min; DROP INDEX scans_by_event_received;"
        "DROP TABLE role_history; DROP TABLE municipalities;"
        "ALTER TABLE attendees DROP COLUMN municipality_id;"
        "ALTER TABLE events DROP COLUMN programs_json;"
        "ALTER TABLE events DROP COLUMN eligible_roles_json;"
        "DROP TABLE console_users; DROP TABLE console_sessions; DROP TABLE console_audit;"
        "ALTER TABLE scans DROP COLUMN boot_id; DROP TABLE clock_samples;" // migration 8
        "DROP TABLE relay_tokens; DROP TABLE relay_devices;"               // migration 10
        "DROP TABLE relay_state; DROP TABLE relay_forwarding;"
        "ALTER TABLE devices DROP COLUMN public_key;"                              // migration 11
        "DROP INDEX devices_by_parent; ALTER TABLE devices DROP COLUMN parent_id;" // migration 12
        "ALTER TABLE devices DROP COLUMN diverged_at;"
        "ALTER TABLE devices DROP COLUMN diverged_hash;"
        "ALTER TABLE devices DROP COLUMN rollbacks;"
        "ALTER TABLE devices DROP COLUMN rolled_back_at;"
        "DROP TABLE mail_outbox;" // migration 13 (its indexes go with it)
        "DROP TABLE official_codes; DROP TABLE official_confirmations;" // migration 14
        "DROP TABLE official_disputes;"
        "CREATE INDEX scans_by_event ON scans (event_id);" // migration 15 dropped it
        "UPDATE schema_version SET version = 1;";
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }
  // Any command upgrades it; the v1 data stays.
  const Outcome close = run({"close-event", "--db", db_, "--event", kEvent});
  ASSERT_EQ(close.code, 0) << close.err;
  EXPECT_EQ(ledger_hours().at("RB-0002").at("fall-2026-training/S1"), 1.25);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT max(version), count(*) FROM schema_version", -1,
                               &statement, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 15);
  EXPECT_EQ(sqlite3_column_int(statement, 1), 15); // rows for 1 to 15
  sqlite3_finalize(statement);
  // Migration 15: the all-equal-key index of the event's scans is gone (issue 19).
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT count(*) FROM sqlite_master WHERE name = 'scans_by_event'",
                               -1, &statement, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  auto count = store()->scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 6u);
}

// ---- PostgreSQL ----

TEST(CreditCommandsBackend, CloseEventIsIdempotentOnpostgresql) {
  const auto base = test::postgres_fixture_url();
  ASSERT_TRUE(base) << test::kNoPostgres;
  ASSERT_TRUE(muster::sodium_started());
  const auto database = test::create_postgres_database(*base, "muster_credit_");
  ASSERT_EQ(database.error, "");
  const std::string& db = database.url;
  test::TempDir dir;
  const auto run = [&](const std::vector<std::string>& args) { return run_in(dir.path(), args); };
  ASSERT_EQ(run({"init", "--db", db, "--league-key", (dir / "league.key").string()}).code, 0);
  ASSERT_EQ(run({"import-roster", "--db", db, (kDemo / "roster.csv").string()}).code, 0);
  ASSERT_EQ(run({"import-event", "--db", db, (kDemo / "event.json").string()}).code, 0);
  {
    auto store = server::open_server_store(db);
    ASSERT_TRUE(store.ok()) << store.message();
    store_demo_scans(**store);
  }
  const Outcome first = run({"close-event", "--db", db, "--event", kEvent});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("posted 3 credit(s), 3.75 hours"), std::string::npos) << first.out;
  const Outcome second = run({"close-event", "--db", db, "--event", kEvent});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("0 scan(s) arrived after closing; credit not changed"),
            std::string::npos)
      << second.out;
  auto ledger = server::open_ledger_store(db);
  ASSERT_TRUE(ledger.ok()) << ledger.message();
  auto entries = (*ledger)->entries("");
  ASSERT_TRUE(entries.ok()) << entries.message();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].official_id, "RB-0001");
  EXPECT_DOUBLE_EQ((*entries)[0].hours, 1.0);
  EXPECT_DOUBLE_EQ((*entries)[2].hours, 1.25);

  // Issue 12's records on PostgreSQL: pre-approval, an online score, a classification.
  const Outcome approved = run(
      {"preapprove", "--db", db, "--official", "RB-0001", "--event", kEvent, "--reference", "L-1"});
  ASSERT_EQ(approved.code, 0) << approved.err;
  EXPECT_NE(approved.out.find("2 posted credit(s) marked approved"), std::string::npos)
      << approved.out;
  const Outcome online =
      run({"online-credit", "--db", db, "--official", "RB-0002", "--date", "2026-12-10", "--title",
           "Zoning (online)", "--course-code", "CMO-LAW-160", "--score", "65.5"});
  ASSERT_EQ(online.code, 0) << online.err;
  EXPECT_NE(online.out.find("(online_test_not_passed)"), std::string::npos) << online.out;
  const Outcome classified =
      run({"classify", "--db", db, "--official", "RB-0002", "--event", kEvent, "--category",
           "continuing_education", "--competency", "leadership", "--program", kAmcto.string()});
  ASSERT_EQ(classified.code, 0) << classified.err;
  auto after = (*ledger)->entries("");
  ASSERT_TRUE(after.ok()) << after.message();
  ASSERT_EQ(after->size(), 4u);
  EXPECT_TRUE((*after)[0].approved);
  EXPECT_EQ((*after)[2].category, "continuing_education");
  EXPECT_EQ((*after)[3].test_score, 65.5);
}

} // namespace
} // namespace muster
