// ServerStore against real databases: the SAME tests run on a SQLite file and on a real
// PostgreSQL server (tests/pg/pg.sh, wired as the CTest fixture "postgres").
#include "sync/server/server_store.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shared/scan_log.hpp"
#include "sync/server/relay_store.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr std::string_view kEventId = "E-2025";
constexpr std::string_view kDevice = "kiosk-1";
constexpr std::string_view kOtherDevice = "kiosk-2";

Instant at_ms(std::int64_t ms) { return Instant{milliseconds{ms}}; }
const Instant kNow = at_ms(1'760'000'000'000);

// ---- Raw SQL around the store (PostgreSQL: tests/support/postgres.hpp) ----------------------

std::string sqlite_run(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string error;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  } else if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  return error;
}

// ---- Test data ---------------------------------------------------------------------------

Attendee person(int n, std::string last = "Doe") {
  Attendee a;
  a.id = "A-" + std::to_string(n);
  a.first_name = "Pat" + std::to_string(n);
  a.last_name = std::move(last);
  a.role = n % 2 == 0 ? Role::mayor : Role::clerk;
  a.municipality = "Springfield";
  a.email = "pat" + std::to_string(n) + "@example.org";
  return a;
}

std::vector<Attendee> roster_of(int count) {
  std::vector<Attendee> roster;
  for (int n = 1; n <= count; ++n)
    roster.push_back(person(n));
  return roster;
}

Session session(std::string id, std::int64_t start_hour) {
  Session s;
  s.id = std::move(id);
  s.title = "Budgeting " + s.id;
  s.room = "Hall B";
  s.start = kNow + hours{start_hour};
  s.end = s.start + minutes{90};
  s.credit_hours = 1.5;
  s.course_code = "FIN-101";
  s.core = true;
  s.topic = "finance";
  return s;
}

Event demo_event() {
  Event e;
  e.id = std::string(kEventId);
  e.name = "Annual Conference";
  e.timezone = "America/Chicago";
  e.location = "Convention Center";
  e.credit_policy.increment_hours = 0.25;
  e.sessions = {session("S1", 1), session("S2", 3)};
  return e;
}

// A device's chain of arrivals: sequences first..first+count-1, continuing from `previous`.
std::vector<Scan> chain(std::string_view device, std::uint64_t count, std::uint64_t first = 1,
                        Digest previous = kZeroDigest) {
  std::vector<Scan> scans;
  for (std::uint64_t i = 0; i < count; ++i) {
    Scan scan;
    scan.device_id = std::string(device);
    scan.sequence = first + i;
    scan.attendee_id = "A-" + std::to_string(1 + (first + i) % 5);
    scan.badge_serial = "SER-" + std::to_string(first + i);
    scan.badge_payload = "MU1.payload";
    scan.session_id = (first + i) % 2 == 0 ? "S1" : "S2";
    scan.kind = ScanKind::arrive;
    scan.wall_time = kNow + milliseconds{static_cast<std::int64_t>(1000 * (first + i))};
    scan.monotonic_ms = static_cast<std::int64_t>(5000 + first + i);
    scan.clock_offset_ms = -250;
    seal(scan, previous);
    previous = scan.hash;
    scans.push_back(std::move(scan));
  }
  return scans;
}

// ---- The fixture, parameterised over the backend ---------------------------------------------

class ServerStoreTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_EQ(backend_.create(GetParam(), dir_.path(), "muster_t_"), "");
    database_ = backend_.url();
  }

  std::unique_ptr<ServerStore> open() {
    auto opened = open_server_store(database_);
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.message());
    if (!opened) return nullptr;
    EXPECT_EQ((*opened)->backend(), GetParam());
    return std::move(*opened);
  }

  // Raw SQL on the test's database, around the store (to fake a newer schema, say).
  std::string raw(const std::string& sql) {
    return GetParam() == "sqlite" ? sqlite_run(database_, sql)
                                  : test::postgres_exec(database_, sql);
  }

  // An initialised League with the demo event, five attendees and device kDevice.
  std::unique_ptr<ServerStore> ready(bool with_device = true) {
    auto store = open();
    if (!store) return nullptr;
    EXPECT_TRUE(store->initialise({"L-1", "Municipal League"}).ok());
    EXPECT_TRUE(store->upsert_event(demo_event()).ok());
    EXPECT_TRUE(store->upsert_roster(roster_of(5)).ok());
    if (with_device) add_device(*store, kDevice);
    return store;
  }

  static void add_device(ServerStore& store, std::string_view id) {
    const std::string code = "code-" + std::string(id);
    ASSERT_TRUE(
        store.add_provisioning_code(code, kEventId, "Door " + std::string(id), kNow + hours{1})
            .ok());
    auto device = store.redeem_provisioning_code(code, id, "tokenhash-" + std::string(id), kNow);
    ASSERT_TRUE(device.ok()) << device.message();
  }

  test::TempDir dir_;
  test::BackendDatabase backend_;
  std::string database_;
};

#define STORE_OK(expr)                                                                             \
  [&] {                                                                                            \
    auto result_ = (expr);                                                                         \
    EXPECT_TRUE(result_.ok()) << #expr << ": " << (result_.ok() ? "" : result_.message());         \
    return result_;                                                                                \
  }()

// For calls whose value the test does not need.
#define EXPECT_OK(expr)                                                                            \
  do {                                                                                             \
    auto result_ = (expr);                                                                         \
    EXPECT_TRUE(result_.ok()) << #expr << ": " << (result_.ok() ? "" : result_.message());         \
  } while (false)

// ---- Schema -----------------------------------------------------------------------------------

TEST_P(ServerStoreTest, InitialiseCreatesLeagueAndRefusesSecondTime) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_OK(store->initialise({"L-1", "Municipal League"}));
  auto league = STORE_OK(store->league());
  ASSERT_TRUE(league.ok());
  EXPECT_EQ(league->id, "L-1");
  EXPECT_EQ(league->name, "Municipal League");

  auto again = store->initialise({"L-2", "Another"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), DbError::conflict);
  EXPECT_NE(again.message().find("L-1"), std::string::npos) << again.message();
  auto other = open(); // a second connection refuses too
  ASSERT_TRUE(other);
  EXPECT_EQ(other->initialise({"L-3", "Third"}).code(), DbError::conflict);
}

TEST_P(ServerStoreTest, NotInitialisedGivesSchemaError) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->league().code(), DbError::schema);
  EXPECT_NE(store->league().message().find("muster-server init"), std::string::npos);
  EXPECT_EQ(store->roster().code(), DbError::schema);
  EXPECT_EQ(store->upsert_roster(roster_of(1)).code(), DbError::schema);
  EXPECT_EQ(store->scan_count().code(), DbError::schema);
  EXPECT_EQ(store->package_since(kEventId, 0).code(), DbError::schema);
  // Initialising through another connection is seen without reopening.
  auto other = open();
  ASSERT_TRUE(other);
  EXPECT_OK(other->initialise({"L-1", "Municipal League"}));
  EXPECT_TRUE(store->league().ok());
}

TEST_P(ServerStoreTest, NewerSchemaIsRefusedAtOpen) {
  {
    auto store = ready(false);
    ASSERT_TRUE(store);
  }
  ASSERT_EQ(raw("UPDATE schema_version SET version = 99"), "");
  auto opened = open_server_store(database_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), DbError::schema);
  EXPECT_NE(opened.message().find("99"), std::string::npos) << opened.message();
}

