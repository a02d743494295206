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

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err) {
  const auto assets = find_demo_assets(options.assets_dir);
  if (!assets) {
    err << "error: cannot find the demo roster.csv and event.json"
        << (options.assets_dir ? " in " + options.assets_dir->string() : std::string())
        << "; pass --assets DIR (the repository's assets/demo)\n";
    return 1;
  }
  auto roster = read_roster_csv(*assets / "roster.csv");
  if (!roster) {
    err << "error: " << roster.message() << '\n';
    return 1;
  }
  auto event_file = read_event_json(*assets / "event.json");
  if (!event_file) {
    err << "error: " << event_file.message() << '\n';
    return 1;
  }
  const Instant now = now_instant();
  Event event = move_to_today(std::move(*event_file), now);
  // The demo asks the kiosk demo's two survey questions after a leave (kiosk/app/demo.cpp),
  // unless the assets' event.json brings its own.
  if (event.survey.empty()) {
    event.survey = {{"useful", "Was this session useful for your work?", {"Yes", "Somewhat", "No"}},
                    {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
  }

  // A fresh database gets a demo League; an existing one is reused.
  bool initialised = false;
  {
    auto probe = open_server_store(options.database);
    if (!probe) {
      err << "error: " << probe.message() << '\n';
      return 1;
    }
    initialised = (*probe)->league().ok();
  }
  if (!initialised) {
    const InitOptions init{options.database, options.league_key, kDemoLeagueId, kDemoLeagueName};
    if (const int code = run_init(init, out, err); code != 0) return code;
  }
  auto store = open_existing_store(options.database);
  if (!store) {
    err << "error: " << store.message() << '\n';
    return 1;
  }
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) {
    err << "error: " << key.message() << '\n';
    return 1;
  }
  if (auto stats = (*store)->upsert_roster(*roster); !stats) {
    err << "error: " << stats.message() << '\n';
    return 1;
  }
  if (auto stats = (*store)->upsert_event(event); !stats) {
    err << "error: " << stats.message() << '\n';
    return 1;
  }
  auto badges = issue_badges(**store, *key, event.id, now);
  if (!badges) {
    err << "error: " << badges.message() << '\n';
    return 1;
  }
  if (auto written = write_badge_files(*badges, event, options.out_dir); !written) {
    err << "error: " << written.message() << '\n';
    return 1;
  }
  auto package = build_event_package(**store, event.id, 0, now);
  if (!package) {
    err << "error: " << package.message() << '\n';
    return 1;
  }
  const fs::path package_file = options.out_dir / "event-package.json";
  if (auto written = write_file_atomically(package_file, sign_package(*package, *key)); !written) {
    err << "error: " << written.message() << '\n';
    return 1;
  }
  const std::string code = new_provisioning_code();
  if (auto added = (*store)->add_provisioning_code(hash_secret(code), event.id, "Demo kiosk",
                                                   now + kDefaultProvisioningValidity);
      !added) {
    err << "error: " << added.message() << '\n';
    return 1;
  }

  // The web console's demo account (docs/console.md); kept when the demo runs again.
  if (std::string problem; !ensure_console_user(options.database, kDemoConsoleUser, "admin",
                                                kDemoConsolePassword, problem)) {
    err << "error: the demo console account: " << problem << '\n';
    return 1;
  }

  const Session& first = event.sessions.front();
  const Session& last = event.sessions.back();
  const std::string db = options.database;
  const std::string dir = options.out_dir.string();
  out << "Demo ready: League " << (*store)->league()->id << ", " << roster->size()
      << " attendees, event " << event.id << " (" << event.name << ") today, "
      << format_local(first.start, event.timezone) << " to "
      << format_local(last.end, event.timezone, "%H:%M %Z") << ", " << event.sessions.size()
      << " sessions.\n"
      << "Badges: " << dir << "/*.png, " << dir << "/badges.pdf, " << dir << "/badges.tsv\n"
      << "Signed event package: " << package_file.string() << "\n\n"
      << "Next:\n"
      << "  1. Start the server:\n"
      << "       muster-server serve --db " << db << " --listen 127.0.0.1:8080\n"
      << "  2. Start a kiosk and connect it (one-time code, valid 7 days):\n"
      << "       muster-kiosk --data kiosk-data provision http://127.0.0.1:8080 " << code << "\n"
      << "       muster-kiosk --data kiosk-data --windowed\n"
      << "     or load the event offline instead:\n"
      << "       muster-kiosk --data kiosk-data import-package " << package_file.string() << "\n"
      << "  3. Scan a badge image from " << dir << " (or type a payload from badges.tsv).\n"
      << "  4. See the credits:\n"
      << "       muster-server credits --db " << db << " --event " << event.id << "\n"
      << "  5. Watch the event live in the web console:\n"
      << "       http://127.0.0.1:8080/console/  (user " << kDemoConsoleUser << ", password "
      << kDemoConsolePassword << ")\n";
  return 0;
}

} // namespace muster::server
