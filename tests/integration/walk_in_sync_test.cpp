// Walk-ins end to end with the real HTTP server: a kiosk registers a walk-in in staff mode
// (kiosk/app/walk_in.hpp), syncs; the server creates the provisional attendee, `walk-ins` lists
// it, the other kiosk's package delta brings it to that door, credits flag it, and
// `confirm-walk-in` clears the flag (or, with --as, counts the walk-in's scans for an existing
// attendee). An existing attendee is never overwritten by a registration.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <sstream>

#include "kiosk/app/checkin.hpp"
#include "kiosk/app/walk_in.hpp"
#include "sync/server/credit_commands.hpp"
#include "sync/server/walk_in_commands.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

struct Synced {
  bool ok = false;
  std::string error;
};

Synced sync_once(KioskStore& kiosk) {
  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false;
  const auto report = sync::run_sync_pass(kiosk, http, pass, kiosk::package_applier());
  return {report.ok && report.queued == 0, report.error ? report.error->message : ""};
}

kiosk::WalkInForm form(const char* first, const char* last) {
  return kiosk::WalkInForm{first, last, "Shelbyville", "councilmember", "newly elected"};
}

class WalkInSync : public ::testing::Test {
protected:
  // "" for SQLite; the PostgreSQL variant makes a fresh database (nullopt: no PostgreSQL).
  virtual std::optional<std::string> database() { return ""; }

  void SetUp() override {
    const auto db = database();
    if (!db) GTEST_SKIP() << kNoPostgres;
    world_.setup(4, *db);
    auto a = world_.provision_kiosk("door-a");
    auto b = world_.provision_kiosk("door-b");
    ASSERT_TRUE(a && b);
    door_a_.emplace(std::move(*a));
    door_b_.emplace(std::move(*b));
    kiosk::CheckinOptions options;
    options.room = "Hall";
    auto checkin = kiosk::Checkin::open(*door_a_, options);
    ASSERT_TRUE(checkin) << checkin.message();
    checkin_.emplace(std::move(*checkin));
  }

  // Registers at door A at 15:05 UTC (S1 15:00-17:00 in progress: the walk-in arrives in it).
  std::string register_at_door_a(const kiosk::WalkInForm& f) {
    auto registered =
        kiosk::register_walk_in(*door_a_, *checkin_, f, "staff-7", at("2026-03-02T15:05:00Z"),
                                std::chrono::milliseconds{++monotonic_});
    EXPECT_TRUE(registered) << registered.message();
    if (!registered) return "";
    EXPECT_TRUE(registered->arrival && registered->arrival->recorded);
    return registered->attendee.id;
  }

  std::string command_output(int (*run)(const server::WalkInsOptions&, std::ostream&,
                                        std::ostream&),
                             const server::WalkInsOptions& options) {
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run(options, out, err), 0) << err.str();
    return out.str();
  }

  const server::CreditRow* row_of(const std::vector<server::CreditRow>& rows,
                                  const std::string& id) {
    for (const auto& row : rows) {
      if (row.attendee.id == id) return &row;
    }
    return nullptr;
  }

  void full_scenario();

  SyncWorld world_;
  std::optional<KioskStore> door_a_;
  std::optional<KioskStore> door_b_;
  std::optional<kiosk::Checkin> checkin_;
  std::int64_t monotonic_ = 0;
};

// The same on a server over PostgreSQL (the name gives it the CTest PostgreSQL fixture).
class WalkInSyncOn_postgresql : public WalkInSync {
protected:
  std::optional<std::string> database() override {
    const auto base = postgres_fixture_url();
    if (!base) return std::nullopt;
    const auto database = create_postgres_database(*base, "muster_walk_in_");
    EXPECT_EQ(database.error, "");
    return database.url;
  }
};

TEST_F(WalkInSync, SyncsListsReachesTheOtherDoorAndIsConfirmed) { full_scenario(); }
TEST_F(WalkInSyncOn_postgresql, SyncsListsReachesTheOtherDoorAndIsConfirmed) { full_scenario(); }

