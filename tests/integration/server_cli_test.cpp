// muster-server's admin commands, run as the real program (a subprocess) on SQLite files in a
// temporary directory; one test also on PostgreSQL when the CTest fixture provides a cluster.
#include <gtest/gtest.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ZXing/DecodeHints.h>
#include <ZXing/ImageView.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/TextUtfEncoding.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "shared/badge.hpp"
#include "shared/event_package.hpp"
#include "shared/scan_log.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"
#include "sync/server/badge_render.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using server::open_server_store;

const fs::path kProgram = fs::path(MUSTER_BINARY_DIR) / "sync/server/muster-server";
const fs::path kDemo = fs::path(MUSTER_SOURCE_DIR) / "assets/demo";
constexpr const char* kEvent = "fall-2026-training";

using Outcome = test::ProcessOutcome;
using test::lines_of;
using test::quoted;

class ServerCli : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    ASSERT_TRUE(fs::exists(kProgram)) << kProgram;
    db_ = (dir_ / "league.db").string();
  }

  // Runs muster-server with `args` (bounded by `timeout`), capturing both streams.
  Outcome run(const std::vector<std::string>& args) {
    return test::run_program(kProgram, dir_.path(), args);
  }

  // init + roster + event: the usual starting point.
  void prepare() {
    const Outcome init = run({"init", "--db", db_});
    ASSERT_EQ(init.code, 0) << init.err;
    ASSERT_EQ(run({"import-roster", "--db", db_, (kDemo / "roster.csv").string()}).code, 0);
    ASSERT_EQ(run({"import-event", "--db", db_, (kDemo / "event.json").string()}).code, 0);
  }

  std::unique_ptr<server::ServerStore> store() {
    auto opened = open_server_store(db_);
    EXPECT_TRUE(opened.ok()) << opened.message();
    return std::move(opened).value();
  }

  std::vector<PublicKey> league_keys() {
    auto records = store()->league_keys();
    EXPECT_TRUE(records.ok());
    std::vector<PublicKey> keys;
    for (const auto& record : *records)
      keys.push_back(*parse_public_key(record.public_key_text));
    return keys;
  }

  // badges.tsv rows after the header: attendee id -> {name, role, payload}
  static std::map<std::string, std::vector<std::string>> read_tsv(const fs::path& file) {
    std::map<std::string, std::vector<std::string>> rows;
    const auto lines = lines_of(test::read_file(file));
    EXPECT_FALSE(lines.empty());
    EXPECT_EQ(lines.front(), "attendee_id\tname\trole\tpayload");
    for (std::size_t i = 1; i < lines.size(); ++i) {
      std::vector<std::string> fields;
      std::istringstream in(lines[i]);
      for (std::string field; std::getline(in, field, '\t');)
        fields.push_back(field);
      EXPECT_EQ(fields.size(), 4u) << lines[i];
      rows[fields[0]] = {fields[1], fields[2], fields[3]};
    }
    return rows;
  }

  static std::string serial_of(const std::string& payload) {
    std::vector<std::string> parts;
    std::istringstream in(payload);
    for (std::string part; std::getline(in, part, '.');)
      parts.push_back(part);
    return parts.size() == 6 ? parts[3] : std::string();
  }

  test::TempDir dir_;
  std::string db_;
};

std::string decode_png(const fs::path& file) {
  auto image = server::read_png_gray(file);
  if (!image) return "<unreadable: " + image.message() + ">";
  const ZXing::ImageView view(image->pixels.data(), image->width, image->height,
                              ZXing::ImageFormat::Lum);
  const auto result =
      ZXing::ReadBarcode(view, ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode));
  if (!result.isValid()) return "<no QR code>";
  return ZXing::TextUtfEncoding::ToUtf8(result.text());
}

// ---- init ----

