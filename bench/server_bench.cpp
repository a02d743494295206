// Server figures: N simulated kiosks pushing chained scan batches to the real HttpServer on
// loopback (SQLite and PostgreSQL side by side), and the event package pull, full vs delta.
#include <httplib.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.hpp"
#include "shared/badge.hpp"
#include "shared/scan_json.hpp"
#include "shared/scan_log.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/server_store.hpp"

namespace muster::bench {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr std::size_t kBadges = 200; // attendees that scan in the ingest run
constexpr std::size_t kBatch = 1000;

Instant now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Where the CPU goes during a timed window (issue 19: is the second instance's missing gain the
// machine's limit or a serialisation?). The bench process holds the servers and the simulated
// kiosks; the kiosk threads measure their own CPU, so the servers' share is the rest of the
// process's threads. PostgreSQL's share is its postmaster and every child (backends, WAL writer,
// checkpointer). Per thread, /proc/.../schedstat gives the time on a core and the time runnable
// but waiting for one: their sum over the wall time is how many of our threads wanted a core on
// average (if that stays under the core count the work is serialised somewhere; above it, the
// machine is the limit). /proc/stat gives the machine's idle time. The machine may be shared:
// "other" is the busy time of every process that is neither the bench nor this PostgreSQL.
struct Sched {
  double run_s = 0;  // on a core
  double wait_s = 0; // runnable, waiting for a core
};

std::optional<Sched> read_schedstat(const std::string& path) {
  std::ifstream in(path);
  double run_ns = 0;
  double wait_ns = 0;
  if (!(in >> run_ns >> wait_ns)) return std::nullopt;
  return Sched{run_ns / 1e9, wait_ns / 1e9};
}

struct CpuSample {
  std::map<long, Sched> threads;  // the bench process's threads, by id
  std::map<long, Sched> postgres; // the postmaster and its children, by pid
  double busy_s = 0;              // every core, not idle
  double idle_s = 0;              // every core, idle or waiting for I/O
};

// In % of the machine (cores x wall time), and our runnable threads on average.
struct CpuSplit {
  double server = 0, postgres = 0, kiosks = 0, other = 0, idle = 0;
  double runnable = 0; // server, PostgreSQL and kiosk threads on a core or waiting for one
  bool postgres_known = false;
};

// The parent's pid of /proc/PID/stat (after the command name, which may hold spaces).
long parent_pid(const fs::path& proc_dir) {
  std::ifstream in(proc_dir / "stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string state;
  long ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

// The postmaster's pid of the PostgreSQL at `url` (its data directory's postmaster.pid), or 0
// when it cannot be read (another machine, not a superuser): the split then leaves PostgreSQL out.
long postmaster_pid(const std::string& url) {
  if (url.empty()) return 0;
  PGconn* conn = PQconnectdb(url.c_str());
  long pid = 0;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, "SELECT current_setting('data_directory')");
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
      std::ifstream file(fs::path(PQgetvalue(result, 0, 0)) / "postmaster.pid");
      if (!(file >> pid) || !fs::exists("/proc/" + std::to_string(pid))) pid = 0;
    }
    PQclear(result);
  }
  PQfinish(conn);
  return pid;
}

CpuSample sample_cpu(long postmaster) {
  CpuSample sample;
  const auto id_of = [](const fs::path& path) {
    const std::string name = path.filename().string();
    long id = 0;
    const auto parsed = std::from_chars(name.data(), name.data() + name.size(), id);
    return parsed.ec == std::errc{} && parsed.ptr == name.data() + name.size() ? id : 0L;
  };
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
    if (auto sched = read_schedstat(task.path() / "schedstat")) {
      sample.threads[id_of(task.path())] = *sched;
    }
  }
  if (postmaster > 0) {
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      const long pid = id_of(entry.path());
      if (pid == 0 || (pid != postmaster && parent_pid(entry.path()) != postmaster)) continue;
      if (auto sched = read_schedstat(entry.path() / "schedstat")) sample.postgres[pid] = *sched;
    }
  }
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu; // "cpu": the sum over every core, in ticks
  double ticks[8] = {};
  for (double& t : ticks)
    stat >> t; // user nice system idle iowait irq softirq steal
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  sample.idle_s = (ticks[3] + ticks[4]) / tick;
  sample.busy_s = (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]) / tick;
  return sample;
}

