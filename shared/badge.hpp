#pragma once
// The badge codec: a signed, versioned, ASCII-only text payload for a badge's QR code, and the
// keys, device certificates and trust store a kiosk needs to verify it offline.
//
// Badge payload, version 1 (at most kMaxPayloadBytes, typically ~130 characters):
//
//   MU1.<league>.<attendee>.<serial>.<key id>.<signature>
//
// - ids: 1..64 characters of [A-Za-z0-9_-] (checked on sign and on parse). Upper-case ids keep
//   the whole payload in the QR alphanumeric set (0-9 A-Z . -), which makes smaller codes.
// - signature: Ed25519 (libsodium) over the exact bytes before it, "MU1." through the last '.',
//   so changing any character of the payload breaks it. Encoded as RFC 4648 base32, upper case,
//   no padding (103 characters; unused trailing bits must be zero): letters and 2-7 only, which
//   a keyboard-wedge scanner types the same on common layouts and cannot confuse by case.
// - parsing is strict: exactly six fields, no spaces, no trailing bytes, one canonical spelling
//   of every signature, so no two different strings verify as the same badge.
// - another "MU<digits>." prefix is a future version: unsupported_version, not malformed, so an
//   outdated kiosk can say "update me" instead of "bad badge".
//
// Key rotation: each signature names its key id; a trust store holds several League keys at
// once, so badges signed with an old key keep verifying until that key is removed.
// Reprints: the League key certifies a device key (a registration desk's); badges signed by a
// certified device key verify offline on every kiosk that trusts the League key.
//
// Text forms (one line each, for files and event packages):
//   public key:   MUPK1.<key id>.<32 bytes base32>
//   secret key:   MUSK1.<key id>.<32-byte seed base32>        (keep it secret)
//   certificate:  MUC1.<league>.<device key id>.<device public key base32>.<not after>.
//                 <league key id>.<signature base32>
// where <not after> is "-" (no expiry) or a UTC instant to the second, "2026-03-02T15:00:00Z".
// A certificate is signed over everything before its signature; its "MUC1." prefix differs
// from a badge's "MU1.", so a certificate signature can never pass as a badge signature.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "shared/domain.hpp"
#include "shared/result.hpp"

namespace muster {

inline constexpr std::size_t kMaxPayloadBytes = 512; // checked before any other work
inline constexpr std::size_t kMaxIdChars = 64;
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSeedBytes = 32;
inline constexpr std::size_t kSecretKeyBytes = 64; // libsodium's form: seed + public key
inline constexpr std::size_t kSignatureBytes = 64;

using PublicKeyBytes = std::array<std::uint8_t, kPublicKeyBytes>;
using Signature = std::array<std::uint8_t, kSignatureBytes>;

// A signature in JSON (event package, scan export): 128 lower-case hex digits, read strictly.
std::string signature_to_hex(const Signature& signature);
std::optional<Signature> signature_from_hex(std::string_view text);

// Why a badge was refused. When several apply, the first in this order is reported:
// malformed > unsupported_version > other_league > unknown_key > bad_signature > revoked_serial.
// (other_league is read from the unverified payload: it is for the message, not for trust.)
enum class BadgeError : std::uint8_t {
  malformed,           // not a v1 payload: structure, characters, length, encoding
  unsupported_version, // "MU2." and later: a newer format this build does not know
  other_league,        // a well-formed badge of another League
  unknown_key,         // key id not trusted here (never known, removed, or certificate expired)
  bad_signature,       // the signature does not match the payload: forged or altered
  revoked_serial,      // genuine, but this badge serial was revoked (lost badge, reprint)
};

// Why a key, certificate or trust-store change was refused.
enum class KeyError : std::uint8_t {
  malformed,           // bad text form or bad id
  unsupported_version, // a newer text form
  other_league,        // certificate for another League
  unknown_key,         // certificate signed by a key the store does not trust as a League key
  bad_signature,       // certificate signature does not match
  key_conflict,        // key id already in the store with different key bytes or another role
};

std::string_view to_string(BadgeError error);
std::string_view to_string(KeyError error);

// True for 1..kMaxIdChars characters of [A-Za-z0-9_-]: league, attendee, serial and key ids.
bool is_valid_badge_id(std::string_view id);

// A public key with the id that badges and certificates use to name it.
struct PublicKey {
  std::string key_id;
  PublicKeyBytes bytes{};
  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

std::string to_text(const PublicKey& key);
Result<PublicKey, KeyError> parse_public_key(std::string_view text);

struct BadgeFields;
struct DeviceCertificate;

// An Ed25519 secret key with its id. Move-only; the secret is wiped when destroyed or moved from.
class SigningKey {
public:
  // A new random key.
  static Result<SigningKey, KeyError> generate(std::string_view key_id);
  // The key derived from a 32-byte seed (deterministic: same seed, same key).
  static Result<SigningKey, KeyError> from_seed(std::string_view key_id,
                                                std::span<const std::uint8_t, kSeedBytes> seed);

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  [[nodiscard]] const std::string& key_id() const { return key_id_; }
  [[nodiscard]] PublicKey public_key() const;
  // The text form (MUSK1...): a secret, so write it only where a secret may live.
  [[nodiscard]] std::string to_secret_text() const;

private:
  SigningKey() = default;
  // Only the codec signs, and only its domain-prefixed messages ("MU1.", "MUC1.").
  [[nodiscard]] Signature sign_message(std::string_view message) const;
  friend Result<std::string, BadgeError> sign_badge(const BadgeFields& fields,
                                                    const SigningKey& key);
  friend Result<DeviceCertificate, KeyError> certify_device(std::string_view league_id,
                                                            const PublicKey& device_key,
                                                            std::optional<Instant> not_after,
                                                            const SigningKey& league_key);
  // Event packages (event_package.hpp) sign only "MUP1." + their text.
  friend Signature sign_package_text(std::string_view package_text, const SigningKey& key);
  // A kiosk's scan export (scan_export.hpp) signs only "MUX1." + the file's text.
  friend Signature sign_scan_export_text(std::string_view export_text, const SigningKey& key);

