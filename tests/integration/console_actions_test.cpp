// The web console's actions over real HTTP (the server in-process, a SQLite League with the demo
// roster and event): walk-ins confirmed and merged, review items resolved, badges reprinted and
// revoked, devices revoked, provisioning codes created (their QR code read back), the close
// preview, the downloads; every POST refused without its CSRF token and for a too small role
// (403, with an audit entry), every action audited with who and why. Also the pure parts: the
// timeline's bins and the review items. The browser test is tests/web/console_actions_test.py.
// ZXing-cpp 1.4: text() as UTF-8, as kiosk/scan/decoder.cpp reads it.
#define ZX_USE_UTF8 1
#include <ZXing/ReadBarcode.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sodium.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/badge_render.hpp"
#include "sync/server/devices_command.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"
#include "sync/server/web/action_pages.hpp"
#include "sync/server/web/staff_correction.hpp"
#include "sync/server/web/timeline.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using web::find_chart_js;
using web::review_items;
using web::session_timelines;
using web::timelines_json;

const fs::path kDemo = fs::path(MUSTER_SOURCE_DIR) / "assets/demo";
constexpr const char* kEvent = "fall-2026-training";

struct Door {
  std::string id;
  std::vector<Scan> scans;
  Digest head{};
};

Scan& add_scan(Door& door, const std::string& attendee, const std::string& session, ScanKind kind,
               const char* time) {
  Scan scan;
  scan.device_id = door.id;
  scan.sequence = door.scans.size() + 1;
  scan.attendee_id = attendee;
  scan.badge_serial = kind == ScanKind::registration ? "" : "SERIAL-" + attendee;
  scan.session_id = session;
  scan.kind = kind;
  scan.wall_time = *parse_iso8601(time);
  scan.monotonic_ms = static_cast<std::int64_t>(scan.sequence) * 1000;
  door.scans.push_back(scan);
  return door.scans.back();
}

void seal_all(Door& door) {
  door.head = {};
  for (Scan& scan : door.scans) {
    seal(scan, door.head);
    door.head = scan.hash;
  }
}

std::string match(const std::string& text, const std::string& pattern) {
  std::smatch found;
  return std::regex_search(text, found, std::regex(pattern)) ? found[1].str() : std::string();
}

