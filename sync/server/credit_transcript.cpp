// An official's transcript: their ledger evaluated by the program, as JSON, CSV or PDF.
#include "sync/server/credit_commands.hpp"
#include "sync/server/credit_support.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "shared/csv.hpp"
#include "shared/time.hpp"

namespace muster::server {

using namespace credit_support; // NOLINT(google-build-using-namespace)

using json = nlohmann::ordered_json;

// ---- officials and transcripts ----

CreditResult<Ok> fill_offered_hours(ServerStore& store, std::vector<LedgerEntry>& entries) {
  EventsRead events;
  return fill_offered_hours(store, entries, events);
}

CreditResult<Ok> fill_offered_hours(ServerStore& store, std::vector<LedgerEntry>& entries,
                                    EventsRead& events) {
  for (LedgerEntry& entry : entries) {
    if (entry.source != CreditSource::league_event || entry.event_id.empty()) continue;
    auto it = events.find(entry.event_id);
    if (it == events.end()) {
      auto event = store.event(entry.event_id);
      if (!event && event.code() != DbError::not_found) return store_error(event.error());
      it = events
               .emplace(entry.event_id,
                        event ? std::optional<Event>(std::move(*event)) : std::optional<Event>())
               .first;
    }
    if (!it->second) continue; // an event no longer stored: the entry's hours stand for it
    for (const Session& session : it->second->sessions) {
      if (league_entry_id(entry.event_id, session.id) == entry.id) {
        entry.offered_hours = session.credit_hours;
      }
    }
  }
  return Ok{};
}

CreditResult<std::vector<LedgerEntry>> official_ledger(ServerStore& store, LedgerStore& ledger,
                                                       std::string_view official_id) {
  auto entries = ledger.entries(official_id);
  if (!entries) return store_error(entries.error());
  if (auto filled = fill_offered_hours(store, *entries); !filled) return filled.error();
  return std::move(*entries);
}

CreditResult<OfficialView> load_official(ServerStore& store, LedgerStore& ledger,
                                         std::string_view official_id) {
  auto attendee = store.attendee(official_id);
  if (!attendee) {
    if (attendee.code() == DbError::not_found) {
      return fail(CreditError::not_found,
                  "no official '" + std::string(official_id) + "' on the roster");
    }
    return store_error(attendee.error());
  }
  auto record = ledger.official(official_id);
  if (!record) return store_error(record.error());
  auto roles = store.role_history(official_id);
  if (!roles) return store_error(roles.error());
  return official_view(std::move(*attendee), record->has_value() ? &**record : nullptr,
                       std::move(*roles));
}

OfficialView official_view(Attendee attendee, const OfficialRecord* record,
                           std::vector<RoleChange> roles) {
  OfficialView view;
  view.attendee = std::move(attendee);
  view.attendee.email.clear();
  view.official.id = view.attendee.id;
  view.official.role = view.attendee.role;
  view.official.roles = std::move(roles); // each entry is judged by the role on its date
  if (record != nullptr) {
    view.official.term_start = record->term_start;
    view.official.first_term = record->first_term;
    view.official.left_office = record->left_office;
    view.official.designations = record->designations;
  }
  return view;
}

CreditResult<Transcript> build_transcript(ServerStore& store, LedgerStore& ledger,
                                          const Program& program, std::string_view official_id,
                                          Date as_of) {
  auto who = load_official(store, ledger, official_id);
  if (!who) return who.error();
  auto entries = official_ledger(store, ledger, official_id);
  if (!entries) return entries.error();
  auto name = league_name(store);
  if (!name) return name.error();
  Transcript transcript;
  transcript.league_name = std::move(*name);
  transcript.program = program;
  transcript.who = std::move(*who);
  transcript.progress = evaluate(program, transcript.who.official, *entries, as_of);
  return transcript;
}

CreditResult<Ok> build_transcripts(ServerStore& store, LedgerStore& ledger, const Program& program,
                                   std::span<const std::string> official_ids, Date as_of,
                                   const std::function<CreditResult<Ok>(Transcript&&)>& each) {
  if (official_ids.empty()) return Ok{};
  auto name = league_name(store);
  if (!name) return name.error();
  // What load_official reads per official, read once for all (as the reports do).
  auto roster = store.roster();
  if (!roster) return store_error(roster.error());
  std::map<std::string, Attendee, std::less<>> people;
  for (Attendee& attendee : *roster)
    people.emplace(attendee.id, std::move(attendee));
  roster->clear();
  auto officials = read_officials(store, ledger);
  if (!officials) return officials.error();
  EventsRead events;
  // The ledger of kChunk officials per read: the memory stays that of a chunk, not the season's.
  constexpr std::size_t kChunk = 500;
  for (std::size_t start = 0; start < official_ids.size(); start += kChunk) {
    const auto chunk = official_ids.subspan(start, std::min(kChunk, official_ids.size() - start));
    auto entries = ledger.entries_of(chunk);
    if (!entries) return store_error(entries.error());
    if (auto filled = fill_offered_hours(store, *entries, events); !filled) return filled.error();
    // entries_of sorts by official: each official's entries are one run of the vector.
    std::map<std::string_view, std::pair<std::size_t, std::size_t>> run_of;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      auto [run, added] = run_of.try_emplace((*entries)[i].official_id, i, i + 1);
      if (!added) run->second.second = i + 1;
    }
    for (const std::string& id : chunk) {
      const auto person = people.find(id);
      if (person == people.end()) {
        return fail(CreditError::not_found, "no official '" + id + "' on the roster");
      }
      Transcript transcript;
      transcript.league_name = *name;
      transcript.program = program;
      transcript.who =
          official_view(person->second, (*officials)->record(id), (*officials)->history(id));
      const auto run = run_of.find(id);
      const std::span<const LedgerEntry> theirs =
          run == run_of.end() ? std::span<const LedgerEntry>{}
                              : std::span<const LedgerEntry>(*entries).subspan(
                                    run->second.first, run->second.second - run->second.first);
      transcript.progress = evaluate(program, transcript.who.official, theirs, as_of);
      if (auto handled = each(std::move(transcript)); !handled) return handled.error();
    }
  }
  return Ok{};
}