  std::string key_id_;
  std::array<std::uint8_t, kSecretKeyBytes> secret_{};
};

Result<SigningKey, KeyError> parse_signing_key(std::string_view text);

// What a badge says, before signing.
struct BadgeFields {
  std::string league_id;
  std::string attendee_id;
  std::string serial;
};

// Who signed a verified badge: the League itself, or a device key the League certified.
enum class BadgeSigner : std::uint8_t { league, device };

// A verified badge.
struct Badge {
  std::string league_id;
  std::string attendee_id;
  std::string serial;
  std::string key_id;
  BadgeSigner signer = BadgeSigner::league;
};

// The payload text for a QR code; refuses invalid ids (malformed).
Result<std::string, BadgeError> sign_badge(const BadgeFields& fields, const SigningKey& key);

// The League's statement that a device key may sign badges for it, until `not_after` if set.
struct DeviceCertificate {
  std::string league_id;
  PublicKey device_key;
  std::optional<Instant> not_after; // whole seconds; the key is trusted while now <= not_after
  std::string league_key_id;
  Signature signature{};
};

// Certifies `device_key` with the League's key. `not_after` is rounded down to the second.
Result<DeviceCertificate, KeyError> certify_device(std::string_view league_id,
                                                   const PublicKey& device_key,
                                                   std::optional<Instant> not_after,
                                                   const SigningKey& league_key);
std::string to_text(const DeviceCertificate& certificate);
// Parses the text form only; the signature is checked when a TrustStore takes it.
Result<DeviceCertificate, KeyError> parse_device_certificate(std::string_view text);

// What a kiosk trusts for one League: League keys by id, certified device keys, revoked
// serials. Verification needs nothing else (no network, no roster).
class TrustStore {
public:
  static Result<TrustStore, KeyError> for_league(std::string_view league_id);

  [[nodiscard]] const std::string& league_id() const { return league_id_; }

  // Adding the same key twice is fine; the same id with other bytes is a key_conflict.
  Result<Ok, KeyError> add_league_key(const PublicKey& key);
  // Badges (and certificates) signed by this key stop verifying. False if it was not there.
  bool remove_league_key(std::string_view key_id);
  // Checks league, issuer and signature now; expiry is checked on each verify.
  Result<Ok, KeyError> add_device_certificate(const DeviceCertificate& certificate);
  void revoke_serial(std::string_view serial);
  [[nodiscard]] bool is_revoked(std::string_view serial) const;

  // Verifies a scanned payload at instant `now` (the scan time; only device certificates'
  // expiry depends on it). Never throws, whatever the bytes.
  [[nodiscard]] Result<Badge, BadgeError> verify(std::string_view payload, Instant now) const;

private:
  explicit TrustStore(std::string league_id) : league_id_(std::move(league_id)) {}
  [[nodiscard]] Result<Ok, KeyError> check_certificate(const DeviceCertificate& certificate) const;

  std::string league_id_;
  std::map<std::string, PublicKey, std::less<>> league_keys_;
  std::map<std::string, DeviceCertificate, std::less<>> device_certificates_; // by device key id
  std::set<std::string, std::less<>> revoked_serials_;
};

} // namespace muster
