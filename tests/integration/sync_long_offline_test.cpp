// Long offline: 20,000 scans queued while the network was gone drain in one sync session in
// bounded batches (no request above the batch size, so memory stays bounded), on the engine's
// own thread, while a UI-like loop on this thread keeps ticking and keeps recording scans.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "sync/client/sync_engine.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

TEST(SyncLongOffline, TwentyThousandQueuedScansDrainInBoundedBatchesWithoutBlockingTheUi) {
  constexpr int kQueued = 20000;
  constexpr std::size_t kBatch = 500;
  // Each recorded scan is an fsync (synchronous=FULL, the product's durability); on a disk
  // 20,000 of them take minutes just to fill the queue, so this test keeps its files in RAM.
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0) {
    setenv("TMPDIR", "/dev/shm", 1);
  }
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup(50));
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  const Instant base = at("2026-03-02T15:00:00Z");
  for (int i = 0; i < kQueued; ++i) {
    world.record(*kiosk, "A" + std::to_string(1 + i % 50), i % 2 == 0 ? "S1" : "S2",
                 (i / 50) % 2 == 0 ? ScanKind::arrive : ScanKind::leave,
                 base + std::chrono::milliseconds{i * 250});
  }
  auto queued = kiosk->unacked_count();
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(*queued, static_cast<std::uint64_t>(kQueued));

  sync::SyncEngineOptions options;
  options.store_path = kiosk->path();
  options.pass.batch_size = kBatch;
  options.apply = kiosk::package_applier();
  options.idle_interval = 200ms; // scans recorded during the drain go in the next pass
  options.backoff_initial = 200ms;
  std::atomic<int> wakeups{0};
  options.on_change = [&wakeups] { ++wakeups; }; // where the window calls glfwPostEmptyEvent
  sync::SyncEngine engine(options);
  engine.start();

  // The UI loop: ticks every ~5 ms, reads the engine's state, records a scan now and then.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + 180s;
  auto longest_tick = std::chrono::steady_clock::duration::zero();
  auto longest_append = std::chrono::steady_clock::duration::zero();
  auto last = started;
  int ticks = 0;
  int recorded_during = 0;
  bool drained = false;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto now = std::chrono::steady_clock::now();
    longest_tick = std::max(longest_tick, now - last);
    last = now;
    ++ticks;
    const auto state = engine.state();
    if (ticks % 40 == 0 && recorded_during < 20) {
      const auto t0 = std::chrono::steady_clock::now();
      world.record(*kiosk, "A1", "S1", ScanKind::arrive, base + std::chrono::hours{1});
      longest_append = std::max(longest_append, std::chrono::steady_clock::now() - t0);
      ++recorded_during;
    }
    if (recorded_during == 20 && state.queued == 0 && state.last_success && !state.syncing &&
        state.scans_stored >= static_cast<std::uint64_t>(kQueued + 20)) {
      drained = true;
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  const auto state = engine.state();
  engine.stop();
  ASSERT_TRUE(drained) << "queued " << state.queued << ", error: " << state.last_error;
  std::cerr << "drained " << kQueued + 20 << " scans in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms; " << ticks << " UI ticks, longest "
            << std::chrono::duration_cast<std::chrono::milliseconds>(longest_tick).count()
            << " ms; largest request " << state.largest_request_bytes << " bytes\n";
  EXPECT_EQ(state.largest_batch, kBatch);
  EXPECT_LT(state.largest_request_bytes, std::size_t{1024} * 1024); // far below 20,000 scans
  EXPECT_GT(ticks, 50);
  EXPECT_LT(longest_tick, 500ms); // the UI never waited for the network
  EXPECT_LT(longest_append, 2s);  // nor for the engine's acknowledgement writes
  EXPECT_GT(wakeups.load(), 0);
  auto count = world.store().scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, static_cast<std::uint64_t>(kQueued + 20));
  ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));
  auto left = kiosk->unacked_count();
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0U);
}

} // namespace
} // namespace muster::test
