#include "shared/badge.hpp"

#include <sodium.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shared/sodium_init.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

static_assert(kPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSecretKeyBytes == crypto_sign_SECRETKEYBYTES);
static_assert(kSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kSignatureBytes == crypto_sign_BYTES);

constexpr std::string_view kBadgePrefix = "MU1.";
constexpr std::string_view kCertificatePrefix = "MUC1.";
constexpr std::string_view kPublicKeyPrefix = "MUPK1.";
constexpr std::string_view kSecretKeyPrefix = "MUSK1.";
constexpr std::string_view kNoExpiry = "-";
constexpr std::size_t kMaxKeyTextBytes = 256;
constexpr std::size_t kMaxCertificateTextBytes = 1024;
constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

constexpr std::size_t base32_length(std::size_t bytes) { return (bytes * 8 + 4) / 5; }

std::string base32_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(base32_length(bytes.size()));
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const std::uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 31U]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31U]);
  return out;
}

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// Strict: exactly the canonical spelling of N bytes (upper case, no padding, zero spare bits),
// so each byte string has one text form and any changed character is caught.
template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> base32_decode(std::string_view text) {
  if (text.size() != base32_length(N)) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::size_t written = 0;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base32_value(c);
    if (value < 0) return std::nullopt;
    buffer = ((buffer << 5) | static_cast<std::uint32_t>(value)) & 0xFFFFU;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = static_cast<std::uint8_t>((buffer >> bits) & 0xFFU);
    }
  }
  if ((buffer & ((1U << bits) - 1U)) != 0) return std::nullopt; // non-zero spare bits
  return out;
}

// Splits on '.' into exactly `count` fields; any other number of fields is no match.
std::optional<std::vector<std::string_view>> split_fields(std::string_view text,
                                                          std::size_t count) {
  std::vector<std::string_view> fields;
  fields.reserve(count);
  std::size_t start = 0;
  while (fields.size() < count) {
    const std::size_t dot = text.find('.', start);
    if (dot == std::string_view::npos) {
      fields.push_back(text.substr(start));
      break;
    }
    fields.push_back(text.substr(start, dot - start));
    start = dot + 1;
    if (fields.size() == count) return std::nullopt; // a '.' after the last field
  }
  if (fields.size() != count) return std::nullopt;
  return fields;
}

// "MU2.", "MUC7.": a later version of a known kind of text, as opposed to garbage.
bool is_other_version(std::string_view text, std::string_view kind) {
  if (!text.starts_with(kind)) return false;
  std::size_t pos = kind.size();
  const std::size_t digits_start = pos;
  while (pos < text.size() && pos - digits_start < 4 && text[pos] >= '0' && text[pos] <= '9') {
    ++pos;
  }
  return pos > digits_start && text[digits_start] != '0' && pos < text.size() && text[pos] == '.';
}

bool verify_signature(const Signature& signature, std::string_view message,
                      const PublicKeyBytes& key) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.data()) == 0;
}

// Badges are verified again and again (every arrival and leave at a kiosk; the server checks
// every pushed scan), and an Ed25519 verification costs tens of microseconds. Whether a signature
// verifies is a pure function of the signed bytes and the public key, so a badge payload that
// verified is remembered with the key bytes it verified under. Only that arithmetic is skipped:
// the league, key lookup (a removed key is no longer found), device certificate and expiry
// checks and revocation still run on every verify. Failures are never remembered; a payload
// differing in one byte is a different entry. Process-wide, thread-safe, bounded (cleared when
// full: a few thousand badges at most are scanned at an event).
class VerifiedPayloads {
public:
  bool contains(std::string_view payload, const PublicKeyBytes& key) {
    const std::lock_guard lock(mutex_);
    const auto found = entries_.find(payload);
    return found != entries_.end() && found->second == key;
  }
  void add(std::string_view payload, const PublicKeyBytes& key) {
    const std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.insert_or_assign(std::string(payload), key);
  }

private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  static constexpr std::size_t kMaxEntries = 8192; // at most 8192 * 512 bytes of payloads
  std::mutex mutex_;
  std::unordered_map<std::string, PublicKeyBytes, Hash, std::equal_to<>> entries_;
};

