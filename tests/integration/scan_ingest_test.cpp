// sync/server/scan_ingest: the checks and storing of a device's batch that the HTTP push and
// `muster-server import-scans` share, called directly on a real SQLite store.
#include "shared/sodium_init.hpp"
#include "sync/server/scan_ingest.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "shared/badge.hpp"
#include "shared/scan_log.hpp"
#include "sync/server/http_api.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

class ScanIngest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(muster::sodium_started());
    auto opened = open_server_store((dir_ / "server.db").string());
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(opened.value());
    ASSERT_TRUE(store_->initialise({"L1", "Test League"}).ok());
    auto key = SigningKey::generate("K1");
    ASSERT_TRUE(key.ok());
    ASSERT_TRUE(store_->add_league_key({"K1", to_text(key->public_key()), now_ms(), true}).ok());
    const std::vector<Attendee> roster = {{"A1", "Ada", "Mayor", Role::mayor, "Springfield", ""}};
    ASSERT_TRUE(store_->upsert_roster(roster).ok());
    Event event;
    event.id = "E1";
    event.name = "Spring";
    event.timezone = "UTC";
    Session s1;
    s1.id = "S1";
    s1.title = "One";
    s1.start = now_ms() - 1h;
    s1.end = now_ms() + 1h;
    s1.credit_hours = 1;
    event.sessions = {s1};
    ASSERT_TRUE(store_->upsert_event(event).ok());
    auto badge = sign_badge({"L1", "A1", "SER-A1"}, *key);
    ASSERT_TRUE(badge.ok());
    payload_ = *badge;
    ASSERT_TRUE(store_->add_provisioning_code(hash_secret("C"), "E1", "Door", now_ms() + 1h).ok());
    auto device = store_->redeem_provisioning_code(hash_secret("C"), "dev-1", "x", now_ms());
    ASSERT_TRUE(device.ok()) << device.message();
    device_ = *device;
  }

  std::vector<Scan> chain(std::uint64_t count) const {
    std::vector<Scan> scans;
    Digest previous = kZeroDigest;
    for (std::uint64_t seq = 1; seq <= count; ++seq) {
      Scan s;
      s.device_id = "dev-1";
      s.sequence = seq;
      s.attendee_id = "A1";
      s.badge_serial = "SER-A1";
      s.badge_payload = payload_;
      s.session_id = "S1";
      s.kind = seq % 2 == 1 ? ScanKind::arrive : ScanKind::leave;
      s.wall_time = now_ms() - 30min + std::chrono::minutes(seq);
      s.monotonic_ms = static_cast<std::int64_t>(seq) * 60000;
      seal(s, previous);
      previous = s.hash;
      scans.push_back(std::move(s));
    }
    return scans;
  }

  IngestAnswer ingest(std::vector<Scan> scans, std::optional<std::string> event = std::nullopt) {
    ScanBatch batch;
    batch.event_id = std::move(event);
    batch.scans = std::move(scans);
    return ingest_scans(*store_, device_, std::move(batch), now_ms());
  }

  test::TempDir dir_;
  std::unique_ptr<ServerStore> store_;
  std::string payload_;
  DeviceRecord device_;
};

TEST_F(ScanIngest, StoresOnceAndCountsTheResendAsDuplicates) {
  const auto scans = chain(3);
  auto first = ingest(scans);
  ASSERT_TRUE(first.ok()) << first.message;
  EXPECT_EQ(first.stored, 3U);
  EXPECT_EQ(first.acked_through, 3U);
  EXPECT_EQ(json::parse(ingest_answer_body(first)),
            (json{{"stored", 3}, {"duplicates", 0}, {"acked_through", 3}}));
  auto again = ingest({scans.rbegin(), scans.rend()}); // any order
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_EQ(again.stored, 0U);
  EXPECT_EQ(again.duplicates, 3U);
  EXPECT_EQ(store_->scan_count().value(), 3U);
}

TEST_F(ScanIngest, RefusalsCarryTheHttpCodeFieldsAndMetricLabel) {
  auto wrong_event = ingest(chain(1), "E9");
  EXPECT_EQ(wrong_event.status, 422);
  EXPECT_EQ(wrong_event.error_code, "wrong_event");
  EXPECT_EQ(wrong_event.metric_label, "wrong_event");

  auto tampered = chain(2);
  tampered[1].badge_payload = "nonsense";
  auto bad = ingest(tampered);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.error_code, "bad_badge");
  const json body = json::parse(ingest_answer_body(bad));
  EXPECT_EQ(body["error"]["sequence"], 2);
  EXPECT_EQ(body["error"]["code"], "bad_badge");
  EXPECT_EQ(store_->scan_count().value(), 0U) << "nothing of a refused batch is stored";

  ASSERT_TRUE(ingest(chain(2)).ok());
  auto gap = chain(4);
  auto broken = ingest({gap[3]});
  EXPECT_EQ(broken.status, 409);
  EXPECT_EQ(broken.error_code, "chain_break");
  EXPECT_EQ(json::parse(ingest_answer_body(broken))["acked_through"], 2);
}

TEST_F(ScanIngest, ABranchVoidsOnlyScansOfTheHistoryItSharesWithItsParent) {
  ASSERT_TRUE(ingest(chain(4)).ok());
  const std::string kiosk_hash(64, 'c');
  auto branch = store_->branch_device(
      "dev-1", 3, kiosk_hash, [](const std::string& id) { return "h-" + id; }, now_ms());
  ASSERT_TRUE(branch.ok()) << branch.message();
  const auto void_of = [&](std::uint64_t sequence) {
    Scan s;
    s.device_id = branch->device.id;
    s.sequence = 1;
    s.attendee_id = "A1";
    s.session_id = "S1";
    s.kind = ScanKind::correction;
    s.correction = Correction::void_scan;
    s.staff_id = "staff-1";
    s.reason = "twice";
    s.voids_device_id = "dev-1";
    s.voids_sequence = sequence;
    s.wall_time = now_ms() - 1min;
    seal(s, kZeroDigest);
    ScanBatch batch;
    batch.scans = {s};
    return ingest_scans(*store_, branch->device, std::move(batch), now_ms());
  };
  // dev-1 #3 and #4 are the other history (the branch left dev-1 at 3): not the branch's to void.
  const auto foreign = void_of(3);
  EXPECT_EQ(foreign.status, 422);
  EXPECT_EQ(foreign.error_code, "foreign_scan");
  const auto shared = void_of(2);
  EXPECT_TRUE(shared.ok()) << shared.message;
  EXPECT_EQ(shared.stored, 1U);
}

} // namespace
} // namespace muster::server
