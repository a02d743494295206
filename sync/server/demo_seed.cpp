#include "sync/server/demo_seed.hpp"

#include <date/tz.h>

#include <chrono>
#include <system_error>

#include "shared/import.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/web/user_commands.hpp"

namespace muster::server {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxParentLevels = 8;

bool holds_demo_files(const fs::path& dir) {
  std::error_code ignored;
  return fs::is_regular_file(dir / "roster.csv", ignored) &&
         fs::is_regular_file(dir / "event.json", ignored);
}

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

} // namespace

std::optional<fs::path> find_demo_assets(const std::optional<fs::path>& explicit_dir) {
  if (explicit_dir) {
    if (holds_demo_files(*explicit_dir)) return *explicit_dir;
    if (holds_demo_files(*explicit_dir / "demo")) return *explicit_dir / "demo";
    return std::nullopt;
  }
  std::error_code error;
  fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  for (int level = 0; !error && level < kMaxParentLevels && !dir.empty(); ++level) {
    if (holds_demo_files(dir / "assets" / "demo")) return dir / "assets" / "demo";
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  const fs::path installed = "/usr/share/muster/assets/demo";
  if (holds_demo_files(installed)) return installed;
  return std::nullopt;
}

Event move_to_today(Event event, Instant now) {
  if (event.sessions.empty()) return event;
  const date::time_zone* zone = date::locate_zone(event.timezone);
  Instant first = event.sessions.front().start;
  for (const Session& session : event.sessions)
    first = std::min(first, session.start);
  // The first session starts at the top of the current local hour, so the demo is live whenever
  // it is started; the others keep their local times relative to it.
  const auto first_local = date::floor<std::chrono::minutes>(zone->to_local(first));
  const auto this_hour = date::floor<std::chrono::hours>(zone->to_local(now));
  const auto shift = this_hour - first_local;
  for (Session& session : event.sessions) {
    const auto length = session.end - session.start;
    session.start = zone->to_sys(zone->to_local(session.start) + shift, date::choose::earliest);
    session.end = session.start + length;
  }
  return event;
}

namespace {

template <class R> int report(const R& result, std::ostream& err) {
  err << "error: " << result.message() << '\n';
  return 1;
}

struct DemoInputs {
  std::vector<Attendee> roster;
  Event event;
};

// The demo assets' roster and event, moved to today; nullopt after saying why on `err`.
std::optional<DemoInputs> read_demo_inputs(const DemoOptions& options, Instant now,
                                           std::ostream& err) {
  const auto assets = find_demo_assets(options.assets_dir);
  if (!assets) {
    err << "error: cannot find the demo roster.csv and event.json"
        << (options.assets_dir ? " in " + options.assets_dir->string() : std::string())
        << "; pass --assets DIR (the repository's assets/demo)\n";
    return std::nullopt;
  }
  auto roster = read_roster_csv(*assets / "roster.csv");
  if (!roster) {
    report(roster, err);
    return std::nullopt;
  }
  auto event_file = read_event_json(*assets / "event.json");
  if (!event_file) {
    report(event_file, err);
    return std::nullopt;
  }
  DemoInputs inputs{std::move(*roster), move_to_today(std::move(*event_file), now)};
  // The demo asks the kiosk demo's two survey questions after a leave (kiosk/app/demo.cpp),
  // unless the assets' event.json brings its own.
  if (inputs.event.survey.empty()) {
    inputs.event.survey = {
        {"useful", "Was this session useful for your work?", {"Yes", "Somewhat", "No"}},
        {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
  }
  return inputs;
}

// A fresh database gets a demo League; an existing one is reused. Returns the exit code.
int ensure_demo_league(const DemoOptions& options, std::ostream& out, std::ostream& err) {
  bool initialised = false;
  {
    auto probe = open_server_store(options.database);
    if (!probe) return report(probe, err);
    initialised = (*probe)->league().ok();
  }
  if (initialised) return 0;
  const InitOptions init{options.database, options.league_key, kDemoLeagueId, kDemoLeagueName};
  return run_init(init, out, err);
}

struct DemoOutputs {
  fs::path package_file;
  std::string code; // the demo kiosk's provisioning code
};

// Stores the roster and event, writes the badges and the signed package, and makes a
// provisioning code and the console's demo account. Returns the exit code.
int seed_demo(ServerStore& store, const SigningKey& key, const DemoOptions& options,
              const DemoInputs& inputs, Instant now, DemoOutputs& outputs, std::ostream& err) {
  const Event& event = inputs.event;
  if (auto stats = store.upsert_roster(inputs.roster); !stats) return report(stats, err);
  if (auto stats = store.upsert_event(event); !stats) return report(stats, err);
  auto badges = issue_badges(store, key, event.id, now);
  if (!badges) return report(badges, err);
  if (auto written = write_badge_files(*badges, event, options.out_dir); !written) {
    return report(written, err);
  }
  auto package = build_event_package(store, event.id, 0, now);
  if (!package) return report(package, err);
  outputs.package_file = options.out_dir / "event-package.json";
  if (auto written = write_file_atomically(outputs.package_file, sign_package(*package, key));
      !written) {
    return report(written, err);
  }
  outputs.code = new_provisioning_code();
  if (auto added = store.add_provisioning_code(hash_secret(outputs.code), event.id, "Demo kiosk",
                                               now + kDefaultProvisioningValidity);
      !added) {
    return report(added, err);
  }
  // The web console's demo account (docs/console.md); kept when the demo runs again.
  if (std::string problem; !ensure_console_user(options.database, kDemoConsoleUser, "admin",
                                                kDemoConsolePassword, problem)) {
    err << "error: the demo console account: " << problem << '\n';
    return 1;
  }
  return 0;
}

void print_next_steps(std::ostream& out, const std::string& league_id, const DemoOptions& options,
                      const DemoInputs& inputs, const DemoOutputs& outputs) {
  const Event& event = inputs.event;
  const Session& first = event.sessions.front();
  const Session& last = event.sessions.back();
  const std::string db = options.database;
  const std::string dir = options.out_dir.string();
  const std::string package_file = outputs.package_file.string();
  out << "Demo ready: League " << league_id << ", " << inputs.roster.size() << " attendees, event "
      << event.id << " (" << event.name << ") today, " << format_local(first.start, event.timezone)
      << " to " << format_local(last.end, event.timezone, "%H:%M %Z") << ", "
      << event.sessions.size() << " sessions.\n"
      << "Badges: " << dir << "/*.png, " << dir << "/badges.pdf, " << dir << "/badges.tsv\n"
      << "Signed event package: " << package_file << "\n\n"
      << "Next:\n"
      << "  1. Start the server:\n"
      << "       muster-server serve --db " << db << " --listen 127.0.0.1:8080\n"
      << "  2. Start a kiosk and connect it (one-time code, valid 7 days):\n"
      << "       muster-kiosk --data kiosk-data provision http://127.0.0.1:8080 " << outputs.code
      << "\n"
      << "       muster-kiosk --data kiosk-data --windowed\n"
      << "     or load the event offline instead:\n"
      << "       muster-kiosk --data kiosk-data import-package " << package_file << "\n"
      << "  3. Scan a badge image from " << dir << " (or type a payload from badges.tsv).\n"
      << "  4. See the credits:\n"
      << "       muster-server credits --db " << db << " --event " << event.id << "\n"
      << "  5. Watch the event live in the web console:\n"
      << "       http://127.0.0.1:8080/console/  (user " << kDemoConsoleUser << ", password "
      << kDemoConsolePassword << ")\n";
}

} // namespace

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err) {
  const Instant now = now_instant();
  const auto inputs = read_demo_inputs(options, now, err);
  if (!inputs) return 1;
  if (const int code = ensure_demo_league(options, out, err); code != 0) return code;
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  DemoOutputs outputs;
  if (const int code = seed_demo(**store, *key, options, *inputs, now, outputs, err); code != 0) {
    return code;
  }
  print_next_steps(out, (*store)->league()->id, options, *inputs, outputs);
  return 0;
}

} // namespace muster::server
