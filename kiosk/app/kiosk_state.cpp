// The names of the kiosk's screens, flashes and sounds, as --state-log and tests spell them.
#include "kiosk/app/kiosk_state.hpp"

namespace muster::kiosk {

std::string_view to_string(Screen screen) {
  switch (screen) {
  case Screen::attract:
    return "attract";
  case Screen::result:
    return "result";
  case Screen::confirm_leave:
    return "confirm_leave";
  case Screen::staff_pin:
    return "staff_pin";
  case Screen::staff:
    return "staff";
  case Screen::survey:
    return "survey";
  }
  return "attract";
}

std::string_view to_string(Flash flash) {
  switch (flash) {
  case Flash::none:
    return "none";
  case Flash::success:
    return "success";
  case Flash::failure:
    return "failure";
  }
  return "none";
}

std::string_view to_string(Sound sound) {
  switch (sound) {
  case Sound::none:
    return "none";
  case Sound::success:
    return "success";
  case Sound::failure:
    return "failure";
  }
  return "none";
}

} // namespace muster::kiosk
