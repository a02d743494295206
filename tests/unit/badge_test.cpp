#include "shared/badge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "shared/time.hpp"

namespace muster {
namespace {

// RFC 8032, section 7.1, test 1: an Ed25519 key with a published public key.
constexpr std::array<std::uint8_t, kSeedBytes> kRfcSeed = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
constexpr PublicKeyBytes kRfcPublic = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};

// Computed independently with Python's `cryptography` (Ed25519) and base64.b32encode.
constexpr std::string_view kRfcPublicText =
    "MUPK1.LK2026.25NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENA";
constexpr std::string_view kRfcSecretText =
    "MUSK1.LK2026.TVQ3DHPP7VNGBOUEJL2JF3BMYRCETRLJPMZGSGLQHOWAGHFOP5QA";
constexpr std::string_view kGoldenPayload =
    "MU1.ALM.A-00123.S0001.LK2026."
    "FRJI22O6HVVCWBFGDBCRXJUUOZ6QUBF4TF7UNYYOWTMDEJZDWF4PO74IS5Q5JNNBWZIZHTGATYADLFONT4YRVW2T3EXP5N"
    "NFHPL3IBI";

Instant at(std::string_view iso) {
  const auto instant = parse_iso8601(iso);
  EXPECT_TRUE(instant.has_value()) << iso;
  return instant.value_or(Instant{});
}

SigningKey key_from_seed(std::string_view key_id, std::uint8_t fill) {
  std::array<std::uint8_t, kSeedBytes> seed{};
  seed.fill(fill);
  auto key = SigningKey::from_seed(key_id, seed);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

class BadgeCodec : public ::testing::Test {
protected:
  BadgeCodec()
      : league_key_(SigningKey::from_seed("LK2026", kRfcSeed).value()),
        store_(TrustStore::for_league("ALM").value()) {
    EXPECT_TRUE(store_.add_league_key(league_key_.public_key()).ok());
  }

  std::string sign(const BadgeFields& fields, const SigningKey& key) {
    auto payload = sign_badge(fields, key);
    EXPECT_TRUE(payload.ok()) << (payload.ok() ? "" : payload.message());
    return payload.ok() ? payload.value() : std::string();
  }
  std::string sign(const BadgeFields& fields) { return sign(fields, league_key_); }

  BadgeError reason(std::string_view payload) const {
    const auto result = store_.verify(payload, now_);
    EXPECT_FALSE(result.ok()) << "accepted: " << payload;
    return result.ok() ? BadgeError::malformed : result.code();
  }

  SigningKey league_key_;
  TrustStore store_;
  BadgeFields fields_{"ALM", "A-00123", "S0001"};
  Instant now_ = at("2026-03-02T15:00:00Z");
};

TEST_F(BadgeCodec, RoundTripMatchesIndependentlyComputedPayload) {
  const std::string payload = sign(fields_);
  EXPECT_EQ(payload, kGoldenPayload); // Ed25519 is deterministic: same key, same bytes
  const auto badge = store_.verify(payload, now_);
  ASSERT_TRUE(badge.ok()) << badge.message();
  EXPECT_EQ(badge->league_id, "ALM");
  EXPECT_EQ(badge->attendee_id, "A-00123");
  EXPECT_EQ(badge->serial, "S0001");
  EXPECT_EQ(badge->key_id, "LK2026");
  EXPECT_EQ(badge->signer, BadgeSigner::league);
}

TEST_F(BadgeCodec, PayloadIsPrintableAsciiAndCompact) {
  const std::string payload = sign({"ALM", "ATT-2026-000123", "SER-0000042"});
  // "MU1." + 3 + 15 + 11 + 6 ids with 4 dots + 103 signature characters.
  EXPECT_EQ(payload.size(), 4U + 3 + 1 + 15 + 1 + 11 + 1 + 6 + 1 + 103);
  EXPECT_LT(payload.size(), 200U);
  // Upper-case ids keep every character in the QR alphanumeric set (0-9 A-Z . -).
  const std::string_view qr_alphanumeric = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-";
  for (const char c : payload) {
    EXPECT_NE(qr_alphanumeric.find(c), std::string_view::npos) << "character " << int{c};
  }
  const std::string mixed = sign({"alm_1", "a", "s"});
  EXPECT_TRUE(std::all_of(mixed.begin(), mixed.end(), [](char c) { return c > ' ' && c < 127; }));
}

struct BadIdCase {
  const char* name;
  BadgeFields fields;
};

void PrintTo(const BadIdCase& param, std::ostream* out) { *out << param.name; }

class BadgeSignRefuses : public BadgeCodec, public ::testing::WithParamInterface<BadIdCase> {};

TEST_P(BadgeSignRefuses, InvalidIds) {
  const auto payload = sign_badge(GetParam().fields, league_key_);
  ASSERT_FALSE(payload.ok());
  EXPECT_EQ(payload.code(), BadgeError::malformed);
}

INSTANTIATE_TEST_SUITE_P(Badge, BadgeSignRefuses,
                         ::testing::Values(BadIdCase{"EmptyLeague", {"", "A1", "S1"}},
                                           BadIdCase{"EmptyAttendee", {"ALM", "", "S1"}},
                                           BadIdCase{"EmptySerial", {"ALM", "A1", ""}},
                                           BadIdCase{"DotInAttendee", {"ALM", "A.1", "S1"}},
                                           BadIdCase{"SpaceInSerial", {"ALM", "A1", "S 1"}},
                                           BadIdCase{"NonAscii", {"ALM", "J\xC3\xBCrgen", "S1"}},
                                           BadIdCase{"TooLong",
                                                     {"ALM", std::string(65, 'A'), "S1"}}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(BadgeCodec, SixtyFourCharacterIdsAreTheLimitAndFitTheCap) {
  const std::string id(64, 'Z');
  auto long_key = key_from_seed(id, 7);
  ASSERT_TRUE(store_.add_league_key(long_key.public_key()).ok());
  const std::string payload = sign({"ALM", id, id}, long_key);
  EXPECT_LE(payload.size(), kMaxPayloadBytes);
  EXPECT_TRUE(store_.verify(payload, now_).ok());
}

TEST_F(BadgeCodec, OtherLeagueRejected) {
  auto other_key = key_from_seed("LK2026", 9);
  EXPECT_EQ(reason(sign({"AML", "A-00123", "S0001"}, other_key)), BadgeError::other_league);
  // Checked before the key: another League's badge says so even when its key is unknown here.
  auto unknown_key = key_from_seed("OTHER", 9);
  EXPECT_EQ(reason(sign({"TML", "A1", "S1"}, unknown_key)), BadgeError::other_league);
}

TEST_F(BadgeCodec, UnknownKeyRejected) {
  auto stranger = key_from_seed("LK2099", 3);
  EXPECT_EQ(reason(sign(fields_, stranger)), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, SameKeyIdWithOtherKeyIsBadSignature) {
  auto impostor = key_from_seed("LK2026", 3); // claims the League key's id
  EXPECT_EQ(reason(sign(fields_, impostor)), BadgeError::bad_signature);
}

TEST_F(BadgeCodec, RevokedSerialRejectedOnlyForThatSerial) {
  const std::string revoked = sign({"ALM", "A-00123", "S0001"});
  const std::string reprint = sign({"ALM", "A-00123", "S0002"});
  store_.revoke_serial("S0001");
  EXPECT_TRUE(store_.is_revoked("S0001"));
  EXPECT_EQ(reason(revoked), BadgeError::revoked_serial);
  EXPECT_TRUE(store_.verify(reprint, now_).ok());
}

// A payload that verified is remembered (repeat scans skip the Ed25519 arithmetic); the memory
// must never turn a refusal into an acceptance.
TEST_F(BadgeCodec, RememberedVerificationStillRefusesForgedRevokedAndRemovedKey) {
  const std::string payload = sign(fields_);
  ASSERT_TRUE(store_.verify(payload, now_).ok());
  ASSERT_TRUE(store_.verify(payload, now_).ok()); // from memory now
  // The same signature under another serial: forged, even right after the original verified.
  std::string forged = payload;
  forged.replace(forged.find("S0001"), 5, "S0009");
  EXPECT_EQ(reason(forged), BadgeError::bad_signature);
  EXPECT_EQ(reason(forged), BadgeError::bad_signature); // a failure is never remembered
  // A store where the key id names other key bytes does not accept it from memory.
  auto other = TrustStore::for_league("ALM");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->add_league_key(key_from_seed("LK2026", 3).public_key()).ok());
  const auto elsewhere = other->verify(payload, now_);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.code(), BadgeError::bad_signature);
  // Revoked after it verified: refused.
  store_.revoke_serial("S0001");
  EXPECT_EQ(reason(payload), BadgeError::revoked_serial);
  // Its key removed after it verified: refused.
  EXPECT_TRUE(store_.remove_league_key("LK2026"));
  EXPECT_EQ(reason(payload), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, ForgedRevokedBadgeReportsBadSignatureFirst) {
  store_.revoke_serial("S0001");
  auto impostor = key_from_seed("LK2026", 3);
  EXPECT_EQ(reason(sign(fields_, impostor)), BadgeError::bad_signature);
}

TEST_F(BadgeCodec, NewerVersionIsUnsupportedNotMalformed) {
  std::string payload = sign(fields_);
  payload[2] = '2';
  EXPECT_EQ(reason(payload), BadgeError::unsupported_version);
  EXPECT_EQ(reason("MU17.whatever.comes.next"), BadgeError::unsupported_version);
  EXPECT_EQ(reason("MU0.ALM"), BadgeError::malformed);
  EXPECT_EQ(reason("MUX.ALM"), BadgeError::malformed);
  EXPECT_EQ(reason("MU2"), BadgeError::malformed);
}

TEST_F(BadgeCodec, KeyRotationKeepsOldBadgesValidUntilKeyRemoved) {
  auto new_key = key_from_seed("LK2027", 5);
  ASSERT_TRUE(store_.add_league_key(new_key.public_key()).ok());
  const std::string old_badge = sign(fields_);
  const std::string new_badge = sign({"ALM", "A-00123", "S0002"}, new_key);
  EXPECT_EQ(store_.verify(old_badge, now_)->key_id, "LK2026");
  EXPECT_EQ(store_.verify(new_badge, now_)->key_id, "LK2027");

  EXPECT_TRUE(store_.remove_league_key("LK2026"));
  EXPECT_FALSE(store_.remove_league_key("LK2026"));
  EXPECT_EQ(reason(old_badge), BadgeError::unknown_key);
  EXPECT_TRUE(store_.verify(new_badge, now_).ok());
}

TEST_F(BadgeCodec, LeagueKeyIdConflictRefused) {
  EXPECT_TRUE(store_.add_league_key(league_key_.public_key()).ok()); // same key again: fine
  auto other = key_from_seed("LK2026", 2);
  const auto added = store_.add_league_key(other.public_key());
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.code(), KeyError::key_conflict);
  EXPECT_TRUE(store_.verify(sign(fields_), now_).ok()); // the original key still rules
}

TEST_F(BadgeCodec, CertifiedDeviceKeySignsReprints) {
  auto desk = key_from_seed("DESK-1", 11);
  const auto certificate =
      certify_device("ALM", desk.public_key(), at("2026-03-04T00:00:00Z"), league_key_);
  ASSERT_TRUE(certificate.ok()) << certificate.message();
  const std::string reprint = sign({"ALM", "A-00123", "S0002"}, desk);
  EXPECT_EQ(reason(reprint), BadgeError::unknown_key); // not yet certified here

  ASSERT_TRUE(store_.add_device_certificate(*certificate).ok());
  const auto badge = store_.verify(reprint, now_);
  ASSERT_TRUE(badge.ok()) << badge.message();
  EXPECT_EQ(badge->key_id, "DESK-1");
  EXPECT_EQ(badge->signer, BadgeSigner::device);
}

TEST_F(BadgeCodec, CertificateSurvivesItsTextForm) {
  auto desk = key_from_seed("DESK-1", 11);
  const auto certificate =
      certify_device("ALM", desk.public_key(), at("2026-03-04T00:00:00.750Z"), league_key_);
  ASSERT_TRUE(certificate.ok());
  const std::string text = to_text(*certificate);
  EXPECT_TRUE(text.starts_with("MUC1.ALM.DESK-1."));
  EXPECT_NE(text.find(".2026-03-04T00:00:00Z.LK2026."), std::string::npos); // floored
  const auto parsed = parse_device_certificate(text);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->device_key, desk.public_key());
  EXPECT_EQ(parsed->not_after, at("2026-03-04T00:00:00Z"));
  EXPECT_EQ(to_text(*parsed), text);
  ASSERT_TRUE(store_.add_device_certificate(*parsed).ok());
  EXPECT_TRUE(store_.verify(sign(fields_, desk), now_).ok());

  const auto forever = certify_device("ALM", desk.public_key(), std::nullopt, league_key_);
  ASSERT_TRUE(forever.ok());
  EXPECT_NE(to_text(*forever).find(".-.LK2026."), std::string::npos);
  EXPECT_FALSE(parse_device_certificate(to_text(*forever))->not_after.has_value());
}

TEST_F(BadgeCodec, ForgedCertificateDoesNotTrustTheDeviceKey) {
  auto desk = key_from_seed("DESK-1", 11);
  auto rogue = key_from_seed("LK2026", 13); // pretends to be the League key
  const auto forged = certify_device("ALM", desk.public_key(), std::nullopt, rogue);
  ASSERT_TRUE(forged.ok());
  const auto added = store_.add_device_certificate(*forged);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.code(), KeyError::bad_signature);

  auto outsider = key_from_seed("ROGUE", 13); // a key the store never heard of
  const auto unknown = certify_device("ALM", desk.public_key(), std::nullopt, outsider);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(store_.add_device_certificate(*unknown).code(), KeyError::unknown_key);
  EXPECT_EQ(reason(sign(fields_, desk)), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, TamperedCertificateRejected) {
  auto desk = key_from_seed("DESK-1", 11);
  auto other_desk = key_from_seed("DESK-1", 12);
  auto certificate =
      certify_device("ALM", desk.public_key(), at("2026-03-04T00:00:00Z"), league_key_).value();
  DeviceCertificate swapped_key = certificate;
  swapped_key.device_key = other_desk.public_key();
  EXPECT_EQ(store_.add_device_certificate(swapped_key).code(), KeyError::bad_signature);
  DeviceCertificate extended = certificate;
  extended.not_after = at("2027-03-04T00:00:00Z");
  EXPECT_EQ(store_.add_device_certificate(extended).code(), KeyError::bad_signature);
  EXPECT_EQ(reason(sign(fields_, other_desk)), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, CertificateForAnotherLeagueRejected) {
  auto desk = key_from_seed("DESK-1", 11);
  const auto certificate = certify_device("TML", desk.public_key(), std::nullopt, league_key_);
  ASSERT_TRUE(certificate.ok());
  EXPECT_EQ(store_.add_device_certificate(*certificate).code(), KeyError::other_league);
  EXPECT_EQ(reason(sign(fields_, desk)), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, ExpiredCertificateStopsTrustAfterNotAfter) {
  auto desk = key_from_seed("DESK-1", 11);
  const Instant not_after = at("2026-03-04T00:00:00Z");
  ASSERT_TRUE(store_
                  .add_device_certificate(
                      certify_device("ALM", desk.public_key(), not_after, league_key_).value())
                  .ok());
  const std::string reprint = sign(fields_, desk);
  EXPECT_TRUE(store_.verify(reprint, not_after).ok()); // valid through not_after itself
  const auto late = store_.verify(reprint, not_after + std::chrono::milliseconds{1});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.code(), BadgeError::unknown_key);
  EXPECT_NE(late.message().find("expired"), std::string::npos);
}

TEST_F(BadgeCodec, RemovingIssuingLeagueKeyEndsDeviceTrust) {
  auto desk = key_from_seed("DESK-1", 11);
  ASSERT_TRUE(store_
                  .add_device_certificate(
                      certify_device("ALM", desk.public_key(), std::nullopt, league_key_).value())
                  .ok());
  const std::string reprint = sign(fields_, desk);
  EXPECT_TRUE(store_.verify(reprint, now_).ok());
  ASSERT_TRUE(store_.remove_league_key("LK2026"));
  EXPECT_EQ(reason(reprint), BadgeError::unknown_key);
}

TEST_F(BadgeCodec, DeviceKeyCannotReuseLeagueKeyId) {
  auto desk = key_from_seed("DESK-1", 11);
  ASSERT_TRUE(store_
                  .add_device_certificate(
                      certify_device("ALM", desk.public_key(), std::nullopt, league_key_).value())
                  .ok());
  EXPECT_EQ(store_.add_league_key(desk.public_key()).code(), KeyError::key_conflict);
  auto clash = key_from_seed("LK2026", 12);
  EXPECT_EQ(certify_device("ALM", clash.public_key(), std::nullopt, league_key_).code(),
            KeyError::key_conflict);
}

// Every position, every other byte value: no single-character change is ever accepted.
TEST_F(BadgeCodec, EverySingleCharacterSubstitutionRejected) {
  const std::string payload = sign(fields_);
  ASSERT_TRUE(store_.verify(payload, now_).ok());
  int checked = 0;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    for (int value = 0; value < 256; ++value) {
      const char replacement = static_cast<char>(value);
      if (replacement == payload[i]) continue;
      std::string altered = payload;
      altered[i] = replacement;
      const auto result = store_.verify(altered, now_);
      ASSERT_FALSE(result.ok()) << "position " << i << " value " << value;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(payload.size()) * 255);
}

TEST_F(BadgeCodec, CaseFlipsAndNonCanonicalSignatureEndingsRejected) {
  const std::string payload = sign(fields_);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const char c = payload[i];
    if (c >= 'A' && c <= 'Z') {
      std::string flipped = payload;
      flipped[i] = static_cast<char>(c - 'A' + 'a');
      EXPECT_FALSE(store_.verify(flipped, now_).ok()) << i;
    }
  }
  // 103 characters carry 515 bits for 512: the last one must leave its 3 spare bits zero,
  // so of "I" (01000) and "J" (01001) only the first is a spelling of the same signature.
  ASSERT_EQ(payload.back(), 'I');
  std::string spare_bit = payload;
  spare_bit.back() = 'J';
  EXPECT_EQ(reason(spare_bit), BadgeError::malformed);
  std::string other_value = payload;
  other_value.back() = 'Q'; // canonical, but another signature
  EXPECT_EQ(reason(other_value), BadgeError::bad_signature);
}

TEST_F(BadgeCodec, EveryTruncationAndExtensionRejected) {
  const std::string payload = sign(fields_);
  for (std::size_t length = 0; length < payload.size(); ++length) {
    EXPECT_FALSE(store_.verify(payload.substr(0, length), now_).ok()) << length;
  }
  for (const char* suffix : {"A", ".", "\n", "\r", " ", "=", "==="}) {
    EXPECT_EQ(reason(payload + suffix), BadgeError::malformed) << suffix;
  }
  EXPECT_EQ(reason(" " + payload), BadgeError::malformed);
}

TEST_F(BadgeCodec, RandomBytesRejected) {
  std::mt19937 rng(20260302);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 700);
  for (int round = 0; round < 2000; ++round) {
    std::string input(length(rng), '\0');
    for (char& c : input)
      c = static_cast<char>(byte(rng));
    if (round % 2 == 0 && input.size() >= 4) input.replace(0, 4, "MU1."); // get past the prefix
    EXPECT_FALSE(store_.verify(input, now_).ok()) << "round " << round;
  }
}

TEST_F(BadgeCodec, RandomMutationsOfValidPayloadRejected) {
  const std::string payload = sign(fields_);
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abz019.-_";
  std::mt19937 rng(42);
  std::uniform_int_distribution<std::size_t> position(0, payload.size() - 1);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = payload;
    for (int edits = 1 + round % 4; edits > 0; --edits) {
      mutated[position(rng)] = alphabet[pick(rng)];
    }
    if (mutated == payload) continue;
    EXPECT_FALSE(store_.verify(mutated, now_).ok()) << mutated;
  }
}

