#include "shared/scan_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace muster {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kDevice = "kiosk-a";

Instant at_ms(std::int64_t ms) { return Instant{milliseconds{ms}}; }

// The scan behind the golden vectors below (computed independently with Python's hashlib from
// the format described in scan_log.cpp).
Scan golden_arrival() {
  Scan scan;
  scan.device_id = "kiosk-a";
  scan.sequence = 1;
  scan.attendee_id = "A-1";
  scan.badge_serial = "S1";
  scan.badge_payload = "P";
  scan.session_id = "s1";
  scan.kind = ScanKind::arrive;
  scan.wall_time = at_ms(1'700'000'000'000);
  scan.monotonic_ms = 5000;
  scan.clock_offset_ms = -1500;
  return scan;
}

Scan golden_void_correction(const Digest& previous) {
  Scan scan;
  scan.device_id = "kiosk-a";
  scan.sequence = 2;
  scan.attendee_id = "A-1";
  scan.session_id = "s1";
  scan.kind = ScanKind::correction;
  scan.wall_time = at_ms(1'700'000'060'000);
  scan.monotonic_ms = 65000;
  scan.clock_offset_ms = -1500;
  scan.correction = Correction::void_scan;
  scan.effective_time = at_ms(1'699'999'990'000);
  scan.staff_id = "staff-7";
  scan.reason = "badge read twice";
  scan.voids_device_id = "kiosk-a";
  scan.voids_sequence = 1;
  scan.prev_hash = previous;
  return scan;
}

std::string hex_of(std::string_view bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4U]);
    hex.push_back(kDigits[byte & 0x0FU]);
  }
  return hex;
}

// A sealed chain of `count` records for one device, continuing from `anchor`, with varied
// content: arrivals, leaves and every seventh a staff correction.
std::vector<Scan> make_chain(std::size_t count, std::string_view device = kDevice,
                             const ChainAnchor& anchor = {}) {
  std::vector<Scan> chain;
  chain.reserve(count);
  Digest previous = anchor.hash;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t sequence = anchor.sequence + 1 + i;
    Scan scan;
    scan.device_id = std::string(device);
    scan.sequence = sequence;
    scan.attendee_id = "A-" + std::to_string(sequence % 13);
    scan.badge_serial = "S" + std::to_string(sequence % 13);
    scan.badge_payload = "payload-" + std::to_string(sequence);
    scan.session_id = "s" + std::to_string(sequence % 3);
    scan.kind = sequence % 2 == 0 ? ScanKind::leave : ScanKind::arrive;
    scan.wall_time = at_ms(1'700'000'000'000 + static_cast<std::int64_t>(sequence) * 1000);
    scan.monotonic_ms = static_cast<std::int64_t>(sequence) * 1000;
    scan.clock_offset_ms = 250;
    if (sequence % 7 == 0) {
      scan.kind = ScanKind::correction;
      scan.correction = Correction::leave;
      scan.effective_time = scan.wall_time - milliseconds{60'000};
      scan.staff_id = "staff-1";
      scan.reason = "forgot to check out";
    }
    seal(scan, previous);
    previous = scan.hash;
    chain.push_back(std::move(scan));
  }
  return chain;
}

// --- canonical bytes and hash ---------------------------------------------------------------

TEST(ScanLog, CanonicalBytesMatchTheDocumentedFormat) {
  const std::string bytes = canonical_bytes(golden_arrival());
  // 22 (tag) + 15 + 8 + 11 + 10 + 9 + 10 + 14 (kind) + 3 * 8 + 12 (correction) + 8 + 4 * 8 + 32.
  ASSERT_EQ(bytes.size(), 207U);
  EXPECT_EQ(hex_of(bytes.substr(0, 22)), "000000000000000e" + hex_of("muster-scan-v1"));
  EXPECT_EQ(hex_of(bytes.substr(22, 15)), "0000000000000007" + hex_of("kiosk-a"));
  EXPECT_EQ(hex_of(bytes.substr(37, 8)), "0000000000000001"); // sequence
  // wall time 1700000000000 ms, monotonic 5000, offset -1500 (two's complement).
  EXPECT_EQ(hex_of(bytes.substr(99, 24)), "0000018bcfe56800"
                                          "0000000000001388"
                                          "fffffffffffffa24");
  EXPECT_EQ(bytes.substr(175), std::string(32, '\0')); // prev_hash last, the zero digest
}

