#pragma once
// How long the kiosk window may sleep when nothing happens (design: one loop that waits for
// events while idle). Kept apart from the window so a test can check it without a display.
#include <chrono>
#include <optional>

#include "shared/domain.hpp"

namespace muster::kiosk {

// The longest idle sleep: the window redraws at least this often.
inline constexpr double kMaxIdleWaitSeconds = 5.0;

// Seconds to wait for an event (glfwWaitEventsTimeout takes seconds): until the wall clock's
// minute turns (the screen shows minutes; 50 ms late), but at most kMaxIdleWaitSeconds; sooner
// when the app has a deadline (at least 20 ms ahead) or a scripted event is due (`now`,
// `deadline` and `script_due` on the monotonic clock).
double idle_wait_seconds(Instant wall, std::chrono::milliseconds now,
                         std::optional<std::chrono::milliseconds> deadline,
                         std::optional<std::chrono::milliseconds> script_due);

} // namespace muster::kiosk