TEST_F(BadgeCodec, EmptyRejected) {
  EXPECT_EQ(reason(""), BadgeError::malformed);
  EXPECT_EQ(reason("MU1."), BadgeError::malformed);
  EXPECT_EQ(reason("MU1....."), BadgeError::malformed);
}

TEST_F(BadgeCodec, HugeInputRejectedByLengthCap) {
  const std::string huge(std::size_t{1} << 20, 'A');
  EXPECT_EQ(reason(huge), BadgeError::malformed);
  std::string padded_valid = sign(fields_);
  padded_valid.resize(std::size_t{1} << 20, 'A');
  const auto result = store_.verify(padded_valid, now_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.code(), BadgeError::malformed);
  EXPECT_NE(result.message().find("too long"), std::string::npos);
  EXPECT_EQ(reason(std::string(kMaxPayloadBytes + 1, '.')), BadgeError::malformed);
}

TEST_F(BadgeCodec, NonUtf8AndNonAsciiRejected) {
  const std::string payload = sign(fields_);
  for (const char* raw : {"\xFF\xFE", "\xC3\x28", "\xE2\x82", "\xC0\xAF", "\xC3\xA9"}) {
    const std::string bad = raw;
    EXPECT_EQ(reason(payload.substr(0, 8) + bad + payload.substr(8)), BadgeError::malformed);
    EXPECT_EQ(reason(bad + payload), BadgeError::malformed);
  }
  std::string high_in_signature = payload;
  high_in_signature[payload.size() - 10] = static_cast<char>(0xC3);
  EXPECT_EQ(reason(high_in_signature), BadgeError::malformed);
}

