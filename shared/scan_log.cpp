#include "shared/scan_log.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "shared/sodium_init.hpp"
#include "shared/text.hpp"

namespace muster {
namespace {

// Canonical encoding "muster-scan-v1", in this order (str = u64 big-endian byte length, then
// the bytes; u64/i64 = 8 bytes big-endian, i64 as two's complement; time = i64 milliseconds
// since the Unix epoch, UTC; enum = str of its to_string name, so reordering an enum does not
// change old hashes, renaming one does):
//   str "muster-scan-v1", str device_id, u64 sequence, str attendee_id, str badge_serial,
//   str badge_payload, str session_id, enum kind, time wall_time, i64 monotonic_ms,
//   i64 clock_offset_ms, enum correction, time effective_time, str staff_id, str reason,
//   str voids_device_id, u64 voids_sequence, 32 raw bytes prev_hash.
// Every variable-length field carries its length, so no two scans share an encoding.
// "muster-scan-v2" (a scan with details, shared/domain.hpp) is v1 with its own tag and
// "str details" between voids_sequence and prev_hash. A scan without details keeps the v1
// encoding, so chains recorded before details existed verify unchanged.
// "muster-scan-v3" (a scan with a boot id) is v2 with its own tag and "str boot_id" after
// "str details" (details always written, "" when none); scans without a boot id keep v1/v2.
constexpr std::string_view kFormatTag = "muster-scan-v1";
constexpr std::string_view kFormatTagWithDetails = "muster-scan-v2";
constexpr std::string_view kFormatTagWithBoot = "muster-scan-v3";

void append_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xFFU));
  }
}

void append_i64(std::string& out, std::int64_t value) {
  append_u64(out, static_cast<std::uint64_t>(value)); // two's complement, defined in C++20
}

void append_str(std::string& out, std::string_view text) {
  append_u64(out, text.size());
  out.append(text);
}

void append_time(std::string& out, Instant time) {
  append_i64(out, time.time_since_epoch().count());
}

std::string device_prefix(std::string_view device_id) {
  return "device " + std::string(device_id) + ": ";
}

// Why record `found` sits in slot `slot`: missing, out of order, or a number used again.
std::string sequence_message(std::span<const Scan> records, std::size_t index, std::uint64_t slot) {
  const std::uint64_t found = records[index].sequence;
  const std::string where =
      slot == 1 ? "at the start of the chain" : "after " + std::to_string(slot - 1);
  const std::string record = "record " + std::to_string(slot);
  if (found < slot) {
    return record + " is out of order (found " + std::to_string(found) + " again " + where + ")";
  }
  const auto later = std::find_if(records.begin() + static_cast<std::ptrdiff_t>(index) + 1,
                                  records.end(), [&](const Scan& s) { return s.sequence == slot; });
  if (later != records.end()) {
    return record + " is out of order (found " + std::to_string(found) + " before it)";
  }
  return record + " is missing (found " + std::to_string(found) + " " + where + ")";
}

ChainBreak make_break(std::uint64_t sequence, ChainFault fault, std::string message) {
  return ChainBreak{sequence, fault, std::move(message)};
}

} // namespace

std::string canonical_bytes(const Scan& scan) {
  std::string out;
  out.reserve(256 + scan.badge_payload.size() + scan.reason.size());
  const bool with_boot = !scan.boot_id.empty();
  append_str(out, with_boot              ? kFormatTagWithBoot
                  : scan.details.empty() ? kFormatTag
                                         : kFormatTagWithDetails);
  append_str(out, scan.device_id);
  append_u64(out, scan.sequence);
  append_str(out, scan.attendee_id);
  append_str(out, scan.badge_serial);
  append_str(out, scan.badge_payload);
  append_str(out, scan.session_id);
  append_str(out, to_string(scan.kind));
  append_time(out, scan.wall_time);
  append_i64(out, scan.monotonic_ms);
  append_i64(out, scan.clock_offset_ms);
  append_str(out, to_string(scan.correction));
  append_time(out, scan.effective_time);
  append_str(out, scan.staff_id);
  append_str(out, scan.reason);
  append_str(out, scan.voids_device_id);
  append_u64(out, scan.voids_sequence);
  if (with_boot || !scan.details.empty()) append_str(out, scan.details);
  if (with_boot) append_str(out, scan.boot_id);
  out.append(scan.prev_hash.begin(), scan.prev_hash.end());
  return out;
}

Digest compute_hash(const Scan& scan) {
  ensure_sodium();
  const std::string bytes = canonical_bytes(scan);
  Digest digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return digest;
}

void seal(Scan& scan, const Digest& previous_hash) {
  scan.prev_hash = previous_hash;
  scan.hash = compute_hash(scan);
}

std::string_view to_string(ChainFault fault) {
  switch (fault) {
  case ChainFault::wrong_device:
    return "wrong_device";
  case ChainFault::bad_sequence:
    return "bad_sequence";
  case ChainFault::broken_link:
    return "broken_link";
  case ChainFault::bad_hash:
    return "bad_hash";
  }
  return "unknown";
}

std::optional<ChainBreak> verify_chain(std::span<const Scan> records, const ChainAnchor& anchor) {
  if (records.empty()) return std::nullopt;
  return verify_device_chain(records.front().device_id, records, anchor);
}

std::optional<ChainBreak> verify_device_chain(std::string_view device,
                                              std::span<const Scan> records,
                                              const ChainAnchor& anchor) {
  const std::string prefix = device_prefix(device);
  std::uint64_t previous_sequence = anchor.sequence;
  const Digest* previous_hash = &anchor.hash;

  for (std::size_t i = 0; i < records.size(); ++i) {
    const Scan& record = records[i];
    const std::uint64_t slot = previous_sequence + 1;
    const std::string slot_name = "record " + std::to_string(slot);
    // Authenticity first: the device and sequence of an altered record prove nothing.
    if (record.hash != compute_hash(record)) {
      return make_break(slot, ChainFault::bad_hash,
                        prefix + slot_name + " was altered (its contents do not match its hash)");
    }
    if (record.device_id != device) {
      return make_break(slot, ChainFault::wrong_device,
                        prefix + "the record in the place of " + slot_name + " is from device " +
                            record.device_id + " (its record " + std::to_string(record.sequence) +
                            ")");
    }
    if (record.sequence != slot) {
      return make_break(slot, ChainFault::bad_sequence,
                        prefix + sequence_message(records, i, slot));
    }
    if (record.prev_hash != *previous_hash) {
      // The record itself is intact, so it vouches for a different predecessor: that one changed.
      if (i == 0) {
        const std::string expected = anchor.sequence == 0
                                         ? "the zero digest that starts a chain"
                                         : "the hash of record " + std::to_string(anchor.sequence);
        return make_break(slot, ChainFault::broken_link,
                          prefix + slot_name + " does not continue the known chain (its " +
                              "previous hash is not " + expected + ")");
      }
      return make_break(previous_sequence, ChainFault::broken_link,
                        prefix + "record " + std::to_string(previous_sequence) +
                            " was altered or replaced (" + slot_name +
                            " names a different record before it)");
    }
    previous_sequence = record.sequence;
    previous_hash = &record.hash;
  }
  return std::nullopt;
}

std::string to_hex(const Digest& digest) { return lower_hex(digest); }

std::optional<Digest> digest_from_hex(std::string_view hex) {
  Digest digest{};
  if (!parse_lower_hex(hex, digest)) return std::nullopt;
  return digest;
}

} // namespace muster
