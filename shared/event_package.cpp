#include "shared/event_package.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>

#include "shared/import.hpp"
#include "shared/sodium_init.hpp"
#include "shared/time.hpp"

namespace muster {
namespace {

using nlohmann::json;

constexpr std::string_view kPackageSignaturePrefix = "MUP1.";
std::string signed_message(std::string_view text) {
  std::string message(kPackageSignaturePrefix);
  message += text;
  return message;
}

bool verify_package_signature(const Signature& signature, std::string_view text,
                              const PublicKey& key) {
  ensure_sodium();
  const std::string message = signed_message(text);
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.bytes.data()) == 0;
}

// The event in the docs/formats.md form (times in UTC), so open_package can check it with the
// same rules as an imported event file.
json event_to_json(const Event& event) {
  json sessions = json::array();
  for (const Session& session : event.sessions) {
    sessions.push_back({{"id", session.id},
                        {"title", session.title},
                        {"room", session.room},
                        {"start", format_utc(session.start)},
                        {"end", format_utc(session.end)},
                        {"credit_hours", session.credit_hours},
                        {"course_code", session.course_code},
                        {"core", session.core},
                        {"topic", session.topic}});
  }
  const CreditPolicy& policy = event.credit_policy;
  json out = {{"id", event.id},
              {"name", event.name},
              {"timezone", event.timezone},
              {"location", event.location},
              {"credit_policy",
               {{"arrival_grace_min", policy.arrival_grace.count()},
                {"leave_grace_min", policy.leave_grace.count()},
                {"increment_hours", policy.increment_hours},
                {"debounce_s", policy.debounce.count()}}},
              {"sessions", std::move(sessions)}};
  // Only when not the default, so such packages stay readable by older kiosks.
  if (policy.lead_time != CreditPolicy{}.lead_time)
    out["credit_policy"]["lead_time_min"] = policy.lead_time.count();
  // Only when there is one, so a package without a survey stays readable by older kiosks.
  if (!event.survey.empty()) out["survey"] = json::parse(survey_to_json(event.survey));
  // Likewise only when not the default (the ALM program: mayors and councilmembers).
  if (event.programs != Event::default_event_programs()) out["programs"] = event.programs;
  if (event.eligible_roles != Event::default_eligible_roles()) {
    json roles = json::array();
    for (const Role role : event.eligible_roles)
      roles.push_back(std::string(to_string(role)));
    out["eligible_roles"] = roles;
  }
  return out;
}

json package_to_json(const EventPackage& package) {
  json attendees = json::array();
  for (const Attendee& attendee : package.attendees) {
    // E-mail addresses stay on the server: the key is never written.
    attendees.push_back({{"id", attendee.id},
                         {"first_name", attendee.first_name},
                         {"last_name", attendee.last_name},
                         {"role", to_string(attendee.role)},
                         {"municipality", attendee.municipality}});
  }
  json keys = json::array();
  for (const PublicKey& key : package.league_keys)
    keys.push_back(to_text(key));
  json certificates = json::array();
  for (const DeviceCertificate& certificate : package.device_certificates) {
    certificates.push_back(to_text(certificate));
  }
  return {{"format", package.format},
          {"league_id", package.league_id},
          {"since_cursor", package.since_cursor},
          {"cursor", package.cursor},
          {"generated_at", format_utc(package.generated_at)},
          {"event", package.event ? event_to_json(*package.event) : json(nullptr)},
          {"attendees", std::move(attendees)},
          {"revoked_serials", package.revoked_serials},
          {"league_keys", std::move(keys)},
          {"device_certificates", std::move(certificates)}};
}

Error<PackageError> malformed(std::string message) {
  return fail(PackageError::malformed, "package: " + std::move(message));
}

const json* member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Result<std::string, PackageError> get_string(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_string()) {
    return malformed("\"" + std::string(key) + "\" must be a string");
  }
  return value->get<std::string>();
}

Result<std::uint64_t, PackageError> get_cursor(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_number_unsigned()) {
    return malformed("\"" + std::string(key) + "\" must be a whole number >= 0");
  }
  return value->get<std::uint64_t>();
}

