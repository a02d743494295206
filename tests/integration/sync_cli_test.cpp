// `muster-kiosk --data DIR provision URL CODE` and `muster-kiosk --data DIR sync --once
// [--server URL]` as a user runs them: the real program against the real server on 127.0.0.1.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

struct Ran {
  int exit_code = -1;
  std::string output; // stdout and stderr
};

std::string quote(const std::string& text) { return "'" + text + "'"; }

Ran run_kiosk(const std::filesystem::path& data, const std::string& args) {
  const std::string command = std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk --data " +
                              quote(data.string()) + " " + args + " 2>&1";
  Ran ran;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return ran;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    ran.output += buffer;
  const int status = pclose(pipe);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

class SyncCli : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(world_.setup(6));
    data_ = world_.dir() / "kiosk-data";
  }

  std::string add_code(const std::string& code) {
    auto added = world_.store().add_provisioning_code(
        server::hash_secret(code), SyncWorld::kEvent, "Door A",
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
            std::chrono::hours{1});
    EXPECT_TRUE(added.ok()) << added.message();
    return code;
  }

  SyncWorld world_;
  std::filesystem::path data_;
};

TEST_F(SyncCli, ProvisionKeepsTheTokenInTheStoreAndSyncOnceAcknowledgesEverything) {
  const Ran provisioned =
      run_kiosk(data_, "provision " + world_.url() + " " + add_code("ABCD-EFGH-JKMN"));
  ASSERT_EQ(provisioned.exit_code, 0) << provisioned.output;
  EXPECT_NE(provisioned.output.find("provisioned as device K-"), std::string::npos)
      << provisioned.output;
  EXPECT_NE(provisioned.output.find("event package applied"), std::string::npos);

  std::string token;
  {
    auto kiosk = KioskStore::open(data_ / "kiosk.db");
    ASSERT_TRUE(kiosk.ok()) << kiosk.message();
    token = kiosk::setting_or(*kiosk, sync::kSettingDeviceToken, "");
    const std::string device = SyncWorld::device_id(*kiosk);
    ASSERT_FALSE(device.empty());
    EXPECT_EQ(token.rfind(device + ".", 0), 0U) << "the token is <device id>.<secret>";
    EXPECT_EQ(kiosk::setting_or(*kiosk, kSettingDeviceId, ""), device); // scans use it
    auto event = kiosk->event();
    ASSERT_TRUE(event.ok()) << "the package was pulled";
    EXPECT_EQ(event->id, SyncWorld::kEvent);
    for (int i = 0; i < 30; ++i) {
      world_.record(*kiosk, "A" + std::to_string(1 + i % 6), "S1",
                    i < 15 ? ScanKind::arrive : ScanKind::leave,
                    at("2026-03-02T15:00:00Z") + std::chrono::minutes{i * 3});
    }
  }
  // The token lives in the store only: no other file in the data folder holds it.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data_)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.rfind("kiosk.db", 0) == 0) continue;
    EXPECT_EQ(read_file(entry.path()).find(token), std::string::npos) << entry.path();
  }

  const Ran synced = run_kiosk(data_, "sync --once");
  ASSERT_EQ(synced.exit_code, 0) << synced.output;
  EXPECT_NE(synced.output.find("pushed 30 new scans"), std::string::npos) << synced.output;
  EXPECT_NE(synced.output.find("all scans acknowledged"), std::string::npos) << synced.output;
  auto kiosk = KioskStore::open(data_ / "kiosk.db");
  ASSERT_TRUE(kiosk.ok());
  ASSERT_NO_FATAL_FAILURE(world_.expect_server_holds_exactly(*kiosk));
  auto unacked = kiosk->unacked_count();
  ASSERT_TRUE(unacked.ok());
  EXPECT_EQ(*unacked, 0U);
  EXPECT_FALSE(kiosk::setting_or(*kiosk, kSettingSyncLastSuccess, "").empty());

  // Nothing new: still exit 0, nothing stored twice.
  const Ran again = run_kiosk(data_, "sync --once");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  auto count = world_.store().scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 30U);

  // A scan queued while the server is unreachable: non-zero, and it says so.
  world_.record(*kiosk, "A1", "S2", ScanKind::arrive, at("2026-03-02T17:31:00Z"));
  const Ran down = run_kiosk(data_, "sync --once --server http://127.0.0.1:1");
  EXPECT_NE(down.exit_code, 0);
  EXPECT_NE(down.output.find("cannot reach the server"), std::string::npos) << down.output;
  EXPECT_NE(down.output.find("1 scans still waiting"), std::string::npos) << down.output;
  EXPECT_FALSE(kiosk::setting_or(*kiosk, kSettingSyncLastError, "").empty());
  // --server only overrides this run: the provisioned address still works.
  const Ran back = run_kiosk(data_, "sync --once");
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_EQ(kiosk::setting_or(*kiosk, kSettingSyncLastError, "x"), "");
}

TEST_F(SyncCli, PlainHttpToAnotherHostIsRefusedUnlessAllowed) {
  const Ran refused = run_kiosk(data_, "provision http://192.0.2.1:8080 " + add_code("CODE-1"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("refusing plain http"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--insecure-http"), std::string::npos) << refused.output;
  // The code was not spent on a refused attempt.
  const Ran ok = run_kiosk(data_, "provision " + world_.url() + " CODE-1");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  const Ran sync_refused = run_kiosk(data_, "sync --once --server http://192.0.2.1:8080");
  EXPECT_NE(sync_refused.exit_code, 0);
  EXPECT_NE(sync_refused.output.find("refusing plain http"), std::string::npos)
      << sync_refused.output;
}

TEST_F(SyncCli, ClearErrorsForAnUnprovisionedKioskAndAUsedCode) {
  const Ran unprovisioned = run_kiosk(data_, "sync --once");
  EXPECT_NE(unprovisioned.exit_code, 0);
  EXPECT_NE(unprovisioned.output.find("not provisioned"), std::string::npos)
      << unprovisioned.output;
  const std::string code = add_code("USED-ONCE");
  ASSERT_EQ(run_kiosk(data_, "provision " + world_.url() + " " + code).exit_code, 0);
  const Ran reused =
      run_kiosk(world_.dir() / "other-kiosk", "provision " + world_.url() + " " + code);
  EXPECT_NE(reused.exit_code, 0);
  EXPECT_NE(reused.output.find("code_already_used"), std::string::npos) << reused.output;
  const Ran missing = run_kiosk(data_, "sync");
  EXPECT_NE(missing.exit_code, 0) << "--once is required";
}

} // namespace
} // namespace muster::test