TEST_F(ServerCli, HelpNamesEveryCommand) {
  const Outcome help = run({"--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* name :
       {"init", "import-roster", "import-event", "issue-badges", "revoke", "package", "provision",
        "credits", "demo", "serve", "revoke-device", "revoke-token", "revoke-desk"}) {
    EXPECT_NE(help.out.find(name), std::string::npos) << name;
  }
  const Outcome sub = run({"issue-badges", "--help"});
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--league-key"), std::string::npos);
}

TEST_F(ServerCli, InitWritesA0600KeyBesideTheDatabase) {
  const Outcome init = run({"init", "--db", db_, "--league", "TML", "--name", "Tennessee League"});
  ASSERT_EQ(init.code, 0) << init.err;
  const fs::path key = db_ + ".league.key";
  ASSERT_TRUE(fs::exists(key));
  struct stat info {};
  ASSERT_EQ(::stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777U, 0600U);
  auto league = store()->league();
  ASSERT_TRUE(league.ok()) << league.message();
  EXPECT_EQ(league->id, "TML");
  EXPECT_EQ(league->name, "Tennessee League");
  // The key file holds the secret of the League key the database knows.
  std::string text = test::read_file(key);
  text.pop_back();
  auto secret = parse_signing_key(text);
  ASSERT_TRUE(secret.ok()) << secret.message();
  EXPECT_EQ(league_keys(), std::vector<PublicKey>{secret->public_key()});
}

TEST_F(ServerCli, SecondInitIsRefusedAndKeepsTheKey) {
  ASSERT_EQ(run({"init", "--db", db_}).code, 0);
  const std::string key_before = test::read_file(db_ + ".league.key");
  const Outcome again = run({"init", "--db", db_});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(test::read_file(db_ + ".league.key"), key_before);
}

TEST_F(ServerCli, InitOnPostgresqlNeedsAnExplicitKeyFile) {
  const Outcome init = run({"init", "--db", "postgresql://nobody@127.0.0.1:1/none"});
  EXPECT_EQ(init.code, 1);
  EXPECT_NE(init.err.find("--league-key"), std::string::npos) << init.err;
}

TEST_F(ServerCli, CommandOnAMissingDatabaseFailsWithoutCreatingIt) {
  const Outcome import = run({"import-roster", "--db", db_, (kDemo / "roster.csv").string()});
  EXPECT_EQ(import.code, 1);
  EXPECT_NE(import.err.find("muster-server init"), std::string::npos) << import.err;
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(ServerCli, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run({}).code, 2);
  EXPECT_EQ(run({"issue-badges", "--db", db_, "--out", "x"}).code, 2); // no --event
  EXPECT_EQ(run({"credits", "--db", db_, "--event", kEvent, "--format", "xml"}).code, 2);
  EXPECT_EQ(run({"serve", "--db", db_, "--listen", "nonsense"}).code, 2);
}

// ---- imports ----

TEST_F(ServerCli, ImportRosterTwiceUpdatesWithoutDuplicates) {
  ASSERT_EQ(run({"init", "--db", db_}).code, 0);
  const std::string roster = (kDemo / "roster.csv").string();
  const Outcome first = run({"import-roster", "--db", db_, roster});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("12 new, 0 updated, 0 unchanged"), std::string::npos) << first.out;
  const Outcome second = run({"import-roster", "--db", db_, roster});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(second.out.find("0 new, 0 updated, 12 unchanged"), std::string::npos) << second.out;

  std::string changed = test::read_file(roster);
  const auto at = changed.find("Loretta");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 7, "Lorrie");
  test::write_file(dir_ / "changed.csv", changed);
  const Outcome third = run({"import-roster", "--db", db_, (dir_ / "changed.csv").string()});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_NE(third.out.find("0 new, 1 updated, 11 unchanged"), std::string::npos) << third.out;
  auto attendees = store()->roster();
  ASSERT_TRUE(attendees.ok());
  EXPECT_EQ(attendees->size(), 12u);
  EXPECT_EQ(store()->attendee("RB-0001")->first_name, "Lorrie");
}