namespace {

json level_json(const LevelProgress& level) {
  return json{
      {"id", level.id},
      {"name", level.name},
      {"hours_required", level.hours_required},
      {"hours_counted", level.hours_counted},
      {"core_hours_required", level.core_hours_required},
      {"core_hours_counted", level.core_hours_counted},
      {"outside_hours_counted", level.outside_hours_counted},
      {"points_required", level.points_required},
      {"points_counted", level.points_counted},
      {"held_before", level.held_before},
      {"met", level.met},
      {"completed_on", level.completed_on ? json(format_date(*level.completed_on)) : json(nullptr)},
      {"tier", level.tier},
      {"missing", level.missing},
      {"core_courses_required", level.core_courses_required},
      {"core_courses_counted", level.core_courses_counted},
      {"core_courses_partial", level.core_courses_partial}};
}

json cycle_json(const CycleProgress& cycle) {
  const bool anchored = cycle.start != Date{};
  json categories = json::object();
  for (const auto& [id, units] : cycle.by_category)
    categories[id] = units;
  json competencies = json::object();
  for (const auto& [id, units] : cycle.by_competency)
    competencies[id] = units;
  return json{{"start", anchored ? json(format_date(cycle.start)) : json(nullptr)},
              {"end", anchored ? json(format_date(
                                     Date{std::chrono::sys_days{cycle.end} - std::chrono::days{1}}))
                               : json(nullptr)},
              {"required", cycle.required},
              {"earned", cycle.earned},
              {"met", cycle.met},
              {"by_category", categories},
              {"by_competency", competencies},
              {"message", cycle.message}};
}

json course_json(const EntryOutcome& o) {
  json levels = json::array();
  for (const Placement& p : o.placements)
    levels.push_back({{"level_id", p.level_id}, {"hours", p.hours}, {"points", p.points}});
  json refused = json::array();
  for (const RefusedPart& r : o.refused) {
    refused.push_back({{"reason", std::string(to_string(r.reason))},
                       {"hours", r.hours},
                       {"points", r.points},
                       {"message", r.message}});
  }
  return json{{"id", o.entry.id},
              {"date", format_date(o.entry.date)},
              {"course_code", o.entry.course_code},
              {"title", o.entry.title},
              {"source", std::string(to_string(o.entry.source))},
              {"event_id", o.entry.event_id},
              {"documents_ref", o.entry.documents_ref},
              {"core", o.core},
              {"hours", o.entry.hours},
              {"hours_credited", o.hours_credited},
              {"points_credited", o.points_credited},
              {"levels", levels},
              {"refused", refused},
              {"category", o.entry.category},
              {"competency", o.entry.competency},
              {"approved", o.entry.approved},
              {"test_score", o.entry.test_score ? json(*o.entry.test_score) : json(nullptr)},
              {"points_event", o.entry.points_event},
              {"annual_hours", o.annual_hours}};
}

} // namespace

