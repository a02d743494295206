#include "kiosk/ui/run_kiosk.hpp"

#include <iostream>
#include <optional>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/desk.hpp"
#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/staff_pin.hpp"

namespace muster::kiosk::ui {

int run_kiosk_window(KioskStore& store, const std::filesystem::path& data_dir, bool demo,
                     const std::string& room, WindowOptions options) {
  StaffPin pin(store);
  if (demo) {
    if (auto set = pin.ensure_demo(); !set) {
      std::cerr << "muster-kiosk: " << set.message() << '\n';
      return 1;
    }
  }
  CheckinOptions checkin_options;
  checkin_options.room = room;
  checkin_options.confirm_leaves = true;
  auto checkin = Checkin::open(store, checkin_options);
  if (!checkin) {
    std::cerr << "muster-kiosk: " << checkin.message() << '\n';
    return 1;
  }
  if (options.export_folder.empty()) {
    // A USB stick is usually chosen in staff mode; this is only the starting suggestion.
    options.export_folder = data_dir / "exports";
    std::error_code ec;
    std::filesystem::create_directories(options.export_folder, ec);
  }
  KioskAppOptions app_options;
  app_options.demo = demo;
  // --desk: the registration desk (print folder and printer from settings, default DATA/reprints).
  std::optional<Desk> desk;
  if (options.desk) {
    auto opened = Desk::open(store);
    if (!opened) {
      std::cerr << "muster-kiosk --desk: " << opened.message() << '\n';
      return 1;
    }
    desk.emplace(std::move(*opened));
    app_options.desk = &*desk;
  }
  KioskApp app(store, *checkin, pin, app_options);
  return run_window(app, options);
}

} // namespace muster::kiosk::ui