TEST_F(BadgeCodec, EmbeddedNulRejected) {
  const std::string payload = sign(fields_);
  for (const std::size_t position :
       {std::size_t{0}, std::size_t{4}, std::size_t{10}, payload.size() - 1, payload.size()}) {
    std::string with_nul = payload;
    with_nul.insert(position, 1, '\0');
    EXPECT_EQ(reason(with_nul), BadgeError::malformed) << position;
  }
}

TEST(BadgeErrors, HaveStableNames) {
  EXPECT_EQ(to_string(BadgeError::malformed), "malformed");
  EXPECT_EQ(to_string(BadgeError::other_league), "other_league");
  EXPECT_EQ(to_string(BadgeError::revoked_serial), "revoked_serial");
  EXPECT_EQ(to_string(KeyError::key_conflict), "key_conflict");
}

TEST(BadgeKeys, SeedGivesThePublishedRfc8032PublicKey) {
  const auto key = SigningKey::from_seed("LK2026", kRfcSeed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->public_key().bytes, kRfcPublic);
  EXPECT_EQ(key->public_key().key_id, "LK2026");
  EXPECT_EQ(to_text(key->public_key()), kRfcPublicText);
  EXPECT_EQ(key->to_secret_text(), kRfcSecretText);
}

TEST(BadgeKeys, PublicKeyTextRoundTrip) {
  const auto generated = SigningKey::generate("DESK_7");
  ASSERT_TRUE(generated.ok());
  const PublicKey key = generated->public_key();
  const std::string text = to_text(key);
  EXPECT_EQ(text.size(), 6U + 6 + 1 + 52);
  const auto parsed = parse_public_key(text);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(*parsed, key);
  const auto rfc = parse_public_key(kRfcPublicText);
  ASSERT_TRUE(rfc.ok());
  EXPECT_EQ(rfc->bytes, kRfcPublic);
}

