// The League's reports: graduation, compliance, certified municipalities (CSV, JSON).
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

// A town as the certified-municipalities report counts it.
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

struct Towns {
  std::map<std::string, Town> by_key; // by id, or by "name:<name>" for unknown towns
  std::map<std::string, std::string> id_of_name;
};

// Counts one elected official in office on `as_of` in their town (matched by the roster's
// municipality_id, else the exact name; an unknown town is keyed by its name).
void count_official(Towns& towns, const Evaluated& evaluated, const std::string& designation,
                    Date as_of) {
  const auto& [who, p] = evaluated;
  const Role role = who.official.role_on(as_of);
  if (!is_elected(role) || !in_office(who.official, as_of)) return;
  std::string key = who.attendee.municipality_id;
  if (key.empty()) {
    const auto by_name = towns.id_of_name.find(who.attendee.municipality);
    if (by_name != towns.id_of_name.end()) key = by_name->second;
  }
  if (key.empty() || !towns.by_key.contains(key)) {
    if (who.attendee.municipality.empty() && who.attendee.municipality_id.empty()) return;
    key = "name:" + (who.attendee.municipality.empty() ? who.attendee.municipality_id
                                                       : who.attendee.municipality);
    Town& unknown = towns.by_key[key];
    unknown.name = key.substr(5);
    unknown.id = who.attendee.municipality_id;
  }
  Town& town = towns.by_key[key];
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

// The town's report row; nullopt for a town the League did not import that has no officials.
std::optional<std::vector<std::string>>
town_row(const Town& town, bool imported, const Program& program, const std::string& designation) {
  const bool listed = town.seats.has_value();
  if (imported && !listed && town.officials == 0) return std::nullopt;
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
  return std::vector<std::string>{town.name,
                                  certified ? "true" : "false",
                                  std::to_string(town.officials),
                                  std::to_string(town.holders),
                                  join(town.missing, ";"),
                                  note,
                                  town.id,
                                  listed ? std::to_string(*town.seats) : std::string()};
}

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
  Towns towns;
  for (const Municipality& m : *known) {
    Town& town = towns.by_key[m.id];
    town.id = m.id;
    town.name = m.name;
    town.seats = m.council_seats;
    towns.id_of_name.emplace(m.name, m.id);
  }
  for (const Evaluated& official : evaluated)
    count_official(towns, official, designation, as_of);
  const bool imported = !known->empty();
  for (const auto& [key, town] : towns.by_key) {
    if (auto row = town_row(town, imported, program, designation)) rows.push_back(std::move(*row));
  }
  return rows;
}

// Every official of the program on `as_of` with their progress: its roles on `as_of`, and
// anyone it has credit entries for (a councilmember who is a clerk now still graduates on what
// they earned).
CreditResult<std::vector<Evaluated>> evaluate_officials(ServerStore& store, LedgerStore& ledger,
                                                        const Program& program, Date as_of) {
  auto roster = store.roster();
  if (!roster) return store_error(roster.error());
  auto officials = read_officials(store, ledger);
  if (!officials) return officials.error();
  // The ledger a chunk of the roster at a time (not the whole ledger at once: at a season's
  // scale that held about 2 GB), each event read once for all chunks.
  EventsRead events;
  constexpr std::size_t kChunk = 500;
  std::vector<Evaluated> evaluated;
  for (std::size_t start = 0; start < roster->size(); start += kChunk) {
    const std::size_t end = std::min(roster->size(), start + kChunk);
    std::vector<std::string> ids;
    for (std::size_t i = start; i < end; ++i)
      ids.push_back((*roster)[i].id);
    auto entries = ledger.entries_of(ids);
    if (!entries) return store_error(entries.error());
    if (auto filled = fill_offered_hours(store, *entries, events); !filled) return filled.error();
    std::map<std::string, std::vector<LedgerEntry>> by_official;
    for (auto& entry : *entries)
      by_official[entry.official_id].push_back(std::move(entry));
    entries->clear();
    for (std::size_t i = start; i < end; ++i) {
      Attendee& a = (*roster)[i];
      const std::string id = a.id;
      OfficialView who =
          official_view(std::move(a), (*officials)->record(id), (*officials)->history(id));
      const auto& theirs = by_official[id];
      if (!program.eligible(who.official.role_on(as_of)) && theirs.empty()) continue;
      Progress progress = evaluate(program, who.official, theirs, as_of);
      // The reports read each level's id, met and completed_on, the graduation and the annual
      // figures, nothing else: the per-entry outcomes and the words (missing courses, in every
      // level of every official) are dropped here, they were most of a season's memory.
      progress.entries = {};
      progress.missing = {};
      progress.cycle.reset();
      for (LevelProgress& level : progress.levels) {
        level.core_courses_missing = {};
        level.core_courses_partial = {};
        level.missing = {};
        level.next_tier = {};
      }
      evaluated.push_back({std::move(who), std::move(progress)});
    }
  }
  return evaluated;
}

std::vector<std::string> name_cells(const OfficialView& who) {
  return std::vector<std::string>{who.attendee.id, full_name(who.attendee),
                                  std::string(to_string(who.attendee.role)),
                                  who.attendee.municipality};
}

void graduation_rows(ReportTable& report, const std::vector<Evaluated>& evaluated,
                     const Program& program) {
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
}

void compliance_rows(ReportTable& report, const std::vector<Evaluated>& evaluated) {
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
}

CreditResult<Ok> municipality_rows(ReportTable& report, ServerStore& store, const Program& program,
                                   const std::vector<Evaluated>& evaluated) {
  auto towns = certified_municipalities(store, program, evaluated, report.as_of);
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
  return Ok{};
}

} // namespace

CreditResult<ReportTable> build_report(ServerStore& store, LedgerStore& ledger,
                                       const Program& program, ReportKind kind, Date as_of) {
  auto evaluated = evaluate_officials(store, ledger, program, as_of);
  if (!evaluated) return evaluated.error();
  ReportTable report;
  report.kind = kind;
  report.as_of = as_of;
  report.year = static_cast<int>(as_of.year());
  switch (kind) {
  case ReportKind::graduation:
    graduation_rows(report, *evaluated, program);
    break;
  case ReportKind::compliance:
    compliance_rows(report, *evaluated);
    break;
  case ReportKind::certified_municipalities:
    if (auto rows = municipality_rows(report, store, program, *evaluated); !rows) {
      return rows.error();
    }
    break;
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
PdfDocument report_document(const ReportTable& report, std::string_view league_name) {
  PdfDocument doc;
  doc.title = "Report: " + std::string(kind_name(report.kind));
  doc.subtitle = std::string(league_name);
  PdfBlock block;
  block.lines.push_back("Year " + std::to_string(report.year) + ", as of " +
                        format_date(report.as_of) + "; " + std::to_string(report.rows.size()) +
                        " row(s).");
  PdfTable table;
  table.columns = report.columns;
  table.widths.assign(report.columns.size(), 1.0);
  table.rows = report.rows;
  block.table = std::move(table);
  doc.blocks.push_back(std::move(block));
  doc.footer = std::string(league_name) + " - " + std::string(kind_name(report.kind)) + " report";
  return doc;
}

} // namespace muster::server
