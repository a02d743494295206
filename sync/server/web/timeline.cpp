#include "sync/server/web/timeline.hpp"

#include <nlohmann/json.hpp>

#include "shared/time.hpp"

namespace muster::server::web {

namespace fs = std::filesystem;

std::vector<SessionTimeline> session_timelines(const Event& event, std::span<const CreditRow> rows,
                                               std::chrono::minutes bin) {
  std::vector<SessionTimeline> out;
  const auto bin_ms = std::chrono::duration_cast<std::chrono::milliseconds>(bin);
  for (const Session& session : event.sessions) {
    SessionTimeline t;
    t.session = session;
    const auto length = session.end - session.start;
    const auto count = std::max<std::int64_t>(1, (length + bin_ms - std::chrono::milliseconds(1)) /
                                                     bin_ms); // bins, rounded up
    for (std::int64_t i = 0; i < count; ++i) {
      t.labels.push_back(format_local(session.start + i * bin_ms, event.timezone, "%H:%M"));
    }
    t.arrivals.assign(static_cast<std::size_t>(count), 0);
    t.leaves.assign(static_cast<std::size_t>(count), 0);
    const auto index = [&](Instant at) {
      const auto i = (at - session.start) / bin_ms;
      return static_cast<std::size_t>(std::clamp<std::int64_t>(i, 0, count - 1));
    };
    for (const CreditRow& row : rows) {
      if (row.session.id != session.id) continue;
      for (const Interval& stretch : row.attendance.intervals) {
        ++t.arrivals[index(stretch.from)];
        if (stretch.to < session.end) ++t.leaves[index(stretch.to)];
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string timelines_json(const Event& event, const std::vector<SessionTimeline>& timelines) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& t : timelines) {
    sessions.push_back({{"id", t.session.id},
                        {"title", t.session.title},
                        {"labels", t.labels},
                        {"arrivals", t.arrivals},
                        {"leaves", t.leaves}});
  }
  return nlohmann::json{{"event_id", event.id}, {"sessions", sessions}}.dump();
}

std::optional<fs::path> find_chart_js() {
  const fs::path file = fs::path("chart.js") / "chart.min.js";
  std::error_code error;
  fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  for (int level = 0; !error && level < 4 && !dir.empty(); ++level) {
    std::error_code missing;
    if (fs::is_regular_file(dir / "javascript" / file, missing)) return dir / "javascript" / file;
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  const fs::path installed = fs::path("/usr/share/javascript") / file;
  std::error_code missing;
  if (fs::is_regular_file(installed, missing)) return installed;
  return std::nullopt;
}

} // namespace muster::server::web
