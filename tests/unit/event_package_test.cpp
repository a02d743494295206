#include "shared/event_package.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <array>
#include <string>

#include "shared/import.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

using nlohmann::json;

SigningKey key_from(std::uint8_t fill, std::string_view id) {
  std::array<std::uint8_t, kSeedBytes> seed{};
  seed.fill(fill);
  auto key = SigningKey::from_seed(id, seed);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

Instant at(std::string_view iso) { return *parse_iso8601(iso); }

EventPackage sample_package(const SigningKey& key) {
  EventPackage package;
  package.league_id = "DEMO";
  package.cursor = 42;
  package.generated_at = at("2026-12-01T12:00:00Z");
  auto event = read_event_json(std::filesystem::path(MUSTER_SOURCE_DIR) / "assets/demo/event.json");
  EXPECT_TRUE(event.ok()) << event.message();
  package.event = *event;
  package.attendees.push_back(
      {"RB-0001", "Loretta", "Haynes", Role::mayor, "City of Riverbend", "secret@example.org"});
  package.attendees.push_back({"GU-0001", "Grant", "O'Dom \"G\"", Role::guest, "", ""});
  package.revoked_serials = {"SERIAL-1"};
  package.league_keys = {key.public_key()};
  return package;
}

json envelope_of(const std::string& text) { return json::parse(text); }

TEST(EventPackage, RoundTripKeepsEverythingButEmail) {
  const SigningKey key = key_from(1, "LK-1");
  const EventPackage original = sample_package(key);
  const auto opened = open_package(sign_package(original, key), {key.public_key()});
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_EQ(opened->league_id, "DEMO");
  EXPECT_EQ(opened->cursor, 42u);
  EXPECT_EQ(opened->since_cursor, 0u);
  EXPECT_EQ(opened->generated_at, original.generated_at);
  ASSERT_TRUE(opened->event.has_value());
  EXPECT_EQ(opened->event->id, original.event->id);
  ASSERT_EQ(opened->event->sessions.size(), original.event->sessions.size());
  EXPECT_EQ(opened->event->sessions[2].start, original.event->sessions[2].start);
  EXPECT_EQ(opened->event->sessions[2].credit_hours, 1.0);
  EXPECT_EQ(opened->event->credit_policy.debounce, original.event->credit_policy.debounce);
  ASSERT_EQ(opened->attendees.size(), 2u);
  EXPECT_EQ(opened->attendees[0].municipality, "City of Riverbend");
  EXPECT_EQ(opened->attendees[0].role, Role::mayor);
  EXPECT_EQ(opened->attendees[0].email, "");
  EXPECT_EQ(opened->attendees[1].last_name, "O'Dom \"G\"");
  EXPECT_EQ(opened->revoked_serials, std::vector<std::string>{"SERIAL-1"});
  EXPECT_EQ(opened->league_keys, std::vector<PublicKey>{key.public_key()});
}

TEST(EventPackage, EmailIsNeverSerialised) {
  const SigningKey key = key_from(1, "LK-1");
  const std::string envelope = sign_package(sample_package(key), key);
  EXPECT_EQ(envelope.find("secret@example.org"), std::string::npos);
  EXPECT_EQ(envelope.find("email"), std::string::npos);
}

TEST(EventPackage, EnvelopeHasTheDocumentedShape) {
  const SigningKey key = key_from(1, "LK-1");
  const json envelope = envelope_of(sign_package(sample_package(key), key));
  EXPECT_EQ(envelope.at("format"), "muster-package-v1");
  EXPECT_EQ(envelope.at("key_id"), "LK-1");
  EXPECT_EQ(envelope.at("signature").get<std::string>().size(), 128u);
  const json inner = json::parse(envelope.at("package").get<std::string>());
  EXPECT_EQ(inner.at("format"), 1);
  EXPECT_EQ(inner.at("league_keys").at(0), to_text(key.public_key()));
}

TEST(EventPackage, TamperingAnyByteOfThePackageTextBreaksTheSignature) {
  const SigningKey key = key_from(1, "LK-1");
  const json envelope = envelope_of(sign_package(sample_package(key), key));
  const std::string text = envelope.at("package").get<std::string>();
  // Every 7th byte plus the first and last keeps the test fast and still covers the whole text.
  for (std::size_t i = 0; i < text.size(); i += (i == 0 ? 1 : 7)) {
    std::string altered = text;
    altered[i] = altered[i] == 'x' ? 'y' : 'x';
    json copy = envelope;
    copy["package"] = altered;
    const auto opened = open_package(copy.dump(), {key.public_key()});
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    EXPECT_EQ(opened.code(), PackageError::bad_signature) << "byte " << i;
  }
  json copy = envelope;
  copy["package"] = text.substr(0, text.size() - 1) + " }";
  EXPECT_EQ(open_package(copy.dump(), {key.public_key()}).code(), PackageError::bad_signature);
}

TEST(EventPackage, TamperedSignatureIsRefused) {
  const SigningKey key = key_from(1, "LK-1");
  json envelope = envelope_of(sign_package(sample_package(key), key));
  std::string signature = envelope.at("signature");
  signature[10] = signature[10] == '0' ? '1' : '0';
  envelope["signature"] = signature;
  EXPECT_EQ(open_package(envelope.dump(), {key.public_key()}).code(), PackageError::bad_signature);
  envelope["signature"] = "ABCD";
  EXPECT_EQ(open_package(envelope.dump(), {key.public_key()}).code(), PackageError::malformed);
}

TEST(EventPackage, UntrustedKeyIsUnknown) {
  const SigningKey league = key_from(1, "LK-1");
  const SigningKey other = key_from(2, "LK-2");
  const auto opened =
      open_package(sign_package(sample_package(other), other), {league.public_key()});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), PackageError::unknown_key);
}

