#pragma once
// `muster-server demo`: a demo League with the roster and event of assets/demo, the event moved
// to today in its zone (live now during the day), badges, a signed package and a provisioning
// code, then what to run next.
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "shared/domain.hpp"

namespace muster::server {

inline constexpr const char* kDemoLeagueId = "DEMO";
inline constexpr const char* kDemoLeagueName = "Demo Municipal League";

// The directory holding roster.csv and event.json: `explicit_dir` when given (it must hold
// them), else assets/demo found upwards from the running executable (a build tree inside the
// source tree), then /usr/share/muster/assets/demo (installed).
std::optional<std::filesystem::path>
find_demo_assets(const std::optional<std::filesystem::path>& explicit_dir);

// Moves the event so its first session starts at the top of the current local hour in the event's
// zone (the demo is live whenever it is started); every session keeps its local wall-clock
// offset from the first one.
Event move_to_today(Event event, Instant now);

// The web console's demo account (an admin), created by run_demo; printed with the console's
// address. A demo only: a real League adds its own with `muster-server user add`.
inline constexpr const char* kDemoConsoleUser = "demo-admin";
inline constexpr const char* kDemoConsolePassword = "muster-demo-console";

struct DemoOptions {
  std::string database;
  std::optional<std::filesystem::path> league_key;
  std::filesystem::path out_dir;
  std::optional<std::filesystem::path> assets_dir;
};
// Re-running on the same database reuses its League, updates roster and event (moved to today
// again) and reprints the same badges.
int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err);

} // namespace muster::server
