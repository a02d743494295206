#include "shared/domain.hpp"

#include <algorithm>

#include "shared/clock_correction.hpp"

#include <array>
#include <utility>

namespace muster {
namespace {

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                               std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<Role, std::string_view>, kRoleCount> kRoleNames{{
    {Role::mayor, "mayor"},
    {Role::councilmember, "councilmember"},
    {Role::clerk, "clerk"},
    {Role::staff, "staff"},
    {Role::guest, "guest"},
    {Role::manager, "manager"},
}};

constexpr std::array<std::pair<ScanKind, std::string_view>, 7> kScanKindNames{{
    {ScanKind::arrive, "arrive"},
    {ScanKind::leave, "leave"},
    {ScanKind::correction, "correction"},
    {ScanKind::checkin, "checkin"},
    {ScanKind::survey, "survey"},
    {ScanKind::registration, "registration"},
    {ScanKind::reprint, "reprint"},
}};

constexpr std::array<std::pair<Correction, std::string_view>, 4> kCorrectionNames{{
    {Correction::none, "none"},
    {Correction::arrive, "arrive"},
    {Correction::leave, "leave"},
    {Correction::void_scan, "void"},
}};

} // namespace

std::string full_name(const Attendee& attendee) {
  if (attendee.first_name.empty() && attendee.last_name.empty()) return attendee.id;
  if (attendee.first_name.empty()) return attendee.last_name;
  if (attendee.last_name.empty()) return attendee.first_name;
  return attendee.first_name + " " + attendee.last_name;
}

std::optional<Role> parse_role(std::string_view text) { return parse_name(kRoleNames, text); }
std::string_view to_string(Role role) { return name_of(kRoleNames, role); }
std::vector<Role> all_roles() {
  std::vector<Role> roles;
  for (const auto& [role, name] : kRoleNames)
    roles.push_back(role);
  return roles;
}
bool is_elected(Role role) { return role == Role::mayor || role == Role::councilmember; }
bool grants_credit(const Event& event, Role role) {
  return std::find(event.eligible_roles.begin(), event.eligible_roles.end(), role) !=
         event.eligible_roles.end();
}

std::string_view to_string(ScanKind kind) { return name_of(kScanKindNames, kind); }
std::optional<ScanKind> parse_scan_kind(std::string_view text) {
  return parse_name(kScanKindNames, text);
}
bool is_attendance(ScanKind kind) {
  return kind == ScanKind::arrive || kind == ScanKind::leave || kind == ScanKind::correction;
}
std::string_view to_string(Correction correction) { return name_of(kCorrectionNames, correction); }
std::optional<Correction> parse_correction(std::string_view text) {
  return parse_name(kCorrectionNames, text);
}

Instant corrected_time(const Scan& scan) {
  const Instant asserted = scan.kind == ScanKind::correction ? scan.effective_time : scan.wall_time;
  // Saturating: a forged int64 extreme must not overflow (shared/clock_correction.hpp).
  const std::int64_t at = clamp_plausible_ms(saturating_add(
      clamp_plausible_ms(asserted.time_since_epoch().count()),
      std::clamp<std::int64_t>(scan.clock_offset_ms, -kPlausibleMaxMs * 2, kPlausibleMaxMs * 2)));
  return Instant{std::chrono::milliseconds{at}};
}

Instant counted_time(const Scan& scan) {
  return std::chrono::round<std::chrono::seconds>(corrected_time(scan));
}

} // namespace muster