// What each thread (process) of `after` did since `before` (all of it if it started since);
// those that ended in between are not counted (the kiosks count their own).
Sched since(const std::map<long, Sched>& before, const std::map<long, Sched>& after) {
  Sched total;
  for (const auto& [id, now] : after) {
    const auto then = before.find(id);
    total.run_s += now.run_s - (then == before.end() ? 0 : then->second.run_s);
    total.wait_s += now.wait_s - (then == before.end() ? 0 : then->second.wait_s);
  }
  return total;
}

CpuSplit cpu_split(const CpuSample& before, const CpuSample& after, const Sched& kiosks,
                   double wall_s, bool postgres_known) {
  CpuSplit split;
  const double capacity = (after.busy_s - before.busy_s) + (after.idle_s - before.idle_s);
  if (capacity <= 0 || wall_s <= 0) return split;
  const auto share = [&](double seconds) { return std::max(0.0, 100.0 * seconds / capacity); };
  const Sched server = since(before.threads, after.threads);
  const Sched postgres = since(before.postgres, after.postgres);
  split.server = share(server.run_s);
  split.kiosks = share(kiosks.run_s);
  split.postgres = share(postgres.run_s);
  split.postgres_known = postgres_known;
  split.other =
      share((after.busy_s - before.busy_s) - server.run_s - kiosks.run_s - postgres.run_s);
  split.idle = share(after.idle_s - before.idle_s);
  split.runnable = (server.run_s + server.wait_s + postgres.run_s + postgres.wait_s + kiosks.run_s +
                    kiosks.wait_s) /
                   wall_s;
  return split;
}

