// Crash safety: `muster-kiosk sync --once` is killed (SIGKILL) at random moments while it
// pushes through a proxy that holds the server's answers back, so kills land before a send,
// after the server stored a batch but before the kiosk marked it (the answer never arrives), and
// during the acknowledgement write. Afterwards one clean sync acknowledges everything and the
// server holds every scan exactly once. Seeded (MUSTER_FAULT_SEED).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "tests/fault/fault_proxy.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

pid_t spawn_sync(const std::filesystem::path& data, const std::string& server) {
  const std::string program = std::string(MUSTER_BINARY_DIR) + "/kiosk/muster-kiosk";
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string data_text = data.string();
    const char* argv[] = {program.c_str(), "--data",       data_text.c_str(), "sync", "--once",
                          "--server",      server.c_str(), "--batch-size",    "40",   nullptr};
    // Quiet: the test reads exit codes and the stores.
    if (std::freopen("/dev/null", "w", stdout) == nullptr) _exit(126);
    if (std::freopen("/dev/null", "w", stderr) == nullptr) _exit(126);
    execv(program.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(10ms);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -2;
}

TEST(SyncCrash, KilledAtAnyMomentTheNextSyncResumesAndNothingIsStoredTwice) {
  std::uint64_t seed = 5150;
  if (const char* text = std::getenv("MUSTER_FAULT_SEED"); text != nullptr && *text != '\0')
    seed = std::strtoull(text, nullptr, 10);
  std::cerr << "crash test seed " << seed << '\n';
  std::mt19937_64 random(seed);
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup(10));
  ProxyOptions proxy_options;
  proxy_options.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1));
  proxy_options.delay = 300ms;
  // Every push is stored by the server at once and answered 300 ms later: a wide window for
  // a kill between the server's commit and the kiosk's acknowledgement.
  FaultProxy proxy(proxy_options, [](const RequestInfo& request) {
    return request.method == "POST" ? Fault::delay : Fault::none;
  });
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  const std::string device = SyncWorld::device_id(*kiosk);
  const std::filesystem::path data = kiosk->path().parent_path();
  int recorded = 0;
  int server_ahead = 0; // kills after the server stored a batch the kiosk had not marked
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 60; ++i, ++recorded) {
      world.record(*kiosk, "A" + std::to_string(1 + recorded % 10), "S1",
                   recorded % 2 == 0 ? ScanKind::arrive : ScanKind::leave,
                   at("2026-03-02T15:00:00Z") + std::chrono::seconds{recorded * 5});
    }
    const pid_t pid = spawn_sync(data, proxy.url());
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(
        std::chrono::milliseconds{std::uniform_int_distribution<int>(30, 1500)(random)});
    if (kill(pid, SIGKILL) == 0) ++kills;
    (void)wait_exit(pid, 10s);
    auto head = world.store().chain_head(device);
    auto acked = kiosk->acked_through(device);
    ASSERT_TRUE(acked.ok());
    if (head.ok() && head->sequence > *acked) ++server_ahead;
    // The store survives the kill intact.
    auto chain = kiosk->verify_device_chain(device);
    ASSERT_TRUE(chain.ok());
    EXPECT_FALSE(chain->has_value());
  }
  std::cerr << kills << " kills, " << server_ahead
            << " with the server ahead of the kiosk's acknowledgement\n";
  EXPECT_GT(server_ahead, 0) << "no kill hit the window after send before ack";

  // One clean run finishes the job.
  proxy.set_chooser(nullptr);
  const pid_t pid = spawn_sync(data, proxy.url());
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid, 60s), 0);
  ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));
  auto unacked = kiosk->unacked_count();
  ASSERT_TRUE(unacked.ok());
  EXPECT_EQ(*unacked, 0U);
  auto count = world.store().scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, static_cast<std::uint64_t>(recorded));
}

} // namespace
} // namespace muster::test