void WalkInSync::full_scenario() {
  const auto id = register_at_door_a(form("Ana", "Ruiz"));
  ASSERT_EQ(id.rfind("WALKIN-" + SyncWorld::device_id(*door_a_) + "-", 0), 0U) << id;
  const auto pushed = sync_once(*door_a_);
  ASSERT_TRUE(pushed.ok) << pushed.error;
  world_.expect_server_holds_exactly(*door_a_);

  // The server created the provisional attendee from the registration's details.
  auto attendee = world_.store().attendee(id);
  ASSERT_TRUE(attendee) << attendee.message();
  EXPECT_EQ(attendee->first_name, "Ana");
  EXPECT_EQ(attendee->last_name, "Ruiz");
  EXPECT_EQ(attendee->role, Role::councilmember);
  EXPECT_EQ(attendee->municipality, "Shelbyville");

  // `muster-server walk-ins --event EV1` lists it with who registered it and why.
  const auto listed =
      command_output(server::run_walk_ins, {world_.database(), SyncWorld::kEvent, false});
  EXPECT_EQ(listed.rfind("attendee_id\tfirst_name\tlast_name\tmunicipality\trole\tdevice\t", 0), 0U)
      << listed;
  EXPECT_NE(listed.find(id + "\tAna\tRuiz\tShelbyville\tcouncilmember\t" +
                        SyncWorld::device_id(*door_a_) + "\tstaff-7\tnewly elected\t" +
                        "2026-03-02T15:05:00"),
            std::string::npos)
      << listed;
  EXPECT_NE(listed.find("\tprovisional\n"), std::string::npos) << listed;

  // The other door learns the walk-in from its next package delta.
  ASSERT_FALSE(door_b_->attendee(id));
  const auto pulled = sync_once(*door_b_);
  ASSERT_TRUE(pulled.ok) << pulled.error;
  auto at_b = door_b_->attendee(id);
  ASSERT_TRUE(at_b) << at_b.message();
  EXPECT_EQ(at_b->first_name, "Ana");
  EXPECT_TRUE(at_b->email.empty());

  // Credits: the arrival counts (15:05 within grace, no leave: 2 h) and the row is flagged.
  auto rows = server::compute_credits(world_.store(), world_.event());
  ASSERT_TRUE(rows) << rows.message();
  const auto* row = row_of(*rows, id);
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->provisional);
  EXPECT_DOUBLE_EQ(row->attendance.credit_hours, 2.0);
  const auto json = nlohmann::json::parse(server::credits_json(world_.event(), *rows));
  bool flagged = false;
  for (const auto& person : json["attendees"]) {
    if (person["attendee_id"] == id) flagged = person["provisional"].get<bool>();
  }
  EXPECT_TRUE(flagged);
  // close-event does not post a provisional walk-in's hours to a ledger.
  const auto posted_for = [&](const std::string& official) {
    auto entries = server::event_ledger_entries(world_.store(), world_.event());
    EXPECT_TRUE(entries) << entries.message();
    std::size_t count = 0;
    if (entries) {
      for (const auto& entry : *entries)
        count += entry.official_id == official ? 1 : 0;
    }
    return count;
  };
  EXPECT_EQ(posted_for(id), 0U);

  // `confirm-walk-in` clears the flag; the listing no longer shows it.
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(server::run_confirm_walk_in({world_.database(), id, ""}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("Confirmed walk-in " + id), std::string::npos) << out.str();
  const auto after =
      command_output(server::run_walk_ins, {world_.database(), SyncWorld::kEvent, false});
  EXPECT_EQ(after.find(id), std::string::npos) << after;
  const auto all = command_output(server::run_walk_ins, {world_.database(), "", true});
  EXPECT_NE(all.find(id), std::string::npos);
  EXPECT_NE(all.find("\tconfirmed\n"), std::string::npos) << all;
  rows = server::compute_credits(world_.store(), world_.event());
  ASSERT_TRUE(rows);
  ASSERT_NE(row_of(*rows, id), nullptr);
  EXPECT_FALSE(row_of(*rows, id)->provisional);
  EXPECT_EQ(posted_for(id), 1U); // confirmed: close-event (--amend) posts the 2 h

  // Confirming an unknown walk-in fails with a message.
  std::ostringstream none;
  EXPECT_EQ(server::run_confirm_walk_in({world_.database(), "WALKIN-NOPE-1", ""}, out, none), 1);
  EXPECT_NE(none.str().find("no walk-in"), std::string::npos) << none.str();
}

