#pragma once
// Names of the settings and cursors in a kiosk's store (kiosk_store.hpp) that both the kiosk
// (kiosk/app) and its sync client (sync/client) read or write: one spelling, so the two cannot
// drift apart. Names only one side uses stay beside that side's code.
#include <string_view>

namespace muster {

// The id new scans are recorded under (switched when a restored kiosk continues on a branch).
inline constexpr std::string_view kSettingDeviceId = "device_id";
// Server time minus device time, measured by each sync; new scans carry it.
inline constexpr std::string_view kSettingClockOffsetMs = "clock_offset_ms";
// The last sync pass: its time (ISO 8601 UTC) when it succeeded, else its error in words ("" after
// a success); staff mode shows both.
inline constexpr std::string_view kSettingSyncLastSuccess = "sync.last_success";
inline constexpr std::string_view kSettingSyncLastError = "sync.last_error";
// Words for staff once this kiosk was found restored from a backup (or cloned) and continued on
// a branch of its identity.
inline constexpr std::string_view kSettingSyncBranchNote = "sync.branch_note";
// The cursor of the last event package imported (from a file or by sync).
inline constexpr std::string_view kPackageCursor = "event_package";

} // namespace muster
