#include "shared/scan_json.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "shared/badge.hpp"
#include "shared/scan_log.hpp"

namespace muster {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxJsonDepth = 32; // our bodies nest 3 deep; deeper is an attack

Error<BodyError> body_error(BodyErrorKind kind, std::string field, std::string message) {
  return fail(BodyError{kind, std::move(field)}, std::move(message));
}

// Refuses absurd nesting before the parser sees it (keeps parse and destruction cheap).
bool nesting_within_limit(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

Result<json, BodyError> parse_object(std::string_view body) {
  if (!nesting_within_limit(body)) {
    return body_error(BodyErrorKind::malformed_json, "", "JSON nested too deeply");
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return body_error(BodyErrorKind::malformed_json, "", "the request body is not valid JSON");
  }
  if (!doc.is_object()) {
    return body_error(BodyErrorKind::wrong_type, "", "the request body must be a JSON object");
  }
  return doc;
}

// Reads fields of one JSON object, remembering the first problem with its path.
class FieldReader {
public:
  FieldReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  [[nodiscard]] const std::optional<Error<BodyError>>& problem() const { return problem_; }

  std::string string(std::string_view name, bool required, std::size_t max_length) {
    const json* value = find(name, required);
    if (value == nullptr) return {};
    if (!value->is_string()) {
      note(BodyErrorKind::wrong_type, name, "must be a string");
      return {};
    }
    const auto& text = value->get_ref<const std::string&>();
    if (text.size() > max_length) {
      note(BodyErrorKind::invalid_value, name,
           "is longer than " + std::to_string(max_length) + " bytes");
      return {};
    }
    return text;
  }

  std::uint64_t unsigned_integer(std::string_view name, bool required, std::uint64_t min_value) {
    const json* value = find(name, required);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      note(BodyErrorKind::wrong_type, name, "must be an integer");
      return 0;
    }
    if (!value->is_number_unsigned() || value->get<std::uint64_t>() < min_value) {
      note(BodyErrorKind::invalid_value, name,
           "must be an integer >= " + std::to_string(min_value));
      return 0;
    }
    return value->get<std::uint64_t>();
  }

  std::int64_t signed_integer(std::string_view name, bool required) {
    const json* value = find(name, required);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) {
      note(BodyErrorKind::wrong_type, name, "must be an integer");
      return 0;
    }
    if (value->is_number_unsigned() &&
        value->get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      note(BodyErrorKind::invalid_value, name, "does not fit a signed 64-bit integer");
      return 0;
    }
    return value->get<std::int64_t>();
  }

  Digest digest(std::string_view name) {
    const std::string text = string(name, true, 64);
    if (problem_) return {};
    auto parsed = digest_from_hex(text);
    if (!parsed || text.size() != 64) {
      note(BodyErrorKind::invalid_value, name, "must be 64 hexadecimal characters");
      return {};
    }
    return *parsed;
  }

  void note(BodyErrorKind kind, std::string_view name, std::string_view what) {
    if (problem_) return;
    const std::string field = path_.empty() ? std::string(name) : path_ + "." + std::string(name);
    problem_ = body_error(kind, field, "field '" + field + "' " + std::string(what));
  }

private:
  const json* find(std::string_view name, bool required) {
    if (problem_) return nullptr;
    const auto it = object_.find(name);
    if (it == object_.end() || (it->is_null() && !required)) {
      if (required) note(BodyErrorKind::missing_field, name, "is missing");
      return nullptr;
    }
    return &*it;
  }

  const json& object_;
  std::string path_;
  std::optional<Error<BodyError>> problem_;
};