TEST_F(WalkInSync, ConfirmedAsAnExistingAttendeeCountsForThem) {
  // A2 forgot their badge and was registered as a walk-in by mistake.
  const auto id = register_at_door_a(form("First2", "Last"));
  ASSERT_TRUE(sync_once(*door_a_).ok);
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(server::run_confirm_walk_in({world_.database(), id, "A-404"}, out, err), 1);
  EXPECT_NE(err.str().find("no attendee 'A-404'"), std::string::npos) << err.str();
  ASSERT_EQ(server::run_confirm_walk_in({world_.database(), id, "A2"}, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("same person as A2"), std::string::npos) << out.str();

  auto rows = server::compute_credits(world_.store(), world_.event());
  ASSERT_TRUE(rows) << rows.message();
  EXPECT_EQ(row_of(*rows, id), nullptr); // no credit row under the walk-in id any more
  const auto* a2 = row_of(*rows, "A2");
  ASSERT_NE(a2, nullptr);
  EXPECT_DOUBLE_EQ(a2->attendance.credit_hours, 2.0);
  ASSERT_EQ(a2->walk_in_ids.size(), 1U);
  EXPECT_EQ(a2->walk_in_ids[0], id);
  EXPECT_FALSE(a2->provisional);
  const auto all = command_output(server::run_walk_ins, {world_.database(), "", true});
  EXPECT_NE(all.find("\tsame as A2\n"), std::string::npos) << all;
}

TEST_F(WalkInSync, ARegistrationNeverOverwritesAnExistingAttendee) {
  // A registration scan naming a roster id (a kiosk bug or a crafted record) is refused (issue
  // 15: a device names only its own WALKIN-<device>-<n> ids); the roster entry stays as the
  // League imported it and nothing becomes provisional.
  Scan draft;
  draft.device_id = SyncWorld::device_id(*door_a_);
  draft.attendee_id = "A1";
  draft.kind = ScanKind::registration;
  draft.wall_time = at("2026-03-02T15:06:00Z");
  draft.monotonic_ms = 5;
  draft.staff_id = "staff-7";
  draft.reason = "test";
  draft.details = R"({"first_name":"Mallory","last_name":"X","role":"mayor","municipality":"Y"})";
  ASSERT_TRUE(door_a_->append_scan(draft));
  const auto report = sync_once(*door_a_);
  EXPECT_FALSE(report.ok);
  EXPECT_NE(report.error.find("WALKIN-"), std::string::npos) << report.error;
  auto a1 = world_.store().attendee("A1");
  ASSERT_TRUE(a1);
  EXPECT_EQ(a1->first_name, "First1");
  EXPECT_EQ(a1->role, Role::councilmember);
  auto provisional = world_.store().walk_ins("", false);
  ASSERT_TRUE(provisional);
  EXPECT_TRUE(provisional->empty());
}

TEST(WalkInsText, ControlCharactersNeverReachTheTerminal) {
  // Stored before ingest validated details (or written by hand): still shown safely.
  server::WalkInRecord record;
  record.attendee.id = "WALKIN-dev-1-1";
  record.attendee.first_name = "Ana\x1b]0;pwned\x07";
  record.attendee.last_name = "Ruiz\x1b[2J";
  record.attendee.municipality = "Elm\xc2\x9b"
                                 "Creek";
  record.device_id = "dev-1";
  record.staff_id = "staff\x1b[A";
  record.reason = "walk\r\nin";
  const std::string text = server::walk_ins_text({record});
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 || c == '\t' || c == '\n') << "control byte " << int(byte);
  }
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(text.find("Ana?]0;pwned?"), std::string::npos) << text;
}

} // namespace
} // namespace muster::test