TEST(ScanLog, DetailsUseTheV2TagAndSitBeforePrevHash) {
  Scan checkin = golden_arrival();
  checkin.kind = ScanKind::checkin;
  checkin.session_id.clear();
  checkin.details = R"({"note":"x"})";
  const std::string bytes = canonical_bytes(checkin);
  EXPECT_EQ(hex_of(bytes.substr(0, 22)), "000000000000000e" + hex_of("muster-scan-v2"));
  const std::string detail_field =
      "000000000000000c" + hex_of(checkin.details); // u64 length 12, then the text
  EXPECT_EQ(hex_of(bytes.substr(bytes.size() - 32 - 20, 20)), detail_field);
  EXPECT_EQ(bytes.substr(bytes.size() - 32), std::string(32, '\0'));

  // Without details the same scan encodes as v1, so chains from before details stay valid.
  Scan plain = checkin;
  plain.details.clear();
  EXPECT_EQ(hex_of(canonical_bytes(plain).substr(0, 22)),
            "000000000000000e" + hex_of("muster-scan-v1"));
  EXPECT_NE(compute_hash(plain), compute_hash(checkin));
}

TEST(ScanLog, BootIdUsesTheV3TagAfterDetails) {
  Scan scan = golden_arrival();
  scan.boot_id = "boot-1";
  const std::string bytes = canonical_bytes(scan);
  EXPECT_EQ(hex_of(bytes.substr(0, 22)), "000000000000000e" + hex_of("muster-scan-v3"));
  // "str details" (empty here) then "str boot_id", then prev_hash.
  EXPECT_EQ(hex_of(bytes.substr(bytes.size() - 32 - 8 - 14, 8 + 14)), "0000000000000000"
                                                                      "0000000000000006" +
                                                                          hex_of("boot-1"));
  // The boot id is hashed: changing it breaks the scan's hash; without one, v1 as before.
  Scan other = scan;
  other.boot_id = "boot-2";
  EXPECT_NE(compute_hash(other), compute_hash(scan));
  EXPECT_EQ(canonical_bytes(golden_arrival()).substr(0, 22).substr(8), "muster-scan-v1");
}

TEST(ScanLog, EditedDetailsBreakTheChain) {
  std::vector<Scan> chain;
  Digest previous = kZeroDigest;
  for (std::uint64_t sequence = 1; sequence <= 3; ++sequence) {
    Scan scan = golden_arrival();
    scan.sequence = sequence;
    scan.kind = ScanKind::survey;
    scan.details = R"({"answers":{"useful":"Yes"}})";
    seal(scan, previous);
    previous = scan.hash;
    chain.push_back(std::move(scan));
  }
  EXPECT_FALSE(verify_chain(chain).has_value());
  chain[1].details = R"({"answers":{"useful":"No"}})";
  const auto verdict = verify_chain(chain);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->first_bad_sequence, 2U);
  EXPECT_EQ(verdict->fault, ChainFault::bad_hash);
}

TEST(ScanLog, HashMatchesIndependentlyComputedGoldenVectors) {
  Scan first = golden_arrival();
  seal(first, kZeroDigest);
  EXPECT_EQ(to_hex(first.hash), "864692fed289ad25859f77efeb4e50ae4082241ba709c45edc223fdbf1d9e1af");
  Scan second = golden_void_correction(first.hash);
  EXPECT_EQ(canonical_bytes(second).size(), 238U);
  EXPECT_EQ(to_hex(compute_hash(second)),
            "57b66477a2215f259ffe783f5f42126a513af3004f09eca7c5a7c228b2d3b932");
}

TEST(ScanLog, OwnHashIsNotPartOfTheCanonicalBytes) {
  Scan scan = golden_arrival();
  const std::string before = canonical_bytes(scan);
  scan.hash.fill(0xAB);
  EXPECT_EQ(canonical_bytes(scan), before);
}

TEST(ScanLog, SealSetsPrevHashThenHash) {
  Scan scan = golden_arrival();
  Digest previous{};
  previous.fill(0x11);
  seal(scan, previous);
  EXPECT_EQ(scan.prev_hash, previous);
  EXPECT_EQ(scan.hash, compute_hash(scan));
  Scan other = golden_arrival();
  seal(other, kZeroDigest);
  EXPECT_NE(scan.hash, other.hash); // the link is covered by the hash
}

struct FieldChange {
  std::string name;
  std::function<void(Scan&)> change;
};

class ScanLogField : public testing::TestWithParam<FieldChange> {};