Result<Scan, BodyError> scan_from_json(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return body_error(BodyErrorKind::wrong_type, path, "'" + path + "' must be a JSON object");
  }
  FieldReader r(value, path);
  Scan scan;
  scan.device_id = r.string("device_id", false, kMaxIdLength);
  scan.sequence = r.unsigned_integer("sequence", true, 1);
  scan.attendee_id = r.string("attendee_id", true, kMaxIdLength);
  scan.badge_serial = r.string("badge_serial", false, kMaxIdLength);
  scan.badge_payload = r.string("badge_payload", false, kMaxPayloadBytes);
  scan.session_id = r.string("session_id", true, kMaxIdLength);
  const std::string kind = r.string("kind", true, 32);
  if (!r.problem()) {
    if (auto parsed = parse_scan_kind(kind))
      scan.kind = *parsed;
    else
      r.note(BodyErrorKind::invalid_value, "kind",
             "must be arrive, leave, correction, checkin, survey, registration or reprint");
  }
  scan.wall_time = Instant{std::chrono::milliseconds{r.signed_integer("wall_time", true)}};
  scan.monotonic_ms = r.signed_integer("monotonic_ms", true);
  scan.clock_offset_ms = r.signed_integer("clock_offset_ms", true);
  const std::string correction = r.string("correction", false, 32);
  if (!r.problem() && !correction.empty()) {
    if (auto parsed = parse_correction(correction))
      scan.correction = *parsed;
    else
      r.note(BodyErrorKind::invalid_value, "correction", "must be none, arrive, leave or void");
  }
  scan.effective_time =
      Instant{std::chrono::milliseconds{r.signed_integer("effective_time", false)}};
  scan.staff_id = r.string("staff_id", false, kMaxIdLength);
  scan.reason = r.string("reason", false, kMaxTextLength);
  scan.voids_device_id = r.string("voids_device_id", false, kMaxIdLength);
  scan.voids_sequence = r.unsigned_integer("voids_sequence", false, 0);
  scan.details = r.string("details", false, kMaxDetailsLength);
  if (!r.problem() && !scan.details.empty()) {
    const json parsed = json::parse(scan.details, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      r.note(BodyErrorKind::invalid_value, "details", "must be the text of a JSON object");
  }
  scan.boot_id = r.string("boot_id", false, kMaxBootIdLength);
  scan.prev_hash = r.digest("prev_hash");
  scan.hash = r.digest("hash");
  if (r.problem()) return *r.problem();
  return scan;
}

Result<ClockSample, BodyError> sample_from_json(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return body_error(BodyErrorKind::wrong_type, path, "'" + path + "' must be a JSON object");
  }
  FieldReader r(value, path);
  ClockSample sample;
  sample.boot_id = r.string("boot_id", true, kMaxBootIdLength);
  sample.server_time = Instant{std::chrono::milliseconds{r.signed_integer("server_time", true)}};
  sample.device_wall = Instant{std::chrono::milliseconds{r.signed_integer("device_wall", true)}};
  sample.monotonic_ms = r.signed_integer("monotonic_ms", true);
  sample.uncertainty_ms = r.signed_integer("uncertainty_ms", false);
  if (!r.problem() && sample.boot_id.empty()) {
    r.note(BodyErrorKind::invalid_value, "boot_id", "must not be empty");
  }
  if (!r.problem() && sample.uncertainty_ms < 0) {
    r.note(BodyErrorKind::invalid_value, "uncertainty_ms", "must not be negative");
  }
  if (r.problem()) return *r.problem();
  return sample;
}

} // namespace

std::string_view to_string(BodyErrorKind kind) {
  switch (kind) {
  case BodyErrorKind::malformed_json:
    return "malformed_json";
  case BodyErrorKind::missing_field:
    return "missing_field";
  case BodyErrorKind::wrong_type:
    return "wrong_type";
  case BodyErrorKind::invalid_value:
    return "invalid_value";
  case BodyErrorKind::too_many_scans:
    return "too_many_scans";
  }
  return "invalid_value";
}