VerifiedPayloads& verified_payloads() {
  static VerifiedPayloads cache;
  return cache;
}

std::string not_after_text(const std::optional<Instant>& not_after) {
  return not_after ? format_utc(*not_after) : std::string(kNoExpiry);
}

std::optional<std::optional<Instant>> parse_not_after(std::string_view text) {
  if (text == kNoExpiry) return std::optional<Instant>{};
  const auto instant = parse_iso8601(text);
  // One spelling per instant: whole seconds in UTC, exactly as format_utc writes it.
  if (!instant || std::chrono::floor<std::chrono::seconds>(*instant) != *instant ||
      format_utc(*instant) != text) {
    return std::nullopt;
  }
  return std::optional<Instant>{*instant};
}

// The bytes a certificate's signature covers: its text up to and including the last '.'.
std::string certificate_message(const DeviceCertificate& certificate) {
  std::string message(kCertificatePrefix);
  message += certificate.league_id;
  message += '.';
  message += certificate.device_key.key_id;
  message += '.';
  message += base32_encode(certificate.device_key.bytes);
  message += '.';
  message += not_after_text(certificate.not_after);
  message += '.';
  message += certificate.league_key_id;
  message += '.';
  return message;
}

Error<KeyError> malformed_key(std::string_view what) {
  return fail(KeyError::malformed, std::string(what));
}

// Parses "<prefix><key id>.<32 bytes base32>" (public key and secret seed share the shape).
Result<std::pair<std::string, PublicKeyBytes>, KeyError>
parse_key_text(std::string_view text, std::string_view prefix, std::string_view kind) {
  if (text.size() > kMaxKeyTextBytes) return malformed_key("key text is too long");
  if (!text.starts_with(prefix)) {
    const std::string_view family = prefix.substr(0, prefix.size() - 2); // "MUPK", "MUSK"
    if (is_other_version(text, family)) {
      return fail(KeyError::unsupported_version,
                  std::string(kind) + " uses a newer format than this version understands");
    }
    return malformed_key(std::string(kind) + " must start with " + std::string(prefix));
  }
  const auto fields = split_fields(text.substr(prefix.size()), 2);
  if (!fields) return malformed_key(std::string(kind) + " must be <key id>.<base32 key>");
  if (!is_valid_badge_id((*fields)[0])) return malformed_key("invalid key id");
  const auto bytes = base32_decode<kPublicKeyBytes>((*fields)[1]);
  if (!bytes) return malformed_key(std::string(kind) + " bytes are not canonical base32");
  return std::pair{std::string((*fields)[0]), *bytes};
}

} // namespace

std::string_view to_string(BadgeError error) {
  switch (error) {
  case BadgeError::malformed:
    return "malformed";
  case BadgeError::unsupported_version:
    return "unsupported_version";
  case BadgeError::other_league:
    return "other_league";
  case BadgeError::unknown_key:
    return "unknown_key";
  case BadgeError::bad_signature:
    return "bad_signature";
  case BadgeError::revoked_serial:
    return "revoked_serial";
  }
  return "unknown";
}

std::string_view to_string(KeyError error) {
  switch (error) {
  case KeyError::malformed:
    return "malformed";
  case KeyError::unsupported_version:
    return "unsupported_version";
  case KeyError::other_league:
    return "other_league";
  case KeyError::unknown_key:
    return "unknown_key";
  case KeyError::bad_signature:
    return "bad_signature";
  case KeyError::key_conflict:
    return "key_conflict";
  }
  return "unknown";
}

std::string signature_to_hex(const Signature& signature) { return lower_hex(signature); }

std::optional<Signature> signature_from_hex(std::string_view text) {
  Signature signature{};
  if (!parse_lower_hex(text, signature)) return std::nullopt;
  return signature;
}

