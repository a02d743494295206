// muster-core-demo: the core library end to end, no window and no network.
// A demo League key signs every attendee's badge, the event moves to today, two doors verify a
// scripted morning of scans and commit them to real kiosk stores, and the attendance and credit
// of every official is derived from the union of both doors' scans.
#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "shared/badge.hpp"
#include "shared/credit.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"

namespace fs = std::filesystem;
using namespace muster;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

constexpr std::string_view kLeagueId = "DEMO";

struct DemoError {
  std::string message;
};

[[noreturn]] void die(const std::string& message) { throw DemoError{message}; }

template <class T, class Code> T take(Result<T, Code> result, const std::string& what) {
  if (!result) die(what + ": " + result.message());
  return std::move(result).value();
}

// The League key lives in DATA/league.key (0600) so badges printed by an earlier run still verify.
SigningKey load_or_create_league_key(const fs::path& path) {
  if (fs::exists(path)) {
    std::ifstream in(path);
    std::string text;
    std::getline(in, text);
    return take(parse_signing_key(text), "reading " + path.string());
  }
  auto key = take(SigningKey::generate("DEMO-K1"), "creating the League key");
  const mode_t old_mask = ::umask(077);
  std::ofstream out(path);
  ::umask(old_mask);
  out << key.to_secret_text() << '\n';
  if (!out) die("cannot write " + path.string());
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return key;
}

// The demo event is live today: every session moves by whole days onto today's date in the
// event's zone, keeping its local start time (both dates share the zone's offset in the demo).
Event move_to_today(Event event, Instant now) {
  if (event.sessions.empty()) return event;
  const auto first_day =
      parse_iso8601(local_date(event.sessions.front().start, event.timezone) + "T00:00:00Z");
  const auto today = parse_iso8601(local_date(now, event.timezone) + "T00:00:00Z");
  const auto shift = *today - *first_day;
  for (auto& session : event.sessions) {
    session.start += shift;
    session.end += shift;
  }
  return event;
}

struct Door {
  std::string device_id;
  KioskStore store;
};

struct ScriptedScan {
  std::string attendee_id;
  std::string payload;
  std::string door; // "A" or "B"
  ScanKind kind;
  Instant at;
  std::string what; // for the log line
};

// printf pads bytes, not letters: pad by UTF-8 code points so accented names line up.
std::string pad(const std::string& text, std::size_t width) {
  const auto letters = static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  return letters >= width ? text : text + std::string(width - letters, ' ');
}

std::string local_time(Instant t, const Event& event) {
  return format_local(t, event.timezone, "%H:%M");
}

// Badges: one per attendee, signed by the League key, written to DIR/badges.tsv; the payloads
// by attendee id.
std::map<std::string, std::string> issue_badges(const fs::path& dir,
                                                const std::vector<Attendee>& roster,
                                                const SigningKey& league_key) {
  std::map<std::string, std::string> payload_of;
  std::ofstream tsv(dir / "badges.tsv");
  tsv << "attendee_id\tname\trole\tpayload\n";
  for (const auto& person : roster) {
    const auto payload =
        take(sign_badge({std::string(kLeagueId), person.id, person.id + "-1"}, league_key),
             "signing the badge of " + person.id);
    payload_of[person.id] = payload;
    tsv << person.id << '\t' << person.first_name << ' ' << person.last_name << '\t'
        << to_string(person.role) << '\t' << payload << '\n';
  }
  tsv.close();
  std::cout << "Badges: " << payload_of.size() << " signed payloads in "
            << (dir / "badges.tsv").string() << "\n";
  return payload_of;
}

// Door A and door B, each a real kiosk store DIR/door-?.db with the event and the roster.
std::vector<Door> open_doors(const fs::path& dir, const Event& event,
                             const std::vector<Attendee>& roster) {
  std::vector<Door> doors;
  for (const char* name : {"door-a", "door-b"}) {
    auto store = take(KioskStore::open(dir / (std::string(name) + ".db")), name);
    take(store.replace_event(event), "loading the event");
    take(store.upsert_roster(roster), "loading the roster");
    doors.push_back({name, std::move(store)});
  }
  return doors;
}

