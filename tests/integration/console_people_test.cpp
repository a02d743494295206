// The console's People part without a browser, on SQLite and PostgreSQL: the staff correction
// (appended to the event's console device through ingest_scans, never editing a scan; credit
// follows it; refusals store nothing), the search and the official's record. The browser test is
// tests/web/console_people_test.py.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "shared/scan_log.hpp"
#include "shared/time.hpp"
#include "sync/server/admin_commands.hpp"
#include "sync/server/server_store.hpp"
#include "sync/server/web/event_counts.hpp"
#include "sync/server/web/people.hpp"
#include "sync/server/web/staff_correction.hpp"
#include "tests/support/postgres.hpp"
#include "tests/support/test_support.hpp"

namespace muster::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

// 2026-05-28T20:26:40Z; the session ran from 3 h to 1 h before.
const Instant kNow = Instant{std::chrono::milliseconds{1'780'000'000'000}};
const Instant kStart = kNow - hours{3};
const Instant kEnd = kNow - hours{1};

class ConsolePeople : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    ASSERT_EQ(backend_.create(GetParam(), dir_.path(), "muster_people_"), "");
    database_ = backend_.url();
    auto opened = open_server_store(database_);
    ASSERT_TRUE(opened.ok()) << opened.message();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->initialise({"L-1", "League"}).ok());
    const std::vector<Attendee> roster = {
        {"A1", "Ada", "Lovelace", Role::mayor, "Riverbend", "ada@example.org"},
        {"A2", "Bo", "Lindqvist", Role::councilmember, "Oak Falls", ""},
    };
    ASSERT_TRUE(store_->upsert_roster(roster).ok());
    Event event;
    event.id = "E1";
    event.name = "Spring Training";
    event.timezone = "America/Chicago";
    event.location = "Springfield";
    Session session;
    session.id = "S1";
    session.title = "Ethics";
    session.room = "Ballroom";
    session.start = kStart;
    session.end = kEnd;
    session.credit_hours = 2.0;
    event.sessions = {session};
    ASSERT_TRUE(store_->upsert_event(event).ok());
    ASSERT_TRUE(
        store_->add_badge({"SER-77", "A2", "E1", "K1", "MU1.payload", kNow, std::nullopt}).ok());
  }
  void TearDown() override { store_.reset(); }

  StaffCorrectionRequest request(std::optional<Instant> arrival, std::optional<Instant> leave) {
    return StaffCorrectionRequest{
        "E1", "A1", "S1", arrival, leave, "sam-staff", "forgot her badge at the door"};
  }

  std::uint64_t scans() { return store_->scan_count().value(); }

  test::TempDir dir_;
  test::BackendDatabase backend_;
  std::string database_;
  std::unique_ptr<ServerStore> store_;
};

TEST_P(ConsolePeople, ACorrectionIsAppendedToTheConsoleDeviceAndCreditFollowsIt) {
  auto stored =
      record_staff_correction(*store_, request(kStart + minutes{20}, kEnd - minutes{30}), kNow);
  ASSERT_TRUE(stored.ok()) << stored.message();
  EXPECT_EQ(stored->device_id, "console-E1");
  EXPECT_EQ(stored->sequences, (std::vector<std::uint64_t>{1, 2}));

  // The facts, as a kiosk's staff mode records them, on a chain the server verifies.
  auto chain = store_->scans_for_device("console-E1");
  ASSERT_TRUE(chain.ok()) << chain.message();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_FALSE(verify_chain(*chain, ChainAnchor{}).has_value());
  EXPECT_EQ((*chain)[0].kind, ScanKind::correction);
  EXPECT_EQ((*chain)[0].correction, Correction::arrive);
  EXPECT_EQ((*chain)[0].effective_time, kStart + minutes{20});
  EXPECT_EQ((*chain)[1].correction, Correction::leave);
  EXPECT_EQ((*chain)[1].staff_id, "sam-staff");
  EXPECT_EQ((*chain)[1].reason, "forgot her badge at the door");

  // Credit: 70 of 120 minutes of a 2-hour session, 1.17 h rounded down to the quarter: 1.00.
  auto event = store_->event("E1");
  ASSERT_TRUE(event.ok());
  auto rows = compute_credits(*store_, *event);
  ASSERT_TRUE(rows.ok()) << rows.message();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].attendee.id, "A1");
  EXPECT_DOUBLE_EQ((*rows)[0].attendance.credit_hours, 1.0);
  EXPECT_EQ((*rows)[0].attendance.attended, minutes{70});
  const auto reasons = web::credit_reasons(*event, (*rows)[0], CreditFormNotes{});
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("rounded down to the 0.25 h increment: 1.00 h") != std::string::npos;
  })) << ::testing::PrintToString(reasons);
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("arrived late") != std::string::npos;
  }));

  // A second correction continues the chain: the earlier leave stands, the later one counts.
  auto later = record_staff_correction(*store_, request(std::nullopt, kEnd - minutes{5}), kNow);
  ASSERT_TRUE(later.ok()) << later.message();
  EXPECT_EQ(later->sequences, (std::vector<std::uint64_t>{3}));
  rows = compute_credits(*store_, *event);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(store_->scans_for_device("console-E1")->size(), 3u);

  // The console device is no door.
  auto devices = store_->devices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0].name, "Web console (staff corrections)");
  auto event_scans = store_->scans_for_event("E1");
  ASSERT_TRUE(event_scans.ok());
  EXPECT_TRUE(door_rows("E1", *devices, *event_scans, kNow).empty());
}