TEST_P(ServerStoreTest, ReopeningPersistsEverything) {
  std::vector<Scan> scans = chain(kDevice, 4);
  {
    auto store = ready();
    ASSERT_TRUE(store);
    EXPECT_OK(store->add_league_key({"K1", "MUPK1.abc", kNow, true}));
    EXPECT_OK(store->store_scans(kDevice, kEventId, scans, kNow));
  }
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(STORE_OK(store->league())->id, "L-1");
  EXPECT_EQ(STORE_OK(store->roster())->size(), 5U);
  EXPECT_EQ(STORE_OK(store->event(kEventId))->sessions.size(), 2U);
  EXPECT_EQ(STORE_OK(store->league_keys())->size(), 1U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 4U);
  auto head = STORE_OK(store->chain_head(kDevice));
  EXPECT_EQ(head->sequence, 4U);
  EXPECT_EQ(head->hash, scans.back().hash);
  auto stored = STORE_OK(store->scans_for_device(kDevice));
  ASSERT_EQ(stored->size(), 4U);
  for (std::size_t i = 0; i < scans.size(); ++i) {
    EXPECT_EQ(canonical_bytes((*stored)[i]), canonical_bytes(scans[i])) << i;
    EXPECT_EQ((*stored)[i].hash, scans[i].hash);
  }
}

// ---- League keys, roster, event
// ------------------------------------------------------------------

TEST_P(ServerStoreTest, LeagueKeysNewestIsActiveAndIdsAreUnique) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_league_key({"K1", "MUPK1.one", kNow, true}));
  EXPECT_OK(store->add_league_key({"K2", "MUPK1.two", kNow + hours{1}, true}));
  auto duplicate = store->add_league_key({"K1", "MUPK1.other", kNow, true});
  EXPECT_EQ(duplicate.code(), DbError::conflict);
  auto keys = STORE_OK(store->league_keys());
  ASSERT_EQ(keys->size(), 2U);
  EXPECT_EQ((*keys)[0].key_id, "K1");
  EXPECT_EQ((*keys)[0].public_key_text, "MUPK1.one");
  EXPECT_FALSE((*keys)[0].active);
  EXPECT_EQ((*keys)[1].key_id, "K2");
  EXPECT_TRUE((*keys)[1].active);
  EXPECT_EQ((*keys)[1].created_at, kNow + hours{1});
}

TEST_P(ServerStoreTest, RosterUpsertCountsInsertedUpdatedUnchanged) {
  auto store = ready(false); // A-1..A-5 imported
  ASSERT_TRUE(store);
  auto roster = roster_of(7);
  roster[1].municipality = "Shelbyville"; // A-2 changed
  roster[3].email = "new@example.org";    // A-4 changed (e-mail counts)
  auto stats = STORE_OK(store->upsert_roster(roster));
  EXPECT_EQ(stats->inserted, 2U);
  EXPECT_EQ(stats->updated, 2U);
  EXPECT_EQ(stats->unchanged, 3U);
  auto again = STORE_OK(store->upsert_roster(roster));
  EXPECT_EQ(again->inserted, 0U);
  EXPECT_EQ(again->updated, 0U);
  EXPECT_EQ(again->unchanged, 7U);
  auto stored = STORE_OK(store->attendee("A-4"));
  EXPECT_EQ(stored->email, "new@example.org"); // server-side reads keep e-mail
  EXPECT_EQ(stored->role, Role::mayor);
  EXPECT_EQ(STORE_OK(store->roster())->size(), 7U);
  EXPECT_EQ(store->upsert_roster(std::vector<Attendee>{Attendee{}}).code(), DbError::invalid);

  // One file listing a new attendee twice: one row, the last version wins.
  std::vector<Attendee> twice{person(8, "First"), person(8, "Second")};
  auto doubled = STORE_OK(store->upsert_roster(twice));
  EXPECT_EQ(doubled->inserted, 1U);
  EXPECT_EQ(doubled->updated, 1U);
  EXPECT_EQ(STORE_OK(store->attendee("A-8"))->last_name, "Second");
  EXPECT_EQ(STORE_OK(store->roster())->size(), 8U);
}

TEST_P(ServerStoreTest, EventUpsertStoresSessionsAndCounts) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_OK(store->initialise({"L-1", "League"}));
  Event event = demo_event();
  auto first = STORE_OK(store->upsert_event(event));
  EXPECT_EQ(first->inserted, 3U); // the event and two sessions
  auto same = STORE_OK(store->upsert_event(event));
  EXPECT_EQ(same->unchanged, 3U);
  EXPECT_EQ(same->inserted + same->updated, 0U);

  event.sessions[1].room = "Hall C";
  event.sessions.push_back(session("S3", 5));
  auto changed = STORE_OK(store->upsert_event(event));
  EXPECT_EQ(changed->inserted, 1U);
  EXPECT_EQ(changed->updated, 1U);
  EXPECT_EQ(changed->unchanged, 2U);

  auto stored = STORE_OK(store->event(kEventId));
  EXPECT_EQ(stored->name, "Annual Conference");
  EXPECT_EQ(stored->timezone, "America/Chicago");
  EXPECT_DOUBLE_EQ(stored->credit_policy.increment_hours, 0.25);
  ASSERT_EQ(stored->sessions.size(), 3U);
  EXPECT_EQ(stored->sessions[1].room, "Hall C");
  EXPECT_EQ(stored->sessions[2].id, "S3");
  EXPECT_EQ(stored->sessions[0].start, event.sessions[0].start);
  EXPECT_DOUBLE_EQ(stored->sessions[0].credit_hours, 1.5);
  EXPECT_TRUE(stored->sessions[0].core);
  EXPECT_EQ(STORE_OK(store->events())->size(), 1U);

  Event bad = demo_event();
  bad.sessions.push_back(bad.sessions[0]);
  EXPECT_EQ(store->upsert_event(bad).code(), DbError::invalid);
}

TEST_P(ServerStoreTest, SessionWithScansCannotBeDropped) {
  auto store = ready();
  ASSERT_TRUE(store);
  EXPECT_OK(store->store_scans(kDevice, kEventId, chain(kDevice, 2), kNow)); // S1 and S2
  Event without_s2 = demo_event();
  without_s2.sessions.pop_back();
  auto refused = store->upsert_event(without_s2);
  EXPECT_EQ(refused.code(), DbError::invalid);
  EXPECT_EQ(STORE_OK(store->event(kEventId))->sessions.size(), 2U); // nothing changed
  Event with_s3 = demo_event();
  with_s3.sessions.push_back(session("S3", 5));
  EXPECT_OK(store->upsert_event(with_s3));
  auto dropped = STORE_OK(store->upsert_event(demo_event())); // S3 had no scans: it goes
  EXPECT_EQ(dropped->updated, 1U);
  EXPECT_EQ(STORE_OK(store->event(kEventId))->sessions.size(), 2U);
}

// ---- Badges -----------------------------------------------------------------------------------

