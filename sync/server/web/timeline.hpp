#pragma once
// The event page's timeline: per session, how many arrived and how many left in each time bin,
// from compute_credits' attended intervals (the presence rule over every door's scans).
#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sync/server/admin_commands.hpp"

namespace muster::server::web {

struct SessionTimeline {
  Session session;
  std::vector<std::string> labels; // each bin's start, local "HH:MM"
  std::vector<int> arrivals;       // attended stretches that began in the bin
  std::vector<int> leaves;         // stretches that ended in the bin before the session's end
};

inline constexpr std::chrono::minutes kTimelineBin{5};

// One entry per session, in the event's order; the bins cover the session from its start to its
// end (an arrival in the lead time counts in the first bin, as the rule clips it there).
std::vector<SessionTimeline> session_timelines(const Event& event, std::span<const CreditRow> rows,
                                               std::chrono::minutes bin = kTimelineBin);

// {"event_id":..,"sessions":[{"id","title","labels":[..],"arrivals":[..],"leaves":[..]}]}
std::string timelines_json(const Event& event, const std::vector<SessionTimeline>& timelines);

// Where Debian's libjs-chart.js is: `javascript/` found upwards from the running executable (a
// build tree, where CMake copies it), else /usr/share/javascript (the package's place).
// nullopt when neither holds chart.js/chart.min.js: the page then shows no chart.
std::optional<std::filesystem::path> find_chart_js();

} // namespace muster::server::web
