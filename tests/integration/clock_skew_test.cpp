// Clocks that lie, end to end: the real `muster-kiosk headless` (real time, no
// --simulated-clock) and `sync --once` under Debian's faketime with FAKETIME_DONT_FAKE_MONOTONIC=1
// (as on a machine with a wrong RTC: only the wall clock lies), against a real server on
// 127.0.0.1, then `muster-server credits` and `credit-form`. The event is live: its sessions are
// placed around the real current time, so every arrival is a real-time scan of session "C".
// A "reboot" is a new boot id, given through MUSTER_BOOT_ID_FILE (test-only, shared/boot_id.hpp).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fault/sync_world.hpp"
#include "tests/support/process.hpp"

namespace muster::test {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kClockEvent = "CLK";

std::string quote(const std::string& text) { return "'" + text + "'"; }

std::string kiosk_binary() { return std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk"; }
std::string server_binary() {
  return std::string(MUSTER_BINARY_DIR) + "/sync/server/muster-server";
}

// "LD_PRELOAD=<libasan> " when this build is sanitized (the path is the compiler's, found at
// configure time), "" otherwise.
constexpr const char* asan_runtime_preload() {
#ifdef MUSTER_ASAN_RUNTIME
  return "LD_PRELOAD='" MUSTER_ASAN_RUNTIME "' ";
#else
  return "";
#endif
}

Instant real_now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// The wall clock a kiosk process sees: faketime's offset ("" for the true clock).
struct Clock {
  std::string faketime; // e.g. "+2h", "-3d"
  std::string boot;     // the boot id file's content
};

class ClockSkew : public ::testing::Test {
protected:
  void start(const std::string& database = "") {
    ASSERT_EQ(run_shell("which faketime").exit_code, 0)
        << "faketime is missing: packaging/setup.sh installs it";
    ASSERT_NO_FATAL_FAILURE(world_.setup(8, database));
    // A live event: E ended two hours ago, C is in progress, N starts in two hours, one room.
    const Instant now = std::chrono::floor<minutes>(real_now());
    Event event = world_.event();
    event.id = kClockEvent;
    event.name = "Clock Event";
    event.timezone = "UTC";
    event.sessions = {session("E", now - hours{4}, now - hours{2}),
                      session("C", now - minutes{30}, now + minutes{90}),
                      session("N", now + hours{2}, now + hours{3})};
    auto stored = world_.store().upsert_event(event);
    ASSERT_TRUE(stored.ok()) << stored.message();
    const std::string code = "CLOCK-CODE";
    auto added = world_.store().add_provisioning_code(server::hash_secret(code), kClockEvent,
                                                      "Hall door", now + hours{1});
    ASSERT_TRUE(added.ok()) << added.message();
    // Provisioned with a true clock, in boot A.
    const Ran ran =
        kiosk(Clock{"", "boot-a"}, "--room Hall provision " + world_.url() + " " + code);
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
  }

  static Session session(const std::string& id, Instant start, Instant end) {
    Session s;
    s.id = id;
    s.title = "Session " + id;
    s.room = "Hall";
    s.start = start;
    s.end = end;
    s.credit_hours = std::chrono::duration<double, std::ratio<3600>>(end - start).count();
    s.course_code = "C-" + id;
    return s;
  }

  Ran kiosk(const Clock& clock, const std::string& args, const std::string& input = "") {
    const auto boot_file = world_.dir() / ("boot-" + clock.boot);
    write_file(boot_file, clock.boot + "\n");
    std::string command = "MUSTER_BOOT_ID_FILE=" + quote(boot_file.string()) + " ";
    if (!clock.faketime.empty()) {
      // faketime appends libfaketime to LD_PRELOAD; an ASan build refuses to start unless its
      // runtime is the first library loaded, so that build preloads the runtime ahead of it.
      command += std::string(asan_runtime_preload()) +
                 "FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f " + quote(clock.faketime) + " ";
    }
    command += kiosk_binary() + " --data " + quote((world_.dir() / "door").string()) + " " + args;
    if (!input.empty()) {
      const auto file = world_.dir() / "input.txt";
      write_file(file, input);
      command += " < " + quote(file.string());
    }
    return run_shell(command);
  }

  void sync(const Clock& clock) {
    const Ran ran = kiosk(clock, "sync --once");
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
    if (std::getenv("CLOCK_DEBUG") != nullptr) std::cerr << "sync: " << ran.out << "\n";
  }

  // One real-time arrival of `attendee`; remembers when it truly happened (to the process).
  void arrive(const Clock& clock, const std::string& attendee) {
    const Instant before = real_now();
    const Ran ran = kiosk(clock, "headless", world_.payload(attendee) + "\n");
    const Instant after = real_now();
    ASSERT_EQ(ran.exit_code, 0) << ran.out;
    const json answer = json::parse(ran.out.substr(ran.out.find('{')));
    // The door keeps recording whatever its clock says.
    EXPECT_EQ(answer.at("result"), "arrived") << attendee << ": " << ran.out;
    truth_[attendee] = {before, after};
  }

  Ran server(const std::string& args) {
    return run_shell(server_binary() + " " + args + " --db " + quote(world_.database()));
  }

  // attendee -> session id -> the session's row of `credits --format json`.
  std::map<std::string, std::map<std::string, json>> credits() {
    const Ran ran = server(std::string("credits --event ") + kClockEvent + " --format json");
    if (std::getenv("CLOCK_DEBUG") != nullptr) std::cerr << "credits: " << ran.out << "\n";
    EXPECT_EQ(ran.exit_code, 0) << ran.out;
    std::map<std::string, std::map<std::string, json>> rows;
    const json doc = json::parse(ran.out); // kept: a range-for over a temporary's part dangles
    for (const auto& person : doc.at("attendees")) {
      for (const auto& session : person.at("sessions"))
        rows[person.at("attendee_id").get<std::string>()]
            [session.at("session_id").get<std::string>()] = session;
    }
    return rows;
  }

  // The attendee's only session is C, arriving when the scan truly happened (within a second).
  void expect_true_arrival(const std::map<std::string, std::map<std::string, json>>& rows,
                           const std::string& attendee) {
    SCOPED_TRACE(attendee);
    ASSERT_TRUE(rows.contains(attendee));
    const auto& sessions = rows.at(attendee);
    ASSERT_EQ(sessions.size(), 1U) << json(sessions).dump();
    ASSERT_TRUE(sessions.contains("C")) << json(sessions).dump();
    const auto arrived = parse_iso8601(sessions.at("C").at("arrived").get<std::string>());
    ASSERT_TRUE(arrived.has_value());
    const auto [before, after] = truth_.at(attendee);
    EXPECT_GE(*arrived, before - seconds{1});
    EXPECT_LE(*arrived, after + seconds{1});
  }

  static std::vector<std::string> clock_notes(const json& row) {
    return row.contains("clock") ? row.at("clock").get<std::vector<std::string>>()
                                 : std::vector<std::string>{};
  }

  // The scenario of issue 13. `sync_around`: also sync before and after each phase's scans.
  void run_scenario(bool sync_around) {
    const Clock true_a{"", "boot-a"};
    const Clock fast_a{"+2h", "boot-a"};
    const Clock slow_a{"-3d", "boot-a"};
    const Clock lost_c{"+5m", "boot-c"};   // a boot that never syncs
    const Clock slow_b{"-3d", "boot-b"};   // rebooted with a wrong clock
    ASSERT_NO_FATAL_FAILURE(sync(true_a)); // the true sample of boot A
    if (sync_around) {
      ASSERT_NO_FATAL_FAILURE(sync(fast_a));
    }
    ASSERT_NO_FATAL_FAILURE(arrive(fast_a, "A1"));
    if (sync_around) {
      ASSERT_NO_FATAL_FAILURE(sync(fast_a));
    }
    if (sync_around) {
      ASSERT_NO_FATAL_FAILURE(sync(slow_a));
    }
    ASSERT_NO_FATAL_FAILURE(arrive(slow_a, "A2"));
    if (sync_around) {
      ASSERT_NO_FATAL_FAILURE(sync(slow_a));
    }
    ASSERT_NO_FATAL_FAILURE(arrive(lost_c, "A4"));
    if (sync_around) {
      ASSERT_NO_FATAL_FAILURE(sync(slow_b));
    }
    ASSERT_NO_FATAL_FAILURE(arrive(slow_b, "A3"));
    ASSERT_NO_FATAL_FAILURE(sync(slow_b)); // the end: boot B's sample, after its scan

    const auto rows = credits();
    SCOPED_TRACE("credits: " + json(rows).dump());
    for (const char* attendee : {"A1", "A2", "A3"}) {
      ASSERT_NO_FATAL_FAILURE(expect_true_arrival(rows, attendee));
    }
    const auto note_of = [&](const std::string& attendee) {
      return clock_notes(rows.at(attendee).begin()->second);
    };
    EXPECT_EQ(note_of("A1"), std::vector<std::string>{"kiosk clock corrected by -2 h 00 min"});
    EXPECT_EQ(note_of("A2"), std::vector<std::string>{"kiosk clock corrected by +3 d 0 h 00 min"});
    EXPECT_EQ(note_of("A3"), std::vector<std::string>{"kiosk clock corrected by +3 d 0 h 00 min"});
    // Boot C never saw a sample: its scan keeps the offset it carried and is flagged.
    ASSERT_TRUE(rows.contains("A4"));
    const auto& a4 = rows.at("A4");
    ASSERT_EQ(a4.size(), 1U);
    const auto a4_notes = clock_notes(a4.begin()->second);
    EXPECT_NE(std::find(a4_notes.begin(), a4_notes.end(), "kiosk clock not verified"),
              a4_notes.end())
        << json(a4_notes).dump();
    // Never credited after the server received it.
    for (const auto& [attendee, sessions] : rows) {
      for (const auto& [id, row] : sessions) {
        const auto arrived = parse_iso8601(row.at("arrived").get<std::string>());
        ASSERT_TRUE(arrived.has_value());
        EXPECT_LE(*arrived, real_now()) << attendee;
      }
    }
    // The credit form says so on the session it affects.
    const Ran form =
        server(std::string("credit-form --event ") + kClockEvent + " --official A1 --format csv");
    ASSERT_EQ(form.exit_code, 0) << form.out;
    EXPECT_NE(form.out.find("kiosk clock corrected by -2 h 00 min"), std::string::npos) << form.out;
  }

  SyncWorld world_;
  std::map<std::string, std::pair<Instant, Instant>> truth_;
};

TEST_F(ClockSkew, WrongClocksWithoutSyncUntilTheEndCreditTheTrueSessionAndTime) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario(false);
}

TEST_F(ClockSkew, WrongClocksWithSyncBeforeAndAfterTheScansCreditTheTrueSessionAndTime) {
  ASSERT_NO_FATAL_FAILURE(start());
  run_scenario(true);
}

// The same on a server over PostgreSQL (the name gives it the CTest PostgreSQL fixture).
TEST_F(ClockSkew, WrongClocksOn_postgresql) {
  const auto base = postgres_fixture_url();
  if (!base) GTEST_SKIP() << kNoPostgres;
  const auto database = create_postgres_database(*base, "muster_clock_skew_");
  EXPECT_EQ(database.error, "");
  ASSERT_NO_FATAL_FAILURE(start(database.url));
  run_scenario(false);
}

} // namespace
} // namespace muster::test