TEST_P(ServerStoreTest, BadgesAddConflictAndRevokeTwice) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  BadgeRecord badge{"SER-1", "A-1", std::string(kEventId), "K1", "MU1.x", kNow, std::nullopt};
  EXPECT_OK(store->add_badge(badge));
  EXPECT_EQ(store->add_badge(badge).code(), DbError::conflict);
  BadgeRecord stranger = badge;
  stranger.serial = "SER-9";
  stranger.attendee_id = "A-404";
  EXPECT_EQ(store->add_badge(stranger).code(), DbError::not_found);
  EXPECT_EQ(STORE_OK(store->badges_for_event(kEventId))->size(), 1U);

  auto revoked = STORE_OK(store->revoke_badge("SER-1", kNow + hours{1}));
  ASSERT_TRUE(revoked->revoked_at.has_value());
  EXPECT_EQ(*revoked->revoked_at, kNow + hours{1});
  auto after = STORE_OK(store->package_since(kEventId, 0));
  const auto cursor = after->next_cursor;
  auto twice = STORE_OK(store->revoke_badge("SER-1", kNow + hours{2}));
  EXPECT_EQ(*twice->revoked_at, kNow + hours{1}); // the first time stays
  EXPECT_EQ(STORE_OK(store->package_since(kEventId, cursor))->next_cursor, cursor);
  EXPECT_EQ(*STORE_OK(store->badge("SER-1"))->revoked_at, kNow + hours{1});
  EXPECT_EQ(store->revoke_badge("SER-404", kNow).code(), DbError::not_found);
}

// ---- Event packages ------------------------------------------------------------------------

TEST_P(ServerStoreTest, SurveyIsStoredAndAnEditedSurveyTravelsInTheDelta) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_TRUE(STORE_OK(store->event(kEventId))->survey.empty());
  Event event = demo_event();
  event.survey = {{"useful", "Was this session useful?", {"Yes", "Somewhat", "No"}},
                  {"pace", "Pace: ça va ?", {"Too slow", "Right", "Too fast"}}};
  auto first = STORE_OK(store->upsert_event(event));
  EXPECT_EQ(first->updated, 1U); // the event row only; the sessions are the same
  EXPECT_EQ(STORE_OK(store->event(kEventId))->survey, event.survey);
  auto full = STORE_OK(store->package_since(kEventId, 0));
  ASSERT_TRUE(full->event.has_value());
  EXPECT_EQ(full->event->survey, event.survey);

  // Identical: nothing to send. Edited choice: the event travels again with the new survey.
  EXPECT_EQ(STORE_OK(store->upsert_event(event))->unchanged, 3U);
  EXPECT_FALSE(STORE_OK(store->package_since(kEventId, full->next_cursor))->event.has_value());
  event.survey[1].choices[1] = "Just right";
  EXPECT_EQ(STORE_OK(store->upsert_event(event))->updated, 1U);
  auto delta = STORE_OK(store->package_since(kEventId, full->next_cursor));
  ASSERT_TRUE(delta->event.has_value());
  EXPECT_EQ(delta->event->survey[1].choices[1], "Just right");
  // Removing the survey is a change too.
  event.survey.clear();
  EXPECT_EQ(STORE_OK(store->upsert_event(event))->updated, 1U);
  EXPECT_TRUE(STORE_OK(store->event(kEventId))->survey.empty());
}

TEST_P(ServerStoreTest, PackageFullThenEmptyAfterIdenticalReimport) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_league_key({"K1", "MUPK1.one", kNow, true}));
  auto full = STORE_OK(store->package_since(kEventId, 0));
  EXPECT_EQ(full->since_cursor, 0U);
  ASSERT_TRUE(full->event.has_value());
  EXPECT_EQ(full->event->sessions.size(), 2U);
  EXPECT_EQ(full->attendees.size(), 5U);
  EXPECT_EQ(full->league_keys.size(), 1U);
  EXPECT_GT(full->next_cursor, 0U);

  EXPECT_OK(store->upsert_roster(roster_of(5))); // identical
  EXPECT_OK(store->upsert_event(demo_event()));  // identical
  auto delta = STORE_OK(store->package_since(kEventId, full->next_cursor));
  EXPECT_EQ(delta->next_cursor, full->next_cursor);
  EXPECT_FALSE(delta->event.has_value());
  EXPECT_TRUE(delta->attendees.empty());
  EXPECT_TRUE(delta->revoked_serials.empty());
  EXPECT_EQ(delta->league_keys.size(), 1U); // always all keys
}

TEST_P(ServerStoreTest, PackageDeltaOfFiveThousandHasTheOneChange) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_OK(store->initialise({"L-1", "League"}));
  EXPECT_OK(store->upsert_event(demo_event()));
  auto roster = roster_of(5000);
  EXPECT_EQ(STORE_OK(store->upsert_roster(roster))->inserted, 5000U);
  auto full = STORE_OK(store->package_since(kEventId, 0));
  EXPECT_EQ(full->attendees.size(), 5000U);

  roster[4321].last_name = "Married-Name";
  auto stats = STORE_OK(store->upsert_roster(roster));
  EXPECT_EQ(stats->updated, 1U);
  EXPECT_EQ(stats->unchanged, 4999U);
  auto delta = STORE_OK(store->package_since(kEventId, full->next_cursor));
  ASSERT_EQ(delta->attendees.size(), 1U);
  EXPECT_EQ(delta->attendees[0].id, roster[4321].id);
  EXPECT_EQ(delta->attendees[0].last_name, "Married-Name");
  EXPECT_FALSE(delta->event.has_value());
  EXPECT_GT(delta->next_cursor, full->next_cursor);
  EXPECT_TRUE(STORE_OK(store->package_since(kEventId, delta->next_cursor))->attendees.empty());
}

TEST_P(ServerStoreTest, PackageNeverContainsEmail) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  auto full = STORE_OK(store->package_since(kEventId, 0));
  ASSERT_EQ(full->attendees.size(), 5U);
  for (const auto& a : full->attendees)
    EXPECT_EQ(a.email, "") << a.id;
  auto changed = roster_of(5);
  changed[0].email = "changed@example.org";
  EXPECT_OK(store->upsert_roster(changed));
  auto delta = STORE_OK(store->package_since(kEventId, full->next_cursor));
  ASSERT_EQ(delta->attendees.size(), 1U); // an e-mail change still reaches kiosks (as a row)
  EXPECT_EQ(delta->attendees[0].email, "");
  EXPECT_EQ(STORE_OK(store->attendee("A-1"))->email, "changed@example.org");
}

TEST_P(ServerStoreTest, PackageDeltaCarriesEventChangeAndRevocations) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_badge({"SER-1", "A-1", "", "K1", "MU1.x", kNow, std::nullopt}));
  EXPECT_OK(store->add_badge({"SER-2", "A-2", "", "K1", "MU1.y", kNow, std::nullopt}));
  auto base = STORE_OK(store->package_since(kEventId, 0));
  EXPECT_TRUE(base->revoked_serials.empty());
  EXPECT_OK(store->revoke_badge("SER-2", kNow));
  Event event = demo_event();
  event.sessions[0].title = "Budgeting, revised";
  EXPECT_OK(store->upsert_event(event));
  auto delta = STORE_OK(store->package_since(kEventId, base->next_cursor));
  ASSERT_TRUE(delta->event.has_value());
  EXPECT_EQ(delta->event->sessions.size(), 2U); // the whole event
  EXPECT_EQ(delta->event->sessions[0].title, "Budgeting, revised");
  EXPECT_EQ(delta->revoked_serials, std::vector<std::string>{"SER-2"});
  EXPECT_TRUE(delta->attendees.empty());
  // A cursor from the future (another database) gets everything.
  auto future = STORE_OK(store->package_since(kEventId, delta->next_cursor + 1000));
  EXPECT_EQ(future->since_cursor, 0U);
  EXPECT_EQ(future->attendees.size(), 5U);
  EXPECT_EQ(store->package_since("E-404", 0).code(), DbError::not_found);
}