std::string transcript_json(const Transcript& t) {
  const Progress& p = t.progress;
  json courses = json::array();
  double posted = 0;
  double credited = 0;
  for (const EntryOutcome& o : p.entries) {
    json course = course_json(o);
    course["role"] = std::string(to_string(t.who.official.role_on(o.entry.date))); // that day's
    courses.push_back(std::move(course));
    posted += o.entry.hours;
    credited += o.hours_credited;
  }
  json levels = json::array();
  for (const LevelProgress& level : p.levels)
    levels.push_back(level_json(level));
  json doc{{"official_id", t.who.attendee.id},
           {"name", full_name(t.who.attendee)},
           {"role", std::string(to_string(t.who.attendee.role))},
           {"municipality", t.who.attendee.municipality},
           {"program_id", p.program_id},
           {"program", t.program.name},
           {"as_of", format_date(p.as_of)},
           {"courses", courses},
           {"levels", levels},
           {"totals", {{"hours_posted", posted}, {"hours_credited", credited}}},
           {"current_level", p.current_level},
           {"missing", p.missing}};
  doc["annual"] = p.annual ? json{{"applies", p.annual->applies},     {"year", p.annual->year},
                                  {"required", p.annual->required},   {"earned", p.annual->earned},
                                  {"behind_by", p.annual->behind_by}, {"met", p.annual->met},
                                  {"message", p.annual->message}}
                           : json(nullptr);
  doc["graduation"] = p.graduation ? json{{"year", p.graduation->year},
                                          {"deadline", format_date(p.graduation->deadline)},
                                          {"qualifies", p.graduation->qualifies},
                                          {"message", p.graduation->message}}
                                   : json(nullptr);
  doc["cycle"] = p.cycle ? cycle_json(*p.cycle) : json(nullptr);
  doc["unit"] = t.program.unit;
  doc["left_office"] = p.left_office
                           ? json{{"left_on", format_date(p.left_office->left_on)},
                                  {"window_ends", format_date(p.left_office->window_ends)},
                                  {"open", p.left_office->open},
                                  {"message", p.left_office->message}}
                           : json(nullptr);
  return doc.dump(2) + "\n";
}

std::string transcript_csv(const Transcript& t) {
  // Programs with categories (AMCTO) get two more columns, category and competency; the
  // others keep the nine columns as they were.
  const bool classified = !t.program.categories.empty() || !t.program.competencies.empty();
  const auto line = [classified](std::vector<std::string> fields, std::string category,
                                 std::string competency) {
    if (classified) fields.insert(fields.end(), {std::move(category), std::move(competency)});
    return csv_row(fields);
  };
  std::string text = line({"kind", "date", "course_code", "title", "source", "hours",
                           "hours_credited", "level", "note"},
                          "category", "competency");
  for (const EntryOutcome& o : t.progress.entries) {
    text += line({"course", format_date(o.entry.date), o.entry.course_code, o.entry.title,
                  std::string(to_string(o.entry.source)), format_hours(o.entry.hours),
                  format_hours(o.hours_credited), placements_text(o, nullptr), refusals_text(o)},
                 o.entry.category, o.entry.competency);
  }
  // One total per level: hours = what the level needs, hours_credited = what counted toward it.
  for (const LevelProgress& level : t.progress.levels) {
    text +=
        line({"total", level.completed_on ? format_date(*level.completed_on) : "", "", level.name,
              "", format_hours(level.hours_required), format_hours(level.hours_counted), level.id,
              level.met ? "met" : "not met: " + join(level.missing, "; ")},
             "", "");
  }
  // The cycle (AMCTO): one row for the cycle, hours = units required, hours_credited = earned,
  // then one row per category and competency with the units earned in it.
  if (const auto& cycle = t.progress.cycle) {
    const bool anchored = cycle->start != Date{};
    text += line({"cycle", anchored ? format_date(cycle->start) : "", "", cycle->message, "",
                  format_hours(cycle->required), format_hours(cycle->earned), "",
                  cycle->met ? "met" : "not met"},
                 "", "");
    for (const auto& [id, units] : cycle->by_category)
      text += line({"cycle_category", "", "", "", "", "", format_hours(units), "", ""}, id, "");
    for (const auto& [id, units] : cycle->by_competency)
      text += line({"cycle_competency", "", "", "", "", "", format_hours(units), "", ""}, "", id);
  }
  return text;
}