class ConsoleActions : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    db_ = (dir_ / "league.db").string();
    std::ostringstream out;
    std::ostringstream err;
    InitOptions init;
    init.database = db_;
    ASSERT_EQ(run_init(init, out, err), 0) << err.str();
    ASSERT_EQ(run_import_roster(db_, kDemo / "roster.csv", out, err), 0) << err.str();
    ASSERT_EQ(run_import_event(db_, kDemo / "event.json", out, err), 0) << err.str();
    IssueBadgesOptions badges;
    badges.database = db_;
    badges.event_id = kEvent;
    badges.out_dir = dir_ / "badges";
    ASSERT_EQ(run_issue_badges(badges, out, err), 0) << err.str();
    auto accounts = open_account_store(db_);
    ASSERT_TRUE(accounts.ok()) << accounts.message();
    const Instant now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    for (const auto& [name, role] :
         {std::pair{"ada", ConsoleRole::admin}, std::pair{"sam", ConsoleRole::staff},
          std::pair{"vic", ConsoleRole::viewer}}) {
      ASSERT_TRUE((*accounts)->add_user({name, role, "$argon2id$unused", now}).ok());
      const std::string token = random_token();
      ASSERT_TRUE((*accounts)
                      ->add_session({hash_secret(token), name, "csrf-" + std::string(name), now,
                                     now + hours{1}})
                      .ok());
      cookies_[name] = "muster_console=" + token;
    }
    HttpOptions options;
    options.database = db_;
    options.port = 0;
    options.log_requests = false;
    auto started = HttpServer::start(options);
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(*started);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(5);
    client_->set_read_timeout(30);
  }

  std::unique_ptr<ServerStore> store() {
    auto opened = open_server_store(db_);
    EXPECT_TRUE(opened.ok()) << opened.message();
    return std::move(opened).value();
  }
  std::unique_ptr<AccountStore> accounts() {
    auto opened = open_account_store(db_);
    EXPECT_TRUE(opened.ok()) << opened.message();
    return std::move(opened).value();
  }

  // A door of the event with a token, so its scans can be stored.
  void provision(ServerStore& s, const std::string& id) {
    const Instant at = *parse_iso8601("2026-12-03T12:00:00Z");
    ASSERT_TRUE(
        s.add_provisioning_code(hash_secret("CODE-" + id), kEvent, "Door " + id, at + hours{1})
            .ok());
    ASSERT_TRUE(
        s.redeem_provisioning_code(hash_secret("CODE-" + id), id, hash_secret("t" + id), at).ok());
  }
  void store_door(ServerStore& s, Door& door) {
    seal_all(door);
    auto stored =
        s.store_scans(door.id, kEvent, door.scans, *parse_iso8601("2026-12-03T18:00:00Z"));
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_FALSE(stored->rejection.has_value()) << stored->rejection->reason;
  }

  httplib::Result get(const std::string& path, const std::string& user) {
    return client_->Get(path, httplib::Headers{{"Cookie", cookies_.at(user)}});
  }
  // A POST as `user` with the user's own CSRF token (csrf false: without it).
  httplib::Result post(const std::string& path, const std::string& user, httplib::Params fields,
                       bool csrf = true) {
    if (csrf) fields.emplace("csrf_token", "csrf-" + user);
    return client_->Post(path, httplib::Headers{{"Cookie", cookies_.at(user)}}, fields);
  }
  std::vector<AuditEntry> audit_of(const std::string& action) {
    auto entries = accounts()->audit_of(action, "");
    EXPECT_TRUE(entries.ok()) << entries.message();
    return entries.ok() ? *entries : std::vector<AuditEntry>{};
  }

  const std::string base_ = std::string("/console/events/") + kEvent;
  test::TempDir dir_;
  std::string db_;
  std::map<std::string, std::string> cookies_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ConsoleActions, WalkInsAreConfirmedAndMergedByStaffWithAReason) {
  {
    auto s = store();
    provision(*s, "DOOR-A");
    Door a{"DOOR-A", {}, {}};
    for (const char* id : {"WALKIN-DOOR-A-1", "WALKIN-DOOR-A-2"}) {
      Scan& r = add_scan(a, id, "", ScanKind::registration, "2026-12-03T14:31:00Z");
      r.staff_id = "STAFF-1";
      r.reason = "newly elected";
      r.details =
          R"({"first_name":"Wanda","last_name":"Walker","role":"councilmember","municipality":"Shelbyville"})";
    }
    store_door(*s, a);
  }
  auto page = get(base_ + "/walk-ins", "sam");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  EXPECT_NE(page->body.find("data-testid=\"confirm-WALKIN-DOOR-A-1\""), std::string::npos);
  auto viewer_page = get(base_ + "/walk-ins", "vic");
  ASSERT_TRUE(viewer_page);
  EXPECT_EQ(viewer_page->status, 403);

  const httplib::Params confirm{{"attendee_id", "WALKIN-DOOR-A-1"}, {"why", "checked her ID"}};
  EXPECT_EQ(post(base_ + "/walk-ins/confirm", "vic", confirm)->status, 403);
  EXPECT_EQ(post(base_ + "/walk-ins/confirm", "sam", confirm, false)->status, 403);
  EXPECT_EQ(post(base_ + "/walk-ins/confirm", "sam", {{"attendee_id", "WALKIN-DOOR-A-1"}})->status,
            400); // no reason
  EXPECT_EQ(post(base_ + "/walk-ins/confirm", "sam",
                 {{"attendee_id", "RB-0001"}, {"why", "not a walk-in"}})
                ->status,
            404);
  auto done = post(base_ + "/walk-ins/confirm", "sam", confirm);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 303) << done->body;
  auto merged = post(base_ + "/walk-ins/confirm", "sam",
                     {{"attendee_id", "WALKIN-DOOR-A-2"},
                      {"same_as", "RB-0002"},
                      {"why", "same person as the roster's Marcus"}});
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->status, 303) << merged->body;

  auto walk_ins = store()->walk_ins(kEvent, true);
  ASSERT_TRUE(walk_ins.ok());
  ASSERT_EQ(walk_ins->size(), 2u);
  EXPECT_FALSE((*walk_ins)[0].provisional);
  EXPECT_EQ((*walk_ins)[1].same_as, "RB-0002");
  const auto confirms = audit_of("walk-in-confirm");
  ASSERT_EQ(confirms.size(), 1u);
  EXPECT_EQ(confirms[0].actor, "sam");
  EXPECT_EQ(confirms[0].target, "WALKIN-DOOR-A-1");
  EXPECT_NE(confirms[0].detail.find("checked her ID"), std::string::npos);
  const auto merges = audit_of("walk-in-merge");
  ASSERT_EQ(merges.size(), 1u);
  EXPECT_NE(merges[0].detail.find("as RB-0002"), std::string::npos);
  EXPECT_EQ(audit_of("walk-in-confirm-refused").size(), 1u); // the viewer's
}

