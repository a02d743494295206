// League staff and monitoring: an official's transcript (admin token), GET /api/v1/time,
// /healthz and /metrics.
#include <iostream>

#include "shared/time.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/http_support.hpp"

namespace muster::server {

using namespace http_support; // NOLINT(google-build-using-namespace)

// GET /api/v1/officials/{id}/transcript (PROTOCOL.md): the transcript JSON of `muster-server
// transcript`, for League staff only (authenticate_admin).
void HttpServer::Impl::handle_transcript(const Request& req, Response& res) {
  auto ledger = authenticate_admin(req, res);
  if (!ledger) return;
  const std::string official_id = req.matches[1];
  if (!is_valid_path_id(official_id)) {
    return send_error(res, 400, "bad_request", "invalid official id");
  }
  Date as_of = today_utc();
  if (req.has_param("as_of")) {
    const auto parsed = parse_date(req.get_param_value("as_of"));
    if (!parsed) return send_error(res, 400, "bad_request", "as_of must be YYYY-MM-DD");
    as_of = *parsed;
  }
  auto program = load_program(options.program_file);
  if (!program) {
    std::cerr << "muster-server: transcript: " << program.message() << '\n';
    return send_error(res, 503, "program_unavailable", "the credit program file is missing");
  }
  auto store = stores.acquire();
  if (!store) return send_store_unavailable(res, store.message());
  auto transcript = build_transcript(**store, **ledger, *program, official_id, as_of);
  if (!transcript) {
    if (transcript.code() == CreditError::not_found) {
      return send_error(res, 404, "not_found", transcript.message());
    }
    return send_store_unavailable(res, transcript.message());
  }
  res.status = 200;
  res.set_content(transcript_json(*transcript), "application/json");
}

void HttpServer::Impl::handle_time(const Request& /*req*/, Response& res) {
  send_json(res, 200, time_json(now_instant()));
}

void HttpServer::Impl::handle_healthz(const Request& /*req*/, Response& res) {
  auto store = stores.acquire();
  if (!store) {
    std::cerr << "muster-server: health check: " << store.message() << '\n';
    res.status = 503;
    return res.set_content("unhealthy: database unavailable\n", "text/plain");
  }
  auto league = (*store)->league();
  if (!league) {
    if (league.code() == DbError::io) store->mark_broken();
    std::cerr << "muster-server: health check: " << league.message() << '\n';
    res.status = 503;
    return res.set_content("unhealthy: database unavailable\n", "text/plain");
  }
  res.status = 200;
  res.set_content("ok\n", "text/plain");
}

void HttpServer::Impl::handle_metrics(const Request& /*req*/, Response& res) {
  std::vector<DeviceSeen> seen;
  if (auto store = stores.acquire()) {
    if (auto devices = (*store)->devices()) {
      for (const auto& d : *devices)
        seen.push_back({d.id, d.name, d.last_seen, d.rollbacks});
    }
  }
  res.status = 200;
  res.set_content(metrics.render(seen), "text/plain; version=0.0.4");
}

} // namespace muster::server
