#include "kiosk/app/headless.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/app/kiosk_settings.hpp"
#include "shared/import.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using nlohmann::json;

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items())
    keys.push_back(item.key());
  return keys;
}

TEST(Headless, JsonHasExactlyTheIssuesFieldsPerResult) {
  CheckinOutcome arrived;
  arrived.result = CheckinResult::arrived;
  arrived.attendee_id = "RB-0001";
  arrived.session_id = "S1";
  EXPECT_EQ(outcome_json(arrived), R"({"result":"arrived","attendee":"RB-0001","session":"S1"})");

  CheckinOutcome left = arrived;
  left.result = CheckinResult::left;
  left.early = true;
  left.credit_hours = 0.75;
  EXPECT_EQ(
      outcome_json(left),
      R"({"result":"left","attendee":"RB-0001","session":"S1","early":true,"credit_hours":0.75})");

  CheckinOutcome rejected;
  rejected.result = CheckinResult::rejected;
  rejected.reason = "forged badge";
  EXPECT_EQ(outcome_json(rejected),
            R"({"result":"rejected","attendee":null,"session":null,"reason":"forged badge"})");
  CheckinOutcome ignored = arrived;
  ignored.result = CheckinResult::ignored;
  ignored.reason = "duplicate scan";
  EXPECT_EQ(keys_of(json::parse(outcome_json(ignored))),
            (std::vector<std::string>{"attendee", "reason", "result", "session"}));
}

TEST(Headless, SimulatedClockLinesSetTheScanTime) {
  test::TempDir dir;
  auto store = KioskStore::open(dir / "kiosk.db");
  ASSERT_TRUE(store);
  auto event = read_event_json(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
  ASSERT_TRUE(event);
  ASSERT_TRUE(store->replace_event(*event));
  auto roster =
      read_roster_csv(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/roster.csv");
  ASSERT_TRUE(roster);
  ASSERT_TRUE(store->upsert_roster(*roster));
  auto key = SigningKey::generate("LK1");
  ASSERT_TRUE(key);
  const std::array<PublicKey, 1> keys{key->public_key()};
  ASSERT_TRUE(save_trust(*store, "LEAGUE", keys, {}));
  const auto payload = sign_badge({"LEAGUE", "RB-0001", "RB-0001-1"}, *key);
  ASSERT_TRUE(payload);

  CheckinOptions options;
  options.room = "Ballroom A";
  auto checkin = Checkin::open(*store, options);
  ASSERT_TRUE(checkin) << checkin.message();
  std::istringstream in(
      "@2026-12-03T08:30:00-06:00 " + *payload + "\r\n" + "@2026-12-03T08:30:10-06:00 " + *payload +
      "\n" + "@2026-12-03T09:00:00-06:00 " + *payload + "\n" + "@not-a-time " + *payload + "\n");
  std::ostringstream out;
  EXPECT_EQ(run_headless(*checkin, in, out, HeadlessOptions{true}), 4u);
  std::istringstream lines(out.str());
  std::vector<json> results;
  for (std::string line; std::getline(lines, line);)
    results.push_back(json::parse(line));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0]["result"], "arrived");
  EXPECT_EQ(results[0]["session"], "S1");
  EXPECT_EQ(results[1]["result"], "ignored");
  EXPECT_EQ(results[2]["result"], "left");
  EXPECT_EQ(results[2]["early"], true);
  EXPECT_DOUBLE_EQ(results[2]["credit_hours"].get<double>(), 0.5);
  EXPECT_EQ(results[3]["result"], "rejected");
  // The leave is on disk with the simulated time.
  const auto scans = store->scans_after(checkin->device_id(), 0, 10);
  ASSERT_TRUE(scans);
  ASSERT_EQ(scans->size(), 2u);
  EXPECT_EQ(scans->back().wall_time, *parse_iso8601("2026-12-03T09:00:00-06:00"));
}

} // namespace
} // namespace muster::kiosk