TEST_F(ConsoleActions, ReviewItemsAreResolvedWithWhoAndWhy) {
  {
    auto s = store();
    provision(*s, "DOOR-A");
    provision(*s, "DOOR-B");
    // Two doors of Ballroom A both label RB-0001 an arrival: the rule makes the second a leave.
    Door a{"DOOR-A", {}, {}};
    Door b{"DOOR-B", {}, {}};
    add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
    add_scan(b, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T15:30:00Z");
    store_door(*s, a);
    store_door(*s, b);
  }
  auto page = get(base_ + "/review", "sam");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body;
  const std::string key = match(page->body, "name=\"key\" value=\"([^\"]+)\"");
  ASSERT_FALSE(key.empty()) << page->body;
  EXPECT_TRUE(key.starts_with(std::string(kEvent) + "/RB-0001/S1/")) << key;
  EXPECT_NE(page->body.find("Door DOOR-B"), std::string::npos) << "doors named for staff";

  EXPECT_EQ(post(base_ + "/review/resolve", "vic", {{"key", key}, {"why", "x"}})->status, 403);
  EXPECT_EQ(post(base_ + "/review/resolve", "sam", {{"key", key}, {"why", "x"}}, false)->status,
            403);
  EXPECT_EQ(post(base_ + "/review/resolve", "sam", {{"key", "nope"}, {"why", "x"}})->status, 404);
  auto resolved =
      post(base_ + "/review/resolve", "sam", {{"key", key}, {"why", "she left at 09:30, asked"}});
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->status, 303) << resolved->body;
  auto after = get(base_ + "/review", "ada");
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find("resolved by sam"), std::string::npos) << after->body;
  EXPECT_NE(after->body.find("she left at 09:30, asked"), std::string::npos);
  EXPECT_EQ(after->body.find("data-testid=\"resolve-1\""), std::string::npos);
}

TEST_F(ConsoleActions, BadgesAreReprintedByStaffAndRevokedByAdmins) {
  auto page = get(base_ + "/badges?q=haynes", "sam");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("data-testid=\"reprint-RB-0001\""), std::string::npos);
  EXPECT_EQ(page->body.find("data-testid=\"badge-RB-0002\""), std::string::npos); // filtered
  EXPECT_EQ(page->body.find("revoke-badge-"), std::string::npos);          // staff cannot revoke
  EXPECT_EQ(page->body.find("@riverbend.example.org"), std::string::npos); // no e-mail

  const httplib::Params reprint{{"attendee_id", "RB-0001"}, {"why", "badge torn"}};
  EXPECT_EQ(post(base_ + "/badges/reprint", "vic", reprint)->status, 403);
  EXPECT_EQ(post(base_ + "/badges/reprint", "sam", reprint, false)->status, 403);
  auto printed = post(base_ + "/badges/reprint", "sam", reprint);
  ASSERT_TRUE(printed);
  ASSERT_EQ(printed->status, 200) << printed->body;
  EXPECT_NE(printed->body.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  ASSERT_EQ(audit_of("badge-reprint").size(), 1u);

  auto badges = store()->badges_for_event(kEvent);
  ASSERT_TRUE(badges.ok());
  std::string serial;
  for (const auto& b : *badges)
    if (b.attendee_id == "RB-0001") serial = b.serial;
  ASSERT_FALSE(serial.empty());
  const httplib::Params revoke{{"serial", serial}, {"why", "reported lost"}};
  EXPECT_EQ(post(base_ + "/badges/revoke", "sam", revoke)->status, 403);
  EXPECT_EQ(audit_of("badge-revoke-refused").size(), 1u);
  EXPECT_EQ(post(base_ + "/badges/revoke", "ada", revoke, false)->status, 403);
  auto revoked = post(base_ + "/badges/revoke", "ada", revoke);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 303) << revoked->body;
  EXPECT_TRUE(store()->badge(serial)->revoked_at.has_value());
  const auto trail = audit_of("badge-revoke");
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].actor, "ada");
  EXPECT_NE(trail[0].detail.find("reported lost"), std::string::npos);
  // Revoked: no reprint of it.
  EXPECT_EQ(post(base_ + "/badges/reprint", "sam", reprint)->status, 409);
}

