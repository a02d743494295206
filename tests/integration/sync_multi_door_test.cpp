// Multi-door merge: three kiosks, offline, scan the same attendees at two doors of one session
// and at a third session (arrivals at one door, leaves at the other, duplicates), then sync in
// every order. The server's credits are the same in every order and match hours worked out by
// hand from the presence rule and the credit rules (shared/presence.hpp, shared/credit.hpp;
// grace 10 min, 0.25 h increments).
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

struct Planned {
  int kiosk; // 0: door A of S1, 1: door B of S1, 2: the door of S2
  const char* attendee;
  const char* session;
  ScanKind kind;
  const char* time; // the kiosks' clocks are right in this test
};

// Offline scans at the doors, in the order each kiosk recorded them.
constexpr std::array<Planned, 16> kScans = {{
    {0, "A1", "S1", ScanKind::arrive, "2026-03-02T15:02:00Z"},
    {0, "A1", "S1", ScanKind::arrive, "2026-03-02T15:02:30Z"}, // scanned twice
    {0, "A4", "S1", ScanKind::arrive, "2026-03-02T15:20:00Z"},
    {0, "A2", "S1", ScanKind::arrive, "2026-03-02T15:30:00Z"},
    {0, "A3", "S1", ScanKind::leave, "2026-03-02T16:07:00Z"},  // left by the other door
    {0, "A4", "S1", ScanKind::arrive, "2026-03-02T16:10:00Z"}, // came back
    {1, "A3", "S1", ScanKind::arrive, "2026-03-02T15:00:00Z"},
    {1, "A2", "S1", ScanKind::arrive, "2026-03-02T15:30:10Z"}, // at both doors
    {1, "A4", "S1", ScanKind::leave, "2026-03-02T15:50:00Z"},
    {1, "A5", "S1", ScanKind::leave, "2026-03-02T16:00:00Z"}, // never arrived
    {1, "A2", "S1", ScanKind::leave, "2026-03-02T16:30:00Z"},
    {1, "A1", "S1", ScanKind::leave, "2026-03-02T17:00:00Z"},
    {1, "A1", "S1", ScanKind::leave, "2026-03-02T17:00:20Z"}, // double scan on the way out
    {2, "A1", "S2", ScanKind::arrive, "2026-03-02T17:31:00Z"},
    {2, "A3", "S2", ScanKind::arrive, "2026-03-02T17:45:00Z"},
    {2, "A3", "S2", ScanKind::leave, "2026-03-02T18:30:00Z"},
}};

using Key = std::pair<std::string, std::string>; // attendee, session
struct Derived {
  double credit = 0;
  std::int64_t attended_min = 0;
  bool early_leave = false;
  std::vector<Interval> intervals;
  bool operator==(const Derived&) const = default;
};

// By hand: S1 15:00-17:00 (2 h), S2 17:30-18:30 (1 h).
const std::map<Key, std::tuple<double, std::int64_t, bool>> kExpected = {
    {{"A1", "S1"}, {2.0, 120, false}}, // 15:02 within grace -> 15:00; 17:00 -> end
    {{"A1", "S2"}, {1.0, 60, false}},  // 17:31 within grace, no leave: to the end
    {{"A2", "S1"}, {1.0, 60, true}},   // 15:30-16:30 = 60 of 120 min
    {{"A3", "S1"}, {1.0, 67, true}},   // 15:00-16:07 = 67 min -> 1.117 h -> 1.0
    {{"A3", "S2"}, {0.75, 45, false}}, // 17:45 (15 min late) - 18:30 = 45 of 60 min
    {{"A4", "S1"}, {1.25, 80, false}}, // 15:20-15:50 + 16:10-17:00 = 80 min -> 1.333 -> 1.25
    // A door's label does not decide (presence across doors): A5's only scan is the first of
    // the room, so it is the arrival, 16:00-17:00 = 60 of 120 min; `review` lists the label.
    {{"A5", "S1"}, {1.0, 60, false}},
};

// A fresh database on the PostgreSQL fixture (tests named *postgresql*), or "" for SQLite.
std::string fresh_pg_database(const std::string& base) {
  const auto database = create_postgres_database(base, "muster_sync_merge_");
  EXPECT_EQ(database.error, "");
  return database.url;
}

std::map<Key, Derived> sync_in_order(const std::array<int, 3>& order, std::string database) {
  SyncWorld world;
  world.setup(6, std::move(database));
  std::vector<KioskStore> kiosks;
  for (const char* name : {"door-a", "door-b", "door-c"}) {
    auto kiosk = world.provision_kiosk(name);
    if (!kiosk) return {};
    kiosks.push_back(std::move(*kiosk));
  }
  for (const auto& planned : kScans) {
    world.record(kiosks.at(static_cast<std::size_t>(planned.kiosk)), planned.attendee,
                 planned.session, planned.kind, at(planned.time));
  }
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false; // right clocks: a measured offset of a few ms would only add noise
  for (const int k : order) {
    auto& kiosk = kiosks.at(static_cast<std::size_t>(k));
    const auto report = sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
    EXPECT_TRUE(report.ok) << (report.error ? report.error->message : "");
    EXPECT_EQ(report.queued, 0U);
    world.expect_server_holds_exactly(kiosk);
  }
  auto event = world.store().event(SyncWorld::kEvent);
  EXPECT_TRUE(event.ok());
  auto rows = server::compute_credits(world.store(), *event);
  EXPECT_TRUE(rows.ok()) << rows.message();
  std::map<Key, Derived> out;
  if (!rows) return out;
  for (const auto& row : *rows) {
    Derived d;
    d.credit = row.attendance.credit_hours;
    d.attended_min =
        std::chrono::duration_cast<std::chrono::minutes>(row.attendance.attended).count();
    d.early_leave = row.attendance.early_leave;
    d.intervals = row.attendance.intervals;
    out[{row.attendee.id, row.session.id}] = d;
  }
  return out;
}

void expect_same_credits_in_every_order(const std::optional<std::string>& pg_base) {
  std::array<int, 3> order = {0, 1, 2};
  std::optional<std::map<Key, Derived>> first;
  int orders = 0;
  do {
    SCOPED_TRACE("sync order " + std::to_string(order[0]) + std::to_string(order[1]) +
                 std::to_string(order[2]));
    const auto credits =
        sync_in_order(order, pg_base ? fresh_pg_database(*pg_base) : std::string());
    ASSERT_EQ(credits.size(), kExpected.size());
    for (const auto& [key, expected] : kExpected) {
      SCOPED_TRACE(key.first + " " + key.second);
      ASSERT_TRUE(credits.contains(key));
      const auto& got = credits.at(key);
      EXPECT_DOUBLE_EQ(got.credit, std::get<0>(expected));
      EXPECT_EQ(got.attended_min, std::get<1>(expected));
      EXPECT_EQ(got.early_leave, std::get<2>(expected));
    }
    if (!first)
      first = credits;
    else
      EXPECT_EQ(credits, *first); // intervals too, to the millisecond
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 6);
}

TEST(SyncMerge, ThreeOfflineKiosksGiveTheSameCreditsInEverySyncOrder) {
  expect_same_credits_in_every_order(std::nullopt);
}

// The same on a server over PostgreSQL (the name gives it the CTest PostgreSQL fixture).
TEST(SyncMerge, SameCreditsInEverySyncOrderOn_postgresql) {
  const auto base = postgres_fixture_url();
  if (!base) GTEST_SKIP() << kNoPostgres;
  expect_same_credits_in_every_order(base);
}

} // namespace
} // namespace muster::test