TEST_F(ServerCli, BadRosterRowNamesItsLineAndImportsNothing) {
  ASSERT_EQ(run({"init", "--db", db_}).code, 0);
  test::write_file(dir_ / "bad.csv", "attendee_id,first_name,last_name,role,municipality,email\n"
                                     "AA-1,Ann,Able,mayor,Town A,\n"
                                     "AA-2,Bob,Baker,mayor,Town A,\n"
                                     "AA-3,Cy,Cole,Mayr,Town A,\n");
  const Outcome bad = run({"import-roster", "--db", db_, (dir_ / "bad.csv").string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("line 4"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("Mayr"), std::string::npos) << bad.err;
  auto attendees = store()->roster();
  ASSERT_TRUE(attendees.ok());
  EXPECT_TRUE(attendees->empty());
}

TEST_F(ServerCli, ImportEventTwiceKeepsOneEvent) {
  ASSERT_EQ(run({"init", "--db", db_}).code, 0);
  const std::string event = (kDemo / "event.json").string();
  ASSERT_EQ(run({"import-event", "--db", db_, event}).code, 0);
  const Outcome again = run({"import-event", "--db", db_, event});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("0 new, 0 updated"), std::string::npos) << again.out;
  auto events = store()->events();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().sessions.size(), 6u);
  test::write_file(dir_ / "bad.json", "{\"id\": \"x\",\n \"name\": }");
  const Outcome bad = run({"import-event", "--db", db_, (dir_ / "bad.json").string()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
}

// ---- badges ----

TEST_F(ServerCli, IssuedBadgePngsDecodeToSignedPayloads) {
  prepare();
  const fs::path out = dir_ / "badges";
  const Outcome issue =
      run({"issue-badges", "--db", db_, "--event", kEvent, "--out", out.string()});
  ASSERT_EQ(issue.code, 0) << issue.err;
  const auto rows = read_tsv(out / "badges.tsv");
  ASSERT_EQ(rows.size(), 12u);
  EXPECT_EQ(rows.at("SG-0001")[0], "Wendell Whitfield, Jr.");
  EXPECT_EQ(rows.at("SG-0001")[1], "mayor");

  auto trust = TrustStore::for_league("LEAGUE");
  ASSERT_TRUE(trust.ok());
  for (const auto& key : league_keys())
    ASSERT_TRUE(trust->add_league_key(key).ok());
  for (const auto& [id, fields] : rows) {
    const fs::path png = out / (id + ".png");
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_EQ(decode_png(png), fields[2]) << id;
    const auto badge = trust->verify(fields[2], *parse_iso8601("2026-12-03T15:00:00Z"));
    ASSERT_TRUE(badge.ok()) << id << ": " << badge.message();
    EXPECT_EQ(badge->attendee_id, id);
    auto record = store()->badge(badge->serial);
    ASSERT_TRUE(record.ok()) << record.message();
    EXPECT_EQ(record->attendee_id, id);
  }
}

TEST_F(ServerCli, IssueBadgesWritesAPdfSheet) {
  prepare();
  const fs::path out = dir_ / "badges";
  ASSERT_EQ(run({"issue-badges", "--db", db_, "--event", kEvent, "--out", out.string()}).code, 0);
  const std::string pdf = test::read_file(out / "badges.pdf");
  ASSERT_GT(pdf.size(), 1000u);
  EXPECT_EQ(pdf.substr(0, 5), "%PDF-");
  // 12 badges at 6 per sheet: two pages.
  std::size_t pages = 0;
  for (std::size_t at = pdf.find("/Type /Page"); at != std::string::npos;
       at = pdf.find("/Type /Page", at + 1)) {
    if (pdf.compare(at, 12, "/Type /Pages") != 0) ++pages;
  }
  EXPECT_EQ(pages, 2u);
}

TEST_F(ServerCli, ReissueKeepsSerialsAndARevokedBadgeGetsANewOne) {
  prepare();
  const fs::path out = dir_ / "badges";
  ASSERT_EQ(run({"issue-badges", "--db", db_, "--event", kEvent, "--out", out.string()}).code, 0);
  const auto first = read_tsv(out / "badges.tsv");
  const std::string lost = serial_of(first.at("RB-0002")[2]);
  const Outcome revoke = run({"revoke", "--db", db_, "--serial", lost});
  ASSERT_EQ(revoke.code, 0) << revoke.err;
  EXPECT_TRUE(store()->badge(lost)->revoked_at.has_value());

  ASSERT_EQ(run({"issue-badges", "--db", db_, "--event", kEvent, "--out", out.string()}).code, 0);
  const auto second = read_tsv(out / "badges.tsv");
  ASSERT_EQ(second.size(), first.size());
  for (const auto& [id, fields] : first) {
    if (id == "RB-0002") {
      EXPECT_NE(serial_of(second.at(id)[2]), lost);
    } else {
      EXPECT_EQ(second.at(id)[2], fields[2]) << id;
    }
  }
}

TEST_F(ServerCli, RevokingAnUnknownSerialFails) {
  prepare();
  const Outcome revoke = run({"revoke", "--db", db_, "--serial", "NOSUCHSERIAL"});
  EXPECT_EQ(revoke.code, 1);
  EXPECT_NE(revoke.err.find("NOSUCHSERIAL"), std::string::npos) << revoke.err;
}

// ---- package ----

TEST_F(ServerCli, PackageVerifiesAndListsRevokedSerials) {
  prepare();
  const fs::path out = dir_ / "badges";
  ASSERT_EQ(run({"issue-badges", "--db", db_, "--event", kEvent, "--out", out.string()}).code, 0);
  const std::string lost = serial_of(read_tsv(out / "badges.tsv").at("RB-0001")[2]);
  ASSERT_EQ(run({"revoke", "--db", db_, "--serial", lost}).code, 0);
  const fs::path file = dir_ / "package.json";
  const Outcome package = run({"package", "--db", db_, "--event", kEvent, "--out", file.string()});
  ASSERT_EQ(package.code, 0) << package.err;
  const std::string text = test::read_file(file);
  EXPECT_EQ(text.find("@riverbend.example.org"), std::string::npos) << "e-mail leaked";
  const auto opened = open_package(text, league_keys());
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_EQ(opened->league_id, "LEAGUE");
  ASSERT_TRUE(opened->event.has_value());
  EXPECT_EQ(opened->event->id, kEvent);
  EXPECT_EQ(opened->attendees.size(), 12u);
  EXPECT_EQ(opened->revoked_serials, std::vector<std::string>{lost});
  EXPECT_EQ(opened->league_keys, league_keys());
  // A kiosk's first import (trust on first use) accepts it too.
  EXPECT_TRUE(open_package(text, {}).ok());
}

TEST_F(ServerCli, SigningWithAnotherLeaguesKeyIsRefused) {
  prepare();
  const std::string other_db = (dir_ / "other.db").string();
  ASSERT_EQ(run({"init", "--db", other_db}).code, 0);
  const Outcome package =
      run({"package", "--db", db_, "--event", kEvent, "--out", (dir_ / "p.json").string(),
           "--league-key", other_db + ".league.key"});
  EXPECT_EQ(package.code, 1);
  EXPECT_NE(package.err.find("not a League key of this database"), std::string::npos)
      << package.err;
  EXPECT_FALSE(fs::exists(dir_ / "p.json"));
}

TEST_F(ServerCli, ReadableKeyFileGivesAWarning) {
  prepare();
  fs::permissions(db_ + ".league.key", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  const Outcome package =
      run({"package", "--db", db_, "--event", kEvent, "--out", (dir_ / "p.json").string()});
  EXPECT_EQ(package.code, 0) << package.err;
  EXPECT_NE(package.err.find("chmod 600"), std::string::npos) << package.err;
}

// ---- provision ----

TEST_F(ServerCli, ProvisionPrintsAOneTimeCodeOnTheLastLine) {
  prepare();
  const Outcome provision = run({"provision", "--db", db_, "--event", kEvent, "--name", "Door A"});
  ASSERT_EQ(provision.code, 0) << provision.err;
  const auto lines = lines_of(provision.out);
  ASSERT_GE(lines.size(), 2u);
  const std::string code = lines.back();
  EXPECT_EQ(code.size(), 14u) << code;
  EXPECT_EQ(code.find_first_not_of("ABCDEFGHJKLMNPQRSTUVWXYZ23456789-"), std::string::npos);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i].find(code), std::string::npos); // alone on the last line only
  }
  // The store holds it hashed, and it works exactly once.
  const Instant now = *parse_iso8601("2026-01-01T00:00:00Z");
  auto s = store();
  auto device = s->redeem_provisioning_code(server::hash_secret(code), "DEV-1",
                                            server::hash_secret("token"), now);
  ASSERT_TRUE(device.ok()) << device.message();
  EXPECT_EQ(device->name, "Door A");
  EXPECT_EQ(device->event_id, kEvent);
  EXPECT_FALSE(s->redeem_provisioning_code(server::hash_secret(code), "DEV-2",
                                           server::hash_secret("token2"), now)
                   .ok());
  // Another run gives another code; an unknown event is refused.
  const Outcome second = run({"provision", "--db", db_, "--event", kEvent, "--name", "Door B"});
  EXPECT_NE(lines_of(second.out).back(), code);
  EXPECT_EQ(run({"provision", "--db", db_, "--event", "nope", "--name", "X"}).code, 1);
}

