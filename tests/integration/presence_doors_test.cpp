// Presence across doors, end to end as staff run it: three real `muster-kiosk` processes at
// three doors of one room ("Hall"), scanning through `headless --simulated-clock`, syncing with
// `sync --once` against the real server on 127.0.0.1, then `muster-server close-event`,
// `credits`, `credit-form` and `review`. Hours are worked out by hand from the presence rule
// (shared/presence.hpp): S1 15:00-17:00 UTC 2.0 h, S2 17:30-18:30 1.0 h, grace 10 min, lead
// time 15 min, increments of 0.25 h.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fault/sync_world.hpp"
#include "tests/support/kiosk_doors.hpp"
#include "tests/support/process.hpp"

namespace muster::test {
namespace {

using nlohmann::json;

std::string quote(const std::string& text) { return "'" + text + "'"; }

std::string server_binary() {
  return std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server";
}

class PresenceDoors : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(world_.setup(6)); }

  std::filesystem::path door(const std::string& name) { return doors_.door(name); }

  void provision(const std::string& name) {
    const std::string code = "DOOR-CODE-" + name;
    auto added = world_.store().add_provisioning_code(
        server::hash_secret(code), SyncWorld::kEvent, "Hall door " + name,
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
            std::chrono::hours{1});
    ASSERT_TRUE(added.ok()) << added.message();
    const Ran ran = doors_.provision(name, world_.url(), code);
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  // Scans at the door: (UTC time, attendee); one JSON answer per scan.
  std::vector<json> scan(const std::string& name,
                         const std::vector<std::pair<std::string, std::string>>& scans) {
    return doors_.scan(name, scans);
  }

  void sync(const std::string& name) {
    const Ran ran = doors_.sync(name);
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  Ran server(const std::string& args) {
    return run_shell(server_binary() + " " + args + " --db " + quote(world_.database()));
  }

  SyncWorld world_;
  KioskDoors doors_{world_.dir(), [this](const std::string& a) { return world_.payload(a); }};
};

TEST_F(PresenceDoors, ThreeDoorsOfOneRoomAgreeThroughSyncAndCreditFollowsTheRule) {
  for (const char* name : {"1", "2", "3"})
    ASSERT_NO_FATAL_FAILURE(provision(name));

  // Door 1: A1 and A2 arrive, A3 arrives early (S1's lead time).
  const auto first = scan("1", {{"2026-03-02T15:00:00Z", "A1"},
                                {"2026-03-02T15:05:00Z", "A2"},
                                {"2026-03-02T14:50:00Z", "A3"}});
  for (const auto& answer : first)
    EXPECT_EQ(answer.at("result"), "arrived") << answer.dump();
  ASSERT_NO_FATAL_FAILURE(sync("1"));
  // Door 2 syncs and so knows of door 1's arrivals: A1's scan is a leave, asked as one.
  ASSERT_NO_FATAL_FAILURE(sync("2"));
  const auto second = scan("2", {{"2026-03-02T15:40:00Z", "A1"},
                                 // the break: S1 is over, S2 starts within the lead time
                                 {"2026-03-02T17:20:00Z", "A3"}});
  ASSERT_EQ(second.size(), 2U);
  EXPECT_EQ(second[0].at("result"), "left");
  EXPECT_EQ(second[0].at("session"), "S1");
  EXPECT_EQ(second[0].at("early"), true);
  EXPECT_DOUBLE_EQ(second[0].at("credit_hours").get<double>(), 0.5); // 40 of 120 min of 2 h
  EXPECT_EQ(second[1].at("result"), "arrived");
  EXPECT_EQ(second[1].at("session"), "S2");
  ASSERT_NO_FATAL_FAILURE(sync("2"));
  // Door 3 never heard of anyone since provisioning: it labels A2's scan an arrival.
  const auto third = scan("3", {{"2026-03-02T16:00:00Z", "A2"}});
  ASSERT_EQ(third.size(), 1U);
  EXPECT_EQ(third[0].at("result"), "arrived");
  ASSERT_NO_FATAL_FAILURE(sync("3"));
  // After one more sync door 3 agrees: A2 is outside now, so A2's next scan there arrives.
  ASSERT_NO_FATAL_FAILURE(sync("3"));
  const auto back = scan("3", {{"2026-03-02T16:30:00Z", "A2"}});
  EXPECT_EQ(back.at(0).at("result"), "arrived");
  ASSERT_NO_FATAL_FAILURE(sync("3"));

  const Ran closed = server("close-event --event EV1");
  ASSERT_EQ(closed.exit_code, 0) << closed.out;
  const Ran credits = server("credits --event EV1 --format json");
  ASSERT_EQ(credits.exit_code, 0) << credits.out;
  const json doc = json::parse(credits.out);
  std::map<std::pair<std::string, std::string>, json> rows;
  for (const auto& person : doc.at("attendees")) {
    for (const auto& session : person.at("sessions"))
      rows[{person.at("attendee_id"), session.at("session_id")}] = session;
  }
  // A1: 15:00-15:40 -> 0.5, early. A2: 15:00 (grace) -16:00, back 16:30-17:00 = 90 min -> 1.5.
  // A3: S1 in full (present to its end), then S2 in full.
  EXPECT_DOUBLE_EQ(rows.at({"A1", "S1"}).at("credit_hours").get<double>(), 0.5);
  EXPECT_EQ(rows.at({"A1", "S1"}).at("early_leave"), true);
  EXPECT_DOUBLE_EQ(rows.at({"A2", "S1"}).at("credit_hours").get<double>(), 1.5);
  EXPECT_EQ(rows.at({"A2", "S1"}).at("early_leave"), false);
  EXPECT_DOUBLE_EQ(rows.at({"A3", "S1"}).at("credit_hours").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(rows.at({"A3", "S2"}).at("credit_hours").get<double>(), 1.0);
  EXPECT_FALSE(rows.contains({"A1", "S2"}));

  // Door 3's label for A2 at 16:00 disagreed with the rule: listed for review, noted on the form.
  const Ran review = server("review --event EV1");
  ASSERT_EQ(review.exit_code, 0) << review.out;
  EXPECT_NE(review.out.find("1 scan(s) to review"), std::string::npos) << review.out;
  EXPECT_NE(review.out.find("A2\t"), std::string::npos) << review.out;
  EXPECT_NE(review.out.find("recorded an arrival"), std::string::npos) << review.out;
  EXPECT_EQ(review.out.find("A1\t"), std::string::npos) << "door 2 knew: nothing to review";
  const Ran form = server("credit-form --event EV1 --official A2 --format csv");
  ASSERT_EQ(form.exit_code, 0) << form.out;
  EXPECT_NE(form.out.find("credit follows the scans of every door"), std::string::npos) << form.out;
  const Ran json_review = server("review --event EV1 --format json");
  ASSERT_EQ(json_review.exit_code, 0);
  EXPECT_EQ(json::parse(json_review.out).at("items").size(), 1U);
}

TEST_F(PresenceDoors, EveryOrderOfSyncGivesTheSameCredit) {
  for (const char* name : {"1", "2"})
    ASSERT_NO_FATAL_FAILURE(provision(name));
  // Neither door hears of the other before the end: each labels its own scans.
  scan("1", {{"2026-03-02T15:02:00Z", "A4"}, {"2026-03-02T16:20:00Z", "A5"}});
  scan("2", {{"2026-03-02T15:30:00Z", "A4"}, {"2026-03-02T15:10:00Z", "A5"}});
  ASSERT_NO_FATAL_FAILURE(sync("2"));
  ASSERT_NO_FATAL_FAILURE(sync("1"));
  const Ran credits = server("credits --event EV1");
  ASSERT_EQ(credits.exit_code, 0) << credits.out;
  // A4: 15:00-15:30 = 30 of 120 min -> 0.5 early. A5: 15:10 is within the 10 min of grace, so
  // 15:00-16:20 = 80 min -> 1.33 -> 1.25 (exactly at the grace limit, whatever the measured
  // clock offset's milliseconds).
  EXPECT_NE(credits.out.find("A4,"), std::string::npos);
  const json doc = json::parse(server("credits --event EV1 --format json").out);
  std::map<std::string, double> hours;
  for (const auto& person : doc.at("attendees"))
    hours[person.at("attendee_id")] = person.at("total_credit_hours").get<double>();
  EXPECT_DOUBLE_EQ(hours.at("A4"), 0.5);
  EXPECT_DOUBLE_EQ(hours.at("A5"), 1.25);
}

} // namespace
} // namespace muster::test