struct Setup {
  fs::path dir;
  std::string database;
  std::vector<std::string> payloads; // kBadges signed badges
  std::vector<std::string> codes;
  std::unique_ptr<server::HttpServer> server;
  std::unique_ptr<server::HttpServer> second; // a second instance on the same database
  server::HttpOptions options;
  std::string error;
  ~Setup() {
    if (second) second->stop();
    if (server) server->stop();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::unique_ptr<Setup> prepare(const std::string& pg_url, std::size_t roster_size,
                               std::size_t kiosks) {
  auto setup = std::make_unique<Setup>();
  setup->dir = fs::temp_directory_path() /
               ("muster-bench-server-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(setup->dir);
  setup->database = pg_url.empty() ? (setup->dir / "server.db").string()
                                   : fresh_pg_database(pg_url, "muster_bench_", setup->error);
  if (!setup->error.empty()) return setup;
  auto opened = server::open_server_store(setup->database);
  if (!opened) {
    setup->error = opened.message();
    return setup;
  }
  auto& store = **opened;
  auto key = SigningKey::generate("BK1");
  (void)store.initialise({"BENCH", "Bench League"});
  (void)store.add_league_key({"BK1", to_text(key->public_key()), now_ms(), true});
  {
    std::ofstream(setup->dir / "league.key") << key->to_secret_text() << "\n";
    fs::permissions(setup->dir / "league.key", fs::perms::owner_read | fs::perms::owner_write);
  }
  std::vector<Attendee> roster;
  for (std::size_t i = 0; i < std::max(roster_size, kBadges); ++i) {
    const std::string id = "BA-" + std::to_string(i);
    roster.push_back({id, "First" + std::to_string(i), "Last" + std::to_string(i),
                      Role::councilmember, "Town " + std::to_string(i % 300), id + "@example.org"});
  }
  if (auto up = store.upsert_roster(roster); !up) {
    setup->error = up.message();
    return setup;
  }
  Event event;
  event.id = "E1";
  event.name = "Bench Conference";
  event.timezone = "America/Chicago";
  event.location = "Springfield";
  Session session;
  session.id = "S1";
  session.title = "Session 1";
  session.room = "Room 1";
  session.start = now_ms() - 2h;
  session.end = now_ms() + 2h;
  session.credit_hours = 1.0;
  session.course_code = "C-1";
  event.sessions = {session};
  if (auto up = store.upsert_event(event); !up) {
    setup->error = up.message();
    return setup;
  }
  for (std::size_t i = 0; i < kBadges; ++i) {
    const std::string id = "BA-" + std::to_string(i);
    auto payload = sign_badge({"BENCH", id, "SER-" + id}, *key);
    (void)store.add_badge({"SER-" + id, id, "E1", "BK1", *payload, now_ms(), std::nullopt});
    setup->payloads.push_back(*payload);
  }
  for (std::size_t k = 0; k < kiosks; ++k) {
    setup->codes.push_back("BENCH-CODE-" + std::to_string(k));
    (void)store.add_provisioning_code(server::hash_secret(setup->codes.back()), "E1",
                                      "Door " + std::to_string(k), now_ms() + 1h);
  }
  server::HttpOptions options;
  options.database = setup->database;
  options.port = 0;
  options.league_key_file = setup->dir / "league.key";
  options.log_requests = false;
  options.provision_attempts_per_window = 100000;
  auto started = server::HttpServer::start(options);
  if (!started) {
    setup->error = started.message();
    return setup;
  }
  setup->server = std::move(*started);
  setup->options = options;
  return setup;
}

struct Device {
  std::string id;
  std::string token;
};

Device provision(int port, const std::string& code) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Post("/api/v1/devices", json{{"code", code}}.dump(), "application/json");
  if (!res || res->status != 201) return {};
  const auto body = json::parse(res->body, nullptr, false);
  return {body.value("device_id", ""), body.value("token", "")};
}

// Many concurrent /healthz requests per instance (each borrows a store from the pool for its
// answer): afterwards each pool holds about one connection per worker thread.
void warm_pools(const std::vector<int>& ports, int threads) {
  std::vector<std::thread> warmers;
  for (const int port : ports) {
    for (int t = 0; t < 2 * threads; ++t) {
      warmers.emplace_back([port] {
        httplib::Client client("127.0.0.1", port);
        for (int round = 0; round < 3; ++round)
          (void)client.Get("/healthz");
      });
    }
  }
  for (auto& warmer : warmers)
    warmer.join();
}

struct IngestFigures {
  double seconds = 0;
  std::size_t acked = 0;
  CpuSplit cpu;
  std::string error;
};

// Kiosk k's chain of `per_kiosk` scans, sealed and serialised in batches of kBatch.
std::vector<std::string> kiosk_bodies(const std::string& device_id, std::size_t k,
                                      std::size_t per_kiosk,
                                      const std::vector<std::string>& payloads) {
  const Instant base = now_ms() - 90min;
  std::vector<std::string> bodies;
  std::vector<Scan> chain;
  Digest previous = kZeroDigest;
  for (std::size_t i = 1; i <= per_kiosk; ++i) {
    Scan s;
    s.device_id = device_id;
    s.sequence = i;
    const std::size_t badge = (k * 7 + i) % kBadges;
    s.attendee_id = "BA-" + std::to_string(badge);
    s.badge_serial = "SER-" + s.attendee_id;
    s.badge_payload = payloads[badge];
    s.session_id = "S1";
    s.kind = (i / kBadges) % 2 == 0 ? ScanKind::arrive : ScanKind::leave;
    s.wall_time = base + std::chrono::milliseconds(i * 50);
    s.monotonic_ms = static_cast<std::int64_t>(i) * 50;
    seal(s, previous);
    previous = s.hash;
    chain.push_back(std::move(s));
    if (chain.size() == kBatch || i == per_kiosk) {
      bodies.push_back(scan_batch_to_json(chain));
      chain.clear();
    }
  }
  return bodies;
}

// `instances` 2: a second HttpServer on the same database, and the kiosks alternate between the
// two (a League behind a load balancer).
IngestFigures ingest(const std::string& pg_url, std::size_t kiosks, std::size_t scans,
                     int instances) {
  IngestFigures figures;
  auto setup = prepare(pg_url, kBadges, kiosks);
  if (!setup->error.empty()) {
    figures.error = setup->error;
    return figures;
  }
  const int port = setup->server->port();
  std::vector<int> ports{port};
  if (instances == 2) {
    auto second = server::HttpServer::start(setup->options);
    if (!second) {
      figures.error = second.message();
      return figures;
    }
    setup->second = std::move(*second);
    ports.push_back(setup->second->port());
  }
  const std::size_t per_kiosk = scans / kiosks;
  // Each kiosk's chain, sealed and serialised before the clock starts (that is kiosk work).
  std::vector<Device> devices(kiosks);
  std::vector<std::vector<std::string>> bodies(kiosks);
  for (std::size_t k = 0; k < kiosks; ++k) {
    devices[k] = provision(port, setup->codes[k]);
    if (devices[k].id.empty()) {
      figures.error = "provisioning failed";
      return figures;
    }
    bodies[k] = kiosk_bodies(devices[k].id, k, per_kiosk, setup->payloads);
  }
  // A server runs for hours: its store pool holds a database connection per worker thread
  // (opening one costs a PostgreSQL backend's start). Warm every instance's pool before the
  // clock, or the window would time up to `threads` connection starts per instance (twice as
  // many with two instances), which dominated the 1x figures.
  warm_pools(ports, setup->options.threads);
  std::atomic<std::size_t> acked{0};
  std::atomic<bool> failed{false};
  std::mutex first_failure_mutex;
  std::string first_failure; // what the server answered, for the table
  std::mutex kiosks_cpu_mutex;
  Sched kiosks_cpu; // the kiosk threads' own, read as each ends
  const long postmaster = postmaster_pid(pg_url);
  const CpuSample cpu_before = sample_cpu(postmaster);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < kiosks; ++k) {
    threads.emplace_back([&, k] {
      struct CountCpu { // the kiosk's own CPU, whichever way the thread ends
        std::mutex& mutex;
        Sched& total;
        ~CountCpu() {
          const auto own = read_schedstat("/proc/thread-self/schedstat").value_or(Sched{});
          const std::lock_guard lock(mutex);
          total.run_s += own.run_s;
          total.wait_s += own.wait_s;
        }
      } count_cpu{kiosks_cpu_mutex, kiosks_cpu};
      httplib::Client client("127.0.0.1", ports[k % ports.size()]);
      client.set_read_timeout(120);
      const httplib::Headers auth{{"Authorization", "Bearer " + devices[k].token}};
      std::size_t done = 0;
      for (const auto& body : bodies[k]) {
        auto res = client.Post("/api/v1/devices/" + devices[k].id + "/scans", auth, body,
                               "application/json");
        if (!res || res->status != 200) {
          const std::lock_guard lock(first_failure_mutex);
          if (!failed.exchange(true)) {
            first_failure = res ? std::to_string(res->status) + " " + res->body.substr(0, 200)
                                : "no answer (" + httplib::to_string(res.error()) + ")";
          }
          return;
        }
        done = json::parse(res->body).at("acked_through").get<std::size_t>();
      }
      acked += done;
    });
  }
  for (auto& thread : threads)
    thread.join();
  figures.seconds = ms_since(start) / 1000.0;
  figures.cpu =
      cpu_split(cpu_before, sample_cpu(postmaster), kiosks_cpu, figures.seconds, postmaster > 0);
  figures.acked = acked;
  if (failed) figures.error = "a push failed: " + first_failure;
  return figures;
}

} // namespace