// ---- Provisioning ---------------------------------------------------------------------------

TEST_P(ServerStoreTest, ProvisioningCodeIsSingleUse) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_provisioning_code("hash-1", kEventId, "North door", kNow + hours{1}));
  EXPECT_EQ(store->add_provisioning_code("hash-1", kEventId, "x", kNow + hours{1}).code(),
            DbError::conflict);
  EXPECT_EQ(store->add_provisioning_code("hash-2", "E-404", "x", kNow).code(), DbError::not_found);
  auto device = STORE_OK(store->redeem_provisioning_code("hash-1", "dev-1", "tok-1", kNow));
  EXPECT_EQ(device->id, "dev-1");
  EXPECT_EQ(device->name, "North door");
  EXPECT_EQ(device->event_id, kEventId);
  EXPECT_EQ(device->token_hash, "tok-1");
  auto replay = store->redeem_provisioning_code("hash-1", "dev-2", "tok-2", kNow);
  EXPECT_EQ(replay.code(), DbError::conflict);
  EXPECT_NE(replay.message().find("used"), std::string::npos) << replay.message();
  EXPECT_EQ(store->redeem_provisioning_code("nope", "dev-3", "tok", kNow).code(),
            DbError::not_found);
  EXPECT_EQ(STORE_OK(store->devices())->size(), 1U);
  EXPECT_EQ(STORE_OK(store->device("dev-1"))->token_hash, "tok-1");
}

TEST_P(ServerStoreTest, ProvisioningCodeExpires) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_provisioning_code("hash-1", kEventId, "Door", kNow + minutes{10}));
  auto late = store->redeem_provisioning_code("hash-1", "dev-1", "tok", kNow + minutes{10});
  EXPECT_EQ(late.code(), DbError::not_found); // the API's 404 invalid_code
  EXPECT_NE(late.message().find("expired"), std::string::npos) << late.message();
  EXPECT_EQ(store->device("dev-1").code(), DbError::not_found);
  EXPECT_TRUE(store->redeem_provisioning_code("hash-1", "dev-1", "tok", kNow + minutes{9}).ok());
}

TEST_P(ServerStoreTest, ConcurrentRedeemGivesExactlyOneDevice) {
  auto store = ready(false);
  ASSERT_TRUE(store);
  EXPECT_OK(store->add_provisioning_code("hash-1", kEventId, "Door", kNow + hours{1}));
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<ServerStore>> stores;
  for (int i = 0; i < kThreads; ++i)
    stores.push_back(open());
  for (const auto& s : stores)
    ASSERT_TRUE(s);
  std::latch start(kThreads);
  std::atomic<int> winners{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto redeemed = stores[static_cast<std::size_t>(i)]->redeem_provisioning_code(
          "hash-1", "dev-" + std::to_string(i), "tok", kNow);
      if (redeemed.ok())
        ++winners;
      else if (redeemed.code() == DbError::conflict)
        ++conflicts;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(STORE_OK(store->devices())->size(), 1U);
}

TEST_P(ServerStoreTest, TouchDeviceKeepsTheLatestTime) {
  auto store = ready();
  ASSERT_TRUE(store);
  EXPECT_FALSE(STORE_OK(store->device(kDevice))->last_seen.has_value());
  EXPECT_OK(store->touch_device(kDevice, kNow + minutes{5}));
  EXPECT_OK(store->touch_device(kDevice, kNow + minutes{2})); // an older report arrives late
  EXPECT_EQ(*STORE_OK(store->device(kDevice))->last_seen, kNow + minutes{5});
  EXPECT_EQ(store->touch_device("ghost", kNow).code(), DbError::not_found);
}

// ---- Scans ------------------------------------------------------------------------------------

TEST_P(ServerStoreTest, ScansFreshChainIsStored) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 10);
  auto outcome = STORE_OK(store->store_scans(kDevice, kEventId, scans, kNow));
  EXPECT_FALSE(outcome->rejection.has_value());
  EXPECT_EQ(outcome->stored, 10U);
  EXPECT_EQ(outcome->duplicates, 0U);
  EXPECT_EQ(outcome->highest_contiguous, 10U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 10U);
  auto head = STORE_OK(store->chain_head(kDevice));
  EXPECT_EQ(head->sequence, 10U);
  EXPECT_EQ(head->hash, scans.back().hash);
  auto empty = STORE_OK(store->store_scans(kDevice, kEventId, {}, kNow));
  EXPECT_EQ(empty->highest_contiguous, 10U);
}

TEST_P(ServerStoreTest, ScansRetriedBatchStoresNothingNew) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 5);
  EXPECT_OK(store->store_scans(kDevice, kEventId, scans, kNow));
  auto retry = STORE_OK(store->store_scans(kDevice, kEventId, scans, kNow + minutes{1}));
  EXPECT_FALSE(retry->rejection.has_value());
  EXPECT_EQ(retry->stored, 0U);
  EXPECT_EQ(retry->duplicates, 5U);
  EXPECT_EQ(retry->highest_contiguous, 5U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 5U);
}

TEST_P(ServerStoreTest, BootIdsAndClockSamplesAreKeptOnceEach) {
  auto store = ready();
  ASSERT_TRUE(store);
  // Scans with a boot id (muster-scan-v3) keep it, and their hash verifies as stored.
  std::vector<Scan> scans = chain(kDevice, 3);
  Digest previous = kZeroDigest;
  for (Scan& scan : scans) {
    scan.boot_id = "boot-" + std::to_string(scan.sequence % 2);
    seal(scan, previous);
    previous = scan.hash;
  }
  EXPECT_OK(store->store_scans(kDevice, kEventId, scans, kNow + minutes{5}));
  auto stored = STORE_OK(store->scans_for_event(kEventId));
  ASSERT_EQ(stored->size(), 3U);
  EXPECT_EQ((*stored)[1].boot_id, "boot-0");
  EXPECT_FALSE(verify_chain(*stored).has_value());
  // Samples: a resent one changes nothing; they come back per device, boot and monotonic time.
  ClockSample early{"boot-1", kNow, kNow + hours{2}, 4000, 3};
  ClockSample late{"boot-1", kNow + minutes{10}, kNow + hours{2} + minutes{10}, 604000, 5};
  ClockSample other{"boot-0", kNow, kNow - hours{72}, 100, 1};
  const std::vector<ClockSample> first{late, early};
  EXPECT_OK(store->store_clock_samples(kDevice, first, kNow + minutes{11}));
  const std::vector<ClockSample> again{early, other};
  EXPECT_OK(store->store_clock_samples(kDevice, again, kNow + minutes{12}));
  auto samples = STORE_OK(store->clock_samples_for_event(kEventId));
  ASSERT_EQ(samples->size(), 3U);
  EXPECT_EQ((*samples)[0].device_id, kDevice);
  EXPECT_EQ((*samples)[0].sample, other);
  EXPECT_EQ((*samples)[1].sample, early);
  EXPECT_EQ((*samples)[2].sample, late);
  auto receipts = STORE_OK(store->scan_receipts(kEventId));
  ASSERT_EQ(receipts->size(), 3U);
  EXPECT_EQ((*receipts)[2].sequence, 3U);
  EXPECT_EQ((*receipts)[2].received_at, kNow + minutes{5});
  EXPECT_EQ(store->store_clock_samples("no-such-device", first, kNow).code(), DbError::not_found);
}

