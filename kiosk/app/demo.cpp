#include "kiosk/app/demo.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <cstdlib>
#include <exception>
#include <fstream>

#include "kiosk/app/badge_image.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "shared/badge.hpp"
#include "shared/time.hpp"

namespace muster::kiosk {

namespace {

constexpr std::string_view kSettingDemo = "demo_created";

constexpr std::array<std::string_view, 8> kBallroomTitles{"Ethics for Municipal Officials",
                                                          "Municipal Budgeting Basics",
                                                          "Open Meetings and Public Records",
                                                          "Roles of the Mayor and Council",
                                                          "Storm Preparedness",
                                                          "Economic Development Roundtable",
                                                          "Personnel Law for Cities",
                                                          "Parliamentary Procedure"};
constexpr std::array<std::string_view, 12> kRoomTitles{
    "Water Utilities 101", "Zoning Essentials", "Grant Writing",      "Public Safety",
    "Road Maintenance",    "Code Enforcement",  "Broadband Planning", "Media Relations",
    "Records Retention",   "Annexation Basics", "Purchasing Law",     "Succession Planning"};
constexpr std::array<std::string_view, 20> kFirstNames{
    "Loretta",  "Marcus", "Patricia", "Wendell", "Ruby",   "Calvin", "Deborah",
    "Terrence", "Gloria", "Harold",   "Yolanda", "Curtis", "Bonnie", "Reggie",
    "Maxine",   "Earl",   "Renée",    "Luis",    "Nadia",  "Zoë"};
constexpr std::array<std::string_view, 20> kLastNames{
    "Haynes",  "O'Neal", "Dunlap",   "Whitfield", "Tran",     "Boudreaux", "Castillo",
    "Pickett", "Nguyen", "Fontenot", "Sims",      "Mercer",   "Landry",    "Okafor",
    "Bishop",  "Hebert", "Dupré",    "Ramírez",   "Kowalski", "Núñez"};
constexpr std::array<std::string_view, 5> kTowns{"City of Riverbend", "Town of Sweetgum",
                                                 "Village of Cedar Bluff", "City of Port Allen",
                                                 "Town of Magnolia"};
constexpr std::array<Role, 8> kRoles{Role::mayor,         Role::councilmember, Role::councilmember,
                                     Role::councilmember, Role::clerk,         Role::councilmember,
                                     Role::staff,         Role::guest};

Instant local_to_instant(const date::time_zone* zone, date::local_days day, std::chrono::hours h) {
  const auto local = date::local_time<std::chrono::milliseconds>(day + h);
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
      zone->to_sys(local, date::choose::earliest));
}

std::string two_digits(long value) { return (value < 10 ? "0" : "") + std::to_string(value); }

Result<Ok, DemoError> store_error(std::string_view what, const std::string& message) {
  return fail(DemoError::store, std::string(what) + ": " + message);
}

Result<Ok, DemoError> write_badges(const SigningKey& key, const DemoInfo& info,
                                   const Event& event) {
  std::error_code ec;
  std::filesystem::create_directories(info.badges_dir, ec);
  if (ec)
    return fail(DemoError::io, "cannot create " + info.badges_dir.string() + ": " + ec.message());
  std::ofstream tsv(info.badges_tsv, std::ios::trunc);
  if (!tsv) return fail(DemoError::io, "cannot write " + info.badges_tsv.string());
  for (const auto& attendee : demo_roster()) {
    auto payload = sign_badge({std::string(kDemoLeagueId), attendee.id, attendee.id + "-1"}, key);
    if (!payload) return fail(DemoError::io, "signing a demo badge: " + payload.message());
    const auto name = full_name(attendee);
    const auto subtitle = std::string(to_string(attendee.role)) +
                          (attendee.municipality.empty() ? "" : ", " + attendee.municipality);
    const auto png = info.badges_dir / (attendee.id + ".png");
    if (auto written = write_badge_png(png, *payload, {name, subtitle, event.name}); !written) {
      return fail(DemoError::io, written.message());
    }
    tsv << attendee.id << '\t' << name << '\t' << to_string(attendee.role) << '\t' << *payload
        << '\n';
  }
  tsv.close();
  if (!tsv) return fail(DemoError::io, "cannot write " + info.badges_tsv.string());
  return Ok{};
}

Result<Ok, DemoError> create_demo(KioskStore& store, const DemoInfo& info, const Event& event) {
  auto key = SigningKey::generate("DEMO-K1");
  if (!key) return fail(DemoError::store, "creating the demo League key: " + key.message());
  std::error_code ec;
  std::filesystem::create_directories(info.demo_dir, ec);
  if (ec)
    return fail(DemoError::io, "cannot create " + info.demo_dir.string() + ": " + ec.message());
  {
    // The demo League's secret, for a demo server; a real League's key never leaves its server.
    const auto secret_path = info.demo_dir / "league-secret.key";
    std::ofstream secret(secret_path, std::ios::trunc);
    secret << key->to_secret_text() << '\n';
    secret.close();
    std::filesystem::permissions(
        secret_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::ofstream pub(info.demo_dir / "league-public.key", std::ios::trunc);
    pub << to_text(key->public_key()) << '\n';
  }
  const std::array<PublicKey, 1> keys{key->public_key()};
  if (auto saved = save_trust(store, kDemoLeagueId, keys, {}); !saved) {
    return store_error("saving the demo League key", saved.message());
  }
  const auto roster = demo_roster();
  if (auto saved = store.upsert_roster(roster); !saved) {
    return store_error("saving the demo roster", saved.message());
  }
  if (auto saved = store.replace_event(event); !saved) {
    return store_error("saving the demo event", saved.message());
  }
  if (auto saved = save_event_programs(store, event); !saved) { // ALM, whatever came before
    return store_error("saving the demo event's programs", saved.message());
  }
  if (auto written = write_badges(*key, info, event); !written) return written;
  // Last, so an interrupted first run starts over.
  if (auto saved = store.set_setting(kSettingDemo, "1"); !saved) {
    return store_error("saving the demo", saved.message());
  }
  return Ok{};
}

} // namespace

std::string local_time_zone() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr) {
    std::string_view name = tz;
    if (!name.empty() && name.front() == ':') name.remove_prefix(1);
    if (is_known_time_zone(name)) return std::string(name);
  }
  try {
    return std::string(date::current_zone()->name());
  } catch (const std::exception&) {
    return "UTC"; // no /etc/localtime: a container, say
  }
}

