// The kiosk's sync client through the fault-injecting proxy, against the real server: every scan
// arrives exactly once, chains verify, and the queue drains once the faults stop. Seeded: a
// failing run prints its seed; MUSTER_FAULT_SEED=<n> replays it.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "sync/client/sync_engine.hpp"
#include "tests/fault/fault_proxy.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

using namespace std::chrono_literals;

constexpr std::array<Fault, 12> kEveryFault = {
    Fault::refuse,        Fault::reset_mid_request, Fault::reset_after_answer,
    Fault::delay,         Fault::throttle,          Fault::slice,
    Fault::truncate_body, Fault::duplicate,         Fault::status_500,
    Fault::status_503,    Fault::slow_close,        Fault::stall};

std::uint64_t seed_from_env(std::uint64_t fallback) {
  if (const char* text = std::getenv("MUSTER_FAULT_SEED"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 10);
  }
  return fallback;
}

sync::HttpClient fast_client() {
  sync::HttpClientOptions options;
  options.connect_timeout = 1s;
  options.total_timeout = 4s;
  return sync::HttpClient(options);
}

TEST(Fault, EveryFaultAloneIsSurvivedAndNothingIsStoredTwice) {
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup());
  FaultProxy proxy({.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1))},
                   nullptr);
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  auto http = fast_client();
  sync::SyncPassOptions pass;
  pass.server_url = proxy.url();
  pass.batch_size = 25;
  int scans = 0;
  const Instant base = at("2026-03-02T15:00:00Z");
  for (const Fault fault : kEveryFault) {
    SCOPED_TRACE(std::string(to_string(fault)));
    for (int i = 0; i < 60; ++i, ++scans) {
      world.record(*kiosk, "A" + std::to_string(1 + scans % 12), "S1",
                   scans % 2 == 0 ? ScanKind::arrive : ScanKind::leave,
                   base + std::chrono::seconds{scans * 7});
    }
    // The fault hits the first push of this round; clock requests pass untouched.
    bool injected = false;
    proxy.set_chooser([&injected, fault](const RequestInfo& request) {
      if (request.method != "POST" || injected) return Fault::none;
      injected = true;
      return fault;
    });
    const auto t0 = std::chrono::steady_clock::now();
    const auto faulted = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
    EXPECT_TRUE(injected);
    proxy.set_chooser(nullptr);
    std::this_thread::sleep_for(350ms); // a refused port comes back
    const auto clean = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
    ASSERT_TRUE(clean.ok) << (clean.error ? clean.error->message : "")
                          << " (faulted pass: " << (faulted.error ? faulted.error->message : "ok")
                          << ")";
    EXPECT_EQ(clean.queued, 0U);
    ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));
  }
  const auto stats = proxy.stats();
  for (const Fault fault : kEveryFault) {
    EXPECT_GE(stats.faults.at(static_cast<std::size_t>(fault)), 1U) << to_string(fault);
  }
  auto count = world.store().scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, static_cast<std::uint64_t>(scans));
}