TEST_P(ServerStoreTest, ScansOverlappingBatchStoresOnlyTheNewOnes) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 8);
  EXPECT_OK(store->store_scans(kDevice, kEventId, std::span(scans).first(5), kNow));
  auto overlap = STORE_OK(store->store_scans(kDevice, kEventId, std::span(scans).subspan(2), kNow));
  EXPECT_FALSE(overlap->rejection.has_value());
  EXPECT_EQ(overlap->duplicates, 3U);
  EXPECT_EQ(overlap->stored, 3U);
  EXPECT_EQ(overlap->highest_contiguous, 8U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 8U);
  auto stored = STORE_OK(store->scans_for_event(kEventId));
  ASSERT_EQ(stored->size(), 8U);
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_EQ((*stored)[i].sequence, i + 1);
}

TEST_P(ServerStoreTest, ScansGapIsRejectedWithTheMissingSequence) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 8);
  EXPECT_OK(store->store_scans(kDevice, kEventId, std::span(scans).first(3), kNow));
  auto gap = STORE_OK(store->store_scans(kDevice, kEventId, std::span(scans).subspan(4), kNow));
  ASSERT_TRUE(gap->rejection.has_value());
  EXPECT_EQ(gap->rejection->first_bad_sequence, 4U);
  EXPECT_FALSE(gap->rejection->reason.empty());
  EXPECT_EQ(gap->stored, 0U);
  EXPECT_EQ(gap->highest_contiguous, 3U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 3U);
}

TEST_P(ServerStoreTest, ScansEditedUnderStoredSequenceIsRejected) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 6);
  EXPECT_OK(store->store_scans(kDevice, kEventId, std::span(scans).first(4), kNow));
  auto edited = scans;
  edited[1].attendee_id = "A-5"; // re-sealed, so only the stored copy exposes the edit
  Digest previous = edited[0].hash;
  for (std::size_t i = 1; i < edited.size(); ++i) {
    seal(edited[i], previous);
    previous = edited[i].hash;
  }
  auto outcome = STORE_OK(store->store_scans(kDevice, kEventId, edited, kNow));
  ASSERT_TRUE(outcome->rejection.has_value());
  EXPECT_EQ(outcome->rejection->first_bad_sequence, 2U);
  EXPECT_EQ(outcome->stored, 0U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 4U); // not even the new 5 and 6
  auto stored = STORE_OK(store->scans_for_device(kDevice));
  EXPECT_EQ((*stored)[1].attendee_id, scans[1].attendee_id);
}

TEST_P(ServerStoreTest, ABranchIsLinkedToItsParentOnceAndTakesItsOwnChain) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 4);
  EXPECT_OK(store->store_scans(kDevice, kEventId, scans, kNow));
  // A restored kiosk's own scans from 3 on: other content than the server's 3 and 4. The
  // chain check names the first one that differs.
  auto restored = chain(kDevice, 2);
  auto own = chain(kDevice, 3, 3, restored.back().hash);
  for (Scan& scan : own)
    scan.monotonic_ms += 100;
  Digest previous = restored.back().hash;
  for (Scan& scan : own) {
    seal(scan, previous);
    previous = scan.hash;
  }
  std::vector<Scan> batch = restored;
  batch.insert(batch.end(), own.begin(), own.end());
  auto refused = STORE_OK(store->store_scans(kDevice, kEventId, batch, kNow));
  ASSERT_TRUE(refused->rejection.has_value());
  EXPECT_EQ(refused->rejection->first_bad_sequence, 3U);
  EXPECT_EQ(refused->highest_contiguous, 4U);

  const auto token = [](const std::string& id) { return "tokenhash-" + id; };
  const std::string hash = to_hex(own[0].hash);
  auto branch = STORE_OK(store->branch_device(kDevice, 3, hash, token, kNow + minutes{1}));
  EXPECT_TRUE(branch->created);
  EXPECT_EQ(branch->device.id, std::string(kDevice) + "-B1");
  EXPECT_EQ(branch->device.parent_id, kDevice);
  EXPECT_EQ(branch->device.diverged_at, 3U);
  EXPECT_EQ(branch->device.event_id, kEventId);
  EXPECT_EQ(branch->device.token_hash, "tokenhash-" + branch->device.id);
  auto again = STORE_OK(store->branch_device(kDevice, 3, hash, token, kNow + minutes{2}));
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->device.id, branch->device.id);
  auto parent = STORE_OK(store->device(kDevice));
  EXPECT_EQ(parent->rollbacks, 1U);
  EXPECT_EQ(parent->rolled_back_at, kNow + minutes{1});
  // Nothing diverged: above the head, or the server's own scan.
  EXPECT_EQ(store->branch_device(kDevice, 5, hash, token, kNow).code(), DbError::conflict);
  EXPECT_EQ(store->branch_device(kDevice, 2, to_hex(scans[1].hash), token, kNow).code(),
            DbError::conflict);
  EXPECT_EQ(store->branch_device("dev-none", 1, hash, token, kNow).code(), DbError::not_found);

  // The branch's chain starts at 1 and holds the kiosk's own scans; the parent's is unchanged.
  std::vector<Scan> moved = own;
  previous = kZeroDigest;
  for (std::size_t i = 0; i < moved.size(); ++i) {
    moved[i].device_id = branch->device.id;
    moved[i].sequence = i + 1;
    seal(moved[i], previous);
    previous = moved[i].hash;
  }
  auto stored = STORE_OK(store->store_scans(branch->device.id, kEventId, moved, kNow));
  EXPECT_FALSE(stored->rejection.has_value());
  EXPECT_EQ(stored->stored, 3U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 7U);
  auto lineage = STORE_OK(store->lineage(branch->device.id));
  ASSERT_EQ(lineage->size(), 1U);
  EXPECT_EQ((*lineage)[0].device_id, kDevice);
  EXPECT_EQ((*lineage)[0].before_sequence, 3U);
  EXPECT_TRUE(STORE_OK(store->lineage(kDevice))->empty());
  // A second clone diverging at the same place with other scans: a second branch.
  auto other = STORE_OK(store->branch_device(kDevice, 3, std::string(64, 'e'), token, kNow));
  EXPECT_EQ(other->device.id, std::string(kDevice) + "-B2");
  EXPECT_EQ(STORE_OK(store->device(kDevice))->rollbacks, 2U);
}

TEST_P(ServerStoreTest, ScansBrokenLinkIsRejected) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto scans = chain(kDevice, 3);
  EXPECT_OK(store->store_scans(kDevice, kEventId, scans, kNow));
  // Sequence 4 sealed onto the wrong predecessor: the link to the stored head is broken.
  auto forged = chain(kDevice, 2, 4, scans[0].hash);
  auto outcome = STORE_OK(store->store_scans(kDevice, kEventId, forged, kNow));
  ASSERT_TRUE(outcome->rejection.has_value());
  EXPECT_EQ(outcome->rejection->first_bad_sequence, 4U);
  EXPECT_EQ(outcome->highest_contiguous, 3U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 3U);
  // An edited record whose hash was not recomputed: bad hash at its own sequence.
  auto good = chain(kDevice, 2, 4, scans[2].hash);
  good[1].reason = "tampered";
  auto edited = STORE_OK(store->store_scans(kDevice, kEventId, good, kNow));
  ASSERT_TRUE(edited->rejection.has_value());
  EXPECT_EQ(edited->rejection->first_bad_sequence, 5U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 3U);
}