// One attendee's scans in the scripted morning: each follows one of five patterns, by position.
void script_attendee(std::vector<ScriptedScan>& script, std::size_t i, const std::string& id,
                     const std::string& payload, const Session& session, bool reprinted) {
  switch (i % 5) {
  case 0:
    script.push_back(
        {id, payload, "A", ScanKind::arrive, session.start - minutes(7), "early arrival"});
    break;
  case 1:
    script.push_back({id, payload, "B", ScanKind::arrive, session.start + minutes(25),
                      reprinted ? "late arrival, reprinted badge" : "late arrival"});
    break;
  case 2:
    script.push_back({id, payload, "A", ScanKind::arrive, session.start, "arrival"});
    script.push_back(
        {id, payload, "B", ScanKind::leave, session.start + minutes(50), "early leave"});
    break;
  case 3:
    script.push_back({id, payload, "A", ScanKind::arrive, session.start + minutes(2), "arrival"});
    script.push_back({id, payload, "B", ScanKind::arrive, session.start + minutes(2) + seconds(30),
                      "same arrival at the other door"});
    script.push_back({id, payload, "A", ScanKind::leave, session.start + minutes(30), "steps out"});
    script.push_back(
        {id, payload, "A", ScanKind::arrive, session.start + minutes(45), "comes back"});
    break;
  default:
    script.push_back({id, payload, "B", ScanKind::arrive, session.start + minutes(5), "arrival"});
    script.push_back({id, payload, "B", ScanKind::arrive, session.start + minutes(5) + seconds(20),
                      "double scan"});
    break;
  }
}

// Each door verifies its scans of the script offline and commits the accepted ones.
void play_script(const std::vector<ScriptedScan>& script, std::vector<Door>& doors,
                 const TrustStore& trust, const Event& event, const Session& session) {
  std::cout << "\nDoor scans for \"" << session.title << "\" (" << session.room << ", "
            << local_time(session.start, event) << "-" << local_time(session.end, event) << "):\n";
  for (const auto& step : script) {
    Door& door = doors[step.door == "A" ? 0 : 1];
    const auto badge = trust.verify(step.payload, step.at);
    std::printf("  %s %s  %-32s ", local_time(step.at, event).c_str(), door.device_id.c_str(),
                step.what.c_str());
    if (!badge) {
      std::printf("REFUSED (%s): %s\n", std::string(to_string(badge.code())).c_str(),
                  badge.message().c_str());
      continue;
    }
    Scan draft;
    draft.device_id = door.device_id;
    draft.attendee_id = badge->attendee_id;
    draft.badge_serial = badge->serial;
    draft.badge_payload = step.payload;
    draft.session_id = session.id;
    draft.kind = step.kind;
    draft.wall_time = step.at;
    const auto stored = take(door.store.append_scan(std::move(draft)), "recording the scan");
    std::printf("%s %s, committed as %s #%llu\n", std::string(to_string(stored.kind)).c_str(),
                badge->attendee_id.c_str(), door.device_id.c_str(),
                static_cast<unsigned long long>(stored.sequence));
  }
}

