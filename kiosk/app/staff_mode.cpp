// Staff mode (staff_mode.hpp): each staff intent recorded through Checkin, Desk or the store,
// the door's list by the same presence rule as the server's credit, and the CSV export.
#include "kiosk/app/staff_mode.hpp"
#include "shared/hours.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "kiosk/app/walk_in.hpp"
#include "shared/credit.hpp"
#include "shared/csv.hpp"
#include "shared/presence.hpp"
#include "shared/scan_export.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

using std::chrono::milliseconds;

} // namespace

StaffMode::StaffMode(KioskStore& store, Checkin& checkin, const KioskAppOptions& options,
                     KioskState& state)
    : store_(&store), checkin_(&checkin), options_(&options), state_(&state) {}

void StaffMode::handle(const StaffSearch& intent) {
  state_->staff_query = intent.query;
  state_->search_results.clear();
  if (!intent.query.empty()) {
    auto found = store_->search_roster(intent.query, 20);
    if (found) {
      state_->search_results = std::move(*found);
    } else {
      note("Search failed: " + found.message(), true);
    }
  }
  changed();
}

void StaffMode::handle(const StaffPickSession& intent) {
  if (auto set = checkin_->set_session_override(intent.session_id); !set) {
    note("Could not set the session: " + set.message(), true);
    return;
  }
  refresh();
  note(intent.session_id ? "This door now records " + state_->staff_session_title + "."
                         : "This door picks its session from the schedule again.",
       false);
}

void StaffMode::handle(const StaffManual& intent, milliseconds now) {
  StaffCorrection correction;
  correction.attendee_id = intent.attendee_id;
  correction.session_id = state_->staff_session_id;
  correction.kind = intent.kind;
  correction.effective_time = options_->wall_clock();
  correction.at = correction.effective_time;
  correction.monotonic = now;
  correction.staff_id = options_->staff_id;
  correction.reason = intent.reason;
  const auto outcome = checkin_->correct(correction);
  const bool done = outcome.recorded.has_value();
  refresh();
  note(done ? "Recorded: " + outcome.display_name + " " +
                  std::string(intent.kind == Correction::leave ? "left" : "arrived") + " at " +
                  outcome.local_time + " (staff correction)."
            : "Not recorded: " + outcome.detail,
       !done);
}

void StaffMode::handle(const StaffExport& intent) {
  auto written = export_csv(intent.folder);
  note(written ? "Exported " + written->string() : "Export failed: " + written.message(), !written);
}

void StaffMode::handle(const StaffWalkIn& intent, milliseconds now) {
  const WalkInForm form{intent.first_name, intent.last_name, intent.municipality, intent.role,
                        intent.reason};
  auto registered =
      register_walk_in(*store_, *checkin_, form, options_->staff_id, options_->wall_clock(), now);
  if (!registered) {
    note("Walk-in not registered: " + registered.message(), true);
    return;
  }
  state_->last_walk_in = registered->attendee.id;
  refresh();
  const auto& who = registered->attendee;
  std::string words = "Registered walk-in " + full_name(who) + " (" + who.id +
                      ", provisional until the League confirms)";
  if (!registered->arrival) {
    words += "; no session at this door now, so no arrival was recorded.";
  } else if (registered->arrival->recorded) {
    words += "; arrived at " + registered->arrival->local_time + ".";
  } else {
    words += "; arrival NOT recorded: " + registered->arrival->detail;
  }
  note(std::move(words), registered->arrival && !registered->arrival->recorded.has_value());
}

void StaffMode::handle(const StaffSetRoom& intent) {
  const auto known = rooms();
  const auto folded = fold_for_search(intent.room);
  if (!folded.empty() && std::none_of(known.begin(), known.end(), [&](const std::string& r) {
        return fold_for_search(r) == folded;
      })) {
    note("No session of this event is in room '" + intent.room + "'.", true);
    return;
  }
  // A door that moves records the sessions of its new room: a session pick would pin it
  // to the old one.
  if (auto cleared = checkin_->set_session_override(std::nullopt); !cleared) {
    note("Could not change the room: " + cleared.message(), true);
    return;
  }
  if (auto set = checkin_->set_room(intent.room); !set) {
    note("Could not change the room: " + set.message(), true);
    return;
  }
  refresh();
  note(checkin_->room().empty() ? "This door now takes sessions of all rooms."
                                : "This door is now in " + checkin_->room() + ".",
       false);
}

void StaffMode::handle(const StaffDeskCheckIn& intent, milliseconds now) {
  if (options_->desk == nullptr) return note("This kiosk is not a desk (--desk).", true);
  const auto done = options_->desk->check_in_by_staff(intent.attendee_id, options_->staff_id,
                                                      intent.reason, options_->wall_clock(), now);
  refresh();
  note(done.result == DeskResult::checked_in ? "Checked in: " + done.display_name + " at " +
                                                   done.checked_in_local + " (by staff, no badge)."
       : done.result == DeskResult::already_checked_in
           ? done.display_name + " was already checked in at " + done.checked_in_local + "."
           : "Not checked in: " + done.detail,
       done.result == DeskResult::rejected);
}

void StaffMode::handle(const StaffDeskReprint& intent, milliseconds now) {
  if (options_->desk == nullptr) return note("This kiosk is not a desk (--desk).", true);
  const auto reprint =
      options_->desk->reprint(intent.attendee_id, options_->staff_id, intent.reason,
                              options_->wall_clock(), now, intent.old_serial);
  state_->desk_reprint_image = reprint.ok ? reprint.image.string() : std::string();
  refresh();
  note(reprint.message, !reprint.ok);
}

void StaffMode::note(std::string message, bool error) {
  state_->staff_message = std::move(message);
  state_->staff_message_error = error;
  changed();
}

