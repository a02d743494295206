#pragma once
// Which boot of the machine a monotonic reading belongs to: the monotonic clock restarts at
// every boot, so a scan's monotonic time means something only together with its boot id.
#include <string>
#include <string_view>

namespace muster {

// The environment variable naming a file to read the boot id from instead of the kernel's.
// For tests only: it lets a test "reboot" a kiosk (a new boot id) without rebooting.
inline constexpr std::string_view kBootIdFileVariable = "MUSTER_BOOT_ID_FILE";
inline constexpr std::string_view kKernelBootIdFile = "/proc/sys/kernel/random/boot_id";
// The boot id of scans whose monotonic time is simulated (`headless --simulated-clock`): no
// clock sample ever has it, so the server never corrects such scans from real samples.
inline constexpr std::string_view kSimulatedBootId = "simulated-clock";

// The running boot's id (first line, trimmed, at most 64 bytes); "" when it cannot be read.
std::string current_boot_id();

} // namespace muster
