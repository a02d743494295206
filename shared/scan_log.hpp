#pragma once
// Each device's scans form a hash chain: every record carries the BLAKE2b-256 hash of the
// previous record, so a dropped, edited, inserted or reordered record is detectable.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "shared/domain.hpp"

namespace muster {

// The previous hash of the first record of every chain (the genesis anchor, sequence 0).
inline constexpr Digest kZeroDigest{};

// The deterministic byte encoding of a scan's facts and its prev_hash (not its own hash).
// Length-prefixed fields, fixed-width integers: two different scans never encode alike.
// Format "muster-scan-v1" (field order and encodings are listed in scan_log.cpp); changing
// it, or renaming a ScanKind or Correction, breaks every stored chain: bump the version tag.
std::string canonical_bytes(const Scan& scan);

// BLAKE2b-256 of canonical_bytes(scan).
Digest compute_hash(const Scan& scan);

// Links a new record onto its device's chain: sets prev_hash, then hash.
void seal(Scan& scan, const Digest& previous_hash);

// The last record already known to be good (sequence 0 with the zero digest is the
// start of a chain). Lets a server verify a batch that continues what it holds.
struct ChainAnchor {
  std::uint64_t sequence = 0;
  Digest hash{};
};

enum class ChainFault : std::uint8_t {
  wrong_device, // a record of another device in this chain
  bad_sequence, // a record missing, inserted or out of order (sequence not previous + 1)
  broken_link,  // prev_hash is not the hash of the record before it
  bad_hash,     // the stored hash does not match the record's contents (edited)
};

std::string_view to_string(ChainFault fault); // "wrong_device", "bad_sequence", ...

// Where a chain fails. Records are read in order; slot s is the place record number s must
// hold (anchor.sequence + 1 first). first_bad_sequence is the first slot that fails, checked
// in this order: the record's hash does not match its contents (bad_hash, s: edited; checked
// first because an edited record's device and sequence prove nothing); it is from another
// device (wrong_device, s); its sequence is not s (bad_sequence, s: s is missing, out of order,
// or a number is reused); its prev_hash is not the previous record's hash (broken_link, s - 1).
// The link blames the predecessor because a record edited with its hash recomputed passes its
// own check; only its successor exposes it, so the break is AT s - 1. When the predecessor is
// the anchor (trusted), the link fault is reported at s instead.
// Consequences: a dropped record k -> k; edited k -> k (recomputed hash or not); swapped k and
// k+1 -> k; a record inserted after k -> k+2 when well-forged (it is a valid continuation of
// k; the genuine k+1 that follows deviates), k+1 when not. Not detectable by any hash chain:
// a consistent rewrite from some record to the end (dropping or editing the last record,
// appending) past the last record someone else holds; the server's anchor protects those.
struct ChainBreak {
  std::uint64_t first_bad_sequence = 0; // the first slot that fails (see above)
  ChainFault fault = ChainFault::bad_sequence;
  std::string message; // for a person: what is wrong and where
};

// Verifies records of one device, in stored order, continuing from `anchor`.
// Returns nothing when the chain is intact. The device is the first record's.
std::optional<ChainBreak> verify_chain(std::span<const Scan> records,
                                       const ChainAnchor& anchor = {});

// The same for a device known beforehand (e.g. the one a sync token belongs to), so a first
// record from another device is caught too.
std::optional<ChainBreak> verify_device_chain(std::string_view device_id,
                                              std::span<const Scan> records,
                                              const ChainAnchor& anchor = {});

std::string to_hex(const Digest& digest);
std::optional<Digest> digest_from_hex(std::string_view hex);

} // namespace muster