bool is_valid_badge_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdChars) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ---- keys ----

std::string to_text(const PublicKey& key) {
  return std::string(kPublicKeyPrefix) + key.key_id + "." + base32_encode(key.bytes);
}

Result<PublicKey, KeyError> parse_public_key(std::string_view text) {
  auto parsed = parse_key_text(text, kPublicKeyPrefix, "public key");
  if (!parsed) return parsed.error();
  return PublicKey{std::move(parsed->first), parsed->second};
}

Result<SigningKey, KeyError> SigningKey::generate(std::string_view key_id) {
  if (!is_valid_badge_id(key_id)) return malformed_key("invalid key id");
  ensure_sodium();
  SigningKey key;
  key.key_id_ = std::string(key_id);
  PublicKeyBytes public_bytes{};
  crypto_sign_keypair(public_bytes.data(), key.secret_.data());
  return key;
}

Result<SigningKey, KeyError> SigningKey::from_seed(std::string_view key_id,
                                                   std::span<const std::uint8_t, kSeedBytes> seed) {
  if (!is_valid_badge_id(key_id)) return malformed_key("invalid key id");
  ensure_sodium();
  SigningKey key;
  key.key_id_ = std::string(key_id);
  PublicKeyBytes public_bytes{};
  crypto_sign_seed_keypair(public_bytes.data(), key.secret_.data(), seed.data());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : key_id_(std::move(other.key_id_)), secret_(other.secret_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    key_id_ = std::move(other.key_id_);
    secret_ = other.secret_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }

PublicKey SigningKey::public_key() const {
  PublicKey key{key_id_, {}};
  crypto_sign_ed25519_sk_to_pk(key.bytes.data(), secret_.data());
  return key;
}

Signature SigningKey::sign_message(std::string_view message) const {
  ensure_sodium();
  Signature signature{};
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return signature;
}

std::string SigningKey::to_secret_text() const {
  std::array<std::uint8_t, kSeedBytes> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), secret_.data());
  std::string text = std::string(kSecretKeyPrefix) + key_id_ + "." + base32_encode(seed);
  sodium_memzero(seed.data(), seed.size());
  return text;
}

Result<SigningKey, KeyError> parse_signing_key(std::string_view text) {
  auto parsed = parse_key_text(text, kSecretKeyPrefix, "secret key");
  if (!parsed) return parsed.error();
  auto key = SigningKey::from_seed(parsed->first, parsed->second);
  sodium_memzero(parsed->second.data(), parsed->second.size());
  return key;
}

// ---- badges ----

Result<std::string, BadgeError> sign_badge(const BadgeFields& fields, const SigningKey& key) {
  const std::pair<std::string_view, std::string_view> ids[] = {{"league id", fields.league_id},
                                                               {"attendee id", fields.attendee_id},
                                                               {"badge serial", fields.serial},
                                                               {"key id", key.key_id()}};
  for (const auto& [name, id] : ids) {
    if (!is_valid_badge_id(id)) {
      return fail(BadgeError::malformed,
                  std::string(name) + " must be 1-64 characters of " + "A-Z, a-z, 0-9, '_' or '-'");
    }
  }
  std::string payload(kBadgePrefix);
  for (const auto& [name, id] : ids) {
    payload += id;
    payload += '.';
  }
  payload += base32_encode(key.sign_message(payload));
  return payload;
}

// ---- device certificates ----

Result<DeviceCertificate, KeyError> certify_device(std::string_view league_id,
                                                   const PublicKey& device_key,
                                                   std::optional<Instant> not_after,
                                                   const SigningKey& league_key) {
  if (!is_valid_badge_id(league_id)) return malformed_key("invalid league id");
  if (!is_valid_badge_id(device_key.key_id)) return malformed_key("invalid device key id");
  if (device_key.key_id == league_key.key_id()) {
    return fail(KeyError::key_conflict, "a device key cannot share the League key's id");
  }
  DeviceCertificate certificate{
      std::string(league_id), device_key, std::nullopt, league_key.key_id(), {}};
  if (not_after) {
    // Whole seconds keep the text form short and its spelling unique.
    certificate.not_after = std::chrono::floor<std::chrono::seconds>(*not_after);
  }
  certificate.signature = league_key.sign_message(certificate_message(certificate));
  return certificate;
}

