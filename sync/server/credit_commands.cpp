// The credit commands: thin glue between the stores, compute_credits and evaluate.
#include "sync/server/credit_commands.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "shared/csv.hpp"
#include "shared/time.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/scan_clock.hpp"

namespace muster::server {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr int kMaxParentLevels = 8;
constexpr double kDefaultPassScore = 70; // ALM's online training pages

Error<CreditError> store_error(const Error<DbError>& error) {
  return fail(error.code == DbError::not_found ? CreditError::not_found : CreditError::store,
              error.message);
}

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string full_name(const Attendee& a) {
  if (a.first_name.empty() && a.last_name.empty()) return a.id;
  return a.first_name + " " + a.last_name;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += separator;
    text += parts[i];
  }
  return text;
}

std::string fixed2(double hours) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), hours,
                                    std::chars_format::fixed, 2);
  return std::string(buffer.data(), result.ptr);
}

std::string level_name(const Program& program, std::string_view id) {
  const int index = program.level_index(id);
  return index >= 0 ? program.levels[static_cast<std::size_t>(index)].name : std::string(id);
}

// "Basic 1.5; Advanced 0.5" (names) or "basic:1.5;advanced:0.5" (ids, for CSV).
std::string placements_text(const EntryOutcome& outcome, const Program* program) {
  std::vector<std::string> parts;
  for (const Placement& p : outcome.placements) {
    std::string part = program != nullptr
                           ? level_name(*program, p.level_id) + " " + format_hours(p.hours)
                           : p.level_id + ":" + format_hours(p.hours);
    if (p.points > 0) part += (program != nullptr ? " + " : "+") + std::to_string(p.points) + " pt";
    parts.push_back(std::move(part));
  }
  return join(parts, program != nullptr ? "; " : ";");
}

std::string refusals_text(const EntryOutcome& outcome) {
  std::vector<std::string> parts;
  for (const RefusedPart& r : outcome.refused)
    parts.push_back(r.message);
  return join(parts, "; ");
}

std::optional<std::string> optional_local(const std::optional<Instant>& instant,
                                          std::string_view zone) {
  if (!instant) return std::nullopt;
  return format_local(*instant, zone, "%H:%M %Z");
}

CreditResult<Ok> write_text(const std::optional<fs::path>& file, const std::string& text,
                            std::ostream& out) {
  if (!file) {
    out << text;
    return Ok{};
  }
  if (auto written = write_file_atomically(*file, text); !written) {
    return fail(CreditError::io, written.message());
  }
  return Ok{};
}

CreditResult<Ok> write_document(const PdfDocument& document, const fs::path& file) {
  if (auto written = write_pdf(document, file); !written) {
    return fail(CreditError::io, written.message());
  }
  return Ok{};
}

CreditResult<std::string> league_name(ServerStore& store) {
  auto league = store.league();
  if (!league) return store_error(league.error());
  return league->name;
}

struct Stores {
  std::unique_ptr<ServerStore> server;
  std::unique_ptr<LedgerStore> ledger;
};

CreditResult<Stores> open_stores(std::string_view database) {
  auto server = open_existing_store(database); // refuses a missing SQLite file
  if (!server) return fail(CreditError::store, server.message());
  auto ledger = open_ledger_store(database);
  if (!ledger) return store_error(ledger.error());
  return Stores{std::move(*server), std::move(*ledger)};
}

int failed(std::ostream& err, const std::string& message) {
  err << "error: " << message << '\n';
  return 1;
}

bool in_office(const Official& official, Date as_of) {
  return !official.left_office ||
         std::chrono::sys_days{*official.left_office} > std::chrono::sys_days{as_of};
}

} // namespace

// ---- program ----