// ---- revocation ----

TEST_F(ServerCli, RevokedDeviceAndAdminTokensAre401OnTheNextRequest) {
  prepare();
  server::HttpOptions options;
  options.database = db_;
  options.port = 0;
  options.log_requests = false;
  auto started = server::HttpServer::start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  httplib::Client http("127.0.0.1", (*started)->port());
  const auto bearer = [](const std::string& token) {
    return httplib::Headers{{"Authorization", "Bearer " + token}};
  };

  const Outcome provision = run({"provision", "--db", db_, "--event", kEvent, "--name", "Door A"});
  ASSERT_EQ(provision.code, 0) << provision.err;
  auto answer = http.Post("/api/v1/devices", json{{"code", lines_of(provision.out).back()}}.dump(),
                          "application/json");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 201) << answer->body;
  const json device = json::parse(answer->body);
  const std::string token = device["token"];
  const std::string peers = std::string("/api/v1/events/") + kEvent + "/scans";
  answer = http.Get(peers, bearer(token));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;

  EXPECT_EQ(run({"revoke-device", "--db", db_, "--device", "dev-unknown"}).code, 1);
  const Outcome revoked = run({"revoke-device", "--db", db_, "--device", device["device_id"]});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  answer = http.Get(peers, bearer(token));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 401) << answer->body;

  // Admin tokens: by the token itself, and by label.
  const auto admin_token = [&](const std::string& label) {
    const Outcome made = run({"admin-token", "--db", db_, "--label", label});
    EXPECT_EQ(made.code, 0) << made.err;
    return lines_of(made.out).back();
  };
  const std::string first = admin_token("ops");
  const std::string second = admin_token("auditor");
  const std::string transcript = "/api/v1/officials/RB-0001/transcript";
  for (const std::string& t : {first, second}) {
    answer = http.Get(transcript, bearer(t));
    ASSERT_TRUE(answer);
    EXPECT_NE(answer->status, 401) << answer->body;
    EXPECT_NE(answer->status, 403) << answer->body;
  }
  EXPECT_EQ(run({"revoke-token", "--db", db_}).code, 2); // --token or --label
  ASSERT_EQ(run({"revoke-token", "--db", db_, "--token", first}).code, 0);
  ASSERT_EQ(run({"revoke-token", "--db", db_, "--label", "auditor"}).code, 0);
  EXPECT_EQ(run({"revoke-token", "--db", db_, "--label", "auditor"}).code, 1); // none left
  for (const std::string& t : {first, second}) {
    answer = http.Get(transcript, bearer(t));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 401) << answer->body;
  }
  // An admin token never issued is still "not an admin token".
  answer = http.Get(transcript, bearer("muster-admin." + std::string(64, 'a')));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
}