TEST_P(ScanLogField, ChangingTheFieldChangesTheHash) {
  const Scan original = golden_void_correction(Digest{});
  Scan changed = original;
  GetParam().change(changed);
  EXPECT_NE(canonical_bytes(changed), canonical_bytes(original));
  EXPECT_NE(compute_hash(changed), compute_hash(original));
}

INSTANTIATE_TEST_SUITE_P(
    EveryFact, ScanLogField,
    testing::Values(FieldChange{"device_id", [](Scan& s) { s.device_id = "kiosk-b"; }},
                    FieldChange{"sequence", [](Scan& s) { s.sequence = 3; }},
                    FieldChange{"attendee_id", [](Scan& s) { s.attendee_id = "A-2"; }},
                    FieldChange{"badge_serial", [](Scan& s) { s.badge_serial = "S1"; }},
                    FieldChange{"badge_payload", [](Scan& s) { s.badge_payload = "P"; }},
                    FieldChange{"session_id", [](Scan& s) { s.session_id = "s2"; }},
                    FieldChange{"kind", [](Scan& s) { s.kind = ScanKind::leave; }},
                    FieldChange{"wall_time", [](Scan& s) { s.wall_time += milliseconds{1}; }},
                    FieldChange{"monotonic_ms", [](Scan& s) { s.monotonic_ms += 1; }},
                    FieldChange{"clock_offset_ms", [](Scan& s) { s.clock_offset_ms = 1500; }},
                    FieldChange{"correction", [](Scan& s) { s.correction = Correction::leave; }},
                    FieldChange{"effective_time",
                                [](Scan& s) { s.effective_time -= milliseconds{1}; }},
                    FieldChange{"staff_id", [](Scan& s) { s.staff_id = "staff-8"; }},
                    FieldChange{"reason", [](Scan& s) { s.reason = "badge read twice."; }},
                    FieldChange{"voids_device_id", [](Scan& s) { s.voids_device_id = "kiosk-b"; }},
                    FieldChange{"voids_sequence", [](Scan& s) { s.voids_sequence = 2; }},
                    FieldChange{"prev_hash", [](Scan& s) { s.prev_hash[31] = 1; }}),
    [](const testing::TestParamInfo<FieldChange>& param_info) { return param_info.param.name; });

TEST(ScanLog, MovingBytesBetweenAdjacentStringsChangesTheHash) {
  Scan left = golden_arrival();
  Scan right = golden_arrival();
  left.attendee_id = "ab";
  left.badge_serial = "c";
  right.attendee_id = "a";
  right.badge_serial = "bc";
  EXPECT_NE(compute_hash(left), compute_hash(right));

  // The same byte in one empty string or in its empty neighbour.
  left = golden_arrival();
  right = golden_arrival();
  left.staff_id = "x";
  right.reason = "x";
  EXPECT_NE(compute_hash(left), compute_hash(right));
  left = golden_arrival();
  right = golden_arrival();
  left.reason = "";
  left.voids_device_id = "r";
  right.reason = "r";
  right.voids_device_id = "";
  EXPECT_NE(compute_hash(left), compute_hash(right));
}

// --- verifying chains -----------------------------------------------------------------------

TEST(ScanLog, EmptySpanIsIntact) {
  EXPECT_FALSE(verify_chain({}));
  EXPECT_FALSE(verify_chain({}, ChainAnchor{7, Digest{}}));
  EXPECT_FALSE(verify_device_chain(kDevice, {}));
}