TEST_P(ServerStoreTest, ScansOfAnotherDeviceAreRejected) {
  auto store = ready();
  ASSERT_TRUE(store);
  add_device(*store, kOtherDevice);
  auto theirs = chain(kOtherDevice, 2);
  auto outcome = STORE_OK(store->store_scans(kDevice, kEventId, theirs, kNow));
  ASSERT_TRUE(outcome->rejection.has_value());
  EXPECT_EQ(outcome->rejection->first_bad_sequence, 1U);
  auto mixed = chain(kDevice, 3);
  mixed[2].device_id = std::string(kOtherDevice);
  auto second = STORE_OK(store->store_scans(kDevice, kEventId, mixed, kNow));
  ASSERT_TRUE(second->rejection.has_value());
  EXPECT_EQ(second->rejection->first_bad_sequence, 3U);
  EXPECT_EQ(*STORE_OK(store->scan_count()), 0U);
  // Each device's chain is its own: both can hold sequence 1.
  EXPECT_OK(store->store_scans(kDevice, kEventId, chain(kDevice, 2), kNow));
  EXPECT_OK(store->store_scans(kOtherDevice, kEventId, theirs, kNow));
  EXPECT_EQ(*STORE_OK(store->scan_count()), 4U);
  EXPECT_EQ(STORE_OK(store->scans_for_event(kEventId))->size(), 4U);
}

TEST_P(ServerStoreTest, ScansForAnotherEventsSessionAreInvalid) {
  auto store = ready();
  ASSERT_TRUE(store);
  Event other = demo_event();
  other.id = "E-OTHER";
  other.sessions = {session("X1", 30)};
  EXPECT_OK(store->upsert_event(other));
  auto scans = chain(kDevice, 2);
  scans[1].session_id = "X1";
  seal(scans[1], scans[0].hash);
  auto refused = store->store_scans(kDevice, kEventId, scans, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), DbError::invalid);
  EXPECT_NE(refused.message().find("X1"), std::string::npos) << refused.message();
  EXPECT_EQ(*STORE_OK(store->scan_count()), 0U);
  EXPECT_TRUE(STORE_OK(store->scans_for_event("E-OTHER"))->empty());
}

TEST_P(ServerStoreTest, UnknownIdsAreNotFound) {
  auto store = ready();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->event("E-404").code(), DbError::not_found);
  EXPECT_EQ(store->attendee("A-404").code(), DbError::not_found);
  EXPECT_EQ(store->badge("SER-404").code(), DbError::not_found);
  EXPECT_EQ(store->device("ghost").code(), DbError::not_found);
  EXPECT_EQ(store->chain_head("ghost").code(), DbError::not_found);
  EXPECT_EQ(store->scans_for_device("ghost").code(), DbError::not_found);
  EXPECT_EQ(store->scans_for_event("E-404").code(), DbError::not_found);
  EXPECT_EQ(store->badges_for_event("E-404").code(), DbError::not_found);
  EXPECT_EQ(store->store_scans("ghost", kEventId, chain("ghost", 1), kNow).code(),
            DbError::not_found);
  EXPECT_EQ(store->store_scans(kDevice, "E-404", chain(kDevice, 1), kNow).code(),
            DbError::not_found);
}

// Two connections (two server instances, or two HTTP workers) push overlapping batches of one
// device at the same moment: every scan is stored exactly once and the chain stays whole.
TEST_P(ServerStoreTest, ScansConcurrentOverlappingBatchesAreStoredOnce) {
  auto store = ready();
  ASSERT_TRUE(store);
  constexpr std::uint64_t kTotal = 120;
  const auto scans = chain(kDevice, kTotal);
  constexpr int kThreads = 2;
  std::vector<std::unique_ptr<ServerStore>> stores;
  for (int i = 0; i < kThreads; ++i)
    stores.push_back(open());
  for (const auto& s : stores)
    ASSERT_TRUE(s);

  std::atomic<std::uint64_t> stored{0};
  std::atomic<int> errors{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ServerStore& mine = *stores[static_cast<std::size_t>(t)];
      start.arrive_and_wait();
      // First both push the same opening batch at once, then each keeps retrying from a few
      // scans behind the head it last saw (like a kiosk that missed an acknowledgement).
      auto first = mine.store_scans(kDevice, kEventId, std::span(scans).first(20), kNow);
      if (!first)
        ++errors;
      else
        stored += first->stored;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
      for (int round = 0; round < 500 && std::chrono::steady_clock::now() < deadline; ++round) {
        auto head = mine.chain_head(kDevice);
        if (!head) {
          ++errors;
          return;
        }
        if (head->sequence >= kTotal) return;
        const std::uint64_t from = head->sequence > 3 ? head->sequence - 3 : 0;
        const std::uint64_t to = std::min<std::uint64_t>(kTotal, head->sequence + 7 + t);
        auto batch = std::span(scans).subspan(from, to - from);
        auto outcome = mine.store_scans(kDevice, kEventId, batch, kNow);
        if (!outcome) {
          ++errors;
          return;
        }
        if (outcome->rejection) {
          ++errors;
          return;
        } // overlap must never look like a break
        stored += outcome->stored;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stored.load(), kTotal);
  EXPECT_EQ(*STORE_OK(store->scan_count()), kTotal);
  auto all = STORE_OK(store->scans_for_device(kDevice));
  ASSERT_EQ(all->size(), kTotal);
  EXPECT_FALSE(verify_device_chain(kDevice, *all).has_value());
  EXPECT_EQ(STORE_OK(store->chain_head(kDevice))->sequence, kTotal);
}

// ---- Issue 12: roles over time, municipalities, event programs ------------------------------

Date day(const char* text) { return *parse_date(text); }

TEST_P(ServerStoreTest, RoleChangesAreDatedFactsAndOldSessionsKeepTheOldRole) {
  auto store = ready(); // A-2 mayor, A-3 clerk, effective today
  ASSERT_TRUE(store);
  std::vector<Attendee> roster = roster_of(5);
  roster[1].role = Role::councilmember; // A-2: mayor -> councilmember from 2026-06-01
  roster[2].role = Role::councilmember; // A-3: clerk -> councilmember from 2026-06-01
  auto changed = STORE_OK(store->upsert_roster(roster, day("2026-06-01")));
  EXPECT_EQ(changed->updated, 2u);
  EXPECT_EQ(changed->role_changes, 2u);
  // Before the change: the role they first came in with; from it on: the new one.
  EXPECT_EQ(*STORE_OK(store->role_on("A-2", day("2026-03-02"))), Role::mayor);
  EXPECT_EQ(*STORE_OK(store->role_on("A-2", day("2026-06-01"))), Role::councilmember);
  EXPECT_EQ(*STORE_OK(store->role_on("A-3", day("2026-05-31"))), Role::clerk);
  EXPECT_EQ(*STORE_OK(store->role_on("A-3", day("2027-01-01"))), Role::councilmember);
  EXPECT_EQ(*STORE_OK(store->role_on("A-4", day("2020-01-01"))), Role::mayor); // never changed

  // The same roster again on another date changes nothing; a back-dated correction adds a fact.
  auto again = STORE_OK(store->upsert_roster(roster, day("2026-07-01")));
  EXPECT_EQ(again->role_changes, 0u);
  EXPECT_EQ(again->unchanged, 5u);
  roster[2].role = Role::staff;
  EXPECT_OK(store->upsert_roster(roster, day("2026-09-15")));
  roster[2].role = Role::councilmember; // the same day once more: that day's fact is replaced
  EXPECT_OK(store->upsert_roster(roster, day("2026-09-15")));
  const auto history = STORE_OK(store->role_history("A-3"));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u) << "the clerk fact, 2026-06-01, 2026-09-15";
  EXPECT_EQ((*history)[1], (RoleChange{day("2026-06-01"), Role::councilmember}));
  EXPECT_EQ((*history)[2], (RoleChange{day("2026-09-15"), Role::councilmember}));
  auto all = STORE_OK(store->role_histories());
  EXPECT_EQ(all->count("A-2"), 1u);
  EXPECT_EQ(store->role_on("NOBODY", day("2026-01-01")).code(), DbError::not_found);

  // A fresh connection sees the same history (it is stored, not cached).
  auto other = open();
  ASSERT_TRUE(other);
  EXPECT_EQ(*STORE_OK(other->role_on("A-2", day("2026-03-02"))), Role::mayor);
}