std::string to_text(const DeviceCertificate& certificate) {
  return certificate_message(certificate) + base32_encode(certificate.signature);
}

Result<DeviceCertificate, KeyError> parse_device_certificate(std::string_view text) {
  if (text.size() > kMaxCertificateTextBytes) return malformed_key("certificate is too long");
  if (!text.starts_with(kCertificatePrefix)) {
    if (is_other_version(text, "MUC")) {
      return fail(KeyError::unsupported_version,
                  "certificate uses a newer format than this version understands");
    }
    return malformed_key("certificate must start with MUC1.");
  }
  const auto fields = split_fields(text.substr(kCertificatePrefix.size()), 6);
  if (!fields) return malformed_key("certificate must have six fields after MUC1.");
  const auto& f = *fields;
  if (!is_valid_badge_id(f[0]) || !is_valid_badge_id(f[1]) || !is_valid_badge_id(f[4])) {
    return malformed_key("certificate has an invalid id");
  }
  const auto device_bytes = base32_decode<kPublicKeyBytes>(f[2]);
  if (!device_bytes) return malformed_key("certificate device key is not canonical base32");
  const auto not_after = parse_not_after(f[3]);
  if (!not_after) return malformed_key("certificate expiry must be '-' or YYYY-MM-DDTHH:MM:SSZ");
  const auto signature = base32_decode<kSignatureBytes>(f[5]);
  if (!signature) return malformed_key("certificate signature is not canonical base32");
  return DeviceCertificate{std::string(f[0]), PublicKey{std::string(f[1]), *device_bytes},
                           *not_after, std::string(f[4]), *signature};
}

// ---- trust store ----

Result<TrustStore, KeyError> TrustStore::for_league(std::string_view league_id) {
  if (!is_valid_badge_id(league_id)) return malformed_key("invalid league id");
  return TrustStore(std::string(league_id));
}

Result<Ok, KeyError> TrustStore::add_league_key(const PublicKey& key) {
  if (!is_valid_badge_id(key.key_id)) return malformed_key("invalid key id");
  if (device_certificates_.contains(key.key_id)) {
    return fail(KeyError::key_conflict, "key id " + key.key_id + " is already a device key");
  }
  const auto [it, inserted] = league_keys_.try_emplace(key.key_id, key);
  if (!inserted && it->second != key) {
    return fail(KeyError::key_conflict, "key id " + key.key_id + " already has another key");
  }
  return Ok{};
}

bool TrustStore::remove_league_key(std::string_view key_id) {
  const auto it = league_keys_.find(key_id);
  if (it == league_keys_.end()) return false;
  league_keys_.erase(it);
  return true;
}

Result<Ok, KeyError> TrustStore::check_certificate(const DeviceCertificate& certificate) const {
  if (!is_valid_badge_id(certificate.league_id) || !is_valid_badge_id(certificate.league_key_id) ||
      !is_valid_badge_id(certificate.device_key.key_id)) {
    return malformed_key("certificate has an invalid id");
  }
  if (certificate.league_id != league_id_) {
    return fail(KeyError::other_league, "certificate is for league " + certificate.league_id);
  }
  const auto issuer = league_keys_.find(certificate.league_key_id);
  if (issuer == league_keys_.end()) {
    return fail(KeyError::unknown_key,
                "certificate signed by untrusted key " + certificate.league_key_id);
  }
  if (!verify_signature(certificate.signature, certificate_message(certificate),
                        issuer->second.bytes)) {
    return fail(KeyError::bad_signature, "certificate signature does not match");
  }
  return Ok{};
}

