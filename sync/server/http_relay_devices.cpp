// POST /api/v1/relay/devices: a venue relay registers a device it provisioned (relay.hpp;
// sync/PROTOCOL.md "Venue relays").
#include <iostream>
#include <limits>
#include <tuple>

#include "sync/server/http_support.hpp"

namespace muster::server {
namespace {

using namespace http_support; // NOLINT(google-build-using-namespace)

struct RelayDeviceRequest {
  std::string device_id;
  std::string device_name;
  std::string public_key; // canonical MUPK1 text, or empty
  BranchLink branch;
};

// A refusal: 400 with this code, message and field.
struct BodyProblem {
  std::string code;
  std::string message;
  std::string field;
};

std::optional<BodyProblem> read_string_fields(const json& body, RelayDeviceRequest& out) {
  for (const auto& [name, required, target] :
       {std::tuple<const char*, bool, std::string*>{"device_id", true, &out.device_id},
        {"device_name", false, &out.device_name},
        {"public_key", false, &out.public_key}}) {
    if (!body.contains(name)) {
      if (required)
        return BodyProblem{"missing_field", std::string("field '") + name + "' is missing", name};
      continue;
    }
    if (!body[name].is_string()) {
      return BodyProblem{"wrong_type", std::string("field '") + name + "' is not a string", name};
    }
    *target = body[name].get<std::string>();
  }
  return std::nullopt;
}

// A branch of a restored kiosk names its parent and where it left it (both or neither).
std::optional<BodyProblem> read_branch(const json& body, BranchLink& branch) {
  if (!body.contains("parent_id") && !body.contains("diverged_at")) return std::nullopt;
  if (!body.contains("parent_id") || !body["parent_id"].is_string() ||
      !is_valid_path_id(body["parent_id"].get<std::string>())) {
    return BodyProblem{"invalid_value",
                       "a branch names its parent device (parent_id) with diverged_at",
                       "parent_id"};
  }
  if (!body.contains("diverged_at") || !body["diverged_at"].is_number_unsigned() ||
      body["diverged_at"].get<std::uint64_t>() == 0 ||
      body["diverged_at"].get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return BodyProblem{"invalid_value",
                       "field 'diverged_at' must be an integer >= 1 with parent_id", "diverged_at"};
  }
  branch.parent_id = body["parent_id"].get<std::string>();
  branch.diverged_at = body["diverged_at"].get<std::uint64_t>();
  return std::nullopt;
}

std::optional<BodyProblem> read_relay_device(const json& body, RelayDeviceRequest& out) {
  if (auto problem = read_string_fields(body, out)) return problem;
  if (!is_valid_path_id(out.device_id) || out.device_id.rfind("muster-relay", 0) == 0) {
    return BodyProblem{"invalid_value", "device_id is not a device id", "device_id"};
  }
  if (out.device_name.size() > kMaxIdLength || out.device_name.find('\0') != std::string::npos) {
    return BodyProblem{"invalid_value", "device_name is too long", "device_name"};
  }
  if (auto problem = read_branch(body, out.branch)) return problem;
  if (!out.public_key.empty()) {
    // The kiosk's own key (kiosk identity): kept in its canonical text form.
    auto key = parse_public_key(out.public_key);
    if (!key) {
      return BodyProblem{"invalid_value",
                         "field 'public_key' is not a public key (MUPK1): " + key.message(),
                         "public_key"};
    }
    out.public_key = to_text(*key);
  }
  return std::nullopt;
}

} // namespace

using namespace http_support; // NOLINT(google-build-using-namespace)

void HttpServer::Impl::handle_relay_device(const Request& req, Response& res) {
  const auto relay = authenticate_relay(req, res);
  if (!relay) return;
  if (!json_nested_within(req.body, 32)) {
    return send_error(res, 400, "malformed_json", "the body is nested too deeply");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return send_error(res, 400, "malformed_json", "the body is not JSON");
  if (!body.is_object()) {
    return send_error(res, 400, "wrong_type", "the body must be a JSON object");
  }
  RelayDeviceRequest request;
  if (auto problem = read_relay_device(body, request)) {
    return send_error(res, 400, problem->code, problem->message, json{{"field", problem->field}});
  }
  auto relay_store = take_relay_store();
  if (!relay_store) return send_store_unavailable(res, relay_store.message());
  auto known = (*relay_store)->relay_of_device(request.device_id);
  if (!known) return send_store_unavailable(res, known.message());
  const bool existed = known->has_value();
  auto device =
      (*relay_store)
          ->register_relay_device(request.device_id, request.device_name, relay->event_id,
                                  relay->label, now_instant(), request.public_key, request.branch);
  if (!device) {
    if (device.code() == DbError::conflict) {
      give_back_relay_store(std::move(relay_store.value()));
      return send_error(res, 409, "device_exists", device.message());
    }
    if (device.code() == DbError::invalid) {
      give_back_relay_store(std::move(relay_store.value()));
      return send_error(res, 400, "invalid_value", device.message(), json{{"field", "parent_id"}});
    }
    return send_store_unavailable(res, device.message());
  }
  give_back_relay_store(std::move(relay_store.value()));
  if (options.log_requests && !existed) {
    std::cerr << "muster-server: relay '" << relay->label << "' registered device " << device->id
              << " (" << device->name << ") for event " << device->event_id << '\n';
  }
  send_json(res, existed ? 200 : 201,
            json{{"device_id", device->id},
                 {"device_name", device->name},
                 {"event_id", device->event_id}});
}

} // namespace muster::server
