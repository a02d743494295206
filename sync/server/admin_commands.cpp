#include "sync/server/admin_commands.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>

#include "shared/csv.hpp"
#include "shared/hours.hpp"
#include "shared/import.hpp"
#include "shared/presence.hpp"
#include "shared/sodium_init.hpp"
#include "shared/text.hpp"
#include "shared/time.hpp"
#include "sync/server/badge_render.hpp"
#include "sync/server/http_api.hpp"
#include "sync/server/league_key.hpp"
#include "sync/server/program_catalog.hpp"
#include "sync/server/program_check.hpp"
#include "sync/server/scan_clock.hpp"
#include "sync/server/sql_connection.hpp"

namespace muster::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
constexpr std::string_view kSerialAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::size_t kSerialChars = 12; // 60 random bits: collisions are not a concern
constexpr int kSerialAttempts = 5;

std::string random_text(std::string_view alphabet, std::size_t length) {
  ensure_sodium();
  std::string text;
  text.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    text += alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  return text;
}

Error<AdminError> store_error(const Error<DbError>& error) {
  return fail(error.code == DbError::not_found ? AdminError::not_found : AdminError::store,
              error.message);
}

template <class T> Error<AdminError> store_error(const DbResult<T>& result) {
  return store_error(result.error());
}

Instant now_instant() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// Prints the error and returns the exit code for a failed command.
template <class T, class Code> int report(const Result<T, Code>& result, std::ostream& err) {
  err << "error: " << result.message() << '\n';
  return 1;
}

AdminResult<Event> find_event(ServerStore& store, std::string_view event_id) {
  auto event = store.event(event_id);
  if (!event) {
    if (event.code() == DbError::not_found) {
      return fail(AdminError::not_found, "no event '" + std::string(event_id) +
                                             "' in the database; import it with "
                                             "`muster-server import-event --db DB FILE.json`");
    }
    return store_error(event);
  }
  return std::move(event).value();
}

std::string full_name(const Attendee& attendee) {
  return attendee.first_name + " " + attendee.last_name;
}

std::string optional_utc(const std::optional<Instant>& instant) {
  return instant ? format_utc(*instant) : std::string();
}

std::string optional_local(const std::optional<Instant>& instant, std::string_view zone) {
  return instant ? format_local(*instant, zone) : std::string();
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

} // namespace

// ---- library functions ----

AdminResult<std::unique_ptr<ServerStore>> open_existing_store(std::string_view database) {
  if (database.empty()) return fail(AdminError::store, "--db is required");
  if (!is_postgres_url(database)) {
    std::error_code ignored;
    if (!fs::exists(fs::path(std::string(database)), ignored)) {
      return fail(AdminError::store, "the database " + std::string(database) +
                                         " does not exist; create it with `muster-server init "
                                         "--db " +
                                         std::string(database) + "`");
    }
  }
  auto store = open_server_store(database);
  if (!store) return store_error(store);
  if (auto league = (*store)->league(); !league) return store_error(league);
  return std::move(store).value();
}

AdminResult<SigningKey> load_checked_league_key(ServerStore& store, std::string_view database,
                                                const std::optional<fs::path>& file,
                                                std::ostream& err) {
  auto path = league_key_path(database, file);
  if (!path) return fail(AdminError::key, path.message());
  auto key = load_league_key(*path);
  if (!key) return fail(AdminError::key, key.message());
  if (auto warning = league_key_permission_warning(*path)) err << *warning << '\n';
  auto keys = store.league_keys();
  if (!keys) return store_error(keys);
  const std::string public_text = to_text(key->public_key());
  const bool known = std::any_of(keys->begin(), keys->end(), [&](const LeagueKeyRecord& record) {
    return record.public_key_text == public_text;
  });
  if (!known) {
    return fail(AdminError::key, "the key in " + path->string() +
                                     " is not a League key of this database (wrong --league-key?)");
  }
  return std::move(key).value();
}