TEST(BadgeKeys, SecretKeyTextRoundTripSignsTheSame) {
  const auto parsed = parse_signing_key(kRfcSecretText);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->key_id(), "LK2026");
  EXPECT_EQ(parsed->public_key().bytes, kRfcPublic);
  EXPECT_EQ(sign_badge({"ALM", "A-00123", "S0001"}, *parsed).value(), kGoldenPayload);

  auto generated = SigningKey::generate("LK2030").value();
  const auto again = parse_signing_key(generated.to_secret_text());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), generated.public_key());
  EXPECT_NE(SigningKey::generate("LK2030")->public_key(), generated.public_key()); // random
}

TEST(BadgeKeys, MovedFromKeyIsWipedAndMovedToKeyWorks) {
  auto source = SigningKey::from_seed("LK2026", kRfcSeed).value();
  SigningKey target = std::move(source);
  EXPECT_EQ(target.public_key().bytes, kRfcPublic);
  EXPECT_EQ(target.to_secret_text(), kRfcSecretText);
  // NOLINTNEXTLINE(bugprone-use-after-move): checking the wipe is the point
  EXPECT_NE(source.public_key().bytes, kRfcPublic); // all-zero secret: no key left
}

struct BadKeyText {
  const char* name;
  std::string text;
  KeyError expected;
};