TEST_F(ConsoleActions, AdminsRevokeDevicesAndCreateProvisioningCodesWithAQrCode) {
  {
    auto s = store();
    provision(*s, "DOOR-A");
  }
  EXPECT_EQ(get(base_ + "/devices", "sam")->status, 403);
  auto page = get(base_ + "/devices", "ada");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("data-testid=\"revoke-device-DOOR-A\""), std::string::npos);

  const httplib::Params revoke{{"device_id", "DOOR-A"}, {"why", "stolen from the hall"}};
  EXPECT_EQ(post(base_ + "/devices/revoke", "sam", revoke)->status, 403);
  EXPECT_EQ(post(base_ + "/devices/revoke", "vic", revoke)->status, 403);
  EXPECT_EQ(post(base_ + "/devices/revoke", "ada", revoke, false)->status, 403);
  EXPECT_EQ(store()->device("DOOR-A")->token_hash, hash_secret("tDOOR-A")); // untouched
  auto revoked = post(base_ + "/devices/revoke", "ada", revoke);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 303) << revoked->body;
  EXPECT_TRUE(store()->device("DOOR-A")->token_hash.empty());
  EXPECT_EQ(audit_of("device-revoke").size(), 1u);
  EXPECT_EQ(audit_of("device-revoke-refused").size(), 2u);

  const httplib::Params provision_fields{{"device_name", "Room 104 door"},
                                         {"why", "a second door for Room 104"}};
  EXPECT_EQ(post(base_ + "/devices/provision", "sam", provision_fields)->status, 403);
  EXPECT_EQ(post(base_ + "/devices/provision", "ada", provision_fields, false)->status, 403);
  auto created = post(base_ + "/devices/provision", "ada", provision_fields);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 200) << created->body;
  const std::string code =
      match(created->body, "data-testid=\"provision-code\">([A-Z0-9-]+)</code>");
  ASSERT_EQ(code.size(), 14u) << created->body;
  // The QR code on the page reads back as the code.
  const std::string svg = match(created->body, "(<svg[^]*?</svg>)");
  ASSERT_FALSE(svg.empty());
  const int side = std::stoi(match(svg, "viewBox=\"0 0 ([0-9]+) "));
  constexpr int kScale = 6;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(side * kScale * side * kScale), 255);
  const std::regex module("M([0-9]+) ([0-9]+)h1v1h-1z");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), module); it != std::sregex_iterator();
       ++it) {
    const int x = std::stoi((*it)[1].str());
    const int y = std::stoi((*it)[2].str());
    for (int dy = 0; dy < kScale; ++dy)
      for (int dx = 0; dx < kScale; ++dx)
        pixels[static_cast<std::size_t>((y * kScale + dy) * side * kScale + x * kScale + dx)] = 0;
  }
  const ZXing::ImageView view(pixels.data(), side * kScale, side * kScale, ZXing::ImageFormat::Lum);
  const auto read =
      ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  ASSERT_TRUE(read.isValid());
  EXPECT_EQ(read.text(), code);
  // And the code provisions a kiosk once.
  auto redeemed = store()->redeem_provisioning_code(
      hash_secret(code), "DOOR-C", hash_secret("tDOOR-C"), *parse_iso8601("2026-12-03T12:00:00Z"));
  ASSERT_TRUE(redeemed.ok()) << redeemed.message();
  EXPECT_EQ(redeemed->name, "Room 104 door");
  const auto trail = audit_of("provision");
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_NE(trail[0].detail.find("a second door for Room 104"), std::string::npos);
  EXPECT_EQ(trail[0].detail.find(code), std::string::npos) << "the code is never in the trail";
}