Result<ScanBatch, BodyError> parse_scan_batch(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) return doc.error();
  ScanBatch batch;
  FieldReader r(*doc, "");
  if (doc->contains("event_id")) batch.event_id = r.string("event_id", true, kMaxIdLength);
  if (r.problem()) return *r.problem();
  const auto scans = doc->find("scans");
  if (scans == doc->end()) {
    return body_error(BodyErrorKind::missing_field, "scans", "field 'scans' is missing");
  }
  if (!scans->is_array()) {
    return body_error(BodyErrorKind::wrong_type, "scans", "field 'scans' must be an array");
  }
  if (scans->size() > kMaxScansPerBatch) {
    return body_error(BodyErrorKind::too_many_scans, "scans",
                      "at most " + std::to_string(kMaxScansPerBatch) +
                          " scans per batch; send the rest in further batches");
  }
  batch.scans.reserve(scans->size());
  for (std::size_t i = 0; i < scans->size(); ++i) {
    auto scan = scan_from_json((*scans)[i], "scans[" + std::to_string(i) + "]");
    if (!scan) return scan.error();
    batch.scans.push_back(std::move(scan.value()));
  }
  if (const auto samples = doc->find("clock_samples");
      samples != doc->end() && !samples->is_null()) {
    if (!samples->is_array()) {
      return body_error(BodyErrorKind::wrong_type, "clock_samples",
                        "field 'clock_samples' must be an array");
    }
    if (samples->size() > kMaxClockSamplesPerBatch) {
      return body_error(BodyErrorKind::invalid_value, "clock_samples",
                        "at most " + std::to_string(kMaxClockSamplesPerBatch) +
                            " clock samples per request");
    }
    for (std::size_t i = 0; i < samples->size(); ++i) {
      auto sample = sample_from_json((*samples)[i], "clock_samples[" + std::to_string(i) + "]");
      if (!sample) return sample.error();
      batch.clock_samples.push_back(std::move(sample.value()));
    }
  }
  return batch;
}

namespace {
json scan_json(const Scan& scan) {
  json out{
      {"device_id", scan.device_id},
      {"sequence", scan.sequence},
      {"attendee_id", scan.attendee_id},
      {"badge_serial", scan.badge_serial},
      {"badge_payload", scan.badge_payload},
      {"session_id", scan.session_id},
      {"kind", std::string(to_string(scan.kind))},
      {"wall_time", scan.wall_time.time_since_epoch().count()},
      {"monotonic_ms", scan.monotonic_ms},
      {"clock_offset_ms", scan.clock_offset_ms},
      {"correction", std::string(to_string(scan.correction))},
      {"effective_time", scan.effective_time.time_since_epoch().count()},
      {"staff_id", scan.staff_id},
      {"reason", scan.reason},
      {"voids_device_id", scan.voids_device_id},
      {"voids_sequence", scan.voids_sequence},
      {"details", scan.details},
      {"prev_hash", to_hex(scan.prev_hash)},
      {"hash", to_hex(scan.hash)},
  };
  // Written only when set, so scans of older kiosks keep their exact JSON.
  if (!scan.boot_id.empty()) out["boot_id"] = scan.boot_id;
  return out;
}
} // namespace

std::string scan_to_json(const Scan& scan) { return scan_json(scan).dump(); }

std::string scan_batch_to_json(std::span<const Scan> scans,
                               std::optional<std::string_view> event_id,
                               std::span<const ClockSample> clock_samples) {
  json body = json::object();
  if (event_id) body["event_id"] = std::string(*event_id);
  json array = json::array();
  for (const auto& scan : scans)
    array.push_back(scan_json(scan));
  body["scans"] = std::move(array);
  if (!clock_samples.empty()) {
    json samples = json::array();
    for (const ClockSample& s : clock_samples) {
      samples.push_back({{"boot_id", s.boot_id},
                         {"server_time", s.server_time.time_since_epoch().count()},
                         {"device_wall", s.device_wall.time_since_epoch().count()},
                         {"monotonic_ms", s.monotonic_ms},
                         {"uncertainty_ms", s.uncertainty_ms}});
    }
    body["clock_samples"] = std::move(samples);
  }
  return body.dump();
}

Result<ProvisionRequest, BodyError> parse_provision_request(std::string_view body) {
  auto doc = parse_object(body);
  if (!doc) return doc.error();
  FieldReader r(*doc, "");
  ProvisionRequest request;
  request.code = r.string("code", true, 256);
  request.device_name = r.string("device_name", false, kMaxIdLength);
  request.device_id = r.string("device_id", false, kMaxIdLength);
  request.device_public_key = r.string("device_public_key", false, 256);
  if (!r.problem() && request.code.find_first_not_of(" \t\r\n") == std::string::npos) {
    r.note(BodyErrorKind::invalid_value, "code", "must not be empty");
  }
  // A kiosk's own id is only taken with the key that proves it is the same kiosk next time.
  if (!r.problem() && request.device_id.empty() != request.device_public_key.empty()) {
    r.note(BodyErrorKind::missing_field,
           request.device_id.empty() ? "device_id" : "device_public_key",
           "device_id and device_public_key go together");
  }
  if (r.problem()) return *r.problem();
  return request;
}

} // namespace muster
