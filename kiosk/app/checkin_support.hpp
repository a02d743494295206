#pragma once
// What the parts of Checkin (checkin.cpp, checkin_scan.cpp, checkin_corrections.cpp) share.
// Internal to Checkin; the public interface is checkin.hpp.
#include <string>
#include <string_view>

#include "kiosk/app/checkin.hpp"

namespace muster::kiosk::checkin_support {

// Whitespace off both ends.
std::string_view trim(std::string_view text);
// The outcome's result, reason code, reason words and sentence for the screen.
void set_reason(CheckinOutcome& outcome, CheckinResult result, CheckinReason reason,
                std::string detail);

} // namespace muster::kiosk::checkin_support
