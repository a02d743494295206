// Power-loss style test (issue 7): the kiosk's store on a "disk" that fails. An LD_PRELOAD shim
// (fault_shim.cpp) makes write/pwrite/fsync/fdatasync on regular files fail with ENOSPC or EIO
// while a control file exists, after N good calls (so the failure lands anywhere in a commit).
// Expected: a clear "not recorded" answer, no scan reported committed is ever lost, and the
// kiosk records again as soon as the fault is removed, in the same process and after a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/crash/kiosk_support.hpp"
#include "tests/support/test_support.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

struct FaultCase {
  const char* error;
  int good_calls;
};

// The shim; in a sanitized build the ASan runtime ahead of it (ASan must be the first library).
std::string preload() {
#ifdef MUSTER_ASAN_RUNTIME
  return std::string(MUSTER_ASAN_RUNTIME) + ":" + MUSTER_FAULT_SHIM;
#else
  return MUSTER_FAULT_SHIM;
#endif
}

class KioskFault : public ::testing::TestWithParam<FaultCase> {};

TEST_P(KioskFault, ClearErrorNothingLostRecoversWhenSpaceReturns) {
  TempDir dir;
  const auto badges = make_demo_kiosk(dir.path());
  ASSERT_EQ(badges.size(), 40u);
  const auto session = first_session(dir.path());
  ASSERT_TRUE(session.has_value());
  const auto control = dir / "fault";

  ChildProcess kiosk(
      {kKioskProgram, "--data", dir.path().string(), "headless", "--simulated-clock"},
      {std::string("LD_PRELOAD=") + preload(), "MUSTER_FAULT_FILE=" + control.string(),
       "MUSTER_FAULT_AFTER=" + std::to_string(GetParam().good_calls)},
      (dir / "stderr.txt").string());
  std::vector<FedScan> committed;
  std::size_t fed = 0;
  // Feeds `count` scans and returns their answers' results.
  auto feed = [&](ChildProcess& child, std::size_t count) {
    std::vector<std::string> results;
    for (std::size_t i = 0; i < count; ++i, ++fed) {
      const auto& badge = badges[fed % badges.size()];
      FedScan scan{badge.first, session->start + std::chrono::minutes(1) + fed * 2s, ""};
      EXPECT_TRUE(child.write_text(scan_line(scan, badge.second)));
      const auto answer = child.read_lines(1, 10s);
      if (answer.empty()) return results; // died or hung: the caller's checks fail
      scan.result = answer_result(answer.front());
      results.push_back(answer.front());
      if (scan.result == "arrived" || scan.result == "left") committed.push_back(scan);
    }
    return results;
  };

  const auto before = feed(kiosk, 5);
  ASSERT_EQ(before.size(), 5u);
  ASSERT_EQ(committed.size(), 5u) << before.front();

  std::ofstream(control) << GetParam().error;
  const auto during = feed(kiosk, 8);
  ASSERT_EQ(during.size(), 8u) << "the kiosk stopped answering on a failing disk";
  std::size_t not_recorded = 0;
  for (const auto& line : during) {
    if (line.find("\"not recorded\"") != std::string::npos) ++not_recorded;
  }
  EXPECT_GE(not_recorded, 1u) << "no scan was refused while the disk failed: " << during.back();

  std::filesystem::remove(control);
  const std::size_t committed_before_recovery = committed.size();
  const auto after = feed(kiosk, 5);
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(committed.size(), committed_before_recovery + 5) << "did not recover: " << after.back();

  kiosk.close_stdin();
  EXPECT_EQ(kiosk.wait_exit(20s), 0);
  EXPECT_EQ(check_kiosk_store(dir / "kiosk.db", committed), "");

  // A restart on the healthy disk records too.
  ChildProcess restarted(
      {kKioskProgram, "--data", dir.path().string(), "headless", "--simulated-clock"});
  // A refused scan must not turn up later either (a failed commit left in the WAL).
  EXPECT_EQ(count_scans(dir / "kiosk.db"), committed.size());
  const auto restarted_answers = feed(restarted, 3);
  ASSERT_EQ(restarted_answers.size(), 3u);
  EXPECT_EQ(committed.size(), committed_before_recovery + 8);
  restarted.close_stdin();
  EXPECT_EQ(restarted.wait_exit(20s), 0);
  EXPECT_EQ(check_kiosk_store(dir / "kiosk.db", committed), "");
  EXPECT_EQ(count_scans(dir / "kiosk.db"), committed.size());
  std::cout << "fault " << GetParam().error << " after " << GetParam().good_calls
            << " calls: " << not_recorded << " of 8 refused, " << committed.size()
            << " committed kept\n";
}

INSTANTIATE_TEST_SUITE_P(Disk, KioskFault,
                         ::testing::Values(FaultCase{"ENOSPC", 0}, FaultCase{"EIO", 0},
                                           FaultCase{"ENOSPC", 1}, FaultCase{"EIO", 2},
                                           FaultCase{"ENOSPC", 3}),
                         [](const auto& test_param) {
                           return std::string(test_param.param.error) + "_after_" +
                                  std::to_string(test_param.param.good_calls);
                         });

} // namespace
} // namespace muster::test
