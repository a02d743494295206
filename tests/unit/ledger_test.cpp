// shared/ledger.hpp: dates, the role on a day, the order every evaluation uses, and the entry
// closing an event posts.
#include "shared/ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "shared/time.hpp"

namespace muster {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

Date ymd(int y, unsigned m, unsigned d) { return Date{year{y}, month{m}, day{d}}; }

TEST(Ledger, ParseDateIsStrict) {
  EXPECT_EQ(parse_date("2026-03-02"), ymd(2026, 3, 2));
  EXPECT_EQ(parse_date("2024-02-29"), ymd(2024, 2, 29));
  for (const char* bad : {"2026-3-02", "2026-03-2", "2026/03/02", "2026-02-30", "2025-02-29",
                          "2026-13-01", "2026-03-02T00:00", " 2026-03-02", "", "abcd-ef-gh"}) {
    EXPECT_FALSE(parse_date(bad)) << bad;
  }
}

TEST(Ledger, FormatDateRoundTrips) {
  EXPECT_EQ(format_date(ymd(2026, 3, 2)), "2026-03-02");
  EXPECT_EQ(format_date(ymd(987, 12, 31)), "0987-12-31");
  EXPECT_EQ(parse_date(format_date(ymd(2026, 11, 9))), ymd(2026, 11, 9));
}

TEST(Ledger, AddYearsMovesLeapDayToMarchFirst) {
  EXPECT_EQ(add_years(ymd(2026, 6, 30), 2), ymd(2028, 6, 30));
  EXPECT_EQ(add_years(ymd(2024, 2, 29), 4), ymd(2028, 2, 29));
  EXPECT_EQ(add_years(ymd(2024, 2, 29), 1), ymd(2025, 3, 1));
  EXPECT_EQ(add_years(ymd(2026, 1, 15), -1), ymd(2025, 1, 15));
}

TEST(Ledger, CreditSourceNamesRoundTrip) {
  for (auto source : {CreditSource::league_event, CreditSource::outside, CreditSource::online}) {
    EXPECT_EQ(parse_credit_source(to_string(source)), source);
  }
  EXPECT_FALSE(parse_credit_source("League_event"));
  EXPECT_FALSE(parse_credit_source(""));
}

TEST(Ledger, RoleOnIsTheLatestChangeOnOrBeforeTheDay) {
  // Out of order on purpose: the history need not be sorted.
  const std::array<RoleChange, 3> history{{{ymd(2024, 1, 1), Role::mayor},
                                           {ymd(2020, 1, 1), Role::councilmember},
                                           {ymd(2022, 6, 1), Role::clerk}}};
  EXPECT_EQ(role_on(history, ymd(2021, 5, 5), Role::guest), Role::councilmember);
  EXPECT_EQ(role_on(history, ymd(2022, 6, 1), Role::guest), Role::clerk); // effective that day
  EXPECT_EQ(role_on(history, ymd(2023, 12, 31), Role::guest), Role::clerk);
  EXPECT_EQ(role_on(history, ymd(2030, 1, 1), Role::guest), Role::mayor);
  // Before the first recorded change the first one holds; no history at all: the fallback.
  EXPECT_EQ(role_on(history, ymd(2019, 1, 1), Role::guest), Role::councilmember);
  EXPECT_EQ(role_on({}, ymd(2019, 1, 1), Role::staff), Role::staff);

  Official official;
  official.role = Role::mayor;
  EXPECT_EQ(official.role_on(ymd(2019, 1, 1)), Role::mayor);
  official.roles.assign(history.begin(), history.end());
  EXPECT_EQ(official.role_on(ymd(2023, 1, 1)), Role::clerk);
}

TEST(Ledger, OrderIsByDateThenIdWhateverTheInputOrder) {
  LedgerEntry a;
  a.id = "b";
  a.date = ymd(2026, 1, 2);
  LedgerEntry b;
  b.id = "a";
  b.date = ymd(2026, 1, 3);
  LedgerEntry c;
  c.id = "c";
  c.date = ymd(2026, 1, 2);
  LedgerEntry d = c; // same date and id: the other fields decide, so the order is total
  d.hours = 2;
  std::vector<LedgerEntry> one{b, d, c, a};
  std::vector<LedgerEntry> two{c, a, d, b};
  std::sort(one.begin(), one.end(), ledger_order);
  std::sort(two.begin(), two.end(), ledger_order);
  const std::vector<std::pair<std::string, double>> expected{
      {"b", 0}, {"c", 0}, {"c", 2}, {"a", 0}};
  for (const auto* sorted : {&one, &two}) {
    ASSERT_EQ(sorted->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ((*sorted)[i].id, expected[i].first) << i;
      EXPECT_EQ((*sorted)[i].hours, expected[i].second) << i;
    }
  }
  EXPECT_FALSE(ledger_order(c, c));
}

TEST(Ledger, LeagueEntryIsDatedOnTheEventsLocalCalendar) {
  Event event;
  event.id = "fall-2026";
  event.timezone = "America/Chicago";
  event.programs = {"alm-cmo", "icma-cm"};
  Session session;
  session.id = "S9";
  session.title = "Evening budget workshop";
  session.course_code = "FIN";
  session.topic = "budget";
  session.credit_hours = 2;
  // 23:30 in Chicago on Dec 3 is already Dec 4 in UTC: the local day counts.
  session.start = *parse_iso8601("2026-12-03T23:30:00-06:00");
  session.end = *parse_iso8601("2026-12-04T01:30:00-06:00");
  EXPECT_EQ(session_date(event, session), ymd(2026, 12, 3));

  const LedgerEntry entry = make_league_entry(event, session, "RB-0001", 1.5);
  EXPECT_EQ(entry.id, "fall-2026/S9");
  EXPECT_EQ(entry.id, league_entry_id("fall-2026", "S9"));
  EXPECT_EQ(entry.official_id, "RB-0001");
  EXPECT_EQ(entry.date, ymd(2026, 12, 3));
  EXPECT_EQ(entry.hours, 1.5);
  EXPECT_EQ(entry.offered_hours, 2);
  EXPECT_EQ(entry.course_code, "FIN");
  EXPECT_EQ(entry.topic, "budget");
  EXPECT_EQ(entry.title, "Evening budget workshop");
  EXPECT_EQ(entry.source, CreditSource::league_event);
  EXPECT_EQ(entry.event_id, "fall-2026");
  EXPECT_EQ(entry.programs, event.programs);
  EXPECT_FALSE(entry.approved);
}

} // namespace
} // namespace muster
