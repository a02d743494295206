// Provisioning a kiosk against a server (POST /api/v1/devices), keeping what it answered, and
// measuring the kiosk's clock against the server's (GET /api/v1/time); the errors' words.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "sync/client/sync_pass.hpp"
#include "sync/client/sync_support.hpp"

namespace muster::sync {

using detail::now_ms;
using detail::status_error;
using detail::transport_error;
using detail::trim_slash;
using nlohmann::json;

ServerError server_error(const HttpResponse& response) {
  ServerError out;
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& e = body["error"];
    if (e.contains("code") && e["code"].is_string()) out.code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string())
      out.message = e["message"].get<std::string>();
    if (e.contains("first_bad_sequence") && e["first_bad_sequence"].is_number_unsigned())
      out.first_bad_sequence = e["first_bad_sequence"].get<std::uint64_t>();
    if (body.contains("acked_through") && body["acked_through"].is_number_unsigned())
      out.acked_through = body["acked_through"].get<std::uint64_t>();
  }
  if (out.message.empty()) out.message = "HTTP status " + std::to_string(response.status);
  return out;
}

std::string_view to_string(SyncError error) {
  switch (error) {
  case SyncError::not_provisioned:
    return "not_provisioned";
  case SyncError::bad_url:
    return "bad_url";
  case SyncError::unreachable:
    return "unreachable";
  case SyncError::unauthorized:
    return "unauthorized";
  case SyncError::refused:
    return "refused";
  case SyncError::chain_mismatch:
    return "chain_mismatch";
  case SyncError::package:
    return "package";
  case SyncError::store:
    return "store";
  }
  return "refused";
}

Result<ProvisionResult, SyncError> provision_device(HttpClient& http, std::string_view server_url,
                                                    std::string_view code,
                                                    std::string_view device_name,
                                                    std::string_view device_id,
                                                    std::string_view device_public_key) {
  const std::string base = trim_slash(server_url);
  json request{{"code", std::string(code)}};
  if (!device_name.empty()) request["device_name"] = std::string(device_name);
  if (!device_id.empty()) {
    request["device_id"] = std::string(device_id);
    request["device_public_key"] = std::string(device_public_key);
  }
  auto response = http.post_json(base + "/api/v1/devices", request.dump(), "");
  if (!response) return transport_error(response.error(), "provisioning");
  if (response->status != 201 && response->status != 200) {
    const ServerError e = server_error(*response);
    const SyncError kind = response->status >= 500 || response->status == 429
                               ? SyncError::unreachable
                               : SyncError::refused;
    return fail(kind,
                "provisioning refused: " + e.message + (e.code.empty() ? "" : " (" + e.code + ")"));
  }
  const json answer = json::parse(response->body, nullptr, false);
  ProvisionResult out;
  out.server_url = base;
  if (!answer.is_object()) return fail(SyncError::refused, "provisioning: unreadable answer");
  out.device_id = answer.value("device_id", "");
  out.device_name = answer.value("device_name", "");
  out.token = answer.value("token", "");
  out.event_id = answer.value("event_id", "");
  out.league_id = answer.value("league_id", "");
  out.server_time_ms = answer.value("server_time_ms", std::int64_t{0});
  if (out.device_id.empty() || out.token.empty() || out.event_id.empty()) {
    return fail(SyncError::refused, "provisioning: the answer lacks device_id, token or event_id");
  }
  return out;
}

Result<Ok, SyncError> save_provisioning(KioskStore& store, const ProvisionResult& provisioned,
                                        std::int64_t clock_offset_ms) {
  const std::pair<std::string_view, std::string> values[] = {
      {kSettingServerUrl, provisioned.server_url},
      {kSettingSyncDeviceId, provisioned.device_id},
      {kSettingDeviceToken, provisioned.token},
      {kSettingEventId, provisioned.event_id},
      {kSettingLeagueId, provisioned.league_id},
      {kSettingClockOffsetMs, std::to_string(clock_offset_ms)},
  };
  for (const auto& [key, value] : values) {
    if (auto saved = store.set_setting(key, value); !saved) {
      return fail(SyncError::store, saved.message());
    }
  }
  return Ok{};
}

Result<ClockSample, SyncError> measure_clock(HttpClient& http, std::string_view server_url,
                                             int samples, const DeviceClock& device_clock,
                                             const DeviceClock& monotonic_clock) {
  const auto clock = [&device_clock] { return device_clock ? device_clock() : now_ms(); };
  const auto monotonic = [&monotonic_clock]() -> std::int64_t {
    if (monotonic_clock) return monotonic_clock();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  const std::string url = trim_slash(server_url) + "/api/v1/time";
  std::optional<ClockSample> best;
  std::optional<Error<SyncError>> last_error;
  for (int i = 0; i < std::max(1, samples); ++i) {
    const std::int64_t m0 = monotonic();
    const std::int64_t t0 = clock();
    auto response = http.get(url, "");
    const std::int64_t t1 = clock();
    const std::int64_t m1 = monotonic();
    if (!response) {
      last_error = transport_error(response.error(), "measuring the clock");
      break; // one failure is enough: the push would fail the same way
    }
    if (response->status != 200) {
      last_error = status_error(*response, "measuring the clock");
      break;
    }
    const json answer = json::parse(response->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("server_time_ms") ||
        !answer["server_time_ms"].is_number_integer()) {
      last_error = fail(SyncError::unreachable, "measuring the clock: unreadable answer");
      break;
    }
    const std::int64_t s = answer["server_time_ms"].get<std::int64_t>();
    // Round-trip aware: the server read its clock somewhere between t0 and t1.
    // The uncertainty follows the monotonic round trip: a wall clock stepped mid-request
    // must not make a long round trip look short.
    const std::int64_t half_trip = std::max<std::int64_t>(0, (m1 - m0 + 1) / 2);
    const ClockSample sample{s - (t0 + t1) / 2, half_trip, s, t0 + (t1 - t0) / 2,
                             m0 + (m1 - m0) / 2};
    if (!best || sample.uncertainty_ms < best->uncertainty_ms) best = sample;
  }
  if (best) return *best;
  return *last_error;
}

} // namespace muster::sync