TEST(ScanLog, LongChainVerifies) {
  const std::vector<Scan> chain = make_chain(10'000);
  EXPECT_EQ(chain.back().sequence, 10'000U);
  const auto fault = verify_chain(chain);
  EXPECT_FALSE(fault) << fault->message;
  EXPECT_FALSE(verify_device_chain(kDevice, chain));
}

TEST(ScanLog, ChainInBatchesVerifiesWithAnchors) {
  const std::vector<Scan> chain = make_chain(25);
  const std::span<const Scan> all(chain);
  ChainAnchor anchor;
  for (const std::size_t end : {std::size_t{10}, std::size_t{11}, std::size_t{25}}) {
    const auto batch = all.subspan(anchor.sequence, end - anchor.sequence);
    const auto fault = verify_chain(batch, anchor);
    EXPECT_FALSE(fault) << fault->message;
    anchor = ChainAnchor{batch.back().sequence, batch.back().hash};
  }
  EXPECT_EQ(anchor.sequence, 25U);
}

TEST(ScanLog, BatchAgainstTheWrongAnchorHashBreaksAtItsFirstRecord) {
  const std::vector<Scan> chain = make_chain(12);
  const std::span<const Scan> tail = std::span<const Scan>(chain).subspan(6);
  ChainAnchor anchor{6, chain[4].hash}; // the hash of record 5, not 6
  const auto fault = verify_chain(tail, anchor);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->first_bad_sequence, 7U);
  EXPECT_EQ(fault->fault, ChainFault::broken_link);
  EXPECT_EQ(fault->message, "device kiosk-a: record 7 does not continue the known chain (its "
                            "previous hash is not the hash of record 6)");
}

TEST(ScanLog, ChainNotStartingAtAnchorPlusOneIsBadAtAnchorPlusOne) {
  const std::vector<Scan> chain = make_chain(12);
  const auto tail = std::span<const Scan>(chain).subspan(6); // starts at record 7
  const auto from_genesis = verify_chain(tail);
  ASSERT_TRUE(from_genesis);
  EXPECT_EQ(from_genesis->first_bad_sequence, 1U);
  EXPECT_EQ(from_genesis->fault, ChainFault::bad_sequence);
  EXPECT_EQ(from_genesis->message,
            "device kiosk-a: record 1 is missing (found 7 at the start of the chain)");

  const auto from_four = verify_chain(tail, ChainAnchor{4, chain[3].hash});
  ASSERT_TRUE(from_four);
  EXPECT_EQ(from_four->first_bad_sequence, 5U);
  EXPECT_EQ(from_four->message, "device kiosk-a: record 5 is missing (found 7 after 4)");
}

TEST(ScanLog, MessagesNameTheDeviceTheRecordAndItsNeighbours) {
  std::vector<Scan> chain = make_chain(10);
  std::vector<Scan> dropped = chain;
  dropped.erase(dropped.begin() + 6); // record 7
  auto fault = verify_chain(dropped);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->message, "device kiosk-a: record 7 is missing (found 8 after 6)");

  std::vector<Scan> swapped = chain;
  std::swap(swapped[6], swapped[7]);
  fault = verify_chain(swapped);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->message, "device kiosk-a: record 7 is out of order (found 8 before it)");

  std::vector<Scan> edited = chain;
  edited[6].reason = "added later";
  fault = verify_chain(edited);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->message,
            "device kiosk-a: record 7 was altered (its contents do not match its hash)");

  edited[6].hash = compute_hash(edited[6]);
  fault = verify_chain(edited);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->message, "device kiosk-a: record 7 was altered or replaced (record 8 names a "
                            "different record before it)");
}

TEST(ScanLog, ReplayedRecordIsOutOfOrderWhereItAppears) {
  std::vector<Scan> chain = make_chain(6);
  chain.push_back(chain[1]); // record 2 again, byte for byte, after 6
  const auto fault = verify_chain(chain);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->first_bad_sequence, 7U);
  EXPECT_EQ(fault->fault, ChainFault::bad_sequence);
  EXPECT_EQ(fault->message, "device kiosk-a: record 7 is out of order (found 2 again after 6)");
}

TEST(ScanLog, EditedSequenceOrDeviceIsAnAlterationNotAGap) {
  const std::vector<Scan> chain = make_chain(10);
  std::vector<Scan> renumbered = chain;
  renumbered[4].sequence = 6; // record 5 claims to be 6, hash left alone
  auto fault = verify_chain(renumbered);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->first_bad_sequence, 5U);
  EXPECT_EQ(fault->fault, ChainFault::bad_hash);

  std::vector<Scan> moved = chain;
  moved[4].device_id = "kiosk-b"; // record 5 disowned, hash left alone
  fault = verify_chain(moved);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->first_bad_sequence, 5U);
  EXPECT_EQ(fault->fault, ChainFault::bad_hash);
  EXPECT_EQ(fault->message,
            "device kiosk-a: record 5 was altered (its contents do not match its hash)");
}

TEST(ScanLog, FirstRecordFromAnotherDeviceNeedsTheKnownDevice) {
  std::vector<Scan> chain = make_chain(5);
  Scan foreign = make_chain(1, "kiosk-b").front();
  chain[0] = foreign; // sealed onto the zero digest, sequence 1: a valid start for kiosk-b

  // Without knowing the device, the first record names the chain.
  const auto by_first = verify_chain(chain);
  ASSERT_TRUE(by_first);
  EXPECT_EQ(by_first->first_bad_sequence, 2U);
  EXPECT_EQ(by_first->fault, ChainFault::wrong_device);
  EXPECT_EQ(by_first->message, "device kiosk-b: the record in the place of record 2 is from "
                               "device kiosk-a (its record 2)");

  const auto known = verify_device_chain(kDevice, chain);
  ASSERT_TRUE(known);
  EXPECT_EQ(known->first_bad_sequence, 1U);
  EXPECT_EQ(known->fault, ChainFault::wrong_device);
  EXPECT_EQ(known->message, "device kiosk-a: the record in the place of record 1 is from "
                            "device kiosk-b (its record 1)");
}