TEST_P(ServerStoreTest, MunicipalitiesAndRosterReferencesPersist) {
  auto store = ready();
  ASSERT_TRUE(store);
  const std::vector<Municipality> towns = {{"AL-RVB", "City of Riverbend", 4},
                                           {"AL-RBD", "City of River Bend", 2}};
  auto first = STORE_OK(store->upsert_municipalities(towns));
  EXPECT_EQ(first->inserted, 2u);
  auto renamed = towns;
  renamed[1].council_seats = 3;
  auto second = STORE_OK(store->upsert_municipalities(renamed));
  EXPECT_EQ(second->updated, 1u);
  EXPECT_EQ(second->unchanged, 1u);
  auto listed = STORE_OK(store->municipalities());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0], (Municipality{"AL-RBD", "City of River Bend", 3})); // sorted by id
  EXPECT_EQ(store->upsert_municipalities(std::vector<Municipality>{{"", "x", 1}}).code(),
            DbError::invalid);

  std::vector<Attendee> roster = roster_of(2);
  roster[0].municipality_id = "AL-RBD";
  auto stats = STORE_OK(store->upsert_roster(roster));
  EXPECT_EQ(stats->updated, 1u);
  EXPECT_EQ(STORE_OK(store->attendee("A-1"))->municipality_id, "AL-RBD");
  auto delta = STORE_OK(store->package_since(kEventId, 0));
  EXPECT_EQ(delta->attendees.size(), 5u);
}

TEST_P(ServerStoreTest, EventProgramsAndEligibleRolesRoundTrip) {
  auto store = ready();
  ASSERT_TRUE(store);
  EXPECT_EQ(STORE_OK(store->event(kEventId))->programs, Event::default_event_programs());
  Event event = demo_event();
  event.programs = {"alm-cmo", "amcto-pdu"};
  event.eligible_roles = {Role::mayor, Role::councilmember, Role::clerk, Role::manager};
  auto before = STORE_OK(store->package_since(kEventId, 0));
  auto stats = STORE_OK(store->upsert_event(event));
  EXPECT_EQ(stats->updated, 1u); // the programs alone are a change kiosks must learn
  auto loaded = STORE_OK(store->event(kEventId));
  EXPECT_EQ(loaded->programs, event.programs);
  EXPECT_EQ(loaded->eligible_roles, event.eligible_roles);
  auto delta = STORE_OK(store->package_since(kEventId, before->next_cursor));
  ASSERT_TRUE(delta->event.has_value());
  EXPECT_EQ(delta->event->eligible_roles, event.eligible_roles);
}

TEST_P(ServerStoreTest, VersionFiveDatabaseGainsTheRoleHistoryWithTheRosterRolesKept) {
  {
    auto store = ready();
    ASSERT_TRUE(store);
  }
  // Back to exactly schema 5: what migrations 6 to 15 changed is undone.
  ASSERT_EQ(raw("DROP INDEX devices_by_parent"), "");
  for (const char* column :
       {"parent_id", "diverged_at", "diverged_hash", "rollbacks", "rolled_back_at"}) {
    ASSERT_EQ(raw(std::string("ALTER TABLE devices DROP COLUMN ") + column), "");
  }
  ASSERT_EQ(raw("DROP TABLE role_history; DROP TABLE municipalities;"), "");
  ASSERT_EQ(raw("ALTER TABLE attendees DROP COLUMN municipality_id"), "");
  ASSERT_EQ(raw("ALTER TABLE events DROP COLUMN programs_json"), "");
  ASSERT_EQ(raw("ALTER TABLE events DROP COLUMN eligible_roles_json"), "");
  ASSERT_EQ(raw("ALTER TABLE ledger_entries DROP COLUMN programs"), "");
  ASSERT_EQ(raw("DROP TABLE console_users; DROP TABLE console_sessions;"), "");
  ASSERT_EQ(raw("DROP TABLE console_audit"), "");
  ASSERT_EQ(raw("ALTER TABLE scans DROP COLUMN boot_id"), "");
  ASSERT_EQ(raw("DROP TABLE clock_samples"), "");
  ASSERT_EQ(raw("ALTER TABLE admin_tokens DROP COLUMN revoked_at"), "");
  ASSERT_EQ(raw("ALTER TABLE devices DROP COLUMN public_key"), "");
  ASSERT_EQ(raw("DROP TABLE relay_tokens; DROP TABLE relay_devices;"), "");
  ASSERT_EQ(raw("DROP TABLE relay_state; DROP TABLE relay_forwarding;"), "");
  ASSERT_EQ(raw("DROP TABLE mail_outbox"), ""); // migration 13
  ASSERT_EQ(raw("DROP TABLE official_codes; DROP TABLE official_confirmations;"), "");
  ASSERT_EQ(raw("DROP TABLE official_disputes"), "");                    // migration 14
  ASSERT_EQ(raw("CREATE INDEX scans_by_event ON scans (event_id)"), ""); // migration 15
  ASSERT_EQ(raw("UPDATE schema_version SET version = 5 WHERE version = 15"), "");
  auto store = open();
  ASSERT_TRUE(store);
  // Migration 15 dropped the event's all-equal-key scan index again (issue 19): dropping it
  // once more fails on either backend.
  EXPECT_NE(raw("DROP INDEX scans_by_event"), "");
  EXPECT_EQ(STORE_OK(store->event(kEventId))->eligible_roles, Event::default_eligible_roles());
  EXPECT_TRUE(STORE_OK(store->role_history("A-2"))->empty());
  // A-2 was a mayor before the upgrade; a clerk from 2026-06-01: earlier dates keep mayor.
  std::vector<Attendee> roster = roster_of(5);
  roster[1].role = Role::clerk;
  EXPECT_OK(store->upsert_roster(roster, day("2026-06-01")));
  EXPECT_EQ(*STORE_OK(store->role_on("A-2", day("2025-11-02"))), Role::mayor);
  EXPECT_EQ(*STORE_OK(store->role_on("A-2", day("2026-06-02"))), Role::clerk);
}