// Both doors' chains verify; credit is derived from the union of their scans.
void print_credit(const std::vector<Door>& doors, const std::vector<Attendee>& roster,
                  const Event& event, const Session& session) {
  std::vector<Scan> all_scans;
  for (const auto& door : doors) {
    const auto chain = take(door.store.verify_device_chain(door.device_id), "chain");
    std::cout << "\n"
              << door.device_id << ": hash chain "
              << (chain ? "BROKEN at #" + std::to_string(chain->first_bad_sequence) : "intact");
    auto scans = take(door.store.scans_for_session(session.id), "reading scans");
    all_scans.insert(all_scans.end(), scans.begin(), scans.end());
  }
  std::cout << "\n\nAttendance and credit (" << session.credit_hours << " h session, "
            << "rounded down to " << event.credit_policy.increment_hours << " h):\n";
  std::printf("  %-10s %-28s %-14s %-8s %-8s %-12s %6s  %s\n", "attendee", "name", "role",
              "arrived", "left", "early leave", "hours", "doors");
  double total_hours = 0;
  for (const auto& person : roster) {
    std::vector<Scan> mine;
    std::copy_if(all_scans.begin(), all_scans.end(), std::back_inserter(mine),
                 [&](const Scan& s) { return s.attendee_id == person.id; });
    const auto result = compute_attendance(session, event.credit_policy,
                                           grants_credit(event, person.role), mine, event.timezone);
    std::string doors_seen;
    for (const auto& d : result.devices)
      doors_seen += (doors_seen.empty() ? "" : ",") + d;
    std::printf("  %-10s %s %-14s %-8s %-8s %-12s %6s  %s\n", person.id.c_str(),
                pad(full_name(person), 28).c_str(), std::string(to_string(person.role)).c_str(),
                result.first_arrival ? local_time(*result.first_arrival, event).c_str() : "-",
                result.final_leave ? local_time(*result.final_leave, event).c_str() : "-",
                result.early_leave ? ("yes " + local_time(*result.early_leave_time, event)).c_str()
                                   : "no",
                result.eligible ? std::to_string(result.credit_hours).substr(0, 4).c_str() : "n/a",
                doors_seen.c_str());
    total_hours += result.credit_hours;
  }
  std::printf("\nTotal credit hours: %.2f. Stores: %s, %s\n", total_hours,
              doors[0].store.path().c_str(), doors[1].store.path().c_str());
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"muster-core-demo: Muster's core library end to end (badges, door scans, "
               "kiosk stores, hash chains, credit hours), without a window or a network"};
  std::string data_dir = "demo-data";
  std::string roster_path = "assets/demo/roster.csv";
  std::string event_path = "assets/demo/event.json";
  app.add_option("--data", data_dir, "directory for the League key, badges.tsv and door stores")
      ->capture_default_str();
  app.add_option("--roster", roster_path, "roster CSV (docs/formats.md)")->capture_default_str();
  app.add_option("--event", event_path, "event JSON (docs/formats.md)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    fs::create_directories(data_dir);
    const fs::path dir(data_dir);
    const auto roster = take(read_roster_csv(roster_path), "roster");
    const Instant now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const Event event = move_to_today(take(read_event_json(event_path), "event"), now);
    std::cout << "Event: " << event.name << " (" << event.id << "), "
              << format_local(event.sessions.front().start, event.timezone, "%A %Y-%m-%d") << ", "
              << event.location << "\n"
              << "Roster: " << roster.size() << " attendees\n";

    // Badges: one per attendee, signed by the League key.
    const auto league_key = load_or_create_league_key(dir / "league.key");
    auto trust = take(TrustStore::for_league(kLeagueId), "trust store");
    take(trust.add_league_key(league_key.public_key()), "trusting the League key");
    auto payload_of = issue_badges(dir, roster, league_key);

    // A lost badge: its serial is revoked and the registration desk reprints it with its own
    // device key, which the League key certifies so every door trusts it offline.
    const auto& lost = roster.at(1 % roster.size());
    trust.revoke_serial(lost.id + "-1");
    const auto desk_key = take(SigningKey::generate("DESK-1"), "desk key");
    take(trust.add_device_certificate(
             take(certify_device(kLeagueId, desk_key.public_key(), std::nullopt, league_key),
                  "certifying the desk key")),
         "trusting the desk key");
    const auto reprint =
        take(sign_badge({std::string(kLeagueId), lost.id, lost.id + "-2"}, desk_key), "reprint");

    auto doors = open_doors(dir, event, roster);

    // A scripted morning for the first session: each attendee follows one of five patterns.
    const Session& session = event.sessions.front();
    std::vector<ScriptedScan> script;
    for (std::size_t i = 0; i < roster.size(); ++i) {
      const auto& id = roster[i].id;
      const auto& payload = (id == lost.id) ? reprint : payload_of[id];
      script_attendee(script, i, id, payload, session, id == lost.id);
    }
    // Badges that must be refused, each with its reason.
    std::string forged = payload_of[roster.front().id];
    forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
    const auto other_league_key = take(SigningKey::generate("OTHER-K1"), "other key");
    const auto other_league =
        take(sign_badge({"OTHER", "X-1", "X-1-1"}, other_league_key), "other");
    script.push_back(
        {"?", forged, "A", ScanKind::arrive, session.start + minutes(1), "altered badge"});
    script.push_back({"?", payload_of[lost.id], "A", ScanKind::arrive, session.start + minutes(1),
                      "the lost badge"});
    script.push_back({"?", other_league, "B", ScanKind::arrive, session.start + minutes(1),
                      "another League's badge"});
    std::sort(script.begin(), script.end(),
              [](const ScriptedScan& a, const ScriptedScan& b) { return a.at < b.at; });

    play_script(script, doors, trust, event, session);
    print_credit(doors, roster, event, session);
    return 0;
  } catch (const DemoError& error) {
    std::cerr << "muster-core-demo: " << error.message << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "muster-core-demo: unexpected error: " << error.what() << "\n";
    return 1;
  }
}