TEST(ScanLog, FaultsHaveStableNames) {
  EXPECT_EQ(to_string(ChainFault::wrong_device), "wrong_device");
  EXPECT_EQ(to_string(ChainFault::bad_sequence), "bad_sequence");
  EXPECT_EQ(to_string(ChainFault::broken_link), "broken_link");
  EXPECT_EQ(to_string(ChainFault::bad_hash), "bad_hash");
}

// --- tampering, at the first, a middle and the last record of a 10-record chain -------------

enum class Tamper {
  drop,              // delete record k
  edit,              // change record k's facts, leave its hash
  edit_rehashed,     // change record k's facts and recompute its hash
  insert_forged,     // a well-sealed record numbered k before the genuine k, no renumbering
  insert_renumbered, // the same, and the genuine k.. renumbered k+1.. (hashes left alone)
  insert_naive,      // a copy of record k with other facts, placed before it
  swap,              // records k and k+1 change places
  foreign,           // a record of another device, well sealed, replaces record k
};

struct TamperCase {
  std::string name;
  Tamper tamper;
  std::uint64_t k;
  std::optional<std::uint64_t> first_bad; // nullopt: not detectable (the chain's end)
  ChainFault fault = ChainFault::bad_sequence;
};

std::vector<Scan> tampered(Tamper tamper, std::uint64_t k) {
  std::vector<Scan> chain = make_chain(10);
  const auto index = static_cast<std::ptrdiff_t>(k - 1);
  const Digest before_k = k == 1 ? kZeroDigest : chain[k - 2].hash;
  Scan& target = chain[k - 1];
  switch (tamper) {
  case Tamper::drop:
    chain.erase(chain.begin() + index);
    break;
  case Tamper::edit:
    target.wall_time -= milliseconds{600'000}; // claim an arrival 10 minutes earlier
    break;
  case Tamper::edit_rehashed:
    target.wall_time -= milliseconds{600'000};
    target.hash = compute_hash(target);
    break;
  case Tamper::insert_forged:
  case Tamper::insert_renumbered: {
    Scan forged = target;
    forged.attendee_id = "A-forged";
    seal(forged, before_k);
    if (tamper == Tamper::insert_renumbered) {
      for (auto it = chain.begin() + index; it != chain.end(); ++it)
        ++it->sequence;
    }
    chain.insert(chain.begin() + index, forged);
    break;
  }
  case Tamper::insert_naive: {
    Scan forged = target;
    forged.attendee_id = "A-forged";
    chain.insert(chain.begin() + index, forged);
    break;
  }
  case Tamper::swap:
    std::swap(chain[k - 1], chain[k]);
    break;
  case Tamper::foreign: {
    Scan other = make_chain(10, "kiosk-b")[k - 1];
    seal(other, before_k);
    target = other;
    break;
  }
  }
  return chain;
}

class ScanLogTamper : public testing::TestWithParam<TamperCase> {};

TEST_P(ScanLogTamper, IsReportedAtTheDocumentedSequence) {
  const TamperCase& c = GetParam();
  const std::vector<Scan> chain = tampered(c.tamper, c.k);
  const auto fault = verify_device_chain(kDevice, chain);
  if (!c.first_bad) {
    EXPECT_FALSE(fault) << fault->message;
    return;
  }
  ASSERT_TRUE(fault) << "tampering went unnoticed";
  EXPECT_EQ(fault->first_bad_sequence, *c.first_bad) << fault->message;
  EXPECT_EQ(fault->fault, c.fault) << fault->message;
  EXPECT_NE(fault->message.find("record " + std::to_string(*c.first_bad)), std::string::npos)
      << fault->message;
  // verify_chain takes the device from the first record; it agrees when that one is genuine.
  if (!(c.tamper == Tamper::foreign && c.k == 1)) {
    const auto by_first = verify_chain(chain);
    ASSERT_TRUE(by_first);
    EXPECT_EQ(by_first->first_bad_sequence, fault->first_bad_sequence);
    EXPECT_EQ(by_first->fault, fault->fault);
    EXPECT_EQ(by_first->message, fault->message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    FirstMiddleLast, ScanLogTamper,
    testing::Values(
        TamperCase{"DropFirst", Tamper::drop, 1, 1, ChainFault::bad_sequence},
        TamperCase{"DropMiddle", Tamper::drop, 5, 5, ChainFault::bad_sequence},
        // The last record can be dropped unseen: only the server's anchor protects it.
        TamperCase{"DropLastIsInvisible", Tamper::drop, 10, std::nullopt},
        TamperCase{"EditFirst", Tamper::edit, 1, 1, ChainFault::bad_hash},
        TamperCase{"EditMiddle", Tamper::edit, 5, 5, ChainFault::bad_hash},
        TamperCase{"EditLast", Tamper::edit, 10, 10, ChainFault::bad_hash},
        TamperCase{"EditRehashedFirst", Tamper::edit_rehashed, 1, 1, ChainFault::broken_link},
        TamperCase{"EditRehashedMiddle", Tamper::edit_rehashed, 5, 5, ChainFault::broken_link},
        // Nothing after the last record vouches for it.
        TamperCase{"EditRehashedLastIsInvisible", Tamper::edit_rehashed, 10, std::nullopt},
        TamperCase{"InsertForgedFirst", Tamper::insert_forged, 1, 2, ChainFault::bad_sequence},
        TamperCase{"InsertForgedMiddle", Tamper::insert_forged, 5, 6, ChainFault::bad_sequence},
        TamperCase{"InsertForgedLast", Tamper::insert_forged, 10, 11, ChainFault::bad_sequence},
        TamperCase{"InsertRenumberedFirst", Tamper::insert_renumbered, 1, 2, ChainFault::bad_hash},
        TamperCase{"InsertRenumberedMiddle", Tamper::insert_renumbered, 5, 6, ChainFault::bad_hash},
        TamperCase{"InsertRenumberedLast", Tamper::insert_renumbered, 10, 11, ChainFault::bad_hash},
        TamperCase{"InsertNaiveFirst", Tamper::insert_naive, 1, 1, ChainFault::bad_hash},
        TamperCase{"InsertNaiveMiddle", Tamper::insert_naive, 5, 5, ChainFault::bad_hash},
        TamperCase{"InsertNaiveLast", Tamper::insert_naive, 10, 10, ChainFault::bad_hash},
        TamperCase{"SwapFirst", Tamper::swap, 1, 1, ChainFault::bad_sequence},
        TamperCase{"SwapMiddle", Tamper::swap, 5, 5, ChainFault::bad_sequence},
        TamperCase{"SwapLast", Tamper::swap, 9, 9, ChainFault::bad_sequence},
        TamperCase{"ForeignFirst", Tamper::foreign, 1, 1, ChainFault::wrong_device},
        TamperCase{"ForeignMiddle", Tamper::foreign, 5, 5, ChainFault::wrong_device},
        TamperCase{"ForeignLast", Tamper::foreign, 10, 10, ChainFault::wrong_device}),
    [](const testing::TestParamInfo<TamperCase>& param_info) { return param_info.param.name; });

// --- hex ------------------------------------------------------------------------------------

TEST(ScanLog, HexRoundTrips) {
  Digest digest{};
  for (std::size_t i = 0; i < digest.size(); ++i)
    digest[i] = static_cast<std::uint8_t>(i * 8 + 7);
  const std::string hex = to_hex(digest);
  EXPECT_EQ(hex, "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
  EXPECT_EQ(digest_from_hex(hex), digest);
  EXPECT_EQ(to_hex(kZeroDigest), std::string(64, '0'));
  EXPECT_EQ(digest_from_hex(std::string(64, '0')), kZeroDigest);
}

TEST(ScanLog, HexRejectsWrongLengthNonHexAndUpperCase) {
  const std::string good = std::string(62, 'a') + "0f";
  ASSERT_TRUE(digest_from_hex(good));
  EXPECT_FALSE(digest_from_hex(""));
  EXPECT_FALSE(digest_from_hex(good.substr(1))); // 63 characters
  EXPECT_FALSE(digest_from_hex(good + "00"));    // 66 characters
  EXPECT_FALSE(digest_from_hex(std::string(62, 'a') + "0g"));
  EXPECT_FALSE(digest_from_hex(std::string(62, 'a') + " f"));
  EXPECT_FALSE(digest_from_hex(std::string(62, 'a') + "0F")); // one spelling: lower case
}

} // namespace
} // namespace muster