// Two kiosks record `rounds` x `per_round` scans each and sync after every round through a
// seeded mix of all faults (30 % of requests); then the faults stop and the queues drain.
void run_seeded_mix(std::uint64_t seed, const std::string& database, int rounds, int per_round) {
  std::cerr << "fault mix seed " << seed << " (replay: MUSTER_FAULT_SEED=" << seed << ")\n";
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup(40, database));
  ProxyOptions proxy_options;
  proxy_options.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1));
  proxy_options.throttle_bytes_per_second = 16 * 1024;
  FaultProxy proxy(proxy_options, nullptr);
  std::vector<KioskStore> kiosks;
  for (const char* name : {"door-a", "door-b"}) {
    auto kiosk = world.provision_kiosk(name);
    ASSERT_TRUE(kiosk);
    kiosks.push_back(std::move(*kiosk));
  }
  proxy.set_chooser(seeded_mix(seed, 30, {kEveryFault.begin(), kEveryFault.end()}));
  auto http = fast_client();
  sync::SyncPassOptions pass;
  pass.server_url = proxy.url();
  pass.batch_size = 40;
  std::mt19937_64 random(seed);
  const Instant base = at("2026-03-02T15:00:00Z");
  const int kRounds = rounds;
  const int kPerRound = per_round;
  int recorded = 0;
  int failed_passes = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    for (auto& kiosk : kiosks) {
      for (int i = 0; i < kPerRound; ++i, ++recorded) {
        const auto who = std::uniform_int_distribution<int>(1, 40)(random);
        world.record(kiosk, "A" + std::to_string(who), recorded % 3 == 0 ? "S2" : "S1",
                     recorded % 2 == 0 ? ScanKind::arrive : ScanKind::leave,
                     base + std::chrono::seconds{recorded});
      }
      const auto report = sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
      if (!report.ok) {
        ++failed_passes;
        // As the sync engine backs off after a failed pass: a refused connection closes the
        // proxy for refuse_for, and recording 50 scans now takes less than that, so without
        // the wait every following pass fails at its first connect and the mix tests nothing.
        std::this_thread::sleep_for(proxy_options.refuse_for + 50ms);
      }
    }
  }
  EXPECT_GT(failed_passes, 0) << "the mix injected no failure: the test proves nothing";
  // Faults stop: the queues drain to zero, with the kiosk's own timeouts. The fault phase's 4 s
  // only make stalls end quickly; a clean pass that pulls the other door's 1500 scans took 9 to
  // 10 s on a busy 2-core machine (and longer under sanitizers), so with 4 s none finished.
  proxy.set_chooser(nullptr);
  std::this_thread::sleep_for(350ms);
  sync::HttpClient drain_http;
  for (auto& kiosk : kiosks) {
    bool drained = false;
    std::string last_pass; // why the last pass did not drain, for the failure message
    for (int attempt = 0; attempt < 10 && !drained; ++attempt) {
      const auto pass_started = std::chrono::steady_clock::now();
      const auto report = sync::run_sync_pass(kiosk, drain_http, pass, kiosk::package_applier());
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - pass_started);
      drained = report.ok && report.queued == 0;
      last_pass = std::to_string(took.count()) + " ms, queued " + std::to_string(report.queued) +
                  ", error " +
                  (report.error ? std::string(sync::to_string(report.error->code)) + ": " +
                                      report.error->message
                                : std::string("none"));
    }
    ASSERT_TRUE(drained) << "last pass: " << last_pass;
    ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(kiosk));
  }
  auto unacked = kiosks.front().unacked_count();
  ASSERT_TRUE(unacked.ok());
  EXPECT_EQ(*unacked, 0U);
  auto count = world.store().scan_count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, static_cast<std::uint64_t>(recorded));
  const auto stats = proxy.stats();
  std::uint64_t faults = 0;
  for (std::size_t i = 1; i < kFaultCount; ++i)
    faults += stats.faults.at(i);
  std::cerr << "requests " << stats.requests << ", faults " << faults << ", failed passes "
            << failed_passes << ", "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started)
                   .count()
            << " s\n";
  EXPECT_GT(faults, 20U);
}

TEST(Fault, ThousandsOfScansThroughASeededRandomMixArriveExactlyOnce) {
  // 2 kiosks x 30 rounds x 50 scans = 3,000 scans.
  run_seeded_mix(seed_from_env(20260302), "", 30, 50);
}

// The same exactly-once proof with the server on PostgreSQL (CTest gives it the fixture).
TEST(Fault, SeededMixOn_postgresql) {
  const auto base = postgres_fixture_url();
  if (!base) GTEST_SKIP() << kNoPostgres;
  const auto database = create_postgres_database(*base, "muster_fault_");
  ASSERT_EQ(database.error, "");
  run_seeded_mix(seed_from_env(777), database.url, 12, 40);
}