Result<const json*, PackageError> get_array(const json& object, std::string_view key) {
  const json* value = member(object, key);
  if (value == nullptr || !value->is_array()) {
    return malformed("\"" + std::string(key) + "\" must be an array");
  }
  return value;
}

Result<std::vector<PublicKey>, PackageError> parse_league_keys(const json& root) {
  auto array = get_array(root, "league_keys");
  if (!array) return array.error();
  std::vector<PublicKey> keys;
  for (const json& item : **array) {
    if (!item.is_string()) return malformed("league_keys must hold strings");
    auto key = parse_public_key(item.get_ref<const std::string&>());
    if (!key) return malformed("league key: " + key.message());
    keys.push_back(std::move(*key));
  }
  return keys;
}

Result<Attendee, PackageError> parse_attendee(const json& item, std::size_t index) {
  const std::string where = "attendees[" + std::to_string(index) + "]";
  if (!item.is_object()) return malformed(where + " must be an object");
  if (member(item, "email") != nullptr) {
    return fail(PackageError::email_present,
                "package: " + where + " carries an e-mail address; packages never do");
  }
  Attendee attendee;
  for (const auto& [key, target] : {std::pair<std::string_view, std::string*>{"id", &attendee.id},
                                    {"first_name", &attendee.first_name},
                                    {"last_name", &attendee.last_name},
                                    {"municipality", &attendee.municipality}}) {
    const json* value = member(item, key);
    if (value == nullptr || !value->is_string()) {
      return malformed(where + ": \"" + std::string(key) + "\" must be a string");
    }
    *target = value->get<std::string>();
  }
  if (!is_valid_badge_id(attendee.id)) return malformed(where + ": invalid attendee id");
  auto role_text = get_string(item, "role");
  if (!role_text) return malformed(where + ": \"role\" must be a string");
  const auto role = parse_role(*role_text);
  if (!role) return malformed(where + ": unknown role '" + *role_text + "'");
  attendee.role = *role;
  return attendee;
}

Result<EventPackage, PackageError> parse_package(const json& root) {
  if (!root.is_object()) return malformed("the package text must be a JSON object");
  EventPackage package;
  const json* format = member(root, "format");
  if (format == nullptr || !format->is_number_integer()) {
    return malformed("\"format\" must be a whole number");
  }
  if (format->get<std::int64_t>() != kPackageFormat) {
    return fail(PackageError::wrong_format,
                "package format " + format->dump() + " is not supported (this version reads 1)");
  }
  auto league = get_string(root, "league_id");
  if (!league) return league.error();
  if (!is_valid_badge_id(*league)) return malformed("invalid league_id");
  package.league_id = std::move(*league);
  auto since = get_cursor(root, "since_cursor");
  if (!since) return since.error();
  auto cursor = get_cursor(root, "cursor");
  if (!cursor) return cursor.error();
  package.since_cursor = *since;
  package.cursor = *cursor;
  auto generated = get_string(root, "generated_at");
  if (!generated) return generated.error();
  const auto generated_at = parse_iso8601(*generated);
  if (!generated_at) return malformed("\"generated_at\" must be an ISO 8601 time");
  package.generated_at = *generated_at;

  auto attendees = get_array(root, "attendees");
  if (!attendees) return attendees.error();
  for (std::size_t i = 0; i < (*attendees)->size(); ++i) {
    auto attendee = parse_attendee((**attendees)[i], i);
    if (!attendee) return attendee.error();
    package.attendees.push_back(std::move(*attendee));
  }

  const json* event = member(root, "event");
  if (event == nullptr) return malformed("\"event\" is missing (null when unchanged)");
  if (!event->is_null()) {
    auto parsed = parse_event_json(event->dump(), "package event");
    if (!parsed) return fail(PackageError::invalid_event, parsed.message());
    package.event = std::move(*parsed);
  }

  auto revoked = get_array(root, "revoked_serials");
  if (!revoked) return revoked.error();
  for (const json& serial : **revoked) {
    if (!serial.is_string() || !is_valid_badge_id(serial.get_ref<const std::string&>())) {
      return malformed("revoked_serials must hold badge serials");
    }
    package.revoked_serials.push_back(serial.get<std::string>());
  }

  auto keys = parse_league_keys(root);
  if (!keys) return keys.error();
  package.league_keys = std::move(*keys);

  auto certificates = get_array(root, "device_certificates");
  if (!certificates) return certificates.error();
  for (const json& item : **certificates) {
    if (!item.is_string()) return malformed("device_certificates must hold strings");
    auto certificate = parse_device_certificate(item.get_ref<const std::string&>());
    if (!certificate) return malformed("device certificate: " + certificate.message());
    package.device_certificates.push_back(std::move(*certificate));
  }
  return package;
}

