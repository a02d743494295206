#pragma once
// Staff mode behind the PIN pad, without the window: the door's list ("today at this door"),
// roster search, manual arrivals and leaves, walk-ins, the desk's check-in and reprints, the
// door's session and room, the CSV export, and the sync status staff read. KioskApp owns one
// and hands it the staff intents while the staff screen shows; each action's result goes to
// KioskState::staff_message (staff_message_error when it failed).
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/kiosk_state.hpp"
#include "shared/domain.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

class StaffMode {
public:
  // All four must outlive the StaffMode (KioskApp owns them or their owner does).
  StaffMode(KioskStore& store, Checkin& checkin, const KioskAppOptions& options, KioskState& state);
  StaffMode(const StaffMode&) = delete;
  StaffMode& operator=(const StaffMode&) = delete;

  void handle(const StaffSearch& intent);
  void handle(const StaffPickSession& intent);
  void handle(const StaffManual& intent, std::chrono::milliseconds now);
  void handle(const StaffExport& intent);
  void handle(const StaffWalkIn& intent, std::chrono::milliseconds now);
  void handle(const StaffSetRoom& intent);
  void handle(const StaffDeskCheckIn& intent, std::chrono::milliseconds now);
  void handle(const StaffDeskReprint& intent, std::chrono::milliseconds now);

  // The door's session, its rows and the sync status, read again (entering staff mode, after
  // each action that records).
  void refresh();
  // The result of the last staff action, for the staff screen.
  void note(std::string message, bool error);

  [[nodiscard]] std::vector<Session> door_sessions() const;
  [[nodiscard]] std::vector<std::string> rooms() const;
  [[nodiscard]] std::vector<DoorRow> session_rows(const Session& session) const;
  Result<std::filesystem::path, StoreError> export_csv(const std::filesystem::path& folder) const;

private:
  void changed() { ++state_->revision; }

  KioskStore* store_;
  Checkin* checkin_;
  const KioskAppOptions* options_;
  KioskState* state_;
};

} // namespace muster::kiosk