std::optional<fs::path> find_default_program() {
  std::error_code error;
  fs::path dir = fs::read_symlink("/proc/self/exe", error).parent_path();
  for (int level = 0; !error && level < kMaxParentLevels && !dir.empty(); ++level) {
    const fs::path candidate = dir / "assets" / "programs" / kDefaultProgramFile;
    std::error_code missing;
    if (fs::is_regular_file(candidate, missing)) return candidate;
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  const fs::path installed = fs::path("/usr/share/muster/assets/programs") / kDefaultProgramFile;
  if (fs::is_regular_file(installed, error)) return installed;
  return std::nullopt;
}

CreditResult<Program> load_program(const std::optional<fs::path>& file) {
  const auto path = file ? file : find_default_program();
  if (!path) {
    return fail(
        CreditError::program,
        "no program file: assets/programs/alm-cmo.jsonc was not found; pass --program FILE");
  }
  auto program = read_program(*path);
  if (!program) return fail(CreditError::program, program.message());
  return std::move(*program);
}

Date today_utc() {
  return Date{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
}

// ---- closing ----

CreditResult<std::vector<LedgerEntry>> event_ledger_entries(ServerStore& store,
                                                            const Event& event) {
  auto rows = compute_credits(store, event);
  if (!rows) return fail(CreditError::store, rows.message());
  std::vector<LedgerEntry> entries;
  for (const CreditRow& row : *rows) {
    // eligible: on the roster, and the event's programs credit the role held that day.
    if (!row.on_roster || !row.attendance.eligible) continue;
    if (row.attendance.credit_hours <= 0) continue;
    // A walk-in's hours wait for the League's confirmation (then close-event --amend posts them).
    if (row.provisional) continue;
    entries.push_back(
        make_league_entry(event, row.session, row.attendee.id, row.attendance.credit_hours));
  }
  return entries;
}

CreditResult<PostOutcome> close_event(ServerStore& store, LedgerStore& ledger,
                                      std::string_view event_id, Instant now, bool amend) {
  auto event = store.event(event_id);
  if (!event) return store_error(event.error());
  // Counted before the credit is computed: a scan arriving in between is then reported as late
  // at the next close instead of being silently covered by the close mark.
  auto scans = store.scans_for_event(event_id);
  if (!scans) return store_error(scans.error());
  auto entries = event_ledger_entries(store, *event);
  if (!entries) return entries.error();
  // Officials who left office: the League's pre-approval makes the event's credit count.
  auto preapprovals = ledger.preapprovals_for_event(event_id);
  if (!preapprovals) return store_error(preapprovals.error());
  for (LedgerEntry& entry : *entries) {
    for (const Preapproval& p : *preapprovals) {
      if (p.official_id == entry.official_id) entry.approved = true;
    }
  }
  auto outcome = ledger.post_event(event_id, *entries, scans->size(), now, amend);
  if (!outcome) return store_error(outcome.error());
  return std::move(*outcome);
}

std::string describe_close(std::string_view event_id, const PostOutcome& outcome) {
  std::ostringstream text;
  const std::string id(event_id);
  const auto change_line = [&text](const LedgerChange& c) {
    text << "  " << c.official_id << " " << c.entry_id << ": "
         << (c.posted_hours ? format_hours(*c.posted_hours) + " h" : std::string("not posted"))
         << " -> " << format_hours(c.computed_hours.value_or(0)) << " h\n";
  };
  if (outcome.first_close) {
    double hours = 0;
    std::set<std::string> officials;
    for (const auto& c : outcome.changes) {
      hours += c.computed_hours.value_or(0);
      officials.insert(c.official_id);
    }
    text << "Closed event " << id << ": posted " << outcome.posted << " credit(s), "
         << format_hours(hours) << " hours, to " << officials.size() << " official(s)' ledgers.\n";
    for (const auto& c : outcome.changes)
      change_line(c);
    return text.str();
  }
  text << "Event " << id << " was closed at " << format_utc(outcome.closing.closed_at);
  if (outcome.closing.amended_at && !outcome.amended) {
    text << " (amended " << format_utc(*outcome.closing.amended_at) << ")";
  }
  text << ".\n";
  if (outcome.amended) {
    text << "Amended: " << outcome.posted << " credit(s) changed; " << outcome.scans_after_close
         << " scan(s) had arrived after closing.\n";
    for (const auto& c : outcome.changes)
      change_line(c);
    return text.str();
  }
  text << outcome.scans_after_close << " scan(s) arrived after closing; ";
  if (outcome.changes.empty()) {
    text << "credit not changed (the ledger matches the scans; nothing to post).\n";
  } else {
    text << "credit not changed: " << outcome.changes.size()
         << " credit(s) differ from the scans; re-close with --amend to post:\n";
    for (const auto& c : outcome.changes)
      change_line(c);
  }
  return text.str();
}

// ---- officials and transcripts ----

CreditResult<Ok> fill_offered_hours(ServerStore& store, std::vector<LedgerEntry>& entries) {
  std::map<std::string, std::optional<Event>> events;
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
  OfficialView view;
  view.attendee = std::move(*attendee);
  view.attendee.email.clear();
  view.official.id = view.attendee.id;
  view.official.role = view.attendee.role;
  view.official.roles = std::move(*roles); // each entry is judged by the role on its date
  if (*record) {
    view.official.term_start = (*record)->term_start;
    view.official.first_term = (*record)->first_term;
    view.official.left_office = (*record)->left_office;
    view.official.designations = (*record)->designations;
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
  doc.blocks.push_back(std::move(courses));

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
  doc.blocks.push_back(std::move(levels));

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
  doc.blocks.push_back(std::move(standing));
  return doc;
}

// ---- credit forms ----

namespace {

// "useful: Yes; pace: Right": the answers in the event's question order, then any answer to a
// question the event no longer has (an edited survey), by id.
std::string survey_text(const Event& event, const std::string& details) {
  const auto parsed = nlohmann::json::parse(details, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return {};
  const auto answers = parsed.find("answers");
  if (answers == parsed.end() || !answers->is_object()) return {};
  std::string text;
  const auto add = [&](const std::string& id, const nlohmann::json& value) {
    if (!value.is_string()) return;
    text += (text.empty() ? "" : "; ") + id + ": " + value.get<std::string>();
  };
  std::set<std::string> known;
  for (const SurveyQuestion& question : event.survey) {
    known.insert(question.id);
    if (const auto it = answers->find(question.id); it != answers->end()) add(question.id, *it);
  }
  for (const auto& [id, value] : answers->items()) {
    if (!known.contains(id)) add(id, value);
  }
  return text;
}

bool confirmed_at_kiosk(const std::string& details) {
  if (details.empty()) return false;
  const auto parsed = nlohmann::json::parse(details, nullptr, false);
  return !parsed.is_discarded() && parsed.is_object() && parsed.value("confirmed", "") == "kiosk";
}

// The scans are the whole event's; the row's attendee's (and merged walk-ins') are used.
CreditFormNotes form_notes(const Event& event, const CreditRow& row,
                           const std::vector<Scan>& scans) {
  const auto theirs = [&](const Scan& scan) {
    return scan.attendee_id == row.attendee.id ||
           std::find(row.walk_in_ids.begin(), row.walk_in_ids.end(), scan.attendee_id) !=
               row.walk_in_ids.end();
  };
  CreditFormNotes notes;
  std::optional<Instant> survey_at;
  std::optional<std::string> how;
  for (const Scan& scan : scans) {
    if (!theirs(scan)) continue;
    if (scan.kind == ScanKind::survey) {
      if (scan.session_id != row.session.id) continue;
      const Instant when = corrected_time(scan);
      const std::string text = survey_text(event, scan.details);
      if (!text.empty() && (!survey_at || when >= *survey_at)) {
        survey_at = when;
        notes.survey = text;
      }
      continue;
    }
    // The leave that counts is the one at the attendance's final leave time, at whichever door
    // and in whichever session the door guessed (the presence rule placed it); a confirmed
    // kiosk leave wins over another scan at the same instant.
    if (!row.attendance.final_leave || counted_time(scan) != *row.attendance.final_leave) {
      continue;
    }
    const std::string zone = event.timezone;
    if (scan.kind == ScanKind::leave && confirmed_at_kiosk(scan.details)) {
      how = "confirmed at kiosk " + format_local(counted_time(scan), zone, "%H:%M");
    } else if (scan.kind == ScanKind::leave && !how) {
      how = "not confirmed by the official";
    } else if (scan.kind == ScanKind::correction && scan.correction == Correction::leave &&
               !how) {
      how = "staff correction";
    }
  }
  if (how) {
    notes.confirmation = *how;
  } else {
    notes.confirmation = row.attendance.final_leave ? "not confirmed by the official"
                                                    : "no leave recorded";
  }
  // A door that did not know of the official's scan at another door labelled it otherwise:
  // the credit follows the presence rule, and the form says so.
  for (const std::string& item : row.review)
    notes.confirmation += "; note: " + item + " (credit follows the scans of every door)";
  for (const std::string& item : row.clock)
    notes.confirmation += "; " + item;
  return notes;
}

} // namespace

CreditResult<CreditForm> build_credit_form(ServerStore& store, std::string_view event_id,
                                           std::string_view attendee_id) {
  auto event = store.event(event_id);
  if (!event) return store_error(event.error());
  auto attendee = store.attendee(attendee_id);
  if (!attendee) {
    if (attendee.code() == DbError::not_found) {
      return fail(CreditError::not_found,
                  "no attendee '" + std::string(attendee_id) + "' on the roster");
    }
    return store_error(attendee.error());
  }
  auto rows = compute_credits(store, *event);
  if (!rows) return fail(CreditError::store, rows.message());
  auto name = league_name(store);
  if (!name) return name.error();
  CreditForm form;
  form.league_name = std::move(*name);
  form.event = std::move(*event);
  form.attendee = std::move(*attendee);
  form.attendee.email.clear();
  for (CreditRow& row : *rows) {
    if (row.attendee.id == attendee_id) form.rows.push_back(std::move(row));
  }
  if (!form.rows.empty()) {
    form.checked_in_at = form.rows.front().checked_in_at;
    form.attendee.role = form.rows.front().attendee.role; // the role at the event, not today's
  }
  if (form.rows.empty()) {
    return fail(CreditError::not_found, "no attendance of '" + std::string(attendee_id) +
                                            "' recorded at event '" + form.event.id + "'");
  }
  // The same clock-corrected times the credit was computed from (sync/server/scan_clock.hpp).
  auto clocked = clocked_scans_for_event(store, form.event.id);
  if (!clocked) return store_error(clocked.error());
  for (const CreditRow& row : form.rows) {
    form.notes.push_back(form_notes(form.event, row, clocked->scans));
  }
  return form;
}

namespace {

// The attendee earns credit at the event: a session row the event's programs credit (by the
// role held on the session's date).
bool earns_credit(const CreditForm& form) {
  return std::any_of(form.rows.begin(), form.rows.end(),
                     [](const CreditRow& row) { return row.attendance.eligible; });
}

// A session without survey answers says so instead of leaving the reader to guess.
constexpr std::string_view kNoSurvey = "none";

const CreditFormNotes& notes_of(const CreditForm& form, std::size_t row) {
  static const CreditFormNotes kNone{std::string(kNoSurvey), "no leave recorded"};
  return row < form.notes.size() ? form.notes[row] : kNone;
}

std::string survey_or_none(const CreditFormNotes& notes) {
  return notes.survey.empty() ? std::string(kNoSurvey) : notes.survey;
}

std::string local_or_dash(const std::optional<Instant>& instant, std::string_view zone) {
  return optional_local(instant, zone).value_or("-");
}

double total_hours(const CreditForm& form) {
  double total = 0;
  for (const CreditRow& row : form.rows)
    total += row.attendance.credit_hours;
  return total;
}

} // namespace

std::string credit_form_csv(const CreditForm& form) {
  std::string text = csv_row({"event_id", "official_id", "name", "session_id", "session_title",
                               "date", "arrived", "left", "early_leave", "early_leave_time",
                               "credit_hours", "eligible", "survey", "kiosk_confirmation",
                               "checked_in_at"});
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    const CreditRow& row = form.rows[r];
    const Attendance& a = row.attendance;
    const std::string zone = form.event.timezone;
    text += csv_row(
        {form.event.id, form.attendee.id, full_name(form.attendee), row.session.id,
         row.session.title, local_date(row.session.start, zone),
         optional_local(a.first_arrival, zone).value_or(""),
         optional_local(a.final_leave, zone).value_or(""), a.early_leave ? "true" : "false",
         optional_local(a.early_leave_time, zone).value_or(""), fixed2(a.credit_hours),
         a.eligible ? "true" : "false", survey_or_none(notes_of(form, r)),
         notes_of(form, r).confirmation,
         optional_local(form.checked_in_at, zone).value_or("")});
  }
  return text;
}

PdfDocument credit_form_document(const CreditForm& form) {
  PdfDocument doc;
  doc.title = "Credit form";
  doc.subtitle = form.league_name + "  ·  " + form.event.name;
  doc.footer = "Credit form of " + form.attendee.id + " for " + form.event.id;
  PdfBlock head;
  head.lines.push_back(full_name(form.attendee) + ", " +
                       std::string(to_string(form.attendee.role)) + ", " +
                       form.attendee.municipality + "  (id " + form.attendee.id + ")");
  head.lines.push_back(form.event.location + ", " +
                       local_date(form.rows.front().session.start, form.event.timezone) +
                       "  ·  times in " + form.event.timezone);
  head.lines.push_back("Arrival and leave times were recorded by the kiosks at the doors.");
  head.lines.push_back(form.checked_in_at
                           ? "Checked in at " +
                                 format_local(*form.checked_in_at, form.event.timezone) +
                                 " (registration desk)"
                           : std::string("Checked in at: - (no registration desk check-in)"));
  if (form.rows.front().provisional) {
    head.lines.push_back("Provisional: walk-in, to be confirmed by the League "
                         "(muster-server confirm-walk-in).");
  }
  doc.blocks.push_back(std::move(head));

  PdfBlock sessions;
  PdfTable table;
  table.caption = "Sessions";
  table.columns = {"Session", "Arrived", "Left", "Early leave", "Hours"};
  table.widths = {4.0, 1.1, 1.1, 1.3, 0.8};
  for (const CreditRow& row : form.rows) {
    const Attendance& a = row.attendance;
    table.rows.push_back(
        {row.session.title, local_or_dash(a.first_arrival, form.event.timezone),
         local_or_dash(a.final_leave, form.event.timezone),
         a.early_leave ? "yes, " + local_or_dash(a.early_leave_time, form.event.timezone) : "no",
         fixed2(a.credit_hours)});
  }
  sessions.table = std::move(table);
  doc.blocks.push_back(std::move(sessions));

  // Per session: how the leave was confirmed and the survey answers.
  PdfBlock kiosk;
  PdfTable confirmations;
  confirmations.caption = "At the kiosk";
  confirmations.columns = {"Session", "Leave"};
  confirmations.widths = {4.0, 3.3};
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    confirmations.rows.push_back({form.rows[r].session.title, notes_of(form, r).confirmation});
  }
  kiosk.table = std::move(confirmations);
  doc.blocks.push_back(std::move(kiosk));
  // Answers can be long: lines wrap where table cells would be shortened.
  PdfBlock survey;
  survey.lines.push_back("Survey answers after leaving:");
  for (std::size_t r = 0; r < form.rows.size(); ++r) {
    survey.lines.push_back("  " + form.rows[r].session.title + ": " +
                           survey_or_none(notes_of(form, r)));
  }
  doc.blocks.push_back(std::move(survey));

  PdfBlock end;
  const bool eligible = earns_credit(form);
  end.lines.push_back("Total credit hours: " + fixed2(total_hours(form)) +
                      (eligible ? "" : " (this role earns no CMO credit)"));
  end.lines.push_back("Claiming credit for time not attended could be an ethics violation.");
  doc.blocks.push_back(std::move(end));
  return doc;
}

CreditResult<PdfDocument> verification_letter_document(const CreditForm& form, Instant now) {
  const Role role = form.rows.empty() ? form.attendee.role : form.rows.front().attendee.role;
  if (earns_credit(form)) {
    return fail(CreditError::not_eligible,
                "'" + form.attendee.id + "' is a " + std::string(to_string(role)) +
                    " and earns CMO credit (under the event's programs: " +
                    join(form.event.programs, ", ") +
                    "): use credit-form or transcript instead of a verification letter");
  }
  PdfDocument doc;
  doc.title = "Attendance verification";
  doc.subtitle = form.league_name;
  doc.footer = "Verification of attendance of " + form.attendee.id + " at " + form.event.id;
  PdfBlock body;
  body.lines.push_back(format_local(now, form.event.timezone, "%Y-%m-%d"));
  body.lines.push_back("");
  body.lines.push_back("To whom it may concern,");
  body.lines.push_back("");
  body.lines.push_back(
      "This letter verifies that " + full_name(form.attendee) + " (" +
      std::string(to_string(role)) +
      (form.attendee.municipality.empty() ? "" : ", " + form.attendee.municipality) + ")");
  body.lines.push_back("attended " + form.event.name + " (" + form.event.location + ") on " +
                       local_date(form.rows.front().session.start, form.event.timezone) +
                       " as recorded by the check-in kiosks:");
  PdfTable table;
  table.columns = {"Session", "Arrived", "Left"};
  table.widths = {4.5, 1.2, 1.2};
  for (const CreditRow& row : form.rows) {
    table.rows.push_back({row.session.title,
                          local_or_dash(row.attendance.first_arrival, form.event.timezone),
                          local_or_dash(row.attendance.final_leave, form.event.timezone)});
  }
  body.table = std::move(table);
  doc.blocks.push_back(std::move(body));
  PdfBlock end;
  end.lines.push_back("This attendance does not carry Certified Municipal Official (CMO) credit,");
  end.lines.push_back("which the program grants to elected officials only.");
  end.lines.push_back("");
  end.lines.push_back(form.league_name);
  doc.blocks.push_back(std::move(end));
  return doc;
}

// ---- reports ----

std::optional<ReportKind> parse_report_kind(std::string_view text) {
  if (text == "graduation") return ReportKind::graduation;
  if (text == "compliance") return ReportKind::compliance;
  if (text == "certified-municipalities") return ReportKind::certified_municipalities;
  return std::nullopt;
}

namespace {

std::string_view kind_name(ReportKind kind) {
  switch (kind) {
  case ReportKind::graduation:
    return "graduation";
  case ReportKind::compliance:
    return "compliance";
  case ReportKind::certified_municipalities:
    return "certified-municipalities";
  }
  return "graduation";
}

// One official as the reports see them.
struct Evaluated {
  OfficialView who;
  Progress progress;
};

// Certified Municipality (domain.md): the mayor and every councilmember hold the designation
// (the program's first level). With the League's municipalities imported, a town is judged on
// its full council: the mayor's seat and all `council_seats` seats must be held by officials in
// office (by their role on `as_of`) who hold it; an empty or unknown seat means not certified.
// Officials are matched by the roster's municipality_id (else the exact name). Without any
// municipalities imported, towns are grouped by the roster's name as before (seats unknown).
CreditResult<std::vector<std::vector<std::string>>>
certified_municipalities(ServerStore& store, const Program& program,
                         const std::vector<Evaluated>& evaluated, Date as_of) {
  std::vector<std::vector<std::string>> rows;
  if (program.levels.empty()) return rows;
  auto known = store.municipalities();
  if (!known) return store_error(known.error());
  const std::string designation = program.levels.front().id;
  struct Town {
    std::string id;
    std::string name;
    std::optional<int> seats; // council seats besides the mayor; unknown without an import
    int mayors = 0;
    int councilmembers = 0;
    int officials = 0;
    int holders = 0;
    int council_holders = 0;
    bool mayor_holds = false;
    std::vector<std::string> missing;
  };
  std::map<std::string, Town> towns; // by id, or by "name:<name>" for unknown towns
  std::map<std::string, std::string> id_of_name;
  for (const Municipality& m : *known) {
    Town& town = towns[m.id];
    town.id = m.id;
    town.name = m.name;
    town.seats = m.council_seats;
    id_of_name.emplace(m.name, m.id);
  }
  for (const auto& [who, p] : evaluated) {
    const Role role = who.official.role_on(as_of);
    if (!is_elected(role) || !in_office(who.official, as_of)) continue;
    std::string key = who.attendee.municipality_id;
    if (key.empty()) {
      const auto by_name = id_of_name.find(who.attendee.municipality);
      if (by_name != id_of_name.end()) key = by_name->second;
    }
    if (key.empty() || !towns.contains(key)) {
      if (who.attendee.municipality.empty() && who.attendee.municipality_id.empty()) continue;
      key = "name:" + (who.attendee.municipality.empty() ? who.attendee.municipality_id
                                                         : who.attendee.municipality);
      Town& unknown = towns[key];
      unknown.name = key.substr(5);
      unknown.id = who.attendee.municipality_id;
    }
    Town& town = towns[key];
    ++town.officials;
    ++(role == Role::mayor ? town.mayors : town.councilmembers);
    const LevelProgress* level = p.level(designation);
    if (level != nullptr && level->met) {
      ++town.holders;
      if (role == Role::mayor) town.mayor_holds = true;
      if (role == Role::councilmember) ++town.council_holders;
    } else {
      town.missing.push_back(who.attendee.id);
    }
  }
  const bool imported = !known->empty();
  for (const auto& [key, town] : towns) {
    const bool listed = town.seats.has_value();
    if (imported && !listed && town.officials == 0) continue;
    std::string note;
    bool certified = town.mayors > 0 && town.missing.empty();
    if (imported && !listed) {
      certified = false;
      note = "not a known municipality (import-municipalities; roster municipality_id)";
    } else if (town.mayors == 0) {
      note = "no mayor on the roster";
    } else if (!town.missing.empty()) {
      note = std::to_string(town.missing.size()) + " without " + level_name(program, designation);
    }
    if (listed && certified && town.council_holders < *town.seats) {
      certified = false;
      note = std::to_string(*town.seats - town.council_holders) + " of " +
             std::to_string(*town.seats) + " council seats not held by a known official with " +
             level_name(program, designation);
    }
    certified = certified && town.mayor_holds;
    rows.push_back({town.name, certified ? "true" : "false", std::to_string(town.officials),
                    std::to_string(town.holders), join(town.missing, ";"), note, town.id,
                    listed ? std::to_string(*town.seats) : std::string()});
  }
  return rows;
}

} // namespace

CreditResult<ReportTable> build_report(ServerStore& store, LedgerStore& ledger,
                                       const Program& program, ReportKind kind, Date as_of) {
  auto roster = store.roster();
  if (!roster) return store_error(roster.error());
  auto all = ledger.entries("");
  if (!all) return store_error(all.error());
  if (auto filled = fill_offered_hours(store, *all); !filled) return filled.error();
  std::map<std::string, std::vector<LedgerEntry>> by_official;
  for (auto& entry : *all)
    by_official[entry.official_id].push_back(std::move(entry));

  ReportTable report;
  report.kind = kind;
  report.as_of = as_of;
  report.year = static_cast<int>(as_of.year());
  std::vector<Evaluated> evaluated;
  for (const Attendee& a : *roster) {
    auto who = load_official(store, ledger, a.id);
    if (!who) return who.error();
    const auto& entries = by_official[a.id];
    // The program's people: its roles on `as_of`, and anyone it has credit entries for (a
    // councilmember who is a clerk now still graduates on what they earned).
    if (!program.eligible(who->official.role_on(as_of)) && entries.empty()) continue;
    Progress progress = evaluate(program, who->official, entries, as_of);
    evaluated.push_back({std::move(*who), std::move(progress)});
  }

  const auto name_cells = [](const OfficialView& who) {
    return std::vector<std::string>{who.attendee.id, full_name(who.attendee),
                                    std::string(to_string(who.attendee.role)),
                                    who.attendee.municipality};
  };
  switch (kind) {
  case ReportKind::graduation:
    report.columns = {"official_id", "name",        "role",         "municipality",
                      "levels",      "level_names", "completed_on", "deadline"};
    for (const auto& [who, p] : evaluated) {
      if (!p.graduation || p.graduation->qualifies.empty()) continue;
      std::vector<std::string> names;
      std::vector<std::string> dates;
      for (const std::string& id : p.graduation->qualifies) {
        names.push_back(level_name(program, id));
        const LevelProgress* level = p.level(id);
        dates.push_back(level && level->completed_on ? format_date(*level->completed_on) : "");
      }
      auto row = name_cells(who);
      row.insert(row.end(), {join(p.graduation->qualifies, ";"), join(names, ";"), join(dates, ";"),
                             format_date(p.graduation->deadline)});
      report.rows.push_back(std::move(row));
    }
    break;
  case ReportKind::compliance:
    report.columns = {"official_id", "name",   "role",      "municipality", "year",
                      "required",    "earned", "behind_by", "message"};
    for (const auto& [who, p] : evaluated) {
      if (!p.annual || !p.annual->applies || p.annual->met) continue;
      auto row = name_cells(who);
      row.insert(row.end(), {std::to_string(p.annual->year), format_hours(p.annual->required),
                             format_hours(p.annual->earned), format_hours(p.annual->behind_by),
                             p.annual->message});
      report.rows.push_back(std::move(row));
    }
    break;
  case ReportKind::certified_municipalities: {
    auto towns = certified_municipalities(store, program, evaluated, as_of);
    if (!towns) return towns.error();
    report.columns = {"municipality", "certified", "officials", "holders", "not_holding", "note"};
    // The identity columns only once the League imported its municipalities: a report of a
    // League without them reads exactly as before.
    const bool identities =
        std::any_of(towns->begin(), towns->end(), [](const auto& row) { return !row[7].empty(); });
    if (identities) {
      report.columns.insert(report.columns.end(), {"municipality_id", "council_seats"});
    } else {
      for (auto& row : *towns)
        row.resize(report.columns.size());
    }
    report.rows = std::move(*towns);
    break;
  }
  }
  return report;
}

std::string report_text(const ReportTable& report, ReportFormat format) {
  if (format == ReportFormat::csv) {
    std::string text = csv_row(report.columns);
    for (const auto& row : report.rows)
      text += csv_row(row);
    return text;
  }
  json rows = json::array();
  for (const auto& row : report.rows) {
    json item = json::object();
    for (std::size_t i = 0; i < report.columns.size() && i < row.size(); ++i) {
      const std::string& column = report.columns[i];
      if (column == "certified") {
        item[column] = row[i] == "true";
      } else if (column == "council_seats") {
        item[column] = row[i].empty() ? json(nullptr) : json(std::stoi(row[i]));
      } else if (column == "officials" || column == "holders" || column == "year") {
        item[column] = std::stoi(row[i]);
      } else if (column == "required" || column == "earned" || column == "behind_by") {
        item[column] = std::stod(row[i]);
      } else {
        item[column] = row[i];
      }
    }
    rows.push_back(std::move(item));
  }
  const json doc{{"kind", std::string(kind_name(report.kind))},
                 {"year", report.year},
                 {"as_of", format_date(report.as_of)},
                 {"rows", rows}};
  return doc.dump(2) + "\n";
}

// ---- outside credit ----

namespace {

bool listed(const std::vector<Category>& list, const std::string& id) {
  return std::any_of(list.begin(), list.end(), [&](const Category& c) { return c.id == id; });
}

std::string ids_of(const std::vector<Category>& list) {
  std::vector<std::string> ids;
  for (const Category& c : list)
    ids.push_back(c.id);
  return join(ids, ", ");
}

// A category or competency the program does not list is refused when recorded, not only
// later in the transcript (empty stays allowed: the engine says what is missing).
CreditResult<Ok> check_classification(const Program& program, const std::string& category,
                                      const std::string& competency) {
  if (!category.empty() && !program.categories.empty() && !listed(program.categories, category)) {
    return fail(CreditError::invalid, "--category '" + category + "' is not one of " +
                                          ids_of(program.categories) + " (" + program.id + ")");
  }
  if (!competency.empty() && !program.competencies.empty() &&
      !listed(program.competencies, competency)) {
    return fail(CreditError::invalid, "--competency '" + competency + "' is not one of " +
                                          ids_of(program.competencies) + " (" + program.id + ")");
  }
  return Ok{};
}

// Adds the entry and returns what the program made of it, evaluated as of its date.
CreditResult<OutsideCreditOutcome> add_and_evaluate(ServerStore& store, LedgerStore& ledger,
                                                    const Program& program, const OfficialView& who,
                                                    const LedgerEntry& entry, Instant now) {
  if (auto added = ledger.add_entry(entry, now); !added) {
    return fail(added.code() == DbError::conflict ? CreditError::invalid : CreditError::store,
                added.message() + (added.code() == DbError::conflict
                                       ? " (this course was recorded before)"
                                       : ""));
  }
  auto entries = official_ledger(store, ledger, entry.official_id);
  if (!entries) return entries.error();
  const Progress progress = evaluate(program, who.official, *entries, entry.date);
  OutsideCreditOutcome result;
  result.entry = entry;
  for (const EntryOutcome& o : progress.entries) {
    if (o.entry.id == entry.id) result.outcome = o;
  }
  return result;
}

} // namespace

CreditResult<OutsideCreditOutcome> record_outside_credit(ServerStore& store, LedgerStore& ledger,
                                                         const Program& program,
                                                         const OutsideCredit& credit, Instant now) {
  if (!std::isfinite(credit.hours) || credit.hours <= 0 || credit.hours > 24) {
    return fail(CreditError::invalid, "--hours must be more than 0 and at most 24");
  }
  if (credit.title.empty()) return fail(CreditError::invalid, "--title must not be empty");
  if (credit.reference.empty()) {
    return fail(CreditError::invalid,
                "--reference must name the approval documents (agenda, registration)");
  }
  if (auto ok = check_classification(program, credit.category, credit.competency); !ok) {
    return ok.error();
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  LedgerEntry entry;
  entry.id = "outside/" + format_date(credit.date) + "/" + credit.reference;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = credit.hours;
  entry.course_code = credit.course_code;
  entry.topic = credit.topic;
  entry.title = credit.title;
  entry.source = CreditSource::outside;
  entry.approved = true; // the command records training the League approved
  entry.documents_ref = credit.reference;
  entry.category = credit.category;
  entry.competency = credit.competency;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

CreditResult<OutsideCreditOutcome> record_online_credit(ServerStore& store, LedgerStore& ledger,
                                                        const Program& program,
                                                        const OnlineCredit& credit, Instant now) {
  const double hours = credit.hours.value_or(program.online_hours_per_course.value_or(1));
  if (!std::isfinite(hours) || hours <= 0 || hours > 24) {
    return fail(CreditError::invalid, "--hours must be more than 0 and at most 24");
  }
  if (!std::isfinite(credit.score) || credit.score < 0 || credit.score > 100) {
    return fail(CreditError::invalid, "--score must be a percentage from 0 to 100");
  }
  if (credit.title.empty()) return fail(CreditError::invalid, "--title must not be empty");
  if (auto ok = check_classification(program, credit.category, credit.competency); !ok) {
    return ok.error();
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  const std::string key = !credit.reference.empty()     ? credit.reference
                          : !credit.course_code.empty() ? credit.course_code
                                                        : credit.title;
  LedgerEntry entry;
  entry.id = "online/" + format_date(credit.date) + "/" + key;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = hours;
  entry.course_code = credit.course_code;
  entry.topic = credit.topic;
  entry.title = credit.title;
  entry.source = CreditSource::online;
  entry.test_score = credit.score;
  entry.test_passed = credit.score >= program.online_pass_score.value_or(kDefaultPassScore);
  entry.documents_ref = credit.reference;
  entry.category = credit.category;
  entry.competency = credit.competency;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

CreditResult<OutsideCreditOutcome> record_point(ServerStore& store, LedgerStore& ledger,
                                                const Program& program, const PointCredit& credit,
                                                Instant now) {
  const PointEvent* type = program.point_event(credit.event_type);
  if (type == nullptr) {
    std::vector<std::string> types;
    for (const PointEvent& e : program.point_events)
      types.push_back(e.type);
    return fail(
        CreditError::invalid,
        "--type '" + credit.event_type + "' is not a qualifying event of " + program.id +
            (types.empty() ? " (it gives no points)" : " (one of " + join(types, ", ") + ")"));
  }
  if (!credit.event_id.empty()) {
    if (auto event = store.event(credit.event_id); !event) {
      if (event.code() == DbError::not_found) {
        return fail(CreditError::not_found, "no event '" + credit.event_id + "'");
      }
      return store_error(event.error());
    }
  }
  auto who = load_official(store, ledger, credit.official_id);
  if (!who) return who.error();
  LedgerEntry entry;
  entry.id = "points/" + format_date(credit.date) + "/" + type->type;
  entry.official_id = credit.official_id;
  entry.date = credit.date;
  entry.hours = 0; // the event's hours, if any, come from close-event or outside-credit
  entry.title = credit.title.empty() ? type->name : credit.title;
  entry.points_event = type->type;
  // A non-League meeting (NLC) is outside training the League counts for its points only.
  entry.source = type->non_league ? CreditSource::outside : CreditSource::league_event;
  entry.approved = true;
  entry.event_id = credit.event_id.empty() ? entry.id : credit.event_id;
  entry.documents_ref = credit.reference;
  return add_and_evaluate(store, ledger, program, *who, entry, now);
}

std::string describe_points(const EntryOutcome& outcome, const Program& program) {
  std::string text = "Counted " + std::to_string(outcome.points_credited) + " point(s)";
  std::vector<std::string> levels;
  for (const Placement& p : outcome.placements) {
    if (p.points > 0) levels.push_back(level_name(program, p.level_id));
  }
  if (!levels.empty()) text += " toward " + join(levels, ", ");
  text += ".\n";
  for (const RefusedPart& r : outcome.refused) {
    text += "Not counted: " + std::to_string(r.points) + " point(s) (" +
            std::string(to_string(r.reason)) + "): " + r.message + "\n";
  }
  return text;
}

CreditResult<PreapprovalOutcome> record_preapproval(ServerStore& store, LedgerStore& ledger,
                                                    const Preapproval& preapproval, Instant now) {
  if (preapproval.reference.empty()) {
    return fail(CreditError::invalid, "--reference must name where the approval is documented");
  }
  auto who = load_official(store, ledger, preapproval.official_id);
  if (!who) return who.error();
  if (auto event = store.event(preapproval.event_id); !event) {
    if (event.code() == DbError::not_found) {
      return fail(CreditError::not_found, "no event '" + preapproval.event_id + "'");
    }
    return store_error(event.error());
  }
  auto marked = ledger.add_preapproval(preapproval, now);
  if (!marked) {
    return fail(marked.code() == DbError::conflict ? CreditError::invalid : CreditError::store,
                marked.message());
  }
  return PreapprovalOutcome{*marked, who->official.left_office.has_value()};
}

CreditResult<std::uint64_t> classify_entries(ServerStore& store, LedgerStore& ledger,
                                             const Program& program, const Classification& c) {
  if (c.entry_id.empty() == c.event_id.empty()) {
    return fail(CreditError::invalid, "name either --entry or --event");
  }
  if (c.category.empty() && c.competency.empty()) {
    return fail(CreditError::invalid, "name --category, --competency or both");
  }
  if (auto ok = check_classification(program, c.category, c.competency); !ok) return ok.error();
  auto who = load_official(store, ledger, c.official_id);
  if (!who) return who.error();
  auto entries = ledger.entries(c.official_id);
  if (!entries) return store_error(entries.error());
  std::uint64_t changed = 0;
  for (const LedgerEntry& e : *entries) {
    if (!(c.entry_id.empty() ? e.event_id == c.event_id : e.id == c.entry_id)) continue;
    // Only what is named changes: --category alone keeps the competency.
    auto done =
        ledger.classify(c.official_id, e.id, "", c.category.empty() ? e.category : c.category,
                        c.competency.empty() ? e.competency : c.competency);
    if (!done) return store_error(done.error());
    changed += *done;
  }
  if (changed == 0) {
    return fail(CreditError::not_found, "no ledger entry of '" + c.official_id + "' " +
                                            (c.entry_id.empty() ? "from event '" + c.event_id + "'"
                                                                : "with id '" + c.entry_id + "'"));
  }
  return changed;
}

std::string describe_outcome(const EntryOutcome& outcome, const Program& program) {
  std::string text = "Counted " + format_hours(outcome.hours_credited) + " of " +
                     format_hours(outcome.entry.hours) + " hours";
  if (!outcome.placements.empty()) text += " toward " + placements_text(outcome, &program);
  text += ".\n";
  for (const RefusedPart& r : outcome.refused) {
    text += "Not counted: " + format_hours(r.hours) + " h (" + std::string(to_string(r.reason)) +
            "): " + r.message + "\n";
  }
  return text;
}

std::optional<Designation> parse_designation(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const auto date = parse_date(text.substr(colon + 1));
  if (!date) return std::nullopt;
  return Designation{std::string(text.substr(0, colon)), *date};
}

// ---- commands ----

int run_close_event(const CloseEventOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto outcome =
      close_event(*stores->server, *stores->ledger, options.event_id, now_instant(), options.amend);
  if (!outcome) return failed(err, outcome.message());
  out << describe_close(options.event_id, *outcome);
  return 0;
}

int run_transcript(const TranscriptOptions& options, std::ostream& out, std::ostream& err) {
  if (options.format == DocumentFormat::pdf && !options.out_file) {
    return failed(err, "--format pdf needs --out FILE");
  }
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto transcript = build_transcript(*stores->server, *stores->ledger, *program,
                                     options.official_id, options.as_of.value_or(today_utc()));
  if (!transcript) return failed(err, transcript.message());
  CreditResult<Ok> written = Ok{};
  switch (options.format) {
  case DocumentFormat::json:
    written = write_text(options.out_file, transcript_json(*transcript), out);
    break;
  case DocumentFormat::csv:
    written = write_text(options.out_file, transcript_csv(*transcript), out);
    break;
  case DocumentFormat::pdf:
    written = write_document(transcript_document(*transcript), *options.out_file);
    break;
  }
  if (!written) return failed(err, written.message());
  if (options.out_file) out << "Wrote " << options.out_file->string() << "\n";
  return 0;
}

int run_credit_form(const CreditFormOptions& options, std::ostream& out, std::ostream& err) {
  if (options.format == DocumentFormat::json) return failed(err, "--format must be pdf or csv");
  if (options.format == DocumentFormat::pdf && !options.out_file) {
    return failed(err, "--format pdf needs --out FILE");
  }
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto form = build_credit_form(*stores->server, options.event_id, options.official_id);
  if (!form) return failed(err, form.message());
  auto written = options.format == DocumentFormat::csv
                     ? write_text(options.out_file, credit_form_csv(*form), out)
                     : write_document(credit_form_document(*form), *options.out_file);
  if (!written) return failed(err, written.message());
  if (options.out_file) out << "Wrote " << options.out_file->string() << "\n";
  return 0;
}

int run_verification_letter(const VerificationLetterOptions& options, std::ostream& out,
                            std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto form = build_credit_form(*stores->server, options.event_id, options.attendee_id);
  if (!form) return failed(err, form.message());
  auto letter = verification_letter_document(*form, now_instant());
  if (!letter) return failed(err, letter.message());
  if (auto written = write_document(*letter, options.out_file); !written) {
    return failed(err, written.message());
  }
  out << "Wrote " << options.out_file.string() << "\n";
  return 0;
}

int run_report(const ReportOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  Date as_of = options.as_of.value_or(today_utc());
  if (options.year && !options.as_of) {
    // A past year is reported as it stood on its last day; the current year as of today.
    const Date year_end{std::chrono::year{*options.year}, std::chrono::December,
                        std::chrono::day{31}};
    if (std::chrono::sys_days{year_end} < std::chrono::sys_days{as_of}) as_of = year_end;
    if (static_cast<int>(as_of.year()) != *options.year) {
      return failed(err, "--year " + std::to_string(*options.year) + " is in the future");
    }
  }
  auto report = build_report(*stores->server, *stores->ledger, *program, options.kind, as_of);
  if (!report) return failed(err, report.message());
  out << report_text(*report, options.format);
  return 0;
}

int run_outside_credit(const OutsideCreditOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded = record_outside_credit(*stores->server, *stores->ledger, *program, options.credit,
                                        now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << format_hours(options.credit.hours) << " h, " << options.credit.title << ".\n"
      << describe_outcome(recorded->outcome, *program);
  return 0;
}

int run_online_credit(const OnlineCreditOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded = record_online_credit(*stores->server, *stores->ledger, *program, options.credit,
                                       now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << format_hours(recorded->entry.hours) << " h, " << options.credit.title << ", test score "
      << format_hours(options.credit.score) << "%.\n"
      << describe_outcome(recorded->outcome, *program);
  return 0;
}

int run_point(const PointOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded =
      record_point(*stores->server, *stores->ledger, *program, options.credit, now_instant());
  if (!recorded) return failed(err, recorded.message());
  out << "Recorded " << recorded->entry.id << " for " << options.credit.official_id << ": "
      << recorded->entry.title << ".\n"
      << describe_points(recorded->outcome, *program);
  return 0;
}

int run_preapprove(const PreapproveOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto recorded =
      record_preapproval(*stores->server, *stores->ledger, options.preapproval, now_instant());
  if (!recorded) return failed(err, recorded.message());
  const Preapproval& p = options.preapproval;
  out << "Pre-approved " << p.event_id << " for " << p.official_id << " (" << p.reference
      << "): " << recorded->entries_marked << " posted credit(s) marked approved"
      << "; close-event posts later ones approved.\n";
  if (!recorded->left_office) {
    out << "Note: " << p.official_id
        << " has no leaving-office date on record (muster-server official --left-office); "
           "pre-approval matters only after leaving office.\n";
  }
  return 0;
}

int run_classify(const ClassifyOptions& options, std::ostream& out, std::ostream& err) {
  auto program = load_program(options.program_file);
  if (!program) return failed(err, program.message());
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto changed =
      classify_entries(*stores->server, *stores->ledger, *program, options.classification);
  if (!changed) return failed(err, changed.message());
  const Classification& c = options.classification;
  out << "Classified " << *changed << " entr" << (*changed == 1 ? "y" : "ies") << " of "
      << c.official_id << (c.category.empty() ? "" : ": category " + c.category)
      << (c.competency.empty()
              ? ""
              : (c.category.empty() ? ": " : ", ") + std::string("competency ") + c.competency)
      << ".\n";
  return 0;
}

int run_official(const OfficialOptions& options, std::ostream& out, std::ostream& err) {
  auto stores = open_stores(options.database);
  if (!stores) return failed(err, stores.message());
  auto who = load_official(*stores->server, *stores->ledger, options.official_id);
  if (!who) return failed(err, who.message());
  OfficialRecord record;
  record.id = options.official_id;
  record.term_start = options.term_start ? options.term_start : who->official.term_start;
  record.first_term = options.first_term.value_or(who->official.first_term);
  record.left_office = options.left_office ? options.left_office : who->official.left_office;
  record.designations = options.designations;
  if (auto put = stores->ledger->put_official(record); !put) return failed(err, put.message());
  auto after = load_official(*stores->server, *stores->ledger, options.official_id);
  if (!after) return failed(err, after.message());
  const Official& o = after->official;
  out << o.id << " (" << to_string(o.role) << ", " << after->attendee.municipality << ")\n"
      << "  term start:  " << (o.term_start ? format_date(*o.term_start) : "-") << "\n"
      << "  first term:  " << (o.first_term ? "yes" : "no") << "\n"
      << "  left office: " << (o.left_office ? format_date(*o.left_office) : "-") << "\n";
  for (const Designation& d : o.designations)
    out << "  designation: " << d.level_id << " since " << format_date(d.earned_on) << "\n";
  for (const RoleChange& r : o.roles) { // the role history from roster imports
    const bool always = r.effective.year() == std::chrono::year{1};
    out << "  role:        " << to_string(r.role) << " "
        << (always ? std::string("before the first change") : "from " + format_date(r.effective))
        << "\n";
  }
  return 0;
}

int run_admin_token(std::string_view database, std::string_view label, std::ostream& out,
                    std::ostream& err) {
  if (sodium_init() < 0) return failed(err, "libsodium could not be initialised");
  auto stores = open_stores(database);
  if (!stores) return failed(err, stores.message());
  std::array<unsigned char, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  std::string hex(secret.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), secret.data(), secret.size());
  hex.pop_back();
  const std::string token = "muster-admin." + hex;
  if (auto added = stores->ledger->add_admin_token(hash_secret(token), label, now_instant());
      !added) {
    return failed(err, added.message());
  }
  out << "Admin token for GET /api/v1/officials/{id}/transcript (shown once, stored hashed; "
         "send it as 'Authorization: Bearer <token>'):\n"
      << token << "\n";
  return 0;
}

} // namespace muster::server
