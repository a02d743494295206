#pragma once
// The window mode of muster-kiosk, wired up: Checkin in UI mode (a second scan asks "Leaving
// early?"), the staff PIN (the demo PIN in demo mode), the KioskApp and its window.
#include <filesystem>
#include <string>

#include "kiosk/ui/kiosk_window.hpp"
#include "shared/kiosk_store.hpp"

namespace muster::kiosk::ui {

int run_kiosk_window(KioskStore& store, const std::filesystem::path& data_dir, bool demo,
                     const std::string& room, WindowOptions options);

} // namespace muster::kiosk::ui
