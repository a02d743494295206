// The imports: roster, municipalities and events (with the credit programs they name).
#include <algorithm>

#include "shared/import.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/admin_support.hpp"
#include "sync/server/program_catalog.hpp"
#include "sync/server/program_check.hpp"

namespace muster::server {

namespace fs = std::filesystem;
using namespace admin_support; // NOLINT(google-build-using-namespace)

namespace {
void print_stats(std::ostream& out, std::string_view what, const ImportStats& stats) {
  out << "Imported " << what << ": " << stats.inserted << " new, " << stats.updated << " updated, "
      << stats.unchanged << " unchanged.\n";
}
} // namespace

int run_import_roster(std::string_view database, const fs::path& file, std::ostream& out,
                      std::ostream& err, std::optional<Date> effective) {
  auto roster = read_roster_csv(file);
  if (!roster) return report(roster, err);
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  // A municipality_id must name one of the League's municipalities; it also gives the name.
  const bool refers = std::any_of(roster->begin(), roster->end(),
                                  [](const Attendee& a) { return !a.municipality_id.empty(); });
  if (refers) {
    auto known = (*store)->municipalities();
    if (!known) return report(known, err);
    for (Attendee& a : *roster) {
      if (a.municipality_id.empty()) continue;
      const auto m = std::find_if(known->begin(), known->end(),
                                  [&](const Municipality& x) { return x.id == a.municipality_id; });
      if (m == known->end()) {
        err << "error: " << file.filename().string() << ": attendee " << a.id
            << ": municipality_id '" << a.municipality_id
            << "' is not one of the League's municipalities; import them first with "
               "`muster-server import-municipalities --db DB FILE.csv`\n";
        return 1;
      }
      if (a.municipality.empty()) a.municipality = m->name;
    }
  }
  // Undated: from today, but never back into a session someone was already scanned at (a
  // kiosk's clock may run ahead of ours; credit already earned stays).
  Date date = effective.value_or(
      Date{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())});
  std::string why;
  if (!effective) {
    auto last = (*store)->last_attended_day();
    if (!last) return report(last, err);
    if (*last && std::chrono::sys_days{**last} >= std::chrono::sys_days{date}) {
      date = Date{std::chrono::sys_days{**last} + std::chrono::days{1}};
      why = ", the day after the last session with attendance";
    }
  }
  auto stats = (*store)->upsert_roster(*roster, date);
  if (!stats) return report(stats, err);
  print_stats(out, std::to_string(roster->size()) + " attendees", *stats);
  if (stats->role_changes > 0) {
    out << "Role history: " << stats->role_changes << " role change(s) effective "
        << format_date(date) << why << " (credit before that date keeps the earlier role).\n";
  }
  return 0;
}

int run_import_municipalities(std::string_view database, const fs::path& file, std::ostream& out,
                              std::ostream& err) {
  auto list = read_municipalities_csv(file);
  if (!list) return report(list, err);
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto stats = (*store)->upsert_municipalities(*list);
  if (!stats) return report(stats, err);
  print_stats(out, std::to_string(list->size()) + " municipalities", *stats);
  return 0;
}

AdminResult<Ok> resolve_event_programs(Event& event, const std::optional<fs::path>& programs_dir,
                                       std::ostream& err, std::vector<std::string>* core_warnings) {
  const auto dir = programs_dir ? programs_dir : default_programs_dir();
  if (!dir && event.programs == Event::default_event_programs()) {
    // Before events named their programs every event was an ALM event: keep working without
    // the program files.
    err << "warning: no programs directory found; the event grants credit to mayors and "
           "councilmembers (the ALM program)\n";
    event.eligible_roles = Event::default_eligible_roles();
    if (core_warnings != nullptr) *core_warnings = default_program_core_warnings(event);
    return Ok{};
  }
  if (!dir) {
    return fail(AdminError::not_found, "cannot find the program files for the event's programs "
                                       "(give --programs-dir DIR)");
  }
  auto programs = load_programs(event.programs, *dir);
  if (!programs) return fail(AdminError::not_found, programs.message());
  event.eligible_roles = eligible_roles(*programs);
  for (const Program& program : *programs) {
    if (core_warnings == nullptr || program.core_courses.empty()) continue; // no core list
    for (auto& warning : core_code_warnings(program, event))
      core_warnings->push_back(std::move(warning));
  }
  return Ok{};
}

int run_import_event(std::string_view database, const fs::path& file, std::ostream& out,
                     std::ostream& err, const std::optional<fs::path>& programs_dir) {
  auto event = read_event_json(file);
  if (!event) return report(event, err);
  std::vector<std::string> core_warnings;
  if (auto resolved = resolve_event_programs(*event, programs_dir, err, &core_warnings);
      !resolved) {
    return report(resolved, err);
  }
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto stats = (*store)->upsert_event(*event);
  if (!stats) return report(stats, err);
  print_stats(
      out, "event " + event->id + " with " + std::to_string(event->sessions.size()) + " sessions",
      *stats);
  for (const std::string& warning : core_warnings)
    out << "warning: " << warning << '\n';
  std::string roles;
  for (const Role role : event->eligible_roles)
    roles += (roles.empty() ? "" : ", ") + std::string(to_string(role));
  std::string programs;
  for (const auto& id : event->programs)
    programs += (programs.empty() ? "" : ", ") + id;
  out << "Credit under " << programs << " for: " << (roles.empty() ? "nobody" : roles) << ".\n";
  return 0;
}

} // namespace muster::server
