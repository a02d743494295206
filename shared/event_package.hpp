#pragma once
// The signed event package: everything a kiosk needs to check people in offline (the event and
// its sessions, the roster without e-mail addresses, revoked badge serials, League keys, device
// certificates). `muster-server package` writes it to a file for `muster-kiosk import-package`;
// the HTTP endpoint GET /api/v1/events/{id}/package returns the same envelope.
//
// Envelope (one JSON object):
//   {"format":"muster-package-v1", "key_id":"<League key id>",
//    "signature":"<Ed25519, 128 lower-case hex digits>", "package":"<package JSON text>"}
// The signature covers "MUP1." followed by the exact bytes of the "package" string, so there
// is nothing to canonicalise, and the "MUP1." domain prefix means a package signature can never
// pass as a badge ("MU1.") or certificate ("MUC1.") signature, nor the other way round.
//
// Package text (JSON object): format (1), league_id, since_cursor, cursor, generated_at (ISO 8601
// UTC), event (the docs/formats.md event JSON with UTC times, or null when unchanged in a delta),
// attendees [{id, first_name, last_name, role, municipality}] (NEVER an e-mail address: a
// package carrying an "email" key is refused), revoked_serials [..], league_keys ["MUPK1..."],
// device_certificates ["MUC1..."].
//
// Trust: open_package(envelope, trusted) verifies against `trusted` (the League keys the kiosk
// already holds from an earlier package). With an EMPTY `trusted` list it trusts on first use:
// the signing key must be one of the package's own league_keys, which proves the package is
// intact and self-consistent but NOT who made it. The kiosk must then remember those keys and
// pass them on every later import, so a package signed by another key is refused from then on.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/badge.hpp"
#include "shared/domain.hpp"
#include "shared/result.hpp"

namespace muster {

inline constexpr std::string_view kPackageEnvelopeFormat = "muster-package-v1";
inline constexpr int kPackageFormat = 1;
// A 5,000-attendee roster is about 1 MB; anything this large is not a package.
inline constexpr std::size_t kMaxPackageBytes = std::size_t{64} * 1024 * 1024;

struct EventPackage {
  int format = kPackageFormat;
  std::string league_id;
  std::uint64_t since_cursor = 0;  // 0: a full package; otherwise changes after this cursor
  std::uint64_t cursor = 0;        // ask for changes since this one next time
  std::optional<Event> event;      // absent in a delta when the event did not change
  std::vector<Attendee> attendees; // added or changed; e-mail is never written
  std::vector<std::string> revoked_serials;
  std::vector<PublicKey> league_keys;
  std::vector<DeviceCertificate> device_certificates;
  Instant generated_at;
};

// Why a package was refused.
enum class PackageError : std::uint8_t {
  too_large,     // more than kMaxPackageBytes
  malformed,     // not JSON, or a field is missing / of the wrong type / invalid
  wrong_format,  // not a "muster-package-v1" envelope or not package format 1
  unknown_key,   // signed by a key that is not trusted (or, first use, not in the package)
  bad_signature, // the package text was altered or signed by another key
  email_present, // an attendee carries an e-mail address: never allowed on a kiosk
  invalid_event, // the event does not pass the event import rules (docs/formats.md)
};
std::string_view to_string(PackageError error);

// Signs "MUP1." + package_text. Only packages are signed this way (see the header comment).
Signature sign_package_text(std::string_view package_text, const SigningKey& key);

// The package's JSON text (deterministic for the same package). E-mail addresses are dropped.
std::string package_text(const EventPackage& package);

// The signed envelope for a package.
std::string sign_package(const EventPackage& package, const SigningKey& key);

// Verifies and parses an envelope. `trusted` empty: trust on first use (see above).
Result<EventPackage, PackageError> open_package(std::string_view envelope,
                                                const std::vector<PublicKey>& trusted);

} // namespace muster
