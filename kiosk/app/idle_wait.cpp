#include "kiosk/app/idle_wait.hpp"

#include <algorithm>

namespace muster::kiosk {

double idle_wait_seconds(Instant wall, std::chrono::milliseconds now,
                         std::optional<std::chrono::milliseconds> deadline,
                         std::optional<std::chrono::milliseconds> script_due) {
  const auto into_minute = wall.time_since_epoch() % std::chrono::minutes{1};
  double wait = std::min(
      kMaxIdleWaitSeconds,
      static_cast<double>((std::chrono::minutes{1} - into_minute).count()) / 1000.0 + 0.05);
  if (deadline) {
    wait = std::min(wait, std::max(0.02, static_cast<double>((*deadline - now).count()) / 1000.0));
  }
  if (script_due) {
    wait = std::min(wait, std::max(0.0, static_cast<double>((*script_due - now).count()) / 1000.0));
  }
  return wait;
}

} // namespace muster::kiosk