Event demo_event(Instant now, std::string_view time_zone) {
  const std::string zone_name = is_known_time_zone(time_zone) ? std::string(time_zone) : "UTC";
  const auto* zone = date::locate_zone(zone_name);
  const auto local_now = zone->to_local(now);
  const auto day = date::floor<date::days>(local_now);
  const auto ymd = date::year_month_day{day};
  const std::string stamp = std::to_string(static_cast<int>(ymd.year())) +
                            two_digits(static_cast<long>(static_cast<unsigned>(ymd.month()))) +
                            two_digits(static_cast<long>(static_cast<unsigned>(ymd.day())));

  Event event;
  event.id = std::string(kDemoEventId);
  event.name = "Muster Demo Training Day";
  event.timezone = zone_name;
  event.location = "Riverbend Civic Center (demo)";
  // Back to back from midnight to midnight: always a session in progress in both rooms.
  for (long h = 0; h < 24; h += 3) {
    Session session;
    session.id = "D" + stamp + "-A" + two_digits(h);
    session.title = std::string(kBallroomTitles[static_cast<std::size_t>(h / 3)]);
    session.room = std::string(kDemoRoom);
    session.start = local_to_instant(zone, day, std::chrono::hours{h});
    session.end = local_to_instant(zone, day, std::chrono::hours{h + 3});
    session.credit_hours = 3.0;
    session.course_code = "DEMO-A" + two_digits(h);
    session.core = h % 2 == 0;
    session.topic = "demo";
    event.sessions.push_back(session);
  }
  for (long h = 0; h < 24; h += 2) {
    Session session;
    session.id = "D" + stamp + "-B" + two_digits(h);
    session.title = std::string(kRoomTitles[static_cast<std::size_t>(h / 2)]);
    session.room = "Room 104";
    session.start = local_to_instant(zone, day, std::chrono::hours{h});
    session.end = local_to_instant(zone, day, std::chrono::hours{h + 2});
    session.credit_hours = 2.0;
    session.course_code = "DEMO-B" + two_digits(h);
    session.topic = "demo";
    event.sessions.push_back(session);
  }
  // Asked after a leave (kiosk/README.md "Survey"); the server's demo (demo_seed.cpp) asks the
  // same.
  event.survey = {{"useful", "Was this session useful for your work?", {"Yes", "Somewhat", "No"}},
                  {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
  return event;
}

std::vector<Attendee> demo_roster() {
  std::vector<Attendee> roster;
  for (std::size_t i = 0; i < kDemoAttendees; ++i) {
    Attendee attendee;
    const auto number = std::to_string(i + 1);
    attendee.id = "DEMO-" + std::string(3 - number.size(), '0') + number;
    attendee.first_name = std::string(kFirstNames[i % kFirstNames.size()]);
    attendee.last_name =
        std::string(kLastNames[(i * 7 + i / kLastNames.size()) % kLastNames.size()]);
    attendee.role = kRoles[i % kRoles.size()];
    attendee.municipality = std::string(kTowns[i % kTowns.size()]);
    roster.push_back(std::move(attendee));
  }
  return roster;
}

Result<DemoInfo, DemoError> ensure_demo(KioskStore& store, const std::filesystem::path& data_dir,
                                        Instant now) {
  DemoInfo info;
  info.demo_dir = data_dir / "demo";
  info.badges_tsv = info.demo_dir / "badges.tsv";
  info.badges_dir = info.demo_dir / "badges";
  info.time_zone = local_time_zone();

  const auto league = setting_or(store, kSettingLeagueId, "");
  if (!league.empty() && league != kDemoLeagueId) {
    return fail(DemoError::real_event, "this data folder holds League " + league +
                                           "'s event; run the demo with another --data folder");
  }
  auto room = store.setting(kSettingRoom);
  if (!room) return fail(DemoError::store, room.message());
  if (!room->has_value()) {
    if (auto saved = store.set_setting(kSettingRoom, kDemoRoom); !saved) {
      return fail(DemoError::store, saved.message());
    }
  }
  info.room = setting_or(store, kSettingRoom, std::string(kDemoRoom));

  const bool exists = setting_or(store, kSettingDemo, "") == "1";
  if (!exists) {
    if (auto created = create_demo(store, info, demo_event(now, info.time_zone)); !created) {
      return created.error();
    }
    info.created = true;
    return info;
  }
  // Live whenever started: move the sessions to today when the demo was made another day.
  auto event = store.event();
  if (!event) return fail(DemoError::store, event.message());
  const auto today = demo_event(now, info.time_zone);
  if (event->sessions.empty() || event->timezone != today.timezone ||
      event->survey != today.survey ||
      local_date(event->sessions.front().start, today.timezone) !=
          local_date(today.sessions.front().start, today.timezone)) {
    if (auto saved = store.replace_event(today); !saved) {
      return fail(DemoError::store, saved.message());
    }
  }
  return info;
}

} // namespace muster::kiosk
