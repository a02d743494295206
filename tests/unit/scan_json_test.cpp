// shared/scan_json: the boot id and the clock samples on the wire (sync/PROTOCOL.md).
#include "shared/scan_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "shared/scan_log.hpp"

namespace muster {
namespace {

using std::chrono::milliseconds;

Scan sealed_scan(std::string boot_id) {
  Scan scan;
  scan.device_id = "dev-1";
  scan.sequence = 1;
  scan.attendee_id = "A1";
  scan.session_id = "S1";
  scan.wall_time = Instant{milliseconds{1'790'000'000'000}};
  scan.monotonic_ms = 4242;
  scan.boot_id = std::move(boot_id);
  seal(scan, kZeroDigest);
  return scan;
}

TEST(ScanJson, BootIdAndClockSamplesRoundTrip) {
  const std::vector<Scan> scans{sealed_scan("boot-a")};
  const std::vector<ClockSample> samples{{"boot-a", Instant{milliseconds{1'790'000'100'000}},
                                          Instant{milliseconds{1'790'007'300'000}}, 104'242, 4}};
  const std::string body = scan_batch_to_json(scans, "EV1", samples);
  auto batch = parse_scan_batch(body);
  ASSERT_TRUE(batch.ok()) << batch.message();
  ASSERT_EQ(batch->scans.size(), 1U);
  EXPECT_EQ(batch->scans[0].boot_id, "boot-a");
  EXPECT_EQ(compute_hash(batch->scans[0]), scans[0].hash); // v3 hash survives the wire
  EXPECT_EQ(batch->clock_samples, samples);
}

TEST(ScanJson, ScansWithoutBootIdKeepTheirExactJson) {
  const std::string json = scan_to_json(sealed_scan(""));
  EXPECT_EQ(json.find("boot_id"), std::string::npos);
  auto batch = parse_scan_batch(R"({"scans": [], "clock_samples": null})");
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->clock_samples.empty());
}

TEST(ScanJson, BadClockSamplesAreRefusedWithTheirPath) {
  const auto field_of = [](const std::string& body) {
    auto batch = parse_scan_batch(body);
    EXPECT_FALSE(batch.ok()) << body;
    return batch.ok() ? std::string() : batch.code().field;
  };
  EXPECT_EQ(field_of(R"({"scans": [], "clock_samples": {}})"), "clock_samples");
  EXPECT_EQ(field_of(R"({"scans": [], "clock_samples": [{"boot_id": "", "server_time": 1,
            "device_wall": 1, "monotonic_ms": 1}]})"),
            "clock_samples[0].boot_id");
  EXPECT_EQ(field_of(R"({"scans": [], "clock_samples": [{"boot_id": "b", "server_time": 1,
            "device_wall": 1, "monotonic_ms": 1, "uncertainty_ms": -1}]})"),
            "clock_samples[0].uncertainty_ms");
  EXPECT_EQ(field_of(R"({"scans": [], "clock_samples": [{"boot_id": "b", "device_wall": 1,
            "monotonic_ms": 1}]})"),
            "clock_samples[0].server_time");
}

} // namespace
} // namespace muster