// The venue relay's tables (relay_store.hpp) on both backends: tokens for one event, devices a
// relay registers (idempotent, never a device provisioned otherwise), the relay's state and
// per-device progress, and clock samples forwarded by arrival without cutting an arrival group.
TEST_P(ServerStoreTest, RelayTablesKeepTokensDevicesStateAndProgress) {
  auto store = ready();
  ASSERT_TRUE(store);
  auto opened = open_relay_store(database_);
  ASSERT_TRUE(opened.ok()) << opened.message();
  RelayStore& relay = **opened;
  EXPECT_EQ(relay.add_relay_token("hash-1", "NO-EVENT", "x", kNow).code(), DbError::not_found);
  EXPECT_OK(relay.add_relay_token("hash-1", kEventId, "Venue", kNow));
  EXPECT_OK(relay.add_relay_token("hash-2", kEventId, "Venue", kNow));
  auto token = STORE_OK(relay.relay_token("hash-1"));
  EXPECT_EQ(token->event_id, kEventId);
  EXPECT_FALSE(token->revoked);
  EXPECT_EQ(relay.relay_token("hash-9").code(), DbError::not_found);
  EXPECT_EQ(*STORE_OK(relay.revoke_relay_tokens("", "Venue", kNow)), 2U);
  EXPECT_TRUE(STORE_OK(relay.relay_token("hash-2"))->revoked);
  EXPECT_EQ(*STORE_OK(relay.revoke_relay_tokens("hash-1", "", kNow)), 0U); // already revoked

  auto device = STORE_OK(relay.register_relay_device("dev-r1", "Door R", kEventId, "Venue", kNow));
  EXPECT_EQ(device->event_id, kEventId);
  auto again = STORE_OK(relay.register_relay_device("dev-r1", "Other", kEventId, "Venue", kNow));
  EXPECT_EQ(again->name, "Door R");
  EXPECT_EQ(relay.register_relay_device(kDevice, "Taken", kEventId, "Venue", kNow).code(),
            DbError::conflict);
  // A key learnt later is kept; another key is refused.
  EXPECT_EQ(
      STORE_OK(relay.register_relay_device("dev-r1", "", kEventId, "Venue", kNow, "MUPK1.key-r1"))
          ->public_key,
      "MUPK1.key-r1");
  EXPECT_EQ(
      relay.register_relay_device("dev-r1", "", kEventId, "Venue", kNow, "MUPK1.other").code(),
      DbError::conflict);
  // A kiosk registered directly with its key moves behind a relay only with that very key.
  DeviceRecord kiosk;
  kiosk.id = "dev-own";
  kiosk.name = "Own kiosk";
  kiosk.event_id = std::string(kEventId);
  kiosk.public_key = "MUPK1.own";
  EXPECT_OK(store->register_device(kiosk, kNow));
  EXPECT_EQ(relay.register_relay_device("dev-own", "", kEventId, "Venue", kNow, "MUPK1.x").code(),
            DbError::conflict);
  EXPECT_EQ(relay.register_relay_device("dev-own", "", kEventId, "Venue", kNow).code(),
            DbError::conflict);
  EXPECT_FALSE(STORE_OK(relay.relay_of_device("dev-own"))->has_value());
  EXPECT_OK(relay.register_relay_device("dev-own", "", kEventId, "Venue", kNow, "MUPK1.own"));
  EXPECT_TRUE(STORE_OK(relay.relay_of_device("dev-own"))->has_value());
  EXPECT_EQ(*STORE_OK(relay.relay_of_device("dev-r1")), std::optional<std::string>("Venue"));
  EXPECT_FALSE(STORE_OK(relay.relay_of_device(kDevice))->has_value());
  // No token matches a relay-registered device's: it is reached only through a relay.
  EXPECT_EQ(STORE_OK(store->device("dev-r1"))->token_hash, "");
  // A branch a relay made (a kiosk restored behind it) is linked as the relay linked it, once.
  EXPECT_EQ(relay
                .register_relay_device("dev-r1-B1", "", kEventId, "Venue", kNow, "",
                                       BranchLink{"no-such-device", 3})
                .code(),
            DbError::conflict);
  EXPECT_EQ(
      relay
          .register_relay_device("dev-r2", "", kEventId, "Venue", kNow, "", BranchLink{"dev-r1", 0})
          .code(),
      DbError::invalid);
  auto branch = STORE_OK(relay.register_relay_device("dev-r1-B1", "Door R", kEventId, "Venue", kNow,
                                                     "", BranchLink{"dev-r1", 3}));
  EXPECT_EQ(branch->parent_id, "dev-r1");
  EXPECT_OK(relay.register_relay_device("dev-r1-B1", "Door R", kEventId, "Venue", kNow, "",
                                        BranchLink{"dev-r1", 3}));
  auto lineage = STORE_OK(store->lineage("dev-r1-B1"));
  ASSERT_EQ(lineage->size(), 1U);
  EXPECT_EQ(lineage->front().device_id, "dev-r1");
  EXPECT_EQ(lineage->front().before_sequence, 3U);
  EXPECT_EQ(STORE_OK(store->device("dev-r1"))->rollbacks, 1U) << "counted once, not per request";

  EXPECT_FALSE(STORE_OK(relay.state("full.cursor"))->has_value());
  EXPECT_OK(relay.set_state({{"full.cursor", "5"}, {"event_id", std::string(kEventId)}}));
  EXPECT_OK(relay.set_state({{"full.cursor", "7"}}));
  EXPECT_EQ(*STORE_OK(relay.state("full.cursor")), std::optional<std::string>("7"));
  EXPECT_EQ(STORE_OK(relay.progress("dev-r1"))->upstream_acked, 0U);
  RelayProgress progress{"dev-r1", true, 12, 3000, ""};
  EXPECT_OK(relay.save_progress(progress, kNow));
  progress.upstream_acked = 20;
  progress.last_error = "refused";
  EXPECT_OK(relay.save_progress(progress, kNow));
  auto saved = STORE_OK(relay.progress("dev-r1"));
  EXPECT_TRUE(saved->registered);
  EXPECT_EQ(saved->upstream_acked, 20U);
  EXPECT_EQ(saved->samples_through, 3000);
  EXPECT_EQ(saved->last_error, "refused");
  EXPECT_EQ(STORE_OK(relay.all_progress())->size(), 1U);

  // Two arrivals of two samples each; a limit of 3 must not cut the second arrival.
  const std::vector<ClockSample> first{{"b", kNow, kNow, 1, 0}, {"b", kNow, kNow, 2, 0}};
  const std::vector<ClockSample> second{{"b", kNow, kNow, 3, 0}, {"b", kNow, kNow, 4, 0}};
  EXPECT_OK(store->store_clock_samples("dev-r1", first, at_ms(1000)));
  EXPECT_OK(store->store_clock_samples("dev-r1", second, at_ms(2000)));
  auto cut = STORE_OK(relay.clock_samples_after("dev-r1", 0, 3));
  ASSERT_EQ(cut->size(), 2U);
  EXPECT_EQ(cut->back().received_ms, 1000);
  auto rest = STORE_OK(relay.clock_samples_after("dev-r1", 1000, 3));
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ(rest->front().sample.monotonic_ms, 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

// ---- SQLite only ------------------------------------------------------------------------------

TEST(ServerStoreSqlite, RefusesADamagedOrForeignFile) {
  test::TempDir dir;
  test::write_file(dir / "junk.db", std::string(8192, 'x'));
  auto opened = open_server_store((dir / "junk.db").string());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), DbError::cannot_open);
  EXPECT_NE(opened.message().find("junk.db"), std::string::npos) << opened.message();
}

TEST(ServerStoreSqlite, UsesWalAndFullSync) {
  test::TempDir dir;
  const std::string path = (dir / "league.db").string();
  {
    auto store = open_server_store(path);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE((*store)->initialise({"L-1", "League"}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(ServerStorePostgres, UnreachableServerIsCannotOpen) {
  auto opened = open_server_store("postgresql://muster@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.code(), DbError::cannot_open);
  EXPECT_NE(opened.message().find("PostgreSQL"), std::string::npos) << opened.message();
}

} // namespace
} // namespace muster::server