// Each row is run `repeat` times, the backends interleaved (so that a busy spell of a shared
// machine hits them alike); the row shown is the run of median throughput, with its CPU split.
int run_ingest(std::size_t kiosks, std::size_t scans, const std::string& pg_url,
               std::string_view only, int repeat) {
  struct Row {
    std::string backend;
    std::vector<IngestFigures> runs;
  };
  std::vector<Row> rows;
  for (const auto& [backend, name] :
       {std::pair{std::string("SQLite"), "sqlite"},
        std::pair{std::string("PostgreSQL"), "postgresql"},
        std::pair{std::string("PostgreSQL, 2 instances"), "postgresql-2"}}) {
    if (only != "all" && only != name) continue;
    if (backend != "SQLite" && pg_url.empty()) continue;
    rows.push_back({backend, {}});
  }
  for (int run = 0; run < std::max(repeat, 1); ++run) {
    for (auto& row : rows) {
      const int instances = row.backend.ends_with("2 instances") ? 2 : 1;
      row.runs.push_back(ingest(row.backend == "SQLite" ? "" : pg_url, kiosks, scans, instances));
    }
  }
  int status = 0;
  for (auto& [backend, runs] : rows) {
    const auto failed = std::find_if(runs.begin(), runs.end(),
                                     [](const IngestFigures& f) { return !f.error.empty(); });
    if (failed != runs.end()) {
      std::cout << "| " << backend << " | " << kiosks << " | " << scans
                << " | failed: " << failed->error << " | | | | | | | | |\n";
      status = 1;
      continue;
    }
    const auto rate = [](const IngestFigures& f) {
      return static_cast<double>(f.acked) / f.seconds;
    };
    std::sort(runs.begin(), runs.end(),
              [&](const IngestFigures& a, const IngestFigures& b) { return rate(a) < rate(b); });
    const IngestFigures& figures = runs[runs.size() / 2];
    std::cout << "| " << backend << " | " << kiosks << " | " << figures.acked << " | "
              << fixed(figures.seconds, 2) << " | " << fixed(rate(figures), 0) << " | "
              << fixed(figures.cpu.server, 0) << " | "
              << (figures.cpu.postgres_known || backend == "SQLite" ? fixed(figures.cpu.postgres, 0)
                                                                    : std::string("?"))
              << " | " << fixed(figures.cpu.kiosks, 0) << " | " << fixed(figures.cpu.other, 0)
              << " | " << fixed(figures.cpu.idle, 0) << " | " << fixed(figures.cpu.runnable, 1)
              << " |\n";
  }
  return status;
}

