#include "sync/server/walk_in_commands.hpp"

#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"

namespace muster::server {

namespace {

// Tabs and line breaks inside a field would break the one-line-per-walk-in listing; any other
// control character (an escape sequence a kiosk user typed) must not reach the terminal.
std::string cell(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return printable(out);
}

std::string status(const WalkInRecord& w) {
  if (w.provisional) return "provisional";
  return w.same_as.empty() ? "confirmed" : "same as " + w.same_as;
}

} // namespace

std::string walk_ins_text(const std::vector<WalkInRecord>& walk_ins) {
  std::string text = "attendee_id\tfirst_name\tlast_name\tmunicipality\trole\tdevice\tstaff\t"
                     "reason\tregistered_at\tstatus\n";
  for (const WalkInRecord& w : walk_ins) {
    text += cell(w.attendee.id) + '\t' + cell(w.attendee.first_name) + '\t' +
            cell(w.attendee.last_name) + '\t' + cell(w.attendee.municipality) + '\t' +
            std::string(to_string(w.attendee.role)) + '\t' + cell(w.device_id) + '\t' +
            cell(w.staff_id) + '\t' + cell(w.reason) + '\t' + format_utc(w.registered_at) + '\t' +
            status(w) + '\n';
  }
  return text;
}

int run_walk_ins(const WalkInsOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) {
    err << "error: " << store.message() << '\n';
    return 1;
  }
  if (!options.event_id.empty()) {
    if (auto event = (*store)->event(options.event_id); !event) {
      err << "error: "
          << (event.code() == DbError::not_found
                  ? "no event '" + options.event_id + "' in the database"
                  : event.message())
          << '\n';
      return 1;
    }
  }
  auto walk_ins = (*store)->walk_ins(options.event_id, options.include_confirmed);
  if (!walk_ins) {
    err << "error: " << walk_ins.message() << '\n';
    return 1;
  }
  out << walk_ins_text(*walk_ins);
  return 0;
}

int run_confirm_walk_in(const ConfirmWalkInOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) {
    err << "error: " << store.message() << '\n';
    return 1;
  }
  auto confirmed = (*store)->confirm_walk_in(options.attendee_id, options.same_as);
  if (!confirmed) {
    err << "error: " << confirmed.message();
    if (confirmed.code() == DbError::not_found && options.same_as.empty()) {
      err << " (see `muster-server walk-ins --db DB`)";
    }
    err << '\n';
    return 1;
  }
  const auto& a = confirmed->attendee;
  out << "Confirmed walk-in " << printable(a.id) << " (" << printable(a.first_name) << ' '
      << printable(a.last_name) << ", " << to_string(a.role)
      << (a.municipality.empty() ? "" : ", " + printable(a.municipality)) << ")";
  if (!confirmed->same_as.empty()) {
    out << " as the same person as " << confirmed->same_as << ": the walk-in's scans count for "
        << confirmed->same_as << " in credits";
  }
  out << ". Credit forms no longer mark it provisional.\n";
  return 0;
}

} // namespace muster::server