std::optional<json> parse_json(std::string_view text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

} // namespace

std::string_view to_string(PackageError error) {
  switch (error) {
  case PackageError::too_large:
    return "too_large";
  case PackageError::malformed:
    return "malformed";
  case PackageError::wrong_format:
    return "wrong_format";
  case PackageError::unknown_key:
    return "unknown_key";
  case PackageError::bad_signature:
    return "bad_signature";
  case PackageError::email_present:
    return "email_present";
  case PackageError::invalid_event:
    return "invalid_event";
  }
  return "unknown";
}

Signature sign_package_text(std::string_view package_text, const SigningKey& key) {
  return key.sign_message(signed_message(package_text));
}

std::string package_text(const EventPackage& package) { return package_to_json(package).dump(); }

std::string sign_package(const EventPackage& package, const SigningKey& key) {
  const std::string text = package_text(package);
  const json envelope = {{"format", kPackageEnvelopeFormat},
                         {"key_id", key.key_id()},
                         {"signature", signature_to_hex(sign_package_text(text, key))},
                         {"package", text}};
  return envelope.dump();
}

Result<EventPackage, PackageError> open_package(std::string_view envelope,
                                                const std::vector<PublicKey>& trusted) {
  if (envelope.size() > kMaxPackageBytes) {
    return fail(PackageError::too_large, "package: larger than " +
                                             std::to_string(kMaxPackageBytes / (1024 * 1024)) +
                                             " MiB; this is not an event package");
  }
  const auto root = parse_json(envelope);
  if (!root || !root->is_object()) return malformed("not a JSON object (is this the right file?)");
  const json* format = member(*root, "format");
  if (format == nullptr || !format->is_string() ||
      format->get_ref<const std::string&>() != kPackageEnvelopeFormat) {
    return fail(PackageError::wrong_format,
                "package: not a muster-package-v1 envelope (\"format\" is " +
                    (format == nullptr ? std::string("missing") : format->dump()) + ")");
  }
  auto key_id = get_string(*root, "key_id");
  if (!key_id) return key_id.error();
  auto signature_text = get_string(*root, "signature");
  if (!signature_text) return signature_text.error();
  const auto signature = signature_from_hex(*signature_text);
  if (!signature) return malformed("\"signature\" must be 128 lower-case hex digits");
  auto text = get_string(*root, "package");
  if (!text) return text.error();

  // The package's own text is read before its signature is checked only on first use, and only
  // to find the key it claims; nothing from it is returned unless the signature verifies.
  const auto inner = parse_json(*text);
  const PublicKey* key = nullptr;
  std::vector<PublicKey> own_keys;
  if (trusted.empty()) {
    if (!inner || !inner->is_object()) return malformed("the package text is not a JSON object");
    auto keys = parse_league_keys(*inner);
    if (!keys) return keys.error();
    own_keys = std::move(*keys);
    for (const PublicKey& candidate : own_keys) {
      if (candidate.key_id == *key_id) key = &candidate;
    }
    if (key == nullptr) {
      return fail(PackageError::unknown_key,
                  "package: signed with key " + *key_id + ", which is not among its League keys");
    }
  } else {
    for (const PublicKey& candidate : trusted) {
      if (candidate.key_id == *key_id) key = &candidate;
    }
    if (key == nullptr) {
      return fail(PackageError::unknown_key,
                  "package: signed with key " + *key_id + ", which this device does not trust");
    }
  }
  if (!verify_package_signature(*signature, *text, *key)) {
    return fail(PackageError::bad_signature,
                "package: the signature does not match: the file was altered or forged");
  }
  if (!inner) return malformed("the package text is not JSON");
  return parse_package(*inner);
}

} // namespace muster
