// ServerStore's rows: decoding the columns of attendees, badges, devices and scans, and the
// comparisons that let a re-import change nothing when nothing changed.
#include <nlohmann/json.hpp>

#include "shared/text.hpp"
#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

Digest digest(const std::optional<std::string>& hex) {
  return digest_from_hex(text(hex)).value_or(kZeroDigest);
}

Attendee attendee_from(const SqlRow& row) {
  Attendee attendee;
  attendee.id = text(row[0]);
  attendee.first_name = text(row[1]);
  attendee.last_name = text(row[2]);
  attendee.role = parse_role(text(row[3])).value_or(Role::guest);
  attendee.municipality = text(row[4]);
  attendee.email = text(row[5]);
  attendee.municipality_id = text(row[6]);
  return attendee;
}

bool same_attendee(const Attendee& a, const Attendee& b) {
  return a.id == b.id && a.first_name == b.first_name && a.last_name == b.last_name &&
         a.role == b.role && a.municipality == b.municipality && a.email == b.email &&
         a.municipality_id == b.municipality_id;
}

std::string roles_json(const std::vector<Role>& roles) {
  nlohmann::json list = nlohmann::json::array();
  for (const Role role : roles)
    list.push_back(std::string(to_string(role)));
  return list.dump();
}

// The events.programs_json and eligible_roles_json columns, read back.
Result<std::pair<std::vector<std::string>, std::vector<Role>>, DbError>
programs_from_json(const std::string& programs, const std::string& roles) {
  try {
    std::pair<std::vector<std::string>, std::vector<Role>> out;
    out.first = nlohmann::json::parse(programs).get<std::vector<std::string>>();
    for (const auto& name : nlohmann::json::parse(roles).get<std::vector<std::string>>()) {
      const auto role = parse_role(name);
      if (!role) return fail(DbError::schema, "unknown role '" + name + "'");
      out.second.push_back(*role);
    }
    return out;
  } catch (const nlohmann::json::exception& error) {
    return fail(DbError::schema, error.what());
  }
}

bool same_event_fields(const Event& a, const Event& b) {
  return a.id == b.id && a.name == b.name && a.timezone == b.timezone && a.location == b.location &&
         a.credit_policy.arrival_grace == b.credit_policy.arrival_grace &&
         a.credit_policy.leave_grace == b.credit_policy.leave_grace &&
         format_double(a.credit_policy.increment_hours) ==
             format_double(b.credit_policy.increment_hours) &&
         a.credit_policy.debounce == b.credit_policy.debounce &&
         a.credit_policy.lead_time == b.credit_policy.lead_time && a.survey == b.survey &&
         a.programs == b.programs && a.eligible_roles == b.eligible_roles;
}

bool same_session(const Session& a, const Session& b) {
  return a.id == b.id && a.title == b.title && a.room == b.room && a.start == b.start &&
         a.end == b.end && format_double(a.credit_hours) == format_double(b.credit_hours) &&
         a.course_code == b.course_code && a.core == b.core && a.topic == b.topic;
}

BadgeRecord badge_from(const SqlRow& row) {
  BadgeRecord badge;
  badge.serial = text(row[0]);
  badge.attendee_id = text(row[1]);
  badge.event_id = text(row[2]);
  badge.key_id = text(row[3]);
  badge.payload = text(row[4]);
  badge.issued_at = from_ms(integer(row[5]));
  badge.revoked_at = optional_instant(row[6]);
  return badge;
}

DeviceRecord device_from(const SqlRow& row) {
  DeviceRecord device;
  device.id = text(row[0]);
  device.name = text(row[1]);
  device.event_id = text(row[2]);
  device.token_hash = text(row[3]);
  device.created_at = from_ms(integer(row[4]));
  device.last_seen = optional_instant(row[5]);
  device.public_key = text(row[6]);
  device.parent_id = text(row[7]);
  device.diverged_at = unsigned_integer(row[8]);
  device.rollbacks = unsigned_integer(row[9]);
  device.rolled_back_at = optional_instant(row[10]);
  return device;
}

Scan scan_from(const SqlRow& row) {
  Scan scan;
  scan.device_id = text(row[0]);
  scan.sequence = unsigned_integer(row[1]);
  scan.attendee_id = text(row[2]);
  scan.badge_serial = text(row[3]);
  scan.badge_payload = text(row[4]);
  scan.session_id = text(row[5]);
  scan.kind = parse_scan_kind(text(row[6])).value_or(ScanKind::arrive);
  scan.wall_time = from_ms(integer(row[7]));
  scan.monotonic_ms = integer(row[8]);
  scan.clock_offset_ms = integer(row[9]);
  scan.correction = parse_correction(text(row[10])).value_or(Correction::none);
  scan.effective_time = from_ms(integer(row[11]));
  scan.staff_id = text(row[12]);
  scan.reason = text(row[13]);
  scan.voids_device_id = text(row[14]);
  scan.voids_sequence = unsigned_integer(row[15]);
  scan.prev_hash = digest(row[16]);
  scan.hash = digest(row[17]);
  scan.details = text(row[18]);
  scan.boot_id = text(row[19]);
  return scan;
}

} // namespace muster::server::store_impl