int run_package(std::size_t roster_size, const std::string& pg_url) {
  int status = 0;
  for (const std::string& backend : {std::string("SQLite"), std::string("PostgreSQL")}) {
    if (backend == "PostgreSQL" && pg_url.empty()) continue;
    auto setup = prepare(backend == "SQLite" ? "" : pg_url, roster_size, 1);
    if (!setup->error.empty()) {
      std::cout << "| " << backend << " | " << roster_size << " | failed: " << setup->error
                << " |\n";
      status = 1;
      continue;
    }
    const int port = setup->server->port();
    const auto device = provision(port, setup->codes[0]);
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(120);
    const httplib::Headers auth{{"Authorization", "Bearer " + device.token}};
    auto start = std::chrono::steady_clock::now();
    auto full = client.Get("/api/v1/events/E1/package", auth);
    const double full_ms = ms_since(start);
    if (!full || full->status != 200) {
      std::cout << "| " << backend << " | " << roster_size << " | full pull failed |\n";
      status = 1;
      continue;
    }
    const std::string cursor = full->get_header_value("X-Muster-Cursor");
    {
      auto store = server::open_server_store(setup->database);
      const std::vector<Attendee> changed{
          {"BA-1", "Renamed", "Last1", Role::councilmember, "Town 1", "BA-1@example.org"}};
      (void)(*store)->upsert_roster(changed);
    }
    start = std::chrono::steady_clock::now();
    auto delta = client.Get("/api/v1/events/E1/package?since=" + cursor, auth);
    const double delta_ms = ms_since(start);
    if (!delta || delta->status != 200) {
      std::cout << "| " << backend << " | " << roster_size << " | delta pull failed |\n";
      status = 1;
      continue;
    }
    std::cout << "| " << backend << " | " << roster_size << " | " << full->body.size() << " | "
              << fixed(full_ms, 1) << " | " << delta->body.size() << " | " << fixed(delta_ms, 1)
              << " |\n";
  }
  return status;
}

std::string fresh_pg_database(const std::string& url, std::string_view prefix, std::string& error) {
  static int counter = 0;
  const std::string name =
      std::string(prefix) + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
    PQfinish(conn);
    return {};
  }
  PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

} // namespace muster::bench