Result<Ok, KeyError> TrustStore::add_device_certificate(const DeviceCertificate& certificate) {
  if (auto checked = check_certificate(certificate); !checked) return checked;
  const std::string& key_id = certificate.device_key.key_id;
  if (league_keys_.contains(key_id)) {
    return fail(KeyError::key_conflict, "key id " + key_id + " is already a League key");
  }
  const auto existing = device_certificates_.find(key_id);
  if (existing != device_certificates_.end() &&
      existing->second.device_key != certificate.device_key) {
    return fail(KeyError::key_conflict, "key id " + key_id + " already has another device key");
  }
  // A re-issued certificate for the same key (e.g. a later expiry) replaces the old one.
  device_certificates_.insert_or_assign(key_id, certificate);
  return Ok{};
}

void TrustStore::revoke_serial(std::string_view serial) { revoked_serials_.emplace(serial); }

bool TrustStore::is_revoked(std::string_view serial) const {
  return revoked_serials_.find(serial) != revoked_serials_.end();
}

Result<Badge, BadgeError> TrustStore::verify(std::string_view payload, Instant now) const {
  // The cap comes first so a huge scan costs nothing.
  if (payload.size() > kMaxPayloadBytes) {
    return fail(BadgeError::malformed, "badge payload is too long");
  }
  if (!payload.starts_with(kBadgePrefix)) {
    if (is_other_version(payload, "MU")) {
      return fail(BadgeError::unsupported_version,
                  "badge uses a newer format than this kiosk understands");
    }
    return fail(BadgeError::malformed, "not a Muster badge");
  }
  const auto fields = split_fields(payload.substr(kBadgePrefix.size()), 5);
  if (!fields) return fail(BadgeError::malformed, "badge must have five fields after MU1.");
  const auto& f = *fields;
  for (std::size_t i = 0; i < 4; ++i) {
    if (!is_valid_badge_id(f[i])) return fail(BadgeError::malformed, "badge has an invalid id");
  }
  const auto signature = base32_decode<kSignatureBytes>(f[4]);
  if (!signature) {
    return fail(BadgeError::malformed, "badge signature is not canonical base32");
  }

  Badge badge{std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3]),
              BadgeSigner::league};
  if (badge.league_id != league_id_) {
    return fail(BadgeError::other_league,
                "badge of league " + badge.league_id + ", not " + league_id_);
  }

  const PublicKeyBytes* key = nullptr;
  if (const auto league_key = league_keys_.find(badge.key_id); league_key != league_keys_.end()) {
    key = &league_key->second.bytes;
  } else if (const auto device = device_certificates_.find(badge.key_id);
             device != device_certificates_.end()) {
    const DeviceCertificate& certificate = device->second;
    // Re-checked here so that removing the issuing League key also ends trust in its devices.
    if (!check_certificate(certificate)) {
      return fail(BadgeError::unknown_key, "device key " + badge.key_id + " is not certified");
    }
    if (certificate.not_after && now > *certificate.not_after) {
      return fail(BadgeError::unknown_key, "certificate of device key " + badge.key_id +
                                               " expired at " + format_utc(*certificate.not_after));
    }
    key = &certificate.device_key.bytes;
    badge.signer = BadgeSigner::device;
  }
  if (key == nullptr) {
    return fail(BadgeError::unknown_key, "badge signed by unknown key " + badge.key_id);
  }

  // The signature covers every byte before it, version prefix and final '.' included.
  const std::string_view message = payload.substr(0, payload.size() - f[4].size());
  if (!verified_payloads().contains(payload, *key)) {
    if (!verify_signature(*signature, message, *key)) {
      return fail(BadgeError::bad_signature, "badge signature does not match: forged or altered");
    }
    verified_payloads().add(payload, *key);
  }
  if (is_revoked(badge.serial)) {
    return fail(BadgeError::revoked_serial, "badge serial " + badge.serial + " was revoked");
  }
  return badge;
}

} // namespace muster