void PrintTo(const BadKeyText& param, std::ostream* out) { *out << param.name; }

class BadgeKeyTextRefused : public ::testing::TestWithParam<BadKeyText> {};

TEST_P(BadgeKeyTextRefused, PublicAndSecretParsers) {
  const auto& param = GetParam();
  const auto as_public = parse_public_key(param.text);
  ASSERT_FALSE(as_public.ok());
  EXPECT_EQ(as_public.code(), param.expected);
  std::string secret = param.text;
  if (secret.starts_with("MUPK")) secret.replace(0, 4, "MUSK");
  const auto as_secret = parse_signing_key(secret);
  ASSERT_FALSE(as_secret.ok());
  EXPECT_EQ(as_secret.code(), param.expected);
}

const std::string kGoodKeyBody = "25NJQAMCWEFLPVKL73J4SZAHHIHOC4XT3KTCGJNPAINGR5YHKENA";

INSTANTIATE_TEST_SUITE_P(
    BadgeKeys, BadgeKeyTextRefused,
    ::testing::Values(
        BadKeyText{"Empty", "", KeyError::malformed},
        BadKeyText{"NoPrefix", "LK2026." + kGoodKeyBody, KeyError::malformed},
        BadKeyText{"NewerVersion", "MUPK2.LK2026." + kGoodKeyBody, KeyError::unsupported_version},
        BadKeyText{"MissingId", "MUPK1.." + kGoodKeyBody, KeyError::malformed},
        BadKeyText{"BadId", "MUPK1.LK 2026." + kGoodKeyBody, KeyError::malformed},
        BadKeyText{"ShortKey", "MUPK1.LK2026." + kGoodKeyBody.substr(1), KeyError::malformed},
        BadKeyText{"LongKey", "MUPK1.LK2026." + kGoodKeyBody + "A", KeyError::malformed},
        BadKeyText{"LowerCase", "MUPK1.LK2026.25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkena",
                   KeyError::malformed},
        BadKeyText{"SpareBitsSet", "MUPK1.LK2026." + kGoodKeyBody.substr(0, 51) + "B",
                   KeyError::malformed},
        BadKeyText{"Padding", "MUPK1.LK2026." + kGoodKeyBody + "====", KeyError::malformed},
        BadKeyText{"Hex", "MUPK1.LK2026.d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f",
                   KeyError::malformed},
        BadKeyText{"ExtraField", "MUPK1.LK2026." + kGoodKeyBody + ".X", KeyError::malformed},
        BadKeyText{"TrailingNewline", "MUPK1.LK2026." + kGoodKeyBody + "\n", KeyError::malformed},
        BadKeyText{"Huge", "MUPK1.LK2026." + std::string(100000, 'A'), KeyError::malformed}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(BadgeCertificates, MalformedTextsRejected) {
  auto league = SigningKey::from_seed("LK2026", kRfcSeed).value();
  auto desk = key_from_seed("DESK-1", 11);
  const std::string good =
      to_text(certify_device("ALM", desk.public_key(), at("2026-03-04T00:00:00Z"), league).value());
  ASSERT_TRUE(parse_device_certificate(good).ok());
  const auto replace = [&](std::string_view from, std::string_view to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  for (const std::string& bad :
       {std::string(), good.substr(0, good.size() - 1), good + "A", good + ".X",
        replace("MUC1.", "MUX1."), replace("2026-03-04T00:00:00Z", "2026-03-04T00:00Z"),
        replace("2026-03-04T00:00:00Z", "2026-03-04t00:00:00Z"),
        replace("2026-03-04T00:00:00Z", "2026-03-03T18:00:00-06:00"),
        replace("2026-03-04T00:00:00Z", "tomorrow"), replace("DESK-1", "DESK 1")}) {
    const auto parsed = parse_device_certificate(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.code(), KeyError::malformed) << bad;
  }
  EXPECT_EQ(parse_device_certificate(replace("MUC1.", "MUC2.")).code(),
            KeyError::unsupported_version);
}

TEST(BadgeTrustStore, RefusesInvalidLeagueId) {
  EXPECT_EQ(TrustStore::for_league("").code(), KeyError::malformed);
  EXPECT_EQ(TrustStore::for_league("A.L.M").code(), KeyError::malformed);
  EXPECT_EQ(TrustStore::for_league("ALM")->league_id(), "ALM");
}

} // namespace
} // namespace muster
