// shared/scan_export: a kiosk's scans on a USB stick, written and read back; every kind of
// damage is refused with its line.
#include "shared/scan_export.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

#include "shared/scan_log.hpp"

namespace muster {
namespace {

using std::chrono::milliseconds;

class ScanExportTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto key = SigningKey::generate("DESK-K-0123456789AB");
    ASSERT_TRUE(key.ok());
    key_.emplace(std::move(*key));
    Digest previous = kZeroDigest;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      Scan scan;
      scan.device_id = "K-0123456789AB";
      scan.sequence = seq;
      scan.attendee_id = "A" + std::to_string(seq);
      scan.session_id = "S1";
      scan.wall_time = Instant{milliseconds{1'790'000'000'000 + static_cast<std::int64_t>(seq)}};
      scan.monotonic_ms = static_cast<std::int64_t>(seq) * 1000;
      scan.boot_id = "boot-a";
      seal(scan, previous);
      previous = scan.hash;
      scans_.push_back(scan);
    }
    header_.device_id = "K-0123456789AB";
    header_.event_id = "EV1";
    header_.league_id = "TL";
    header_.device_key = key_->public_key();
    header_.first_sequence = 1;
    header_.last_sequence = 3;
    header_.exported_at = Instant{milliseconds{1'790'000'100'000}};
  }

  std::string written() const { return write_scan_export(header_, scans_, samples_, *key_); }

  static std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
    return lines;
  }

  static std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines)
      text += line + "\n";
    return text;
  }

  std::optional<SigningKey> key_;
  std::vector<Scan> scans_;
  std::vector<ClockSample> samples_{{"boot-a", Instant{milliseconds{1'790'000'050'000}},
                                     Instant{milliseconds{1'790'000'049'000}}, 4000, 12}};
  ScanExportHeader header_;
};

TEST_F(ScanExportTest, WrittenFileReadsBackWithEveryScanAndSample) {
  const std::string text = written();
  EXPECT_EQ(lines_of(text).size(), 6U) << text; // header, 3 scans, samples, signature
  auto read = read_scan_export(text);
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_EQ(read->header.device_id, "K-0123456789AB");
  EXPECT_EQ(read->header.event_id, "EV1");
  EXPECT_EQ(read->header.league_id, "TL");
  EXPECT_EQ(read->header.device_key, key_->public_key());
  EXPECT_EQ(read->header.exported_at, header_.exported_at);
  ASSERT_EQ(read->scans.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_EQ(read->scans[i].hash, scans_[i].hash);
  EXPECT_EQ(read->clock_samples, samples_);
}

TEST_F(ScanExportTest, AnEmptyExportIsAHeaderAndASignature) {
  header_.first_sequence = 0;
  header_.last_sequence = 0;
  scans_.clear();
  samples_.clear();
  auto read = read_scan_export(written());
  ASSERT_TRUE(read.ok()) << read.message();
  EXPECT_TRUE(read->scans.empty());
}

TEST_F(ScanExportTest, AnEditedScanIsRefusedAtItsLineForItsHash) {
  auto lines = lines_of(written());
  const auto at = lines[2].find("\"A2\"");
  ASSERT_NE(at, std::string::npos);
  lines[2].replace(at, 4, "\"A7\"");
  auto read = read_scan_export(joined(lines));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.code().fault, ExportFault::bad_hash);
  EXPECT_EQ(read.code().line, 3U);
  EXPECT_EQ(read.message().rfind("line 3: ", 0), 0U) << read.message();
}

TEST_F(ScanExportTest, ARemovedOrMovedScanBreaksTheChainAtItsLine) {
  auto lines = lines_of(written());
  std::swap(lines[2], lines[3]);
  auto moved = read_scan_export(joined(lines));
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.code().fault, ExportFault::broken_chain);
  EXPECT_EQ(moved.code().line, 3U);
  lines = lines_of(written());
  lines.erase(lines.begin() + 1);
  auto removed = read_scan_export(joined(lines));
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.code().fault, ExportFault::broken_chain);
  EXPECT_EQ(removed.code().line, 2U) << removed.message();
}

TEST_F(ScanExportTest, AnAlteredHeaderOrAnotherKeyFailsTheSignature) {
  auto lines = lines_of(written());
  const auto at = lines[0].find("\"EV1\"");
  ASSERT_NE(at, std::string::npos);
  lines[0].replace(at, 5, "\"EV2\"");
  auto altered = read_scan_export(joined(lines));
  ASSERT_FALSE(altered.ok());
  EXPECT_EQ(altered.code().fault, ExportFault::bad_signature);
  EXPECT_EQ(altered.code().line, 6U);

  // The signature is checked with the header's key: another key there fails it.
  auto other = SigningKey::generate("X");
  ASSERT_TRUE(other.ok());
  lines = lines_of(written());
  const auto key_at = lines[0].find(to_text(key_->public_key()));
  ASSERT_NE(key_at, std::string::npos);
  lines[0].replace(key_at, to_text(key_->public_key()).size(), to_text(other->public_key()));
  EXPECT_EQ(read_scan_export(joined(lines)).code().fault, ExportFault::bad_signature);
}

TEST_F(ScanExportTest, AFileCutShortHasNoSignatureLine) {
  auto lines = lines_of(written());
  lines.pop_back();
  lines.pop_back();
  auto read = read_scan_export(joined(lines));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.code().fault, ExportFault::bad_signature);
  EXPECT_NE(read.message().find("without its signature line"), std::string::npos);
  EXPECT_EQ(read_scan_export("").code().fault, ExportFault::unreadable);
  EXPECT_EQ(read_scan_export("{\"format\":\"muster-package-v1\"}\n").code().line, 1U);
}

TEST_F(ScanExportTest, FingerprintIsFiveGroupsAndDiffersPerKey) {
  const std::string fingerprint = key_fingerprint(key_->public_key());
  ASSERT_EQ(fingerprint.size(), 24U) << fingerprint;
  for (const std::size_t dash : {4U, 9U, 14U, 19U})
    EXPECT_EQ(fingerprint[dash], '-');
  EXPECT_EQ(key_fingerprint(key_->public_key()), fingerprint);
  auto other = SigningKey::generate("DESK-K-0123456789AB");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(key_fingerprint(other->public_key()), fingerprint);
}

} // namespace
} // namespace muster