TEST_F(ServerCli, RevokedDeskCertificateExpiresNow) {
  prepare();
  auto desk = SigningKey::generate("DESK-1");
  ASSERT_TRUE(desk.ok());
  const Outcome certified = run({"certify-desk", "--db", db_, "--public-key",
                                 to_text(desk->public_key()), "--name", "Registration desk"});
  ASSERT_EQ(certified.code, 0) << certified.err;
  EXPECT_EQ(run({"revoke-desk", "--db", db_, "--key-id", "DESK-2"}).code, 1);
  const Outcome revoked = run({"revoke-desk", "--db", db_, "--key-id", "DESK-1"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  auto records = store()->device_certificates();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  auto certificate = parse_device_certificate((*records)[0].certificate_text);
  ASSERT_TRUE(certificate.ok());
  ASSERT_TRUE(certificate->not_after.has_value());
  EXPECT_LE(*certificate->not_after, std::chrono::system_clock::now());
  // Its badges no longer verify now, so the server refuses its reprints (http_api_test
  // DeskReprint covers the ingest side of an expired certificate).
  auto trust = TrustStore::for_league(store()->league()->id);
  ASSERT_TRUE(trust.ok());
  for (const auto& key : league_keys())
    ASSERT_TRUE(trust->add_league_key(key).ok());
  ASSERT_TRUE(trust->add_device_certificate(*certificate).ok());
  auto badge = sign_badge({store()->league()->id, "RB-0001", "R-1"}, *desk);
  ASSERT_TRUE(badge.ok());
  EXPECT_FALSE(trust
                   ->verify(*badge, std::chrono::time_point_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now()))
                   .ok());
}

// ---- credits ----

// A provisioned device that stores scans through the store API, chained like a kiosk's.
struct Door {
  std::string id;
  std::vector<Scan> scans;
  Digest head{};
};

void add_scan(Door& door, const std::string& attendee, const std::string& session, ScanKind kind,
              const char* time) {
  Scan scan;
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

TEST_F(ServerCli, CreditsMatchHandComputedHoursInCsvAndJson) {
  prepare();
  auto s = store();
  Door a{"DOOR-A", {}, {}};
  Door b{"DOOR-B", {}, {}};
  const Instant now = *parse_iso8601("2026-12-03T12:00:00Z");
  for (Door* door : {&a, &b}) {
    const std::string code = "CODE-" + door->id;
    ASSERT_TRUE(s->add_provisioning_code(server::hash_secret(code), kEvent, door->id,
                                         now + std::chrono::hours(1))
                    .ok());
    ASSERT_TRUE(s->redeem_provisioning_code(server::hash_secret(code), door->id,
                                            server::hash_secret("t" + door->id), now)
                    .ok());
  }
  // S1 runs 14:30Z-16:00Z (08:30-10:00 CST): 1.5 credit hours, grace 10 min, increment 0.25.
  // RB-0001 (mayor): arrives 5 min late (grace: from the start), leaves 15:30Z, 30 min early:
  //   60 of 90 minutes -> 1.0 h, early leave at 15:30Z.
  add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
  add_scan(a, "RB-0001", "S1", ScanKind::leave, "2026-12-03T15:30:00Z");
  // RB-0002 (councilmember): arrives 15 min late at door A, leaves 5 min early at door B
  //   (grace: to the end): 75 of 90 minutes -> 1.25 h, no early leave, two devices.
  add_scan(a, "RB-0002", "S1", ScanKind::arrive, "2026-12-03T14:45:00Z");
  add_scan(b, "RB-0002", "S1", ScanKind::leave, "2026-12-03T15:55:00Z");
  // RB-0003 (clerk): the whole session, but clerks earn no CMO credit.
  add_scan(b, "RB-0003", "S1", ScanKind::arrive, "2026-12-03T14:29:00Z");
  // RB-0001 also in S2 (16:15Z-17:45Z, 1.5 h): the whole session -> 1.5 h.
  add_scan(b, "RB-0001", "S2", ScanKind::arrive, "2026-12-03T16:14:00Z");
  // Received after the session (no scan counts later than the server received it;
  // receiving these at `now`, before they happened, would cut them back to 12:00Z).
  const Instant received = *parse_iso8601("2026-12-03T18:00:00Z");
  for (Door* door : {&a, &b}) {
    auto stored = s->store_scans(door->id, kEvent, door->scans, received);
    ASSERT_TRUE(stored.ok()) << stored.message();
    ASSERT_FALSE(stored->rejection.has_value()) << stored->rejection->reason;
  }

  const Outcome csv = run({"credits", "--db", db_, "--event", kEvent, "--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  const auto lines = lines_of(csv.out);
  ASSERT_EQ(lines.size(), 5u) << csv.out;
  EXPECT_EQ(lines[0],
            "attendee_id,name,role,municipality,session_id,session_title,arrived,left,"
            "arrived_local,left_local,early_leave,early_leave_time,credit_hours,eligible,devices");
  EXPECT_EQ(lines[1],
            "RB-0001,Loretta Haynes,mayor,City of Riverbend,S1,Ethics for Municipal Officials,"
            "2026-12-03T14:35:00Z,2026-12-03T15:30:00Z,2026-12-03 08:35 CST,2026-12-03 09:30 CST,"
            "true,2026-12-03T15:30:00Z,1.00,true,DOOR-A");
  EXPECT_EQ(lines[2].substr(0, 12), "RB-0001,Lore");
  EXPECT_NE(lines[2].find(",S2,"), std::string::npos);
  EXPECT_NE(lines[2].find(",false,,1.50,true,DOOR-B"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("RB-0002,Marcus O'Neal,councilmember"), std::string::npos);
  EXPECT_NE(lines[3].find(",false,,1.25,true,DOOR-A;DOOR-B"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4].find("RB-0003,Patricia Dunlap,clerk"), std::string::npos);
  EXPECT_NE(lines[4].find(",0.00,false,DOOR-B"), std::string::npos) << lines[4];

  const Outcome js = run({"credits", "--db", db_, "--event", kEvent, "--format", "json"});
  ASSERT_EQ(js.code, 0) << js.err;
  const json doc = json::parse(js.out);
  EXPECT_EQ(doc.at("event_id"), kEvent);
  const json& people = doc.at("attendees");
  ASSERT_EQ(people.size(), 3u);
  EXPECT_EQ(people[0].at("attendee_id"), "RB-0001");
  EXPECT_DOUBLE_EQ(people[0].at("total_credit_hours").get<double>(), 2.5);
  EXPECT_EQ(people[0].at("sessions")[0].at("early_leave"), true);
  EXPECT_EQ(people[0].at("sessions")[0].at("early_leave_time"), "2026-12-03T15:30:00Z");
  EXPECT_DOUBLE_EQ(people[1].at("sessions")[0].at("credit_hours").get<double>(), 1.25);
  EXPECT_EQ(people[1].at("sessions")[0].at("devices"), json({"DOOR-A", "DOOR-B"}));
  EXPECT_EQ(people[2].at("eligible"), false);
  EXPECT_EQ(people[2].at("sessions")[0].at("left"), nullptr);
}

TEST_F(ServerCli, ReviewListsStaffCorrectionsAndCsvCellsCannotRunAsFormulas) {
  prepare();
  auto s = store();
  // A name typed as a formula, as a walk-in or a roster row may carry it.
  auto official = s->attendee("RB-0001");
  ASSERT_TRUE(official.ok());
  Attendee renamed = *official;
  renamed.first_name = "=HYPERLINK(\"http://x.invalid\",\"click\")";
  renamed.municipality = "@SUM(A1)";
  ASSERT_TRUE(s->upsert_roster(std::vector<Attendee>{renamed}).ok());
  Door a{"DOOR-A", {}, {}};
  const Instant now = *parse_iso8601("2026-12-03T12:00:00Z");
  ASSERT_TRUE(s->add_provisioning_code(server::hash_secret("CODE-A"), kEvent, "Door A",
                                       now + std::chrono::hours(1))
                  .ok());
  ASSERT_TRUE(s->redeem_provisioning_code(server::hash_secret("CODE-A"), a.id,
                                          server::hash_secret("t"), now)
                  .ok());
  add_scan(a, "RB-0001", "S1", ScanKind::arrive, "2026-12-03T14:35:00Z");
  Scan correction;
  correction.device_id = a.id;
  correction.sequence = 2;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S1";
  correction.kind = ScanKind::correction;
  correction.correction = Correction::leave;
  correction.wall_time = *parse_iso8601("2026-12-03T16:10:00Z");
  correction.effective_time = *parse_iso8601("2026-12-03T15:30:00Z");
  correction.staff_id = "STAFF-9";
  correction.reason = "left early\x1b[2J";
  seal(correction, a.head);
  a.scans.push_back(correction);
  auto stored = s->store_scans(a.id, kEvent, a.scans, now);
  ASSERT_TRUE(stored.ok()) << stored.message();

  const Outcome review = run({"review", "--db", db_, "--event", kEvent});
  ASSERT_EQ(review.code, 0) << review.err;
  EXPECT_NE(review.out.find("1 staff correction(s)"), std::string::npos) << review.out;
  EXPECT_NE(review.out.find("STAFF-9"), std::string::npos) << review.out;
  EXPECT_NE(review.out.find("DOOR-A"), std::string::npos) << review.out;
  EXPECT_EQ(review.out.find('\x1b'), std::string::npos) << "escape reached the terminal";
  const Outcome review_json = run({"review", "--db", db_, "--event", kEvent, "--format", "json"});
  ASSERT_EQ(review_json.code, 0) << review_json.err;
  const json listed = json::parse(review_json.out);
  ASSERT_EQ(listed["corrections"].size(), 1u) << review_json.out;
  EXPECT_EQ(listed["corrections"][0]["staff_id"], "STAFF-9");
  EXPECT_EQ(listed["corrections"][0]["correction"], "leave");

  const Outcome csv = run({"credits", "--db", db_, "--event", kEvent, "--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  for (const std::string& line : lines_of(csv.out)) {
    for (const char* cell_start : {",=", ",@", ",\"=", ",\"@"}) {
      EXPECT_EQ(line.find(cell_start), std::string::npos) << line;
    }
  }
  EXPECT_NE(csv.out.find("'@SUM(A1)"), std::string::npos) << csv.out;
}

TEST_F(ServerCli, CreditsForAnUnknownEventFail) {
  prepare();
  const Outcome credits = run({"credits", "--db", db_, "--event", "no-such-event"});
  EXPECT_EQ(credits.code, 1);
  EXPECT_NE(credits.err.find("no-such-event"), std::string::npos) << credits.err;
}

// ---- demo ----

TEST_F(ServerCli, DemoSeedsALiveEventWithBadgesAndAPackage) {
  const fs::path out = dir_ / "demo";
  const Outcome demo = run({"demo", "--db", db_, "--out", out.string()});
  ASSERT_EQ(demo.code, 0) << demo.err;
  {
    // The demo database holds provisioning codes and the demo's devices: owner-only.
    struct stat info {};
    ASSERT_EQ(::stat(db_.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777U, 0600U);
  }
  EXPECT_NE(demo.out.find("muster-server serve --db"), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("import-package"), std::string::npos) << demo.out;
  EXPECT_EQ(store()->league()->id, "DEMO");
  const auto rows = read_tsv(out / "badges.tsv");
  EXPECT_EQ(rows.size(), 12u);
  EXPECT_EQ(decode_png(out / "RB-0001.png"), rows.at("RB-0001")[2]);
  auto event = store()->event(kEvent);
  ASSERT_TRUE(event.ok());
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  // Live whenever started: the first session began at the top of this local hour, today, and
  // is in progress; the others keep their local times relative to it (15 min break after S1).
  const Session& first = event->sessions.front();
  EXPECT_EQ(local_date(first.start, event->timezone), local_date(now, event->timezone));
  EXPECT_EQ(format_local(first.start, event->timezone, "%M:%S"), "00:00");
  EXPECT_LE(first.start, now);
  EXPECT_GT(first.end, now);
  EXPECT_EQ(event->sessions.at(1).start - first.end, std::chrono::minutes(15));
  const auto package = open_package(test::read_file(out / "event-package.json"), league_keys());
  ASSERT_TRUE(package.ok()) << package.message();
  EXPECT_EQ(package->attendees.size(), 12u);
  // Running it again reuses the League and reprints the same badges.
  const Outcome again = run({"demo", "--db", db_, "--out", out.string()});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(read_tsv(out / "badges.tsv"), rows);
}

// ---- PostgreSQL (only with the CTest fixture's cluster) ----

TEST(ServerCliBackend, postgresql) {
  const auto base = test::postgres_fixture_url();
  if (!base) GTEST_SKIP() << test::kNoPostgres;
  ASSERT_TRUE(muster::sodium_started());
  const auto database = test::create_postgres_database(*base, "muster_cli_");
  ASSERT_EQ(database.error, "");
  const std::string& db = database.url;
  test::TempDir dir;
  const std::string key = (dir / "league.key").string();
  const auto run = [&](std::vector<std::string> args) {
    std::string command = "timeout 120 " + quoted(kProgram.string());
    for (const auto& arg : args)
      command += " " + quoted(arg);
    command += " >" + quoted((dir / "out").string()) + " 2>&1";
    const int status = std::system(command.c_str());
    return std::pair{WIFEXITED(status) ? WEXITSTATUS(status) : -1, test::read_file(dir / "out")};
  };
  auto [code, text] = run({"init", "--db", db, "--league-key", key});
  ASSERT_EQ(code, 0) << text;
  std::tie(code, text) = run({"import-roster", "--db", db, (kDemo / "roster.csv").string()});
  ASSERT_EQ(code, 0) << text;
  std::tie(code, text) = run({"import-event", "--db", db, (kDemo / "event.json").string()});
  ASSERT_EQ(code, 0) << text;
  std::tie(code, text) = run({"issue-badges", "--db", db, "--league-key", key, "--event", kEvent,
                              "--out", (dir / "badges").string()});
  ASSERT_EQ(code, 0) << text;
  std::tie(code, text) = run({"package", "--db", db, "--league-key", key, "--event", kEvent,
                              "--out", (dir / "package.json").string()});
  ASSERT_EQ(code, 0) << text;
  const auto package = open_package(test::read_file(dir / "package.json"), {});
  ASSERT_TRUE(package.ok()) << package.message();
  EXPECT_EQ(package->attendees.size(), 12u);
  std::tie(code, text) = run({"package", "--db", db, "--event", kEvent, "--out", "x"});
  EXPECT_EQ(code, 1);
  EXPECT_NE(text.find("--league-key"), std::string::npos) << text;
}

} // namespace
} // namespace muster
