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

// The deterministic byte encoding of a scan's facts and its prev_hash (not its own hash).
// Length-prefixed fields, fixed-width integers: two different scans never encode alike.
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
  wrong_device,    // a record of another device in this chain
  bad_sequence,    // a record missing, inserted or out of order (sequence not previous + 1)
  broken_link,     // prev_hash is not the hash of the record before it
  bad_hash,        // the stored hash does not match the record's contents (edited)
};

struct ChainBreak {
  std::uint64_t first_bad_sequence = 0;  // the sequence number where the chain first fails
  ChainFault fault = ChainFault::bad_sequence;
  std::string message;                   // for a person: what is wrong and where
};

// Verifies records of one device, in stored order, continuing from `anchor`.
// Returns nothing when the chain is intact.
std::optional<ChainBreak> verify_chain(std::span<const Scan> records,
                                       const ChainAnchor& anchor = {});

std::string to_hex(const Digest& digest);
std::optional<Digest> digest_from_hex(std::string_view hex);

}  // namespace muster
