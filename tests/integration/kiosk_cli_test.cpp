// The real muster-kiosk program, run as a subprocess: headless JSON, decode, demo, import-package.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "kiosk/scan/decoder.hpp"
#include "kiosk/scan/gray_image.hpp"
#include "shared/badge.hpp"
#include "shared/credit.hpp"
#include "shared/event_package.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kKiosk = fs::path(MUSTER_BINARY_DIR) / "kiosk" / "muster-kiosk";

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs the kiosk with `args`, feeding `input` on stdin; bounded by `timeout`.
Run run_kiosk(const test::TempDir& scratch, const std::vector<std::string>& args,
              const std::string& input = "") {
  const auto in = scratch / "stdin.txt";
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  test::write_file(in, input);
  std::string command = "timeout 120 " + quoted(kKiosk.string());
  for (const auto& arg : args)
    command += " " + quoted(arg);
  command +=
      " < " + quoted(in.string()) + " > " + quoted(out.string()) + " 2> " + quoted(err.string());
  const int status = std::system(command.c_str());
  Run run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = test::read_file(out);
  run.err = test::read_file(err);
  return run;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t'))
    fields.push_back(field);
  return fields;
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items())
    keys.push_back(item.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(KioskCli, HelpNamesEveryMode) {
  test::TempDir scratch;
  const auto help = run_kiosk(scratch, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word :
       {"--data", "--room", "--demo", "--device-id", "headless", "decode", "import-package"}) {
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
  }
  const auto headless_help = run_kiosk(scratch, {"headless", "--help"});
  EXPECT_EQ(headless_help.exit_code, 0);
  EXPECT_NE(headless_help.out.find("--simulated-clock"), std::string::npos);
  EXPECT_NE(run_kiosk(scratch, {"--no-such-flag"}).exit_code, 0);
}

TEST(KioskCli, DemoWritesFortyBadgesWhosePayloadsVerify) {
  test::TempDir dir;
  const auto demo = run_kiosk(dir, {"--data", (dir / "data").string(), "--demo"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const auto rows = lines_of(test::read_file(dir / "data" / "demo" / "badges.tsv"));
  ASSERT_EQ(rows.size(), 40u);

  auto key = parse_public_key(
      lines_of(test::read_file(dir / "data" / "demo" / "league-public.key")).at(0));
  ASSERT_TRUE(key) << key.message();
  auto trust = TrustStore::for_league("DEMO");
  ASSERT_TRUE(trust);
  ASSERT_TRUE(trust->add_league_key(*key));
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    const auto fields = split_tabs(row);
    ASSERT_EQ(fields.size(), 4u) << row;
    const auto badge = trust->verify(fields[3], Instant{});
    ASSERT_TRUE(badge) << row << ": " << badge.message();
    EXPECT_EQ(badge->attendee_id, fields[0]);
    EXPECT_TRUE(parse_role(fields[2])) << fields[2];
    EXPECT_TRUE(fs::exists(dir / "data" / "demo" / "badges" / (fields[0] + ".png")));
    ids.push_back(fields[0]);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());

  // The printed badge decodes to its payload through the kiosk's own decode mode.
  const auto first = split_tabs(rows.front());
  const auto png = (dir / "data" / "demo" / "badges" / (first[0] + ".png")).string();
  const auto decoded = run_kiosk(dir, {"decode", png});
  EXPECT_EQ(decoded.exit_code, 0);
  EXPECT_EQ(decoded.out, png + "\t" + first[3] + "\n");

  // A second run keeps the same badges.
  ASSERT_EQ(run_kiosk(dir, {"--data", (dir / "data").string(), "--demo"}).exit_code, 0);
  EXPECT_EQ(lines_of(test::read_file(dir / "data" / "demo" / "badges.tsv")), rows);
}

TEST(KioskCli, HeadlessWithSimulatedClockOverTheDemo) {
  test::TempDir dir;
  const auto data = (dir / "data").string();
  ASSERT_EQ(run_kiosk(dir, {"--data", data, "--demo"}).exit_code, 0);
  const auto rows = lines_of(test::read_file(dir / "data" / "demo" / "badges.tsv"));
  ASSERT_GE(rows.size(), 3u);
  const auto mayor = split_tabs(rows[0]);         // DEMO-001, mayor
  const auto councilmember = split_tabs(rows[1]); // DEMO-002, councilmember
  ASSERT_EQ(mayor[2], "mayor");
  ASSERT_EQ(councilmember[2], "councilmember");
  // A forgery: someone else's id on a genuine badge's signature.
  std::string forged = split_tabs(rows[2])[3];
  forged.replace(forged.find("DEMO-003."), 9, "DEMO-009.");

  // The first Ballroom A session of the demo day (the demo door's room).
  Session session;
  {
    auto store = KioskStore::open(dir / "data" / "kiosk.db", StoreOptions{.read_only = true});
    ASSERT_TRUE(store) << store.message();
    auto event = store->event();
    ASSERT_TRUE(event);
    std::vector<Session> ballroom;
    for (const auto& s : event->sessions) {
      if (s.room == "Ballroom A") ballroom.push_back(s);
    }
    ASSERT_FALSE(ballroom.empty());
    session =
        *std::min_element(ballroom.begin(), ballroom.end(),
                          [](const Session& a, const Session& b) { return a.start < b.start; });
  }
  const auto at = [&](std::chrono::minutes offset,
                      std::chrono::seconds extra = std::chrono::seconds{0}) {
    return "@" + format_utc(session.start + offset + extra) + " ";
  };
  using std::chrono::minutes;
  const auto end_offset = std::chrono::duration_cast<minutes>(session.end - session.start);
  const std::string input =
      at(minutes{1}) + mayor[3] + "\n" + at(minutes{1}, std::chrono::seconds{20}) + mayor[3] +
      "\n" + at(end_offset - minutes{5}) + mayor[3] + "\n" + at(minutes{2}) + councilmember[3] +
      "\n" + at(minutes{32}) + councilmember[3] + "\n" + at(minutes{40}) + forged + "\n";
  const auto run = run_kiosk(dir, {"--data", data, "headless", "--simulated-clock"}, input);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 6u) << run.out;
  std::vector<json> results;
  for (const auto& line : lines)
    results.push_back(json::parse(line));

  using Keys = std::vector<std::string>;
  const Keys plain{"attendee", "result", "session"};
  const Keys with_reason{"attendee", "reason", "result", "session"};
  const Keys leave{"attendee", "credit_hours", "early", "result", "session"};

  EXPECT_EQ(keys_of(results[0]), plain);
  EXPECT_EQ(results[0]["result"], "arrived");
  EXPECT_EQ(results[0]["attendee"], mayor[0]);
  EXPECT_EQ(results[0]["session"], session.id);

  EXPECT_EQ(keys_of(results[1]), with_reason);
  EXPECT_EQ(results[1]["result"], "ignored");
  EXPECT_TRUE(results[1]["reason"].is_string());

  EXPECT_EQ(keys_of(results[2]), leave);
  EXPECT_EQ(results[2]["result"], "left");
  EXPECT_EQ(results[2]["early"], false);
  EXPECT_DOUBLE_EQ(results[2]["credit_hours"].get<double>(), session.credit_hours);

  EXPECT_EQ(results[3]["result"], "arrived");
  EXPECT_EQ(results[3]["attendee"], councilmember[0]);
  EXPECT_EQ(keys_of(results[4]), leave);
  EXPECT_EQ(results[4]["result"], "left");
  EXPECT_EQ(results[4]["early"], true);
  // 32 minutes (arrival within grace counts from the start) of the session, rounded down.
  const double hours = session.credit_hours * 32.0 / static_cast<double>(end_offset.count());
  EXPECT_DOUBLE_EQ(results[4]["credit_hours"].get<double>(), round_down_to_increment(hours, 0.25));

  EXPECT_EQ(keys_of(results[5]), with_reason);
  EXPECT_EQ(results[5]["result"], "rejected");
  EXPECT_TRUE(results[5]["attendee"].is_null());
  EXPECT_EQ(results[5]["reason"], "forged badge");

  // Every recorded scan is in the store after the program has gone.
  auto store = KioskStore::open(dir / "data" / "kiosk.db", StoreOptions{.read_only = true});
  ASSERT_TRUE(store);
  const auto scans = store->scans_for_session(session.id);
  ASSERT_TRUE(scans);
  EXPECT_EQ(scans->size(), 4u);
}

TEST(KioskCli, DecodePrintsPathTabPayloadPerImage) {
  test::TempDir dir;
  const std::string payload = "MU1.LEAGUE.A-1.A-1-1.K1.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const auto code = (dir / "code.png").string();
  const auto blank = (dir / "blank.png").string();
  ASSERT_TRUE(kiosk::write_png(kiosk::render_qr(payload, 5, 4), code));
  ASSERT_TRUE(kiosk::write_png(kiosk::GrayImage(400, 300, 220), blank));
  const auto run = run_kiosk(dir, {"decode", code, blank});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, code + "\t" + payload + "\n" + blank + "\t\n");
  const auto missing = run_kiosk(dir, {"decode", (dir / "missing.png").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(missing.out, (dir / "missing.png").string() + "\t\n");
  EXPECT_NE(missing.err.find("missing.png"), std::string::npos);
}

TEST(KioskCli, ImportPackageSetsUpAKioskOffline) {
  test::TempDir dir;
  auto key = SigningKey::generate("LK1");
  ASSERT_TRUE(key);
  auto event = read_event_json(fs::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
  ASSERT_TRUE(event);
  auto roster = read_roster_csv(fs::path(MUSTER_SOURCE_DIR) / "assets/demo/roster.csv");
  ASSERT_TRUE(roster);
  EventPackage package;
  package.league_id = "LEAGUE";
  package.cursor = 7;
  package.event = *event;
  package.attendees = *roster;
  package.revoked_serials = {"RB-0002-1"};
  package.league_keys = {key->public_key()};
  package.generated_at = *parse_iso8601("2026-12-01T12:00:00Z");
  const auto envelope = sign_package(package, *key);
  test::write_file(dir / "event.pkg", envelope);
  std::string tampered = envelope;
  tampered.replace(tampered.find("Ballroom A"), 10, "Ballroom B");
  test::write_file(dir / "tampered.pkg", tampered);

  const auto data = (dir / "data").string();
  const auto refused =
      run_kiosk(dir, {"--data", data, "import-package", (dir / "tampered.pkg").string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("refused"), std::string::npos) << refused.err;

  const auto imported =
      run_kiosk(dir, {"--data", data, "import-package", (dir / "event.pkg").string()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("12 attendees"), std::string::npos) << imported.out;

  const auto badge = sign_badge({"LEAGUE", "RB-0001", "RB-0001-1"}, *key);
  const auto revoked = sign_badge({"LEAGUE", "RB-0002", "RB-0002-1"}, *key);
  ASSERT_TRUE(badge && revoked);
  const auto run =
      run_kiosk(dir, {"--data", data, "--room", "Room 104", "headless", "--simulated-clock"},
                "@2026-12-03T10:20:00-06:00 " + *badge + "\n" + "@2026-12-03T10:21:00-06:00 " +
                    *revoked + "\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto lines = lines_of(run.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["session"], "S3");
  EXPECT_EQ(json::parse(lines[0])["result"], "arrived");
  EXPECT_EQ(json::parse(lines[1])["result"], "rejected");
  EXPECT_EQ(json::parse(lines[1])["reason"], "revoked badge");
}

TEST(KioskCli, HeadlessWithoutAnEventFailsWithAClearMessage) {
  test::TempDir dir;
  const auto run = run_kiosk(dir, {"--data", (dir / "data").string(), "headless"}, "x\n");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("import an event package"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty());
}

} // namespace
} // namespace muster