namespace {

PdfBlock courses_block(const Transcript& t) {
  const Progress& p = t.progress;
  PdfBlock courses;
  PdfTable table;
  table.caption = "Courses";
  if (p.cycle) {
    // Cycle programs: each activity's category and competency instead of levels.
    table.caption = "Activities";
    table.columns = {"Date", "Title", "Category", "Competency", t.program.unit, "Credited"};
    table.widths = {1.3, 2.6, 1.9, 1.9, 0.8, 1.0};
    for (const EntryOutcome& o : p.entries) {
      table.rows.push_back({format_date(o.entry.date), o.entry.title,
                            o.entry.category.empty() ? "-" : o.entry.category,
                            o.entry.competency.empty() ? "-" : o.entry.competency,
                            format_hours(o.entry.hours * t.program.units_per_hour),
                            format_hours(o.hours_credited * t.program.units_per_hour)});
    }
  } else {
    table.columns = {"Date", "Course", "Title", "Hours", "Credited", "Counted toward"};
    table.widths = {1.3, 1.6, 2.9, 0.75, 1.05, 1.9};
  }
  for (const EntryOutcome& o : p.cycle ? std::vector<EntryOutcome>{} : p.entries) {
    table.rows.push_back(
        {format_date(o.entry.date), o.entry.course_code, o.entry.title, format_hours(o.entry.hours),
         format_hours(o.hours_credited),
         o.placements.empty() ? std::string("-") : placements_text(o, &t.program)});
  }
  courses.table = std::move(table);
  return courses;
}

PdfBlock levels_block(const Progress& p) {
  PdfBlock levels;
  PdfTable totals;
  totals.caption = "Totals per level";
  totals.columns = {"Level", "Hours", "Core", "Non-League", "Points", "Status"};
  totals.widths = {1.4, 1.1, 1.0, 1.3, 0.8, 2.9};
  for (const LevelProgress& l : p.levels) {
    std::string status = l.met ? "met" : "not met";
    if (l.completed_on) status += " on " + format_date(*l.completed_on);
    if (l.held_before) status += " (held before)";
    if (!l.tier.empty()) status += ", " + l.tier;
    if (l.core_courses_required > 0) {
      status += ", " + std::to_string(l.core_courses_counted) + " of " +
                std::to_string(l.core_courses_required) + " core courses";
    }
    totals.rows.push_back(
        {l.name, format_hours(l.hours_counted) + " / " + format_hours(l.hours_required),
         format_hours(l.core_hours_counted) + " / " + format_hours(l.core_hours_required),
         format_hours(l.outside_hours_counted),
         l.points_required > 0
             ? std::to_string(l.points_counted) + " / " + std::to_string(l.points_required)
             : "-",
         status});
  }
  levels.table = std::move(totals);
  return levels;
}

PdfBlock standing_block(const Transcript& t) {
  const Progress& p = t.progress;
  PdfBlock standing;
  standing.lines.push_back("Where the official stands:");
  for (const std::string& line : p.missing)
    standing.lines.push_back("  - " + line);
  if (p.annual) standing.lines.push_back("Annual requirement: " + p.annual->message);
  if (p.graduation) standing.lines.push_back("Graduation: " + p.graduation->message);
  if (p.left_office) standing.lines.push_back("Left office: " + p.left_office->message);
  if (p.cycle) {
    standing.lines.push_back("Cycle (" + std::to_string(t.program.cycle->years) +
                             " years): " + p.cycle->message);
    for (const auto& [id, units] : p.cycle->by_category)
      standing.lines.push_back("  - category " + id + ": " + format_hours(units));
    for (const auto& [id, units] : p.cycle->by_competency)
      standing.lines.push_back("  - competency " + id + ": " + format_hours(units));
  }
  std::vector<std::string> refused;
  for (const EntryOutcome& o : p.entries) {
    for (const RefusedPart& r : o.refused) {
      // A point refusal (Emeritus' yearly cap) names points, not "0 h".
      const std::string what = r.hours <= 0 && r.points > 0 ? std::to_string(r.points) + " point(s)"
                                                            : format_hours(r.hours) + " h";
      refused.push_back("  - " + format_date(o.entry.date) + " " + o.entry.title + ": " + what +
                        " not counted: " + r.message);
    }
  }
  if (!refused.empty()) {
    standing.lines.push_back("Credits not counted:");
    standing.lines.insert(standing.lines.end(), refused.begin(), refused.end());
  }
  return standing;
}

} // namespace

PdfDocument transcript_document(const Transcript& t) {
  const Progress& p = t.progress;
  PdfDocument doc;
  doc.title = "Transcript: " + full_name(t.who.attendee);
  doc.subtitle = t.league_name + "  ·  " + t.program.name;
  doc.footer = "Transcript of " + t.who.attendee.id + " as of " + format_date(p.as_of);
  PdfBlock head;
  head.lines.push_back(std::string(to_string(t.who.attendee.role)) + ", " +
                       t.who.attendee.municipality + "  (official id " + t.who.attendee.id + ")");
  head.lines.push_back("As of " + format_date(p.as_of));
  doc.blocks.push_back(std::move(head));
  doc.blocks.push_back(courses_block(t));
  doc.blocks.push_back(levels_block(p));
  doc.blocks.push_back(standing_block(t));
  return doc;
}

} // namespace muster::server