// The console's corrections device ("console-<event>", staff_correction.hpp) holds scans but is
// no door: `muster-server devices` marks it, the Doors page leaves it out and refuses to revoke it.
TEST_F(ConsoleActions, TheConsolesCorrectionsDeviceIsMarkedNotListedAsADoor) {
  const std::string console_device = std::string("console-") + kEvent;
  {
    auto s = store();
    provision(*s, "DOOR-A");
    StaffCorrectionRequest request{kEvent, "RB-0001", "S1", {}, {}, "sam", "badge left at home"};
    request.arrival = *parse_iso8601("2026-12-03T08:35:00-06:00");
    auto stored = record_staff_correction(*s, request, *parse_iso8601("2026-12-03T09:00:00-06:00"));
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_EQ(stored->device_id, console_device);
  }
  std::ostringstream out;
  std::ostringstream err;
  DevicesOptions listing;
  listing.database = db_;
  ASSERT_EQ(run_devices(listing, out, err), 0) << err.str();
  std::string console_line;
  std::string door_line;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(console_device)) console_line = line;
    if (line.starts_with("DOOR-A")) door_line = line;
  }
  EXPECT_NE(console_line.find("console: staff corrections, not a door"), std::string::npos)
      << out.str();
  EXPECT_EQ(door_line.find("console"), std::string::npos) << out.str();
  std::ostringstream json_out;
  listing.json = true;
  ASSERT_EQ(run_devices(listing, json_out, err), 0) << err.str();
  const auto listed = nlohmann::json::parse(json_out.str());
  for (const auto& device : listed) {
    EXPECT_EQ(device.at("console").get<bool>(), device.at("device_id") == console_device);
  }

  auto page = get(base_ + "/devices", "ada");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("revoke-device-DOOR-A"), std::string::npos);
  EXPECT_EQ(page->body.find(console_device), std::string::npos) << "listed as a door";
  auto refused = post(base_ + "/devices/revoke", "ada",
                      {{"device_id", console_device}, {"why", "looks like a stray kiosk"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_TRUE(audit_of("device-revoke").empty());
}

TEST_F(ConsoleActions, ClosePreviewForAdminsAndDownloadsForEveryone) {
  {
    auto s = store();
    provision(*s, "DOOR-A");
    Door a{"DOOR-A", {}, {}};
    add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
    add_scan(a, "RB-0001", "S1", ScanKind::leave, "2026-12-03T15:30:00Z");
    store_door(*s, a);
  }
  EXPECT_EQ(get(base_ + "/close", "sam")->status, 403);
  auto preview = get(base_ + "/close", "ada");
  ASSERT_TRUE(preview);
  ASSERT_EQ(preview->status, 200);
  EXPECT_NE(preview->body.find("data-testid=\"close-row-RB-0001\""), std::string::npos);
  EXPECT_NE(preview->body.find("data-testid=\"late-door-DOOR-A\""), std::string::npos);
  EXPECT_NE(preview->body.find("data-testid=\"close-event\""), std::string::npos);
  EXPECT_NE(preview->body.find("Loretta Haynes"), std::string::npos);
  auto closing = open_ledger_store(db_).value()->closing(kEvent);
  ASSERT_TRUE(closing.ok());
  EXPECT_FALSE(closing->has_value()) << "the preview closed nothing";

  auto csv = get(base_ + "/credits.csv", "vic");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_NE(csv->body.find("RB-0001"), std::string::npos);
  auto report_csv = get("/console/reports/compliance.csv", "vic");
  ASSERT_TRUE(report_csv);
  EXPECT_EQ(report_csv->status, 200) << report_csv->body;
  auto report_pdf = get("/console/reports/graduation.pdf?year=2026", "vic");
  ASSERT_TRUE(report_pdf);
  EXPECT_EQ(report_pdf->status, 200) << report_pdf->body;
  EXPECT_TRUE(report_pdf->body.starts_with("%PDF-"));
  EXPECT_EQ(get("/console/reports/nonsense.csv", "vic")->status, 404);
  EXPECT_EQ(get("/console/reports/graduation.csv?year=20x6", "vic")->status, 400);
  auto anonymous = client_->Get(base_ + "/credits.csv");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 303); // to the sign-in page

  auto timeline = get(base_ + "/timeline", "vic");
  ASSERT_TRUE(timeline);
  ASSERT_EQ(timeline->status, 200);
  EXPECT_NE(timeline->body.find("\"arrivals\""), std::string::npos);
  auto chart = client_->Get("/console/static/chart.js/chart.min.js");
  ASSERT_TRUE(chart);
  if (find_chart_js()) {
    EXPECT_EQ(chart->status, 200);
    EXPECT_NE(chart->body.find("Chart"), std::string::npos);
  } else {
    EXPECT_EQ(chart->status, 404);
  }
}

// ---- the pure parts ----

TEST(ConsoleTimeline, ArrivalsAndLeavesFallInTheirBins) {
  Event event;
  event.id = "E";
  event.timezone = "UTC";
  Session session;
  session.id = "S1";
  session.start = *parse_iso8601("2026-12-03T09:00:00Z");
  session.end = *parse_iso8601("2026-12-03T10:00:00Z");
  event.sessions = {session};
  CreditRow stays;
  stays.session = session;
  stays.attendance.intervals = {{session.start, session.end}}; // arrived at the start (clipped)
  CreditRow leaves;
  leaves.session = session;
  leaves.attendance.intervals = {
      {*parse_iso8601("2026-12-03T09:12:00Z"), *parse_iso8601("2026-12-03T09:31:00Z")},
      {*parse_iso8601("2026-12-03T09:40:00Z"), session.end}};
  CreditRow other;
  other.session = session;
  other.session.id = "S2";
  other.attendance.intervals = {{session.start, session.end}};
  const std::vector<CreditRow> rows{stays, leaves, other};
  const auto timelines = session_timelines(event, rows, minutes{5});
  ASSERT_EQ(timelines.size(), 1u);
  const auto& t = timelines[0];
  ASSERT_EQ(t.labels.size(), 12u);
  EXPECT_EQ(t.labels[0], "09:00");
  EXPECT_EQ(t.labels[11], "09:55");
  EXPECT_EQ(t.arrivals, (std::vector<int>{1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(t.leaves, (std::vector<int>{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}));
  const std::string json = timelines_json(event, timelines);
  EXPECT_NE(json.find("\"leaves\":[0,0,0,0,0,0,1,0,0,0,0,0]"), std::string::npos) << json;
}

TEST(ConsoleReview, ItemsAreListedOnceWithDoorNamesAndTheirResolution) {
  Event event;
  event.id = "E";
  CreditRow row;
  row.attendee.id = "A1";
  row.attendee.first_name = "Ann";
  row.attendee.last_name = "Lee";
  row.session.id = "S1";
  row.review = {"door D1 #2 said arrive; the rule counts a leave"};
  CreditRow again = row; // the same words under a second session: listed once
  again.session.id = "S2";
  DeviceRecord door;
  door.id = "D1";
  door.name = "Hall door";
  const auto open = review_items(event, {row, again}, {door}, {});
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].words, "door D1 (Hall door) #2 said arrive; the rule counts a leave");
  EXPECT_TRUE(open[0].key.starts_with("E/A1/S1/"));
  EXPECT_FALSE(open[0].resolution.has_value());
  const AuditEntry resolution{Instant{}, "sam", "review-resolve", open[0].key, "why: checked"};
  const auto resolved = review_items(event, {row, again}, {door}, {resolution});
  ASSERT_TRUE(resolved[0].resolution.has_value());
  EXPECT_EQ(resolved[0].resolution->actor, "sam");
}

} // namespace
} // namespace muster::server