TEST(Fault, AStalledServerEndsByTheClientTimeout) {
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup());
  FaultProxy proxy({.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1))},
                   [](const RequestInfo&) { return Fault::stall; });
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  world.record(*kiosk, "A1", "S1", ScanKind::arrive, at("2026-03-02T15:01:00Z"));
  sync::HttpClientOptions options;
  options.total_timeout = 1s;
  sync::HttpClient http(options);
  sync::SyncPassOptions pass;
  pass.server_url = proxy.url();
  const auto t0 = std::chrono::steady_clock::now();
  const auto report = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  ASSERT_FALSE(report.ok);
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, sync::SyncError::unreachable);
  EXPECT_NE(report.error->message.find("did not answer in time"), std::string::npos)
      << report.error->message;
  auto last_error = kiosk->setting(kSettingSyncLastError);
  ASSERT_TRUE(last_error.ok() && last_error->has_value());
  EXPECT_EQ(**last_error, report.error->message);
  EXPECT_EQ(report.queued, 1U);
}

TEST(Fault, EngineRetriesAtOnceWhenTheNetworkComesBack) {
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup());
  FaultProxy proxy({.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1))},
                   nullptr);
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  for (int i = 0; i < 30; ++i) {
    world.record(*kiosk, "A" + std::to_string(1 + i % 12), "S1", ScanKind::arrive,
                 at("2026-03-02T15:00:00Z") + std::chrono::minutes{i});
  }
  proxy.set_down(true);
  sync::SyncEngineOptions options;
  options.store_path = kiosk->path();
  options.http.connect_timeout = 500ms;
  options.http.total_timeout = 2s;
  options.pass.server_url = proxy.url();
  options.apply = kiosk::package_applier();
  options.backoff_initial = 20s; // without the probe the retry would come 10-30 s later
  options.backoff_cap = 60s;
  options.probe_interval = 100ms;
  options.idle_interval = 60s;
  options.jitter_seed = 7;
  sync::SyncEngine engine(options);
  engine.start();
  const auto wait_until = [&engine](auto predicate, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate(engine.state())) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_until([](const sync::SyncState& s) { return s.failures_in_a_row >= 1; }, 10s))
      << "passes " << engine.state().passes << ", error: " << engine.state().last_error;
  auto down = engine.state();
  EXPECT_FALSE(down.server_reachable);
  EXPECT_EQ(down.queued, 30U);
  EXPECT_GE(down.next_wait, 10s);
  EXPECT_NE(down.last_error.find("cannot reach the server"), std::string::npos) << down.last_error;
  const auto back = std::chrono::steady_clock::now();
  proxy.set_down(false);
  ASSERT_TRUE(wait_until(
      [](const sync::SyncState& s) { return s.queued == 0 && s.last_success.has_value(); }, 8s));
  EXPECT_LT(std::chrono::steady_clock::now() - back, 5s);
  const auto up = engine.state();
  EXPECT_TRUE(up.server_reachable);
  EXPECT_EQ(up.last_error, "");
  engine.stop();
  EXPECT_FALSE(engine.state().running);
  ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));
  auto last_success = kiosk->setting(kSettingSyncLastSuccess);
  ASSERT_TRUE(last_success.ok() && last_success->has_value());
}

