// The venue relay (relay.hpp): `muster-server relay` starts it, serves the kiosks with the
// upstream's envelopes, and runs the background loop (pull the package, forward the chains,
// back off while the upstream is away).
#include "sync/server/relay.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "shared/time.hpp"
#include "sync/server/relay_internal.hpp"

namespace muster::server {
namespace relay_impl {

using nlohmann::json;

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::uint64_t to_u64(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

std::ostream& log(std::ostream& err) {
  return err << format_utc(now_instant()) << " muster-server relay: ";
}

UpstreamError upstream_error(const sync::HttpResponse& response) {
  UpstreamError out = sync::server_error(response);
  if (!out.code.empty()) out.message += " (" + out.code + ")";
  return out;
}

Relay::Relay(const RelayOptions& options, std::ostream& err)
    : options_(options), err_(err), upstream_(trim_slash(options.upstream)) {
  sync::HttpClientOptions http;
  http.ca_file = options.ca_file;
  http.pinned_public_key = options.pinned_key;
  http.allow_insecure_http = options.allow_insecure_http;
  http.cancelled = [this] { return stopping_.load(); };
  http_ = std::make_unique<sync::HttpClient>(http);
}

void Relay::run_forever() {
  auto store = open_server_store(options_.http.database);
  auto relay = open_relay_store(options_.http.database);
  if (!store || !relay) {
    log(err_) << "cannot open the database: " << (!store ? store.message() : relay.message())
              << '\n';
    return;
  }
  int failures = 0;
  std::mt19937 random(std::random_device{}());
  while (!stopping_) {
    {
      const std::lock_guard lock(wait_mutex_);
      woken_ = false; // a push from now on starts another round
    }
    const Outcome pulled = pull_package(**store, **relay);
    const Outcome forwarded =
        pulled == Outcome::unreachable ? pulled : forward_all(**store, **relay);
    if (forwarded != Outcome::unreachable) {
      if (failures > 0) log(err_) << "upstream reachable again; caught up\n";
      if (failures > 0 || !clock_checked_) check_clock();
      failures = 0;
      wait_for(options_.interval, false);
      continue;
    }
    ++failures;
    // 1 s doubling to the cap, times [0.5, 1.5): kiosks' rule (PROTOCOL.md "Retry rules").
    const auto base = std::min<std::int64_t>(options_.max_backoff.count(),
                                             std::int64_t{1000} << std::min(failures - 1, 20));
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    wait_for(std::chrono::milliseconds(
                 static_cast<std::int64_t>(static_cast<double>(base) * jitter(random))),
             true);
  }
}

// Kiosks measure their clocks against the relay's (GET /api/v1/time here) and those samples
// place their scans on the League server: a relay clock that is off shifts every door's scans.
// It cannot be corrected afterwards, so say so loudly whenever the upstream can tell.
void Relay::check_clock() {
  const auto before = std::chrono::system_clock::now();
  auto response = http_->get(upstream_ + "/api/v1/time", "");
  const auto after = std::chrono::system_clock::now();
  if (!response || response->status != 200) return;
  const json body = json::parse(response->body, nullptr, false);
  if (!body.is_object() || !body.contains("server_time_ms") ||
      !body["server_time_ms"].is_number_integer()) {
    return;
  }
  clock_checked_ = true;
  const auto middle = std::chrono::duration_cast<std::chrono::milliseconds>(
                          (before + (after - before) / 2).time_since_epoch())
                          .count();
  const std::int64_t offset = body["server_time_ms"].get<std::int64_t>() - middle;
  if (offset > 60'000 || offset < -60'000) {
    log(err_) << "WARNING: this machine's clock differs from the League server's by "
              << offset / 1000 << " s: kiosks take their time from the relay; set its clock "
              << "(NTP) before the doors scan\n";
  }
}

void Relay::wake() {
  {
    const std::lock_guard lock(wait_mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void Relay::stop() {
  stopping_ = true;
  wake();
}

void Relay::wait_for(std::chrono::milliseconds delay, bool probing) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    const auto step = probing
                          ? std::min<std::chrono::steady_clock::duration>(until - now, kProbeEvery)
                          : until - now;
    std::unique_lock lock(wait_mutex_);
    wake_.wait_for(lock, step, [&] { return stopping_.load() || (!probing && woken_); });
    if (stopping_ || (!probing && woken_)) return;
    lock.unlock();
    if (probing && std::chrono::steady_clock::now() < until) {
      auto probe = http_->get(upstream_ + "/api/v1/time", "");
      if (probe && probe->status == 200) return;
    }
  }
}

Relay::Outcome Relay::unreachable(std::string_view what, const std::string& detail) {
  report_problem("upstream", std::string(what) + ": the upstream is unreachable (" + detail +
                                 "); the relay keeps everything and retries");
  return Outcome::unreachable;
}

Relay::Outcome Relay::local_failure(const std::string& detail) {
  report_problem("store", "the relay's database: " + detail);
  return Outcome::unreachable; // back off: the next round tries again
}

Relay::Outcome Relay::answered_error(std::string_view what, const sync::HttpResponse& response) {
  const UpstreamError e = upstream_error(response);
  if (retryable(response.status)) return unreachable(what, e.message);
  if (response.status == 401) {
    report_problem("token", std::string(what) + ": the upstream refused the relay token (" +
                                e.message + "): ask the League for a new one");
    return Outcome::unreachable; // nothing works without it: back off
  }
  report_problem("refused", std::string(what) + ": " + e.message);
  return Outcome::refused;
}

void Relay::report_problem(const std::string& kind, const std::string& message) {
  if (last_problem_ == kind + message) return;
  last_problem_ = kind + message;
  log(err_) << message << '\n';
}

namespace {

Result<std::string, std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("io"), "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxPackageBytes) {
    return fail(std::string("io"), path.string() + " is too large for a package");
  }
  return text.str();
}

// Waits for a stop signal up to `delay`; true when one came.
bool stop_signal_within(const sigset_t& signals, std::chrono::milliseconds delay) {
  timespec wait{};
  wait.tv_sec = static_cast<time_t>(delay.count() / 1000);
  wait.tv_nsec = static_cast<long>((delay.count() % 1000) * 1'000'000);
  return sigtimedwait(&signals, nullptr, &wait) > 0;
}

// 0 when the options can run a relay; otherwise the exit code, with the message on `err`.
int check_options(const RelayOptions& options, std::ostream& err) {
  if (sodium_init() < 0) {
    err << "error: libsodium could not be initialised\n";
    return 1;
  }
  if (options.upstream.empty()) {
    err << "error: --upstream is required (the League server's URL)\n";
    return 2;
  }
  if (auto checked = sync::check_server_url(options.upstream, options.allow_insecure_http);
      !checked) {
    err << "error: --upstream: " << checked.message() << '\n';
    return 2;
  }
  if (!options.token.starts_with(kRelayTokenPrefix) ||
      options.token.size() != kRelayTokenPrefix.size() + 64) {
    err << "error: --token must be a relay token (muster-relay.<64 hex>, from "
           "'muster-server relay-token' on the League server)\n";
    return 2;
  }
  if (options.interval.count() < 1 || options.max_backoff < std::chrono::seconds(1)) {
    err << "error: --interval must be positive and --max-backoff at least 1 s\n";
    return 2;
  }
  return 0;
}

// The relay's own tables: they open once the database holds a League (a fresh database is
// initialised from the first package), and then give the relay its stored envelopes.
struct RelayTables {
  const RelayOptions& options;
  Relay& relay;
  std::unique_ptr<RelayStore> store;

  bool open() {
    if (store) return true;
    auto tables = open_relay_store(options.http.database);
    if (!tables) return false;
    store = std::move(tables.value());
    return relay.load_state(*store).ok();
  }
};

struct Start {
  ServerStore& store;
  Relay& relay;
  RelayTables& tables;
  std::ostream& out;
  std::ostream& err;
};

// --package FILE: the relay starts from it unless the database holds a newer package.
// nullopt: go on; otherwise the exit code.
std::optional<int> start_from_file(const RelayOptions& options, Start& start) {
  auto text = read_text_file(*options.package_file);
  std::ostream& err = start.err;
  if (!text) {
    err << "error: --package: " << text.message() << '\n';
    return 1;
  }
  auto peek = open_package(*text, {});
  if (!peek) {
    err << "error: --package: the package was refused (" << to_string(peek.code())
        << "): " << peek.message() << '\n';
    return 1;
  }
  if (peek->since_cursor != 0) {
    err << "error: --package: a relay starts from a full package (muster-server package "
           "writes one), not a delta\n";
    return 1;
  }
  PackageCache& cache = start.relay.cache();
  if (cache.has_full() && peek->cursor <= cache.latest_cursor()) return std::nullopt;
  // A fresh database is initialised from the package itself; relay tables come after.
  if (!start.tables.store) {
    if (auto applied = apply_to_store(start.store, *peek); !applied) {
      err << "error: --package: " << applied.message() << '\n';
      return 1;
    }
    if (!start.tables.open()) {
      err << "error: cannot open the relay's tables in " << options.http.database << '\n';
      return 1;
    }
  }
  if (auto taken = start.relay.take_envelope(start.store, *start.tables.store, *text); !taken) {
    err << "error: --package: " << taken.message() << '\n';
    return 1;
  }
  start.out << "muster-server relay: started from the package file (cursor "
            << cache.latest_cursor() << ")\n";
  return std::nullopt;
}

// A database without a League: the upstream's full package, pulled once into memory,
// initialises it. Initialised: true (the relay tables can open now); false: try again later;
// an exit code when the upstream refused the relay or its package.
std::variant<bool, int> initialise_from_upstream(const RelayOptions& options, Start& start) {
  sync::HttpClientOptions http_options;
  http_options.ca_file = options.ca_file;
  http_options.pinned_public_key = options.pinned_key;
  http_options.allow_insecure_http = options.allow_insecure_http;
  sync::HttpClient http(http_options);
  auto response =
      http.get(trim_slash(options.upstream) + "/api/v1/relay/package?since=0", options.token);
  if (response && response->status == 200) {
    auto package = open_package(response->body, {});
    if (package && package->since_cursor == 0 && package->event) {
      if (auto applied = apply_to_store(start.store, *package); !applied) {
        start.err << "error: " << applied.message() << '\n';
        return 1;
      }
      return true;
    }
    start.err << "error: the upstream's package was refused\n";
    return 1;
  }
  if (response && response->status == 401) {
    start.err << "error: the upstream refused the relay token: "
              << upstream_error(*response).message << '\n';
    return 1;
  }
  return false;
}

// No package yet: the upstream must provide the first one before any kiosk can be served.
// nullopt: the relay has one; otherwise the exit code (0: stopped by a signal meanwhile).
std::optional<int> wait_for_first_package(const RelayOptions& options, Start& start,
                                          const sigset_t& stop_signals) {
  for (int attempt = 1; !start.relay.cache().has_full(); ++attempt) {
    if (start.tables.store || start.tables.open()) {
      if (start.relay.pull_package(start.store, *start.tables.store) == Relay::Outcome::ok &&
          start.relay.cache().has_full()) {
        break;
      }
    } else {
      const auto initialised = initialise_from_upstream(options, start);
      if (const int* code = std::get_if<int>(&initialised)) return *code;
      if (std::get<bool>(initialised)) continue; // the relay tables exist now: take the envelope
    }
    if (attempt == 1) {
      log(start.err) << "waiting for the upstream's first event package (or start with "
                        "--package FILE)\n";
    }
    const auto wait = std::min<std::chrono::milliseconds>(
        options.max_backoff, std::chrono::milliseconds(1000LL << std::min(attempt - 1, 8)));
    if (stop_signal_within(stop_signals, wait)) return 0;
  }
  return std::nullopt;
}

// Serves the kiosks with the relay's envelopes and forwards in the background until SIGINT or
// SIGTERM.
int serve(const RelayOptions& options, Relay& relay, const sigset_t& stop_signals,
          std::ostream& out, std::ostream& err) {
  HttpOptions http = options.http;
  PackageCache& cache = relay.cache();
  http.package_source = [&cache](std::uint64_t since) { return cache.serve(since); };
  http.on_scans_stored = [&relay] { relay.wake(); };
  http.league_key_file.reset();
  auto server = HttpServer::start(http);
  if (!server) {
    err << "error: cannot serve: " << server.message() << '\n';
    return 1;
  }
  std::thread forwarder([&relay] { relay.run_forever(); });
  out << "muster-server relay: listening on " << ((*server)->tls() ? "https" : "http") << "://"
      << http.host << ':' << (*server)->port() << " for event packages of cursor "
      << cache.latest_cursor() << "; upstream " << trim_slash(options.upstream) << std::endl;
  int received = 0;
  sigwait(&stop_signals, &received);
  log(err) << "stopping (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
  relay.stop();
  forwarder.join();
  (*server)->stop();
  return 0;
}

} // namespace
} // namespace relay_impl

int run_relay(const RelayOptions& options, std::ostream& out, std::ostream& err) {
  using namespace relay_impl; // NOLINT(google-build-using-namespace): the relay's parts
  if (const int invalid = check_options(options, err); invalid != 0) return invalid;
  // Block the stop signals before any thread starts so that only this thread receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto opened = open_server_store(options.http.database);
  if (!opened) {
    err << "error: " << opened.message() << '\n';
    return 1;
  }
  Relay relay(options, err);
  RelayTables tables{options, relay, nullptr};
  (void)tables.open(); // an existing relay database: its envelopes
  Start start{**opened, relay, tables, out, err};
  if (options.package_file) {
    if (auto code = start_from_file(options, start)) return *code;
  }
  if (auto code = wait_for_first_package(options, start, stop_signals)) return *code;
  return serve(options, relay, stop_signals, out, err);
}

} // namespace muster::server