AdminResult<std::vector<IssuedBadge>> issue_badges(ServerStore& store, const SigningKey& key,
                                                   std::string_view event_id, Instant now) {
  auto event = find_event(store, event_id);
  if (!event) return event.error();
  auto league = store.league();
  if (!league) return store_error(league);
  auto roster = store.roster();
  if (!roster) return store_error(roster);
  auto existing = store.badges_for_event(event_id);
  if (!existing) return store_error(existing);
  auto keys = store.league_keys();
  if (!keys) return store_error(keys);

  // The newest unrevoked badge per attendee, signed by a key the League still has.
  std::map<std::string, BadgeRecord, std::less<>> current;
  for (const BadgeRecord& badge : *existing) {
    if (badge.revoked_at) continue;
    const bool key_known = std::any_of(keys->begin(), keys->end(), [&](const auto& record) {
      return record.key_id == badge.key_id;
    });
    if (!key_known) continue;
    auto [it, inserted] = current.try_emplace(badge.attendee_id, badge);
    if (!inserted && badge.issued_at > it->second.issued_at) it->second = badge;
  }

  std::vector<Attendee> attendees = std::move(*roster);
  std::sort(attendees.begin(), attendees.end(),
            [](const Attendee& a, const Attendee& b) { return a.id < b.id; });
  std::vector<IssuedBadge> issued;
  issued.reserve(attendees.size());
  for (Attendee& attendee : attendees) {
    attendee.email.clear(); // not needed for printing
    if (const auto it = current.find(attendee.id); it != current.end()) {
      issued.push_back({std::move(attendee), it->second, true});
      continue;
    }
    std::optional<BadgeRecord> added;
    for (int attempt = 0; attempt < kSerialAttempts && !added; ++attempt) {
      BadgeRecord badge;
      badge.serial = random_text(kSerialAlphabet, kSerialChars);
      badge.attendee_id = attendee.id;
      badge.event_id = std::string(event_id);
      badge.key_id = key.key_id();
      badge.issued_at = now;
      auto payload = sign_badge({league->id, attendee.id, badge.serial}, key);
      if (!payload) {
        return fail(AdminError::store,
                    "cannot sign a badge for " + attendee.id + ": " + payload.message());
      }
      badge.payload = std::move(*payload);
      auto stored = store.add_badge(badge);
      if (stored) {
        added = std::move(badge);
      } else if (stored.code() != DbError::conflict) {
        return store_error(stored);
      }
    }
    if (!added) throw std::logic_error("no free badge serial after several random attempts");
    issued.push_back({std::move(attendee), std::move(*added), false});
  }
  return issued;
}

AdminResult<Ok> write_file_atomically(const fs::path& path, std::string_view contents) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return fail(AdminError::io, "cannot write " + path.string());
    }
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  if (error) {
    fs::remove(temporary, error);
    return fail(AdminError::io, "cannot write " + path.string() + ": " + error.message());
  }
  return Ok{};
}

AdminResult<Ok> write_badge_files(const std::vector<IssuedBadge>& badges, const Event& event,
                                  const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return fail(AdminError::io, "cannot create " + dir.string() + ": " + error.message());
  std::vector<BadgeCard> cards;
  cards.reserve(badges.size());
  std::string tsv = "attendee_id\tname\trole\tpayload\n";
  for (const IssuedBadge& issued : badges) {
    const Attendee& a = issued.attendee;
    BadgeCard card{issued.badge.payload,           a.first_name, a.last_name, a.municipality,
                   std::string(to_string(a.role)), event.name};
    if (auto written = write_badge_png(card, dir / (a.id + ".png")); !written) {
      return fail(AdminError::render, written.message());
    }
    tsv += a.id + "\t" + full_name(a) + "\t" + std::string(to_string(a.role)) + "\t" +
           issued.badge.payload + "\n";
    cards.push_back(std::move(card));
  }
  if (auto sheet = write_badge_sheet_pdf(cards, dir / "badges.pdf"); !sheet) {
    return fail(AdminError::render, sheet.message());
  }
  return write_file_atomically(dir / "badges.tsv", tsv);
}

