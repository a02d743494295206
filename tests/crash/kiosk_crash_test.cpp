// Crash test (issue 7): SIGKILL `muster-kiosk headless` at random points of a scan storm, 200
// times. After every kill, each scan the kiosk had reported (a JSON line read back) is in the
// store, PRAGMA integrity_check passes and the device's hash chain verifies.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <random>

#include "tests/crash/kiosk_support.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

constexpr int kKills = 200;
constexpr std::size_t kLinesPerRun = 20;
// 40 demo attendees in turn, 2 s apart: 80 s between one badge's scans, past the 60 s debounce.
constexpr auto kStep = 2s;

TEST(Crash, KioskSurvivesSigkillDuringScanStorm) {
  TempDir dir;
  const auto badges = make_demo_kiosk(dir.path());
  ASSERT_EQ(badges.size(), 40u) << "the demo kiosk was not created";
  const auto session = first_session(dir.path());
  ASSERT_TRUE(session.has_value());

  std::mt19937 random(20261128); // fixed seed: a failure can be replayed
  std::uniform_int_distribution<int> kill_after_ms(0, 90);
  std::vector<FedScan> committed;
  std::size_t fed = 0;
  int killed_mid_storm = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int kill = 0; kill < kKills; ++kill) {
    ASSERT_LT(std::chrono::steady_clock::now() - started, 150s) << "too slow; stopped at " << kill;
    ChildProcess kiosk(
        {kKioskProgram, "--data", dir.path().string(), "headless", "--simulated-clock"});
    std::vector<FedScan> run;
    std::string text;
    for (std::size_t i = 0; i < kLinesPerRun; ++i, ++fed) {
      const auto& badge = badges[fed % badges.size()];
      run.push_back({badge.first, session->start + std::chrono::minutes(1) + fed * kStep, ""});
      text += scan_line(run.back(), badge.second);
    }
    ASSERT_LT(run.back().at, session->end) << "the storm outgrew the session";
    kiosk.write_text(text); // stdin stays open: the kiosk waits for more until killed
    // One kill in five lands anywhere from the start (opening, integrity check, migrations);
    // the others after the first answer, in the middle of the storm.
    std::vector<std::string> answers;
    if (kill % 5 == 0) {
      answers = kiosk.read_until(std::chrono::steady_clock::now() +
                                 std::chrono::milliseconds(kill_after_ms(random) * 3));
    } else {
      answers = kiosk.read_lines(1, 10s);
      for (auto& line : kiosk.read_until(std::chrono::steady_clock::now() +
                                         std::chrono::milliseconds(kill_after_ms(random) / 2))) {
        answers.push_back(std::move(line));
      }
    }
    for (auto& line : kiosk.kill_and_drain())
      answers.push_back(std::move(line));
    ASSERT_LE(answers.size(), run.size());
    if (answers.size() < run.size()) ++killed_mid_storm;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      run[i].result = answer_result(answers[i]);
      ASSERT_FALSE(run[i].result.empty()) << "not a JSON answer: " << answers[i];
      if (run[i].result == "arrived" || run[i].result == "left") committed.push_back(run[i]);
    }
    const auto problem = check_kiosk_store(dir / "kiosk.db", committed);
    ASSERT_EQ(problem, "") << "after kill " << kill + 1;
  }
  std::cout << "crash: kiosk killed " << kKills << " times (" << killed_mid_storm << " mid-storm), "
            << fed << " scans fed, " << committed.size()
            << " reported committed, all present, integrity ok, chain ok\n";
  EXPECT_GT(committed.size(), 100u) << "the storm hardly committed anything: not a crash test";
  EXPECT_GT(killed_mid_storm, 20) << "the kills never hit mid-storm";
}

} // namespace
} // namespace muster::test