TEST(EventPackage, SameKeyIdWithOtherBytesIsABadSignature) {
  const SigningKey league = key_from(1, "LK-1");
  const SigningKey impostor = key_from(3, "LK-1");
  const auto opened =
      open_package(sign_package(sample_package(impostor), impostor), {league.public_key()});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), PackageError::bad_signature);
}

TEST(EventPackage, TrustOnFirstUseNeedsTheSignerAmongItsOwnKeys) {
  const SigningKey league = key_from(1, "LK-1");
  const auto first = open_package(sign_package(sample_package(league), league), {});
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->league_keys.front(), league.public_key());

  // Signed by a key the package does not list: refused even on first use.
  const SigningKey other = key_from(2, "LK-2");
  const auto foreign = open_package(sign_package(sample_package(league), other), {});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.code(), PackageError::unknown_key);

  // After first use the device passes the keys it learnt: another League's package is refused.
  const auto later = open_package(sign_package(sample_package(other), other), first->league_keys);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.code(), PackageError::unknown_key);
}

TEST(EventPackage, DeltaWithoutEventRoundTrips) {
  const SigningKey key = key_from(1, "LK-1");
  EventPackage delta;
  delta.league_id = "DEMO";
  delta.since_cursor = 42;
  delta.cursor = 57;
  delta.generated_at = at("2026-12-03T15:00:00.250Z");
  delta.revoked_serials = {"S-9"};
  delta.league_keys = {key.public_key()};
  const auto opened = open_package(sign_package(delta, key), {key.public_key()});
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_FALSE(opened->event.has_value());
  EXPECT_TRUE(opened->attendees.empty());
  EXPECT_EQ(opened->since_cursor, 42u);
  EXPECT_EQ(opened->cursor, 57u);
  EXPECT_EQ(opened->generated_at, delta.generated_at);
  EXPECT_EQ(opened->revoked_serials, std::vector<std::string>{"S-9"});
}

TEST(EventPackage, DeviceCertificatesRoundTrip) {
  const SigningKey league = key_from(1, "LK-1");
  const SigningKey desk = key_from(4, "DESK-1");
  EventPackage package = sample_package(league);
  auto certificate = certify_device("DEMO", desk.public_key(), std::nullopt, league);
  ASSERT_TRUE(certificate.ok());
  package.device_certificates = {*certificate};
  const auto opened = open_package(sign_package(package, league), {league.public_key()});
  ASSERT_TRUE(opened.ok()) << opened.message();
  ASSERT_EQ(opened->device_certificates.size(), 1u);
  EXPECT_EQ(to_text(opened->device_certificates[0]), to_text(*certificate));
}

// Signs arbitrary package text, as a League key holder (or a bug) could.
std::string envelope_for_text(const std::string& text, const SigningKey& key) {
  const Signature signature = sign_package_text(text, key);
  std::string hex;
  for (const std::uint8_t byte : signature) {
    constexpr std::string_view kDigits = "0123456789abcdef";
    hex += kDigits[byte >> 4U];
    hex += kDigits[byte & 15U];
  }
  return json{{"format", "muster-package-v1"},
              {"key_id", key.key_id()},
              {"signature", hex},
              {"package", text}}
      .dump();
}

TEST(EventPackage, SignedEmailIsStillRefused) {
  const SigningKey key = key_from(1, "LK-1");
  json inner = json::parse(package_text(sample_package(key)));
  inner["attendees"][0]["email"] = "lhaynes@riverbend.example.org";
  const auto opened = open_package(envelope_for_text(inner.dump(), key), {key.public_key()});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), PackageError::email_present);
  EXPECT_NE(opened.message().find("attendees[0]"), std::string::npos) << opened.message();
}