TEST_P(ConsolePeople, RefusedCorrectionsStoreNothing) {
  const auto refused = [&](const StaffCorrectionRequest& r, CorrectionError code,
                           const std::string& words) {
    auto outcome = record_staff_correction(*store_, r, kNow);
    ASSERT_FALSE(outcome.ok()) << words;
    EXPECT_EQ(outcome.code(), code) << outcome.message();
    EXPECT_NE(outcome.message().find(words), std::string::npos) << outcome.message();
  };
  auto no_reason = request(kStart, std::nullopt);
  no_reason.reason = "  ";
  refused(no_reason, CorrectionError::invalid, "needs a reason");
  auto control = request(kStart, std::nullopt);
  control.reason = "bad\x01reason";
  refused(control, CorrectionError::invalid, "printable");
  refused(request(std::nullopt, std::nullopt), CorrectionError::invalid, "arrival time, a leave");
  refused(request(kEnd - minutes{10}, kEnd - minutes{20}), CorrectionError::invalid,
          "after the arrival");
  refused(request(kEnd + minutes{1}, std::nullopt), CorrectionError::invalid,
          "outside the session");
  refused(request(kStart - minutes{16}, std::nullopt), CorrectionError::invalid,
          "outside the session");
  // Staff at a session still running: a leave in the future is not a fact yet.
  {
    auto outcome = record_staff_correction(*store_, request(std::nullopt, kEnd - minutes{10}),
                                           kEnd - minutes{30});
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.message().find("in the future"), std::string::npos) << outcome.message();
  }
  auto stranger = request(kStart, std::nullopt);
  stranger.attendee_id = "NOBODY";
  refused(stranger, CorrectionError::not_found, "");
  auto wrong_session = request(kStart, std::nullopt);
  wrong_session.session_id = "S9";
  refused(wrong_session, CorrectionError::not_found, "S9");
  auto nobody = request(kStart, std::nullopt);
  nobody.staff.clear();
  refused(nobody, CorrectionError::invalid, "staff member");
  EXPECT_EQ(scans(), 0u);
}

TEST_P(ConsolePeople, AConsoleCorrectionMadeByMistakeIsVoidedNotErased) {
  ASSERT_TRUE(record_staff_correction(*store_, request(kStart, std::nullopt), kNow).ok());
  auto event = store_->event("E1");
  ASSERT_TRUE(event.ok());
  ASSERT_DOUBLE_EQ(compute_credits(*store_, *event)->at(0).attendance.credit_hours, 2.0);

  ConsoleVoidRequest undo{"E1", "A1", 1, "ada-admin", "entered for the wrong official"};
  auto voided = void_console_correction(*store_, undo, kNow);
  ASSERT_TRUE(voided.ok()) << voided.message();
  EXPECT_EQ(voided->sequences, (std::vector<std::uint64_t>{2}));
  auto chain = store_->scans_for_device("console-E1");
  ASSERT_EQ(chain->size(), 2u); // the correction stays; the void is a second fact
  EXPECT_EQ((*chain)[1].correction, Correction::void_scan);
  EXPECT_EQ((*chain)[1].voids_device_id, "console-E1");
  EXPECT_EQ((*chain)[1].voids_sequence, 1u);
  EXPECT_EQ((*chain)[1].reason, "entered for the wrong official");
  EXPECT_TRUE(compute_credits(*store_, *event)->empty()); // no attendance left

  const auto refused = [&](ConsoleVoidRequest r, CorrectionError code, const std::string& words) {
    auto outcome = void_console_correction(*store_, r, kNow);
    ASSERT_FALSE(outcome.ok()) << words;
    EXPECT_EQ(outcome.code(), code) << outcome.message();
    EXPECT_NE(outcome.message().find(words), std::string::npos) << outcome.message();
  };
  refused(undo, CorrectionError::invalid, "voided already");
  refused({"E1", "A1", 2, "ada-admin", "a void of the void"}, CorrectionError::not_found, "#2");
  refused({"E1", "A2", 1, "ada-admin", "someone else's"}, CorrectionError::not_found, "of A2");
  refused({"E1", "A1", 9, "ada-admin", "no such one"}, CorrectionError::not_found, "#9");
  refused({"E1", "A1", 1, "ada-admin", ""}, CorrectionError::invalid, "needs a reason");
  EXPECT_EQ(scans(), 2u);
}