void StaffMode::refresh() {
  const auto session = checkin_->door_session(options_->wall_clock());
  state_->staff_session_id = session ? session->id : "";
  state_->staff_session_title = session ? session->title : "";
  state_->door_rows = session ? session_rows(*session) : std::vector<DoorRow>{};
  state_->inside_count =
      static_cast<std::size_t>(std::count_if(state_->door_rows.begin(), state_->door_rows.end(),
                                             [](const DoorRow& r) { return r.inside; }));
  state_->sync = {};
  if (auto queued = store_->unacked_count()) state_->sync.queued = *queued;
  state_->sync.last_success = setting_or(*store_, kSettingSyncLastSuccess, "");
  state_->sync.last_error = setting_or(*store_, kSettingSyncLastError, "");
  state_->sync.branch_note = setting_or(*store_, kSettingSyncBranchNote, "");
  state_->sync.device_id = checkin_->device_id();
  if (auto key = device_key(*store_); key && key->has_value()) {
    state_->sync.key_fingerprint = key_fingerprint((*key)->public_key());
  }
  changed();
}

std::vector<std::string> StaffMode::rooms() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& session : checkin_->event().sessions) {
    if (session.room.empty()) continue;
    if (seen.insert(fold_for_search(session.room)).second) out.push_back(session.room);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Session> StaffMode::door_sessions() const {
  std::vector<Session> out;
  const auto folded_room = fold_for_search(checkin_->room());
  for (const auto& session : checkin_->event().sessions) {
    if (folded_room.empty() || fold_for_search(session.room) == folded_room) {
      out.push_back(session);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Session& a, const Session& b) { return a.start < b.start; });
  return out;
}

std::vector<DoorRow> StaffMode::session_rows(const Session& session) const {
  std::vector<DoorRow> rows;
  const auto& event = checkin_->event();
  // Everyone this door or another door of the room saw: the rule may place a scan in this
  // session that a door recorded for the room's next or last one.
  std::vector<std::string> room_sessions;
  for (const auto& s : event.sessions) {
    if (same_room(s.room, session.room)) room_sessions.push_back(s.id);
  }
  auto people = store_->attendees_seen_in(room_sessions);
  if (!people) return rows;
  auto rules = presence_rules(event.credit_policy);
  rules.lead_time = checkin_->lead_time();
  const Instant now = options_->wall_clock() + std::chrono::milliseconds(clock_offset_ms(*store_));
  for (const auto& attendee_id : *people) {
    auto scans = store_->known_scans_for_attendee(attendee_id);
    if (!scans) continue;
    DoorRow row;
    row.session_id = session.id;
    row.attendee_id = attendee_id;
    row.provisional = is_walk_in_id(attendee_id);
    Role role = Role::guest;
    if (auto attendee = store_->attendee(attendee_id)) {
      row.name = full_name(*attendee);
      row.municipality = attendee->municipality;
      role = attendee->role;
      row.role = std::string(to_string(role));
    } else {
      row.name = attendee_id;
    }
    // The same rule as the server's credit (shared/presence.hpp), over every door's scans.
    const Presence presence = resolve_presence(event, *scans, rules, event.timezone);
    bool placed_here = false;
    for (const auto& [id, counted] : presence.by_session) {
      if (id != session.id) continue;
      placed_here = true;
      const auto attendance = compute_attendance(
          session, event.credit_policy, grants_credit(event, role), counted, event.timezone);
      row.eligible = attendance.eligible;
      row.credit_hours = attendance.credit_hours;
      row.early_leave = attendance.early_leave;
      row.inside = inside_at(event, presence, session.id, now);
      if (attendance.first_arrival) {
        row.arrival = format_local(*attendance.first_arrival, event.timezone, "%H:%M");
      }
      if (attendance.final_leave && !row.inside) {
        row.leave = format_local(*attendance.final_leave, event.timezone, "%H:%M");
      }
    }
    if (placed_here) rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(),
            [](const DoorRow& a, const DoorRow& b) { return a.name < b.name; });
  return rows;
}

Result<std::filesystem::path, StoreError>
StaffMode::export_csv(const std::filesystem::path& folder) const {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return fail(StoreError::not_found, "no such folder: " + folder.string());
  }
  const auto& event = checkin_->event();
  const auto now = options_->wall_clock();
  const auto file = folder / ("muster-" + checkin_->device_id() + "-" +
                              format_local(now, event.timezone, "%Y%m%d-%H%M%S") + ".csv");
  std::ostringstream out;
  out << "event_id,session_id,session_title,room,attendee_id,name,municipality,role,arrival,"
         "leave,inside,early_leave,credit_eligible,credit_hours,provisional\n";
  for (const auto& session : event.sessions) {
    for (const auto& row : session_rows(session)) {
      out << csv_cell(event.id) << ',' << csv_cell(session.id) << ',' << csv_cell(session.title)
          << ',' << csv_cell(session.room) << ',' << csv_cell(row.attendee_id) << ','
          << csv_cell(row.name) << ',' << csv_cell(row.municipality) << ',' << csv_cell(row.role)
          << ',' << row.arrival << ',' << row.leave << ',' << (row.inside ? "yes" : "no") << ','
          << (row.early_leave ? "yes" : "no") << ',' << (row.eligible ? "yes" : "no") << ','
          << format_hours(row.credit_hours, HoursStyle::two_decimals) << ','
          << (row.provisional ? "yes" : "no") << '\n';
    }
  }
  const auto temporary = file.string() + ".part";
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    stream << out.str();
    stream.flush();
    if (!stream) return fail(StoreError::io, "cannot write " + temporary);
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) return fail(StoreError::io, "cannot write " + file.string() + ": " + ec.message());
  return file;
}

} // namespace muster::kiosk
