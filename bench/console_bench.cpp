// The web console's figures (issue 17): the event page of a large event (a 5,000-attendee roster,
// 20 doors, everyone scanned in and most out) rendered by the real HttpServer, and how much open
// live pages (Server-Sent Event streams) slow kiosks' ingest on the same server.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.hpp"
#include "shared/badge.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/account_store.hpp"
#include "sync/server/web/accounts.hpp"

namespace muster::bench {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

struct Door {
  std::string id;
  std::string token;
  Digest head = kZeroDigest;
  std::uint64_t sequence = 0;
};

struct World {
  fs::path dir;
  std::string database;
  std::vector<Door> doors;
  std::string cookie;
  std::size_t attendees = 0;
  // Each attendee's signed badge: a push must carry it (the server re-verifies every badge).
  std::map<std::string, std::string> badges;
  std::unique_ptr<server::HttpServer> server;
  std::string error;
  ~World() {
    if (server) server->stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Scan next_scan(Door& door, const std::string& attendee, const std::string& session, ScanKind kind,
               Instant at, const std::string& badge) {
  Scan s;
  s.badge_payload = badge;
  s.device_id = door.id;
  s.sequence = ++door.sequence;
  s.attendee_id = attendee;
  s.badge_serial = "SER-" + attendee;
  s.session_id = session;
  s.kind = kind;
  s.wall_time = at;
  s.monotonic_ms = static_cast<std::int64_t>(door.sequence) * 10;
  seal(s, door.head);
  door.head = s.hash;
  return s;
}

// The League: its key, `attendees` on the roster and a badge for each (in world.badges).
std::string seed_league(server::ServerStore& store, World& world, std::size_t attendees) {
  (void)store.initialise({"BENCH", "Bench League"});
  // The League key the server checks badges with; each attendee gets a badge signed with it.
  auto key = SigningKey::generate("BK1");
  if (!key) return key.message();
  (void)store.add_league_key({"BK1", to_text(key->public_key()), now_ms(), true});
  std::vector<Attendee> roster;
  for (std::size_t i = 0; i < attendees; ++i) {
    const std::string id = "BA-" + std::to_string(i);
    roster.push_back({id, "First" + std::to_string(i), "Last" + std::to_string(i),
                      Role::councilmember, "Town " + std::to_string(i % 300), id + "@example.org"});
  }
  if (auto up = store.upsert_roster(roster); !up) return up.message();
  for (const auto& attendee : roster) {
    const std::string serial = "SER-" + attendee.id;
    auto payload = sign_badge({"BENCH", attendee.id, serial}, *key);
    if (!payload) return payload.message();
    (void)store.add_badge({serial, attendee.id, "E1", "BK1", *payload, now_ms(), std::nullopt});
    world.badges[attendee.id] = *payload;
  }
  return {};
}

// Event E1 with 4 sessions running now, and a provisioning code for each of `doors` kiosks.
std::string seed_event(server::ServerStore& store, std::size_t doors) {
  Event event;
  event.id = "E1";
  event.name = "Bench Conference";
  event.timezone = "America/Chicago";
  event.location = "Springfield";
  for (int k = 0; k < 4; ++k) {
    Session session;
    session.id = "S" + std::to_string(k + 1);
    session.title = "Session " + std::to_string(k + 1);
    session.room = "Room " + std::to_string(k + 1);
    session.start = now_ms() - 2h;
    session.end = now_ms() + 2h;
    session.credit_hours = 1.0;
    session.course_code = "C-" + std::to_string(k + 1);
    event.sessions.push_back(session);
  }
  if (auto up = store.upsert_event(event); !up) return up.message();
  for (std::size_t d = 0; d < doors; ++d) {
    const std::string code = "BENCH-CODE-" + std::to_string(d);
    (void)store.add_provisioning_code(server::hash_secret(code), "E1", "Door " + std::to_string(d),
                                      now_ms() + 1h);
  }
  return {};
}

// An admin's console session (world.cookie).
std::string sign_in_admin(World& world) {
  auto accounts = server::open_account_store(world.database);
  if (!accounts) return accounts.message();
  const std::string token = server::random_token();
  (void)(*accounts)->add_user({"bench", server::ConsoleRole::admin, "$argon2id$unused", now_ms()});
  (void)(*accounts)->add_session(
      {server::hash_secret(token), "bench", "csrf", now_ms(), now_ms() + 8h});
  world.cookie = "muster_console=" + token;
  return {};
}

// The server with `threads` API workers and room for `live_streams` live pages, and `doors`
// kiosks provisioned over HTTP (world.doors).
std::string start_and_provision(World& world, std::size_t doors, int threads, int live_streams) {
  server::HttpOptions options;
  options.database = world.database;
  options.port = 0;
  options.log_requests = false;
  options.threads = threads;
  options.live_streams = live_streams;
  options.max_connections_per_address = 0; // every page and door comes from 127.0.0.1
  options.provision_attempts_per_window = 100000;
  auto started = server::HttpServer::start(options);
  if (!started) return started.message();
  world.server = std::move(*started);
  httplib::Client client("127.0.0.1", world.server->port());
  for (std::size_t d = 0; d < doors; ++d) {
    auto res =
        client.Post("/api/v1/devices", json{{"code", "BENCH-CODE-" + std::to_string(d)}}.dump(),
                    "application/json");
    if (!res || res->status != 201) return "provisioning failed";
    const auto body = json::parse(res->body, nullptr, false);
    world.doors.push_back({body.value("device_id", ""), body.value("token", "")});
  }
  return {};
}

// Everyone arrives in S1 at some door 90 to 60 minutes ago; two in three leave 30 min later.
std::string store_attendance(server::ServerStore& store, World& world, std::size_t attendees,
                             std::size_t doors) {
  const Instant base = now_ms() - 90min;
  std::vector<std::vector<Scan>> chains(doors);
  for (std::size_t i = 0; i < attendees; ++i) {
    const std::string id = "BA-" + std::to_string(i);
    Door& in = world.doors[i % doors];
    chains[i % doors].push_back(next_scan(in, id, "S1", ScanKind::arrive,
                                          base + std::chrono::milliseconds(i * 300),
                                          world.badges[id]));
    if (i % 3 != 0) {
      Door& out = world.doors[(i + 1) % doors];
      chains[(i + 1) % doors].push_back(next_scan(out, id, "S1", ScanKind::leave,
                                                  base + 30min + std::chrono::milliseconds(i * 300),
                                                  world.badges[id]));
    }
  }
  for (std::size_t d = 0; d < doors; ++d) {
    auto stored = store.store_scans(world.doors[d].id, "E1", chains[d], now_ms());
    if (!stored || stored->rejection) return stored ? stored->rejection->reason : stored.message();
  }
  return {};
}

// A League with `attendees` on the roster, an event of 4 sessions running now, `doors` kiosks
// provisioned over HTTP, every attendee's arrival (and for two in three a leave) in session S1
// stored through the doors, and an admin's console session. The server runs with `threads` API
// workers and room for `live_streams` live pages. world.error says why a step failed.
std::unique_ptr<World> prepare(std::size_t attendees, std::size_t doors, int threads,
                               int live_streams) {
  auto world = std::make_unique<World>();
  world->dir = fs::temp_directory_path() /
               ("muster-bench-console-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(world->dir);
  world->database = (world->dir / "server.db").string();
  world->attendees = attendees;
  auto opened = server::open_server_store(world->database);
  if (!opened) {
    world->error = opened.message();
    return world;
  }
  auto& store = **opened;
  world->error = seed_league(store, *world, attendees);
  if (world->error.empty()) world->error = seed_event(store, doors);
  if (world->error.empty()) world->error = sign_in_admin(*world);
  if (world->error.empty())
    world->error = start_and_provision(*world, doors, threads, live_streams);
  if (world->error.empty()) world->error = store_attendance(store, *world, attendees, doors);
  return world;
}

// `batches` pushes of `per_batch` new scans from each of (up to) 4 doors at once; seconds for all.
double ingest_seconds(World& world, std::size_t batches, std::size_t per_batch,
                      std::string& error) {
  const std::size_t pushers = std::min<std::size_t>(4, world.doors.size());
  std::vector<std::vector<std::string>> bodies(pushers);
  for (std::size_t p = 0; p < pushers; ++p) {
    for (std::size_t b = 0; b < batches; ++b) {
      std::vector<Scan> chain;
      for (std::size_t i = 0; i < per_batch; ++i) {
        const std::string id =
            "BA-" + std::to_string((p * 997 + b * per_batch + i) % world.attendees);
        chain.push_back(next_scan(
            world.doors[p], id, "S2", i % 2 == 0 ? ScanKind::arrive : ScanKind::leave,
            now_ms() - 30min + std::chrono::milliseconds(b * 1000 + i), world.badges[id]));
      }
      bodies[p].push_back(scan_batch_to_json(chain));
    }
  }
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < pushers; ++p) {
    threads.emplace_back([&, p] {
      httplib::Client client("127.0.0.1", world.server->port());
      client.set_read_timeout(120);
      const httplib::Headers auth{{"Authorization", "Bearer " + world.doors[p].token}};
      for (const auto& body : bodies[p]) {
        auto res = client.Post("/api/v1/devices/" + world.doors[p].id + "/scans", auth, body,
                               "application/json");
        if (!res || res->status != 200) {
          // The first failure says why (status and the server's JSON error).
          if (!failed.exchange(true)) {
            std::lock_guard lock(error_mutex);
            error = "a push failed: " +
                    (res ? std::to_string(res->status) + " " + res->body.substr(0, 300)
                         : "no answer (" + httplib::to_string(res.error()) + ")");
          }
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  return ms_since(start) / 1000.0;
}

} // namespace

namespace {

// `pages` live pages on the event's stream, each on its own connection as a browser holds one.
// As console.js does now, a page only reads its stream: each event carries the counts and the
// timeline ("live"), so it sends no request. Counts the events with data and their bytes.
class LivePages {
public:
  LivePages(World& world, std::size_t pages) {
    const int port = world.server->port();
    const httplib::Headers cookie{{"Cookie", world.cookie}};
    for (std::size_t p = 0; p < pages; ++p)
      clients_.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
    for (std::size_t p = 0; p < pages; ++p) {
      threads_.emplace_back([this, cookie, &live = *clients_[p]] {
        live.set_read_timeout(30); // a keep-alive comment comes every 15 s
        bool greeted = false;
        // One stream per page for the whole phase; the destructor stops the client.
        (void)live.Get("/console/events/E1/live", cookie, [&](const char* data, std::size_t n) {
          const std::string_view chunk(data, n);
          if (!greeted) {
            // Counted only when the server took the page (a 503 body has no "retry:").
            greeted = chunk.find("retry: ") != std::string_view::npos;
            if (greeted) ++opened_;
          }
          // A read may hold several events (or, rarely, split one: the count is a floor).
          for (auto at = chunk.find("\"live\":"); at != std::string_view::npos;
               at = chunk.find("\"live\":", at + 1))
            ++data_events_;
          data_bytes_ += n;
          return !stop_.load();
        });
      });
    }
    // Until every page holds its stream (bounded: 10 s).
    for (int wait = 0; wait < 200 && opened_ < pages; ++wait)
      std::this_thread::sleep_for(50ms);
  }
  LivePages(const LivePages&) = delete;
  LivePages& operator=(const LivePages&) = delete;
  ~LivePages() {
    stop_ = true;
    for (auto& client : clients_)
      client->stop(); // closes the stream's socket: the page is closed
    for (auto& thread : threads_)
      thread.join();
  }
  [[nodiscard]] std::size_t opened() const { return opened_; }
  [[nodiscard]] std::size_t data_events() const { return data_events_; }
  [[nodiscard]] std::size_t data_bytes() const { return data_bytes_; }
  // Waits (bounded) until no event came for `quiet`: the last change's event was delivered.
  void settle(std::chrono::milliseconds quiet) {
    std::size_t seen = data_events_;
    for (int round = 0; round < 100; ++round) {
      std::this_thread::sleep_for(quiet);
      if (data_events_ == seen) return;
      seen = data_events_;
    }
  }

private:
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> data_events_{0};
  std::atomic<std::size_t> data_bytes_{0};
  std::vector<std::unique_ptr<httplib::Client>> clients_;
  std::vector<std::thread> threads_;
};

// The event page and its live counts, 10 times each after a warm-up: the first table.
bool print_page_figures(World& world, std::size_t attendees, std::size_t doors) {
  const int port = world.server->port();
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60);
  const httplib::Headers cookie{{"Cookie", world.cookie}};
  std::size_t page_bytes = 0;
  const auto timed_get = [&](const std::string& path, std::vector<double>& into) {
    const auto start = std::chrono::steady_clock::now();
    auto res = client.Get(path, cookie);
    if (!res || res->status != 200) return false;
    into.push_back(ms_since(start));
    if (path == "/console/events/E1") page_bytes = res->body.size();
    return true;
  };
  // The page right after a change (a door's push of one scan): the per-event view is computed
  // again (compute_credits over every door's scans), as after every push, correction or walk-in.
  std::string error;
  std::vector<double> cold_ms;
  std::vector<double> warm_ms;
  std::vector<double> counts_ms;
  std::vector<double> ignored;
  if (!timed_get("/console/events/E1", ignored)) {
    std::cerr << "muster-bench console: the event page failed\n";
    return false;
  }
  for (int i = 0; i < 5; ++i) {
    (void)ingest_seconds(world, 1, 1, error);
    if (!timed_get("/console/events/E1", cold_ms)) {
      std::cerr << "muster-bench console: the event page failed\n";
      return false;
    }
  }
  // Then unchanged data: every page load and counts request reuses the view.
  for (int i = 0; i < 10; ++i) {
    if (!timed_get("/console/events/E1", warm_ms) ||
        !timed_get("/console/events/E1/counts", counts_ms)) {
      std::cerr << "muster-bench console: the event page or its counts failed\n";
      return false;
    }
  }
  const Stats cold = summarize(cold_ms);
  const Stats warm = summarize(warm_ms);
  const Stats counts = summarize(counts_ms);
  std::cout << "| figure | p50 ms | max ms | size |\n|---|---:|---:|---:|\n";
  std::cout << "| event page (" << attendees << " attendees, " << doors
            << " doors), right after a push (view computed) | " << fixed(cold.p50_ms, 0) << " | "
            << fixed(cold.max_ms, 0) << " | " << page_bytes / 1024 << " KiB |\n";
  std::cout << "| event page, data unchanged (view reused) | " << fixed(warm.p50_ms, 0) << " | "
            << fixed(warm.max_ms, 0) << " | " << page_bytes / 1024 << " KiB |\n";
  std::cout << "| counts JSON, data unchanged | " << fixed(counts.p50_ms, 0) << " | "
            << fixed(counts.max_ms, 0) << " | - |\n";
  return true;
}

} // namespace

int run_console(std::size_t attendees, std::size_t doors, std::size_t live_pages,
                std::size_t ingest_scans) {
  // The server as `muster-server serve` runs it: 8 API workers; live pages hold threads of the
  // separate stream budget (sync/server/worker_pool.hpp), sized for the pages here.
  constexpr int kApiThreads = 8;
  // A closed page's stream ends at its next write (an event or a keep-alive): the budget leaves
  // room for the previous phase's pages.
  const int stream_budget = static_cast<int>(2 * live_pages + 10);
  auto world = prepare(attendees, doors, kApiThreads, stream_budget);
  if (!world->error.empty()) {
    std::cerr << "muster-bench console: " << world->error << '\n';
    return 1;
  }
  if (!print_page_figures(*world, attendees, doors)) return 1;
  std::string error;

  // Ingest alone and with the live pages open (streams carrying the counts and the timeline,
  // as the browser now reads them). Up to 4 doors push 10 batches each per run.
  (void)ingest_seconds(*world, 2, 20, error);                                // warm-up
  const std::size_t pushers = std::min<std::size_t>(4, world->doors.size()); // as ingest_seconds
  const std::size_t per_batch = std::max<std::size_t>(1, ingest_scans / (10 * pushers));
  const double total = static_cast<double>(per_batch * 10 * pushers);
  // Alternated rounds, the median of each shown: the machine may be shared.
  constexpr int kRounds = 5;
  std::vector<double> alone_runs;
  std::vector<double> live_runs;
  std::size_t streaming = live_pages;
  std::size_t data_events = 0;
  std::size_t data_bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    alone_runs.push_back(ingest_seconds(*world, 10, per_batch, error));
    LivePages pages(*world, live_pages);
    streaming = std::min(streaming, pages.opened());
    pages.settle(1500ms); // the greetings' data delivered before the clock starts
    const std::size_t events_before = pages.data_events();
    const std::size_t bytes_before = pages.data_bytes();
    live_runs.push_back(ingest_seconds(*world, 10, per_batch, error));
    pages.settle(1500ms); // the last push's event reached every page
    data_events += pages.data_events() - events_before;
    data_bytes += pages.data_bytes() - bytes_before;
  }
  if (!error.empty()) {
    std::cerr << "muster-bench console: " << error << '\n';
    return 1;
  }
  std::sort(alone_runs.begin(), alone_runs.end());
  std::sort(live_runs.begin(), live_runs.end());
  const double alone = alone_runs[kRounds / 2];
  const double with_pages = live_runs[kRounds / 2];
  std::cout << "\n| ingest of " << per_batch * 10 * pushers << " scans, " << pushers
            << " doors x 10 pushes (median of " << kRounds
            << ") | seconds | scans/s | slowdown |\n"
               "|---|---:|---:|---:|\n";
  std::cout << "| no live page open | " << fixed(alone, 2) << " | " << fixed(total / alone, 0)
            << " | - |\n";
  std::cout << "| " << streaming << " of " << live_pages
            << " live pages open, each event carrying counts and timeline | "
            << fixed(with_pages, 2) << " | " << fixed(total / with_pages, 0) << " | "
            << fixed(100.0 * (with_pages - alone) / alone, 1) << " % |\n";
  std::cout << "\nruns (s): alone";
  for (const double run : alone_runs)
    std::cout << ' ' << fixed(run, 2);
  std::cout << "; with pages";
  for (const double run : live_runs)
    std::cout << ' ' << fixed(run, 2);
  std::cout << "\nlive events with data during the " << kRounds << " ingests: " << data_events
            << " (" << data_bytes / 1024 << " KiB over all pages, "
            << fixed(live_pages > 0 ? static_cast<double>(data_events) /
                                          static_cast<double>(live_pages * kRounds)
                                    : 0.0,
                     1)
            << " per page and run)\n";
  std::cout << "server threads: " << kApiThreads << " API workers, live streams on up to "
            << stream_budget << " more (one per open page)\n";
  return streaming == live_pages ? 0 : 1;
}

} // namespace muster::bench