TEST(Fault, BackoffDoublesWithJitterUpToTheCap) {
  using std::chrono::milliseconds;
  EXPECT_EQ(sync::backoff_delay(0, 1000ms, 300000ms, 0.5), 0ms);
  EXPECT_EQ(sync::backoff_delay(1, 1000ms, 300000ms, 0.5), 1000ms);
  EXPECT_EQ(sync::backoff_delay(2, 1000ms, 300000ms, 0.5), 2000ms);
  EXPECT_EQ(sync::backoff_delay(4, 1000ms, 300000ms, 0.0), 4000ms);
  EXPECT_EQ(sync::backoff_delay(4, 1000ms, 300000ms, 1.0), 12000ms);
  EXPECT_EQ(sync::backoff_delay(40, 1000ms, 300000ms, 0.5), 300000ms);
  EXPECT_LE(sync::backoff_delay(40, 1000ms, 300000ms, 1.0), 300000ms);
  EXPECT_GE(sync::backoff_delay(40, 1000ms, 300000ms, 0.0), 150000ms);
}

} // namespace
} // namespace muster::test

namespace muster::test {
namespace {

TEST(SyncUrl, HttpsAlwaysPlainHttpOnlyToLoopbackOrWhenAllowed) {
  EXPECT_TRUE(sync::check_server_url("https://muster.example.org", false).ok());
  EXPECT_TRUE(sync::check_server_url("http://127.0.0.1:8080", false).ok());
  EXPECT_TRUE(sync::check_server_url("http://localhost:8080/", false).ok());
  EXPECT_TRUE(sync::check_server_url("http://[::1]:8080", false).ok());
  EXPECT_TRUE(sync::check_server_url("http://127.8.9.10:8080", false).ok());
  // A host name that merely starts with "127." is anyone's.
  for (const char* url : {"http://127.attacker.invalid/", "http://127.0.0.1.nip.example:8080",
                          "http://127.0.0.1x/"}) {
    EXPECT_EQ(sync::check_server_url(url, false).code(), sync::TransportError::insecure_url) << url;
  }
  const auto refused = sync::check_server_url("http://192.0.2.7:8080", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), sync::TransportError::insecure_url);
  EXPECT_TRUE(sync::check_server_url("http://192.0.2.7:8080", true).ok());
  EXPECT_EQ(sync::check_server_url("ftp://example.org", true).code(),
            sync::TransportError::invalid_url);
  EXPECT_EQ(sync::check_server_url("not a url", true).code(), sync::TransportError::invalid_url);
}

} // namespace
} // namespace muster::test

namespace muster::test {
namespace {

TEST(Fault, EngineStopsAtOnceEvenDuringAStalledRequest) {
  using namespace std::chrono_literals;
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup());
  FaultProxy proxy({.upstream_port = std::stoi(world.url().substr(world.url().rfind(':') + 1))},
                   [](const RequestInfo&) { return Fault::stall; });
  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk);
  sync::SyncEngineOptions options;
  options.store_path = kiosk->path();
  options.http.total_timeout = 30s; // the stall would hold a request this long
  options.pass.server_url = proxy.url();
  sync::SyncEngine engine(options);
  engine.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (proxy.stats().requests == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  ASSERT_GE(proxy.stats().requests, 1U);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(engine.state().syncing);
  const auto t0 = std::chrono::steady_clock::now();
  engine.stop(); // the window closing must not wait for the network (curl polls ~1/s)
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_FALSE(engine.state().running);
}

// Issue 15: the sync thread had no top-level catch; an exception (a bug) there ended the kiosk.
TEST(Fault, AnExceptionInTheSyncThreadIsRecordedAndTheEngineGoesOn) {
  using namespace std::chrono_literals;
  TempDir dir;
  std::atomic<int> calls{0};
  sync::SyncEngineOptions options;
  options.store_path = dir / "kiosk.db";
  options.idle_interval = 50ms;
  options.backoff_initial = 10ms;
  options.backoff_cap = 100ms;
  options.probe_interval = 10ms;
  options.on_change = [&calls] {
    if (++calls == 1) throw std::runtime_error("a bug in the UI wake-up");
  };
  sync::SyncEngine engine(options);
  engine.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (calls < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_GE(calls.load(), 3) << "the engine stopped after the exception";
  const auto state = engine.state();
  EXPECT_TRUE(state.running);
  engine.stop();
}

} // namespace
} // namespace muster::test