AdminResult<EventPackage> build_event_package(ServerStore& store, std::string_view event_id,
                                              std::uint64_t since_cursor, Instant now) {
  if (auto event = find_event(store, event_id); !event) return event.error();
  auto league = store.league();
  if (!league) return store_error(league);
  auto delta = store.package_since(event_id, since_cursor);
  if (!delta) return store_error(delta);
  EventPackage package;
  package.league_id = league->id;
  package.since_cursor = delta->since_cursor;
  package.cursor = delta->next_cursor;
  package.event = std::move(delta->event);
  package.attendees = std::move(delta->attendees);
  for (Attendee& attendee : package.attendees)
    attendee.email.clear();
  package.revoked_serials = std::move(delta->revoked_serials);
  for (const LeagueKeyRecord& record : delta->league_keys) {
    auto key = parse_public_key(record.public_key_text);
    if (!key) {
      return fail(AdminError::damaged, "the database holds an unreadable League key " +
                                           record.key_id + ": " + key.message());
    }
    package.league_keys.push_back(std::move(*key));
  }
  for (const DeviceCertificateRecord& record : delta->device_certificates) {
    auto certificate = parse_device_certificate(record.certificate_text);
    if (!certificate) {
      return fail(AdminError::damaged, "the database holds an unreadable device certificate " +
                                           record.key_id + ": " + certificate.message());
    }
    package.device_certificates.push_back(std::move(*certificate));
  }
  package.generated_at = now;
  return package;
}

std::string new_provisioning_code() {
  const std::string raw = random_text(kCodeAlphabet, 12);
  return raw.substr(0, 4) + "-" + raw.substr(4, 4) + "-" + raw.substr(8, 4);
}