TEST_P(ConsolePeople, SearchFindsByNameIdBadgeSerialAndMunicipality) {
  const auto ids = [&](std::string_view q) {
    auto found = web::search_people(*store_, q, 50);
    EXPECT_TRUE(found.ok()) << found.message();
    std::vector<std::string> out;
    for (const auto& m : *found) {
      EXPECT_TRUE(m.attendee.email.empty()); // never on a page
      out.push_back(m.attendee.id + ":" + m.matched);
    }
    return out;
  };
  EXPECT_EQ(ids("ada love"), (std::vector<std::string>{"A1:name"}));
  EXPECT_EQ(ids("LOVELACE"), (std::vector<std::string>{"A1:name"}));
  EXPECT_EQ(ids("l"), (std::vector<std::string>{"A2:name", "A1:name"})); // sorted by last name
  EXPECT_EQ(ids("a2"), (std::vector<std::string>{"A2:id"}));
  EXPECT_EQ(ids("SER-77"), (std::vector<std::string>{"A2:badge serial"}));
  EXPECT_EQ(ids("oak fa"), (std::vector<std::string>{"A2:municipality"}));
  EXPECT_TRUE(ids("   ").empty());
  EXPECT_TRUE(ids("zebra").empty());
  EXPECT_EQ(web::search_people(*store_, "l", 1)->size(), 1u);
}

TEST_P(ConsolePeople, ThePersonRecordHoldsScansCreditAndCorrections) {
  ASSERT_TRUE(
      record_staff_correction(*store_, request(kStart + minutes{5}, std::nullopt), kNow).ok());
  auto person = web::load_person(*store_, "A1");
  ASSERT_TRUE(person.ok()) << person.message();
  EXPECT_TRUE(person->attendee.email.empty());
  ASSERT_EQ(person->events.size(), 1u);
  const auto& pe = person->events[0];
  ASSERT_EQ(pe.scans.size(), 1u);
  EXPECT_TRUE(pe.scans[0].console);
  EXPECT_EQ(pe.scans[0].counted, kStart + minutes{5});
  ASSERT_EQ(pe.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(pe.rows[0].attendance.credit_hours, 2.0); // in the grace, to the end
  ASSERT_EQ(pe.notes.size(), 1u);
  const auto reasons = web::credit_reasons(pe.event, pe.rows[0], pe.notes[0]);
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("within the 10-minute arrival grace") != std::string::npos;
  })) << ::testing::PrintToString(reasons);

  auto other = web::load_person(*store_, "A2");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->events.empty());
  EXPECT_EQ(web::load_person(*store_, "NOBODY").code(), AdminError::not_found);

  auto event = store_->event("E1");
  auto at_event = web::event_people(*store_, *event, "", 10);
  ASSERT_TRUE(at_event.ok());
  ASSERT_EQ(at_event->size(), 1u);
  EXPECT_EQ((*at_event)[0].attendee.id, "A1");
  EXPECT_EQ((*at_event)[0].sessions, 1u);
  EXPECT_TRUE(web::event_people(*store_, *event, "oak", 10)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsolePeople, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

TEST(ConsoleCorrectionTimes, LocalTimesOnTheSessionsDayAcrossClockChanges) {
  const auto at = [](const char* iso) { return *parse_iso8601(iso); };
  // 2026-03-08: Chicago moves from CST (-6) to CDT (-5) at 02:00.
  const Instant spring = at("2026-03-08T18:00:00Z");
  EXPECT_EQ(local_time_on_day("01:30", spring, "America/Chicago"), at("2026-03-08T07:30:00Z"));
  EXPECT_EQ(local_time_on_day("03:30", spring, "America/Chicago"), at("2026-03-08T08:30:00Z"));
  // 2026-11-01: 01:30 happens twice; the earlier (CDT) one.
  const Instant autumn = at("2026-11-01T18:00:00Z");
  EXPECT_EQ(local_time_on_day("01:30", autumn, "America/Chicago"), at("2026-11-01T06:30:00Z"));
  EXPECT_EQ(local_time_on_day("09:05:30", autumn, "America/Chicago"), at("2026-11-01T15:05:30Z"));
  // The day is the local one: 03:00Z on the 2nd is still the 1st in Chicago.
  EXPECT_EQ(local_time_on_day("20:00", at("2026-11-02T03:00:00Z"), "America/Chicago"),
            at("2026-11-02T02:00:00Z"));
  for (const char* bad : {"", "9:00", "24:00", "12:60", "12:00:61", "12-00", "12:00 ", "ab:cd"}) {
    EXPECT_FALSE(local_time_on_day(bad, autumn, "America/Chicago").has_value()) << bad;
  }
  EXPECT_FALSE(local_time_on_day("12:00", autumn, "Nowhere/City").has_value());
}

} // namespace
} // namespace muster::server