TEST(EventPackage, InvalidEventIsRefusedWithItsPath) {
  const SigningKey key = key_from(1, "LK-1");
  json inner = json::parse(package_text(sample_package(key)));
  inner["event"]["sessions"][1]["end"] = inner["event"]["sessions"][1]["start"];
  const auto opened = open_package(envelope_for_text(inner.dump(), key), {key.public_key()});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), PackageError::invalid_event);
  EXPECT_NE(opened.message().find("sessions[1]"), std::string::npos) << opened.message();
}

TEST(EventPackage, WrongFormatsAreNamed) {
  const SigningKey key = key_from(1, "LK-1");
  json envelope = envelope_of(sign_package(sample_package(key), key));
  envelope["format"] = "muster-package-v2";
  EXPECT_EQ(open_package(envelope.dump(), {key.public_key()}).code(), PackageError::wrong_format);
  envelope.erase("format");
  EXPECT_EQ(open_package(envelope.dump(), {key.public_key()}).code(), PackageError::wrong_format);

  json inner = json::parse(package_text(sample_package(key)));
  inner["format"] = 2;
  EXPECT_EQ(open_package(envelope_for_text(inner.dump(), key), {key.public_key()}).code(),
            PackageError::wrong_format);
}

TEST(EventPackage, MalformedInputsAreRefusedWithoutThrowing) {
  const SigningKey key = key_from(1, "LK-1");
  const std::vector<PublicKey> trusted{key.public_key()};
  for (const std::string& bad : std::vector<std::string>{
           "", "{", "[]", "null", "\"text\"", "{\"format\":1}",
           "{\"format\":\"muster-package-v1\"}", "{\"format\":\"muster-package-v1\",\"key_id\":5}",
           std::string("\0\xff\xfe", 3)}) {
    const auto opened = open_package(bad, trusted);
    ASSERT_FALSE(opened.ok()) << bad;
    EXPECT_TRUE(opened.code() == PackageError::malformed ||
                opened.code() == PackageError::wrong_format)
        << bad;
    EXPECT_FALSE(open_package(bad, {}).ok()) << bad;
  }
  // Signed, but not a package object: refused after the signature check.
  EXPECT_EQ(open_package(envelope_for_text("[1,2]", key), trusted).code(), PackageError::malformed);
  json inner = json::parse(package_text(sample_package(key)));
  inner["cursor"] = -1;
  EXPECT_EQ(open_package(envelope_for_text(inner.dump(), key), trusted).code(),
            PackageError::malformed);
  inner = json::parse(package_text(sample_package(key)));
  inner["attendees"][1]["role"] = "emperor";
  EXPECT_EQ(open_package(envelope_for_text(inner.dump(), key), trusted).code(),
            PackageError::malformed);
}

TEST(EventPackage, HugeInputIsRefusedBeforeParsing) {
  std::string huge(kMaxPackageBytes + 1, ' ');
  const auto opened = open_package(huge, {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), PackageError::too_large);
}

TEST(EventPackage, SignatureCoversTheMup1PrefixOnly) {
  // The signature is over "MUP1." + text, never the bare text, so a package signature can not
  // be replayed as a badge ("MU1.") or certificate ("MUC1.") signature over the same bytes.
  ASSERT_TRUE(muster::sodium_started());
  const SigningKey key = key_from(1, "LK-1");
  const PublicKey pub = key.public_key();
  const std::string text = "MU1.DEMO.RB-0001.S1.LK-1.";
  const Signature signature = sign_package_text(text, key);
  const auto verifies = [&](const std::string& message) {
    return crypto_sign_verify_detached(signature.data(),
                                       reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), pub.bytes.data()) == 0;
  };
  EXPECT_TRUE(verifies("MUP1." + text));
  EXPECT_FALSE(verifies(text));
  EXPECT_FALSE(verifies("MUC1." + text));
}

TEST(EventPackage, CarriesTheEventsProgramsAndEligibleRolesOnlyWhenNotTheDefault) {
  const SigningKey key = key_from(1, "LK-1");
  EventPackage package = sample_package(key);
  EXPECT_EQ(package_text(package).find("eligible_roles"), std::string::npos); // old kiosks read it
  package.event->programs = {"amcto-pdu"};
  package.event->eligible_roles = {Role::clerk, Role::staff, Role::manager};
  const auto opened = open_package(sign_package(package, key), {key.public_key()});
  ASSERT_TRUE(opened.ok()) << opened.message();
  EXPECT_EQ(opened->event->programs, std::vector<std::string>{"amcto-pdu"});
  EXPECT_EQ(opened->event->eligible_roles,
            (std::vector<Role>{Role::clerk, Role::staff, Role::manager}));
  EXPECT_TRUE(grants_credit(*opened->event, Role::clerk));
  EXPECT_FALSE(grants_credit(*opened->event, Role::mayor));
}

} // namespace
} // namespace muster