AdminResult<std::vector<CreditRow>> compute_credits(ServerStore& store, const Event& event) {
  // Every time below is the clock-corrected one (sync/server/scan_clock.hpp).
  auto clocked = clocked_scans_for_event(store, event.id);
  if (!clocked) return store_error(clocked);
  // A copy: the scans are regrouped (moved) below, the clock notes read the originals.
  std::vector<Scan> scans = clocked->scans;
  auto roster = store.roster();
  if (!roster) return store_error(roster);
  std::map<std::string, Attendee, std::less<>> people;
  for (Attendee& attendee : *roster)
    people.emplace(attendee.id, std::move(attendee));

  // Walk-ins: provisional ones are flagged; one confirmed as an existing attendee
  // (confirm-walk-in --as) has their scans counted for that attendee.
  auto walk_ins = store.walk_ins("", true);
  if (!walk_ins) return store_error(walk_ins);
  std::set<std::string, std::less<>> provisional;
  std::map<std::string, std::string, std::less<>> same_as;
  for (const WalkInRecord& w : *walk_ins) {
    if (w.provisional) provisional.insert(w.attendee.id);
    if (!w.same_as.empty()) same_as.emplace(w.attendee.id, w.same_as);
  }
  std::map<std::string, std::set<std::string>, std::less<>> merged; // attendee -> walk-in ids
  // attendee id -> every scan of theirs at the event (presence is judged across sessions)
  std::map<std::string, std::vector<Scan>, std::less<>> grouped;
  for (Scan& scan : scans) {
    if (const auto alias = same_as.find(scan.attendee_id); alias != same_as.end()) {
      merged[alias->second].insert(scan.attendee_id);
      scan.attendee_id = alias->second;
    }
    grouped[scan.attendee_id].push_back(std::move(scan));
  }

  // Credit is judged by the role held on the session's date, not today's.
  auto histories = store.role_histories();
  if (!histories) return store_error(histories);
  const auto role_on_day = [&](const Attendee& attendee, const Session& session) {
    const auto history = histories->find(attendee.id);
    if (history == histories->end()) return attendee.role;
    return role_on(history->second, session_date(event, session), attendee.role);
  };

  std::vector<CreditRow> rows;
  for (const auto& [attendee_id, their_scans] : grouped) {
    CreditRow base;
    if (const auto it = people.find(attendee_id); it != people.end()) {
      base.attendee = it->second;
      base.attendee.email.clear();
    } else {
      base.attendee.id = attendee_id;
      base.on_roster = false;
    }
    base.provisional = provisional.contains(attendee_id);
    // Event-level scans (no session): the desk's check-in shows as "checked in at".
    for (const Scan& scan : their_scans) {
      if (scan.kind != ScanKind::checkin) continue;
      const Instant when = corrected_time(scan);
      if (!base.checked_in_at || when < *base.checked_in_at) base.checked_in_at = when;
    }
    if (const auto it = merged.find(attendee_id); it != merged.end()) {
      base.walk_in_ids.assign(it->second.begin(), it->second.end());
    }
    // Presence across doors (shared/presence.hpp) places every scan in a session; the rows
    // come back in session order (start, then id).
    const auto eligible = [&](const Session& session) {
      return base.on_roster && grants_credit(event, role_on_day(base.attendee, session));
    };
    for (auto& item : compute_event_attendance(event, eligible, their_scans, event.timezone)) {
      CreditRow row = base;
      row.attendee.role = role_on_day(base.attendee, item.session);
      row.session = std::move(item.session);
      row.attendance = std::move(item.attendance);
      row.review = std::move(item.review);
      std::vector<std::string> ids = row.walk_in_ids;
      ids.push_back(attendee_id);
      row.clock = clock_notes(event, row.session, ids, *clocked);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::string credits_csv(const Event& event, const std::vector<CreditRow>& rows) {
  std::string text =
      "attendee_id,name,role,municipality,session_id,session_title,arrived,left,arrived_local,"
      "left_local,early_leave,early_leave_time,credit_hours,eligible,devices\n";
  for (const CreditRow& row : rows) {
    const Attendance& a = row.attendance;
    const std::vector<std::string> fields = {row.attendee.id,
                                             row.on_roster ? full_name(row.attendee)
                                                           : std::string(),
                                             std::string(to_string(row.attendee.role)),
                                             row.attendee.municipality,
                                             row.session.id,
                                             row.session.title,
                                             optional_utc(a.first_arrival),
                                             optional_utc(a.final_leave),
                                             optional_local(a.first_arrival, event.timezone),
                                             optional_local(a.final_leave, event.timezone),
                                             a.early_leave ? "true" : "false",
                                             optional_utc(a.early_leave_time),
                                             format_hours(a.credit_hours, HoursStyle::two_decimals),
                                             a.eligible ? "true" : "false",
                                             joined(a.devices, ";")};
    std::string line;
    for (const auto& field : fields) {
      if (!line.empty()) line += ',';
      line += csv_cell(field);
    }
    text += line + "\n";
  }
  return text;
}

// The attended stretches as credit counts them: clipped to the session, grace applied.
json intervals_json(const std::vector<Interval>& intervals) {
  json out = json::array();
  for (const Interval& interval : intervals)
    out.push_back({{"from", format_utc(interval.from)}, {"to", format_utc(interval.to)}});
  return out;
}

std::string credits_json(const Event& event, const std::vector<CreditRow>& rows) {
  const auto optional_time = [](const std::optional<Instant>& instant) {
    return instant ? json(format_utc(*instant)) : json(nullptr);
  };
  json attendees = json::array();
  for (const CreditRow& row : rows) {
    if (attendees.empty() || attendees.back()["attendee_id"] != row.attendee.id) {
      attendees.push_back({{"attendee_id", row.attendee.id},
                           {"name", row.on_roster ? full_name(row.attendee) : std::string()},
                           {"role", to_string(row.attendee.role)},
                           {"municipality", row.attendee.municipality},
                           {"on_roster", row.on_roster},
                           {"provisional", row.provisional},
                           {"walk_in_ids", row.walk_in_ids},
                           {"checked_in_at", optional_time(row.checked_in_at)},
                           {"eligible", row.on_roster && grants_credit(event, row.attendee.role)},
                           {"total_credit_hours", 0.0},
                           {"sessions", json::array()}});
    }
    const Attendance& a = row.attendance;
    json& person = attendees.back();
    person["total_credit_hours"] = person["total_credit_hours"].get<double>() + a.credit_hours;
    person["sessions"].push_back(
        {{"session_id", row.session.id},
         {"title", row.session.title},
         {"role", to_string(row.attendee.role)}, // the role on the session's date
         {"arrived", optional_time(a.first_arrival)},
         {"left", optional_time(a.final_leave)},
         {"arrived_local",
          a.first_arrival ? json(format_local(*a.first_arrival, event.timezone)) : json(nullptr)},
         {"left_local",
          a.final_leave ? json(format_local(*a.final_leave, event.timezone)) : json(nullptr)},
         {"early_leave", a.early_leave},
         {"early_leave_time", optional_time(a.early_leave_time)},
         {"attended_minutes", std::chrono::duration_cast<std::chrono::minutes>(a.attended).count()},
         {"credit_hours", a.credit_hours},
         {"eligible", a.eligible},
         {"devices", a.devices},
         {"notes", a.notes},
         {"review", row.review},
         {"intervals", intervals_json(a.intervals)}});
    // Only when there is something to say, so the JSON of true clocks is unchanged.
    if (!row.clock.empty()) person["sessions"].back()["clock"] = row.clock;
  }
  const json document = {{"event_id", event.id},
                         {"event_name", event.name},
                         {"timezone", event.timezone},
                         {"attendees", std::move(attendees)}};
  return document.dump(2) + "\n";
}

// ---- commands ----

int run_init(const InitOptions& options, std::ostream& out, std::ostream& err) {
  if (!is_valid_badge_id(options.league_id)) {
    err << "error: --league must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_' (it is printed "
           "in every badge)\n";
    return 1;
  }
  auto path = league_key_path(options.database, options.league_key);
  if (!path) return report(path, err);
  // The key file is created first and exclusively: a second init stops here, before it could
  // touch the database, and a key is never overwritten.
  auto key = create_league_key(*path);
  if (!key) return report(key, err);
  const auto undo = [&] {
    std::error_code ignored;
    fs::remove(*path, ignored);
  };
  auto store = open_server_store(options.database);
  if (!store) {
    undo();
    return report(store, err);
  }
  if (auto initialised = (*store)->initialise({options.league_id, options.league_name});
      !initialised) {
    undo();
    return report(initialised, err);
  }
  const LeagueKeyRecord record{key->key_id(), to_text(key->public_key()), now_instant(), true};
  if (auto added = (*store)->add_league_key(record); !added) {
    undo();
    return report(added, err);
  }
  out << "Initialised League " << options.league_id << " (" << options.league_name << ") in "
      << options.database << " (" << (*store)->backend() << ").\n"
      << "League signing key " << key->key_id() << " written to " << path->string()
      << " (mode 0600). Keep it secret and back it up apart from the database:\n"
      << "every badge and event package is signed with it.\n"
      << "Public key: " << record.public_key_text << "\n";
  return 0;
}

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

int run_issue_badges(const IssueBadgesOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  auto event = find_event(**store, options.event_id);
  if (!event) return report(event, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  auto badges = issue_badges(**store, *key, options.event_id, now_instant());
  if (!badges) return report(badges, err);
  if (auto written = write_badge_files(*badges, *event, options.out_dir); !written) {
    return report(written, err);
  }
  const auto reused = static_cast<std::size_t>(
      std::count_if(badges->begin(), badges->end(), [](const auto& b) { return b.reused; }));
  out << "Badges for " << event->name << ": " << badges->size() << " (" << badges->size() - reused
      << " new serials, " << reused << " reprinted with their current serial).\n"
      << "  " << (options.out_dir / "<attendee id>.png").string() << "  one image per attendee\n"
      << "  " << (options.out_dir / "badges.pdf").string() << "  printable sheet of inserts\n"
      << "  " << (options.out_dir / "badges.tsv").string()
      << "  attendee id, name, role, payload\n";
  return 0;
}

int run_revoke(std::string_view database, std::string_view serial, std::ostream& out,
               std::ostream& err) {
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto badge = (*store)->revoke_badge(serial, now_instant());
  if (!badge) {
    if (badge.code() == DbError::not_found) {
      err << "error: no badge with serial " << serial << " (see badges.tsv or the printed badge)\n";
      return 1;
    }
    return report(badge, err);
  }
  out << "Revoked badge " << badge->serial << " of attendee " << badge->attendee_id
      << " (revoked at " << format_utc(badge->revoked_at.value_or(now_instant())) << ").\n"
      << "Kiosks refuse it after their next package or sync. For a replacement run "
      << "`muster-server issue-badges --event "
      << (badge->event_id.empty() ? "ID" : badge->event_id) << "`: it gets a new serial.\n";
  return 0;
}

int run_certify_desk(const CertifyDeskOptions& options, std::ostream& out, std::ostream& err) {
  if (options.device_name.empty() || options.device_name.size() > 100) {
    err << "error: --name must be 1 to 100 characters (e.g. \"Registration desk 1\")\n";
    return 1;
  }
  std::string key_text = options.public_key;
  if (!key_text.empty() && key_text.front() == '@') {
    std::ifstream in(key_text.substr(1));
    if (!in) {
      err << "error: cannot read the public key file " << key_text.substr(1) << '\n';
      return 1;
    }
    std::getline(in, key_text);
  }
  while (!key_text.empty() && (key_text.back() == '\r' || key_text.back() == ' ')) {
    key_text.pop_back();
  }
  auto device_key = parse_public_key(key_text);
  if (!device_key) {
    err << "error: --public-key is not a MUPK1 public key (print it on the desk with "
           "`muster-kiosk --data DIR desk-key`): "
        << device_key.message() << '\n';
    return 1;
  }
  std::optional<Instant> not_after;
  if (!options.not_after.empty()) {
    not_after = parse_iso8601(options.not_after);
    if (!not_after) {
      err << "error: --not-after must be an ISO 8601 instant with an offset, e.g. "
             "2026-12-04T18:00:00Z\n";
      return 1;
    }
  }
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  auto league = (*store)->league();
  if (!league) return report(league, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  if (device_key->key_id == key->key_id()) {
    err << "error: the desk key id " << device_key->key_id << " is the League key's id\n";
    return 1;
  }
  auto certificate = certify_device(league->id, *device_key, not_after, *key);
  if (!certificate) {
    err << "error: cannot certify the desk key: " << certificate.message() << '\n';
    return 1;
  }
  const std::string text = to_text(*certificate);
  auto saved = (*store)->add_device_certificate(
      {device_key->key_id, options.device_name, text, now_instant()});
  if (!saved) return report(saved, err);
  out << "Certified desk key " << device_key->key_id << " (" << options.device_name << ")"
      << (not_after ? " until " + format_utc(*not_after) : std::string(", no expiry"))
      << ".\nEvery event package (file and sync) now carries its certificate:\n"
      << text << '\n';
  return 0;
}

int run_package(const PackageOptions& options, std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  if (auto event = find_event(**store, options.event_id); !event) return report(event, err);
  auto key = load_checked_league_key(**store, options.database, options.league_key, err);
  if (!key) return report(key, err);
  auto package = build_event_package(**store, options.event_id, 0, now_instant());
  if (!package) return report(package, err);
  if (auto written = write_file_atomically(options.out_file, sign_package(*package, *key));
      !written) {
    return report(written, err);
  }
  out << "Wrote the signed package of event " << options.event_id << " to "
      << options.out_file.string() << ": " << package->attendees.size() << " attendees, "
      << (package->event ? package->event->sessions.size() : 0) << " sessions, "
      << package->revoked_serials.size() << " revoked serials, cursor " << package->cursor
      << ".\nLoad it on a kiosk with: muster-kiosk --data DIR import-package "
      << options.out_file.string() << "\n";
  return 0;
}

int run_provision(const ProvisionOptions& options, std::ostream& out, std::ostream& err) {
  if (options.device_name.empty() || options.device_name.size() > 100) {
    err << "error: --name must be 1 to 100 characters (e.g. \"Ballroom A door\")\n";
    return 1;
  }
  auto store = open_existing_store(options.database);
  if (!store) return report(store, err);
  if (auto event = find_event(**store, options.event_id); !event) return report(event, err);
  const std::string code = new_provisioning_code();
  const Instant expires = now_instant() + options.valid_for;
  auto added = (*store)->add_provisioning_code(hash_secret(code), options.event_id,
                                               options.device_name, expires);
  if (!added) return report(added, err);
  out << "One-time provisioning code for device \"" << options.device_name << "\" at event "
      << options.event_id << ".\nIt works once and expires at " << format_utc(expires)
      << ". On the kiosk run: muster-kiosk --data DIR provision https://SERVER:PORT CODE\n"
      << code << "\n";
  return 0;
}

int run_credits(std::string_view database, std::string_view event_id, CreditsFormat format,
                std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto event = find_event(**store, event_id);
  if (!event) return report(event, err);
  auto rows = compute_credits(**store, *event);
  if (!rows) return report(rows, err);
  out << (format == CreditsFormat::json ? credits_json(*event, *rows) : credits_csv(*event, *rows));
  return 0;
}

int run_review(std::string_view database, std::string_view event_id, CreditsFormat format,
               std::ostream& out, std::ostream& err) {
  auto store = open_existing_store(database);
  if (!store) return report(store, err);
  auto event = find_event(**store, event_id);
  if (!event) return report(event, err);
  auto rows = compute_credits(**store, *event);
  if (!rows) return report(rows, err);
  // One item can concern two sessions (the one the door guessed, the one the rule chose): it is
  // listed once, under the first.
  auto devices = (*store)->devices();
  if (!devices) return report(devices, err);
  json items = json::array();
  std::set<std::pair<std::string, std::string>> listed;
  for (const CreditRow& row : *rows) {
    for (std::string words : row.review) {
      if (!listed.emplace(row.attendee.id, words).second) continue;
      // Staff know doors by name: "door dev-3f2a... #3" -> "door dev-3f2a... (Hall door 2) #3".
      for (const DeviceRecord& device : *devices) {
        const std::string named = "door " + device.id + " #";
        if (const auto at = words.find(named); at != std::string::npos) {
          words.replace(at, named.size(), "door " + device.id + " (" + device.name + ") #");
        }
      }
      items.push_back({{"attendee_id", row.attendee.id},
                       {"name", row.on_roster ? full_name(row.attendee) : std::string()},
                       {"session_id", row.session.id},
                       {"review", words}});
    }
  }
  // Staff corrections change credit without a badge: each is listed with who made it and at
  // which door, so the League can check them (a device token must not decide credit
  // unseen).
  auto scans = (*store)->scans_for_event(event->id);
  if (!scans) return report(scans, err);
  json corrections = json::array();
  for (const Scan& scan : *scans) {
    if (scan.kind != ScanKind::correction) continue;
    std::string name;
    if (auto attendee = (*store)->attendee(scan.attendee_id)) name = full_name(*attendee);
    json item = {{"attendee_id", scan.attendee_id},
                 {"name", name},
                 {"session_id", scan.session_id},
                 {"correction", std::string(to_string(scan.correction))},
                 {"effective_time", scan.correction == Correction::void_scan
                                        ? std::string()
                                        : format_utc(scan.effective_time)},
                 {"staff_id", scan.staff_id},
                 {"device_id", scan.device_id},
                 {"sequence", scan.sequence},
                 {"reason", scan.reason}};
    if (scan.correction == Correction::void_scan) {
      item["voids_device_id"] = scan.voids_device_id;
      item["voids_sequence"] = scan.voids_sequence;
    }
    corrections.push_back(std::move(item));
  }
  if (format == CreditsFormat::json) {
    out << json{{"event_id", event->id}, {"items", items}, {"corrections", corrections}}.dump(2)
        << "\n";
    return 0;
  }
  if (items.empty() && corrections.empty()) {
    out << "Nothing to review at event " << event->id
        << ": every door's scans agree with the presence rule.\n";
    return 0;
  }
  if (items.empty()) {
    out << "Every door's scans at event " << event->id << " agree with the presence rule.\n";
  } else {
    out << items.size() << " scan(s) to review at event " << event->id
        << " (credit follows the presence rule across doors):\n";
  }
  for (const json& item : items) {
    out << printable(item["attendee_id"].get<std::string>()) << '\t'
        << printable(item["name"].get<std::string>()) << '\t'
        << printable(item["session_id"].get<std::string>()) << '\t'
        << item["review"].get<std::string>() << '\n';
  }
  if (corrections.empty()) return 0;
  out << corrections.size() << " staff correction(s) at event " << event->id
      << " (attendee, name, session, correction, effective time, staff, door, reason):\n";
  for (const json& item : corrections) {
    std::string what = item["correction"].get<std::string>();
    if (item.contains("voids_device_id")) {
      what += " of " + item["voids_device_id"].get<std::string>() + " #" +
              std::to_string(item["voids_sequence"].get<std::uint64_t>());
    }
    out << printable(item["attendee_id"].get<std::string>()) << '\t'
        << printable(item["name"].get<std::string>()) << '\t'
        << printable(item["session_id"].get<std::string>()) << '\t' << printable(what) << '\t'
        << item["effective_time"].get<std::string>() << '\t'
        << printable(item["staff_id"].get<std::string>()) << '\t'
        << printable(item["device_id"].get<std::string>()) << '\t'
        << printable(item["reason"].get<std::string>()) << '\n';
  }
  return 0;
}

} // namespace muster::server
