#include "shared/ledger.hpp"

#include <cstdio>
#include <tuple>

#include "shared/time.hpp"

namespace muster {

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lengths[3] = {4, 2, 2};
  for (std::size_t p = 0; p < 3; ++p) {
    for (std::size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (text[i] - '0');
    }
  }
  const Date date{std::chrono::year{parts[0]}, std::chrono::month{static_cast<unsigned>(parts[1])},
                  std::chrono::day{static_cast<unsigned>(parts[2])}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string format_date(Date date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

Date add_years(Date date, int years) {
  const Date moved{date.year() + std::chrono::years{years}, date.month(), date.day()};
  if (moved.ok()) return moved;
  return Date{std::chrono::sys_days{moved}}; // Feb 29 -> Mar 1
}

std::string_view to_string(CreditSource source) {
  switch (source) {
  case CreditSource::league_event:
    return "league_event";
  case CreditSource::outside:
    return "outside";
  case CreditSource::online:
    return "online";
  }
  return "league_event";
}

std::optional<CreditSource> parse_credit_source(std::string_view text) {
  for (auto source : {CreditSource::league_event, CreditSource::outside, CreditSource::online}) {
    if (text == to_string(source)) return source;
  }
  return std::nullopt;
}

Role role_on(std::span<const RoleChange> history, Date date, Role fallback) {
  const RoleChange* best = nullptr;  // latest change on or before `date`
  const RoleChange* first = nullptr; // earliest change
  for (const RoleChange& change : history) {
    const auto when = std::chrono::sys_days{change.effective};
    if (first == nullptr || when < std::chrono::sys_days{first->effective}) first = &change;
    if (when <= std::chrono::sys_days{date} &&
        (best == nullptr || when >= std::chrono::sys_days{best->effective})) {
      best = &change;
    }
  }
  if (best != nullptr) return best->role;
  if (first != nullptr) return first->role;
  return fallback;
}

bool ledger_order(const LedgerEntry& a, const LedgerEntry& b) {
  const auto key = [](const LedgerEntry& e) {
    return std::tie(e.date, e.id, e.course_code, e.topic, e.hours, e.source, e.points_event,
                    e.title, e.event_id, e.approved, e.test_passed, e.test_score, e.category,
                    e.competency, e.documents_ref, e.official_id, e.offered_hours, e.programs);
  };
  return key(a) < key(b);
}

Date session_date(const Event& event, const Session& session) {
  return parse_date(local_date(session.start, event.timezone)).value_or(Date{});
}

LedgerEntry make_league_entry(const Event& event, const Session& session,
                              std::string_view official_id, double credit_hours) {
  LedgerEntry entry;
  entry.id = league_entry_id(event.id, session.id);
  entry.official_id = std::string(official_id);
  entry.date = session_date(event, session);
  entry.hours = credit_hours;
  entry.course_code = session.course_code;
  entry.topic = session.topic;
  entry.title = session.title;
  entry.source = CreditSource::league_event;
  entry.event_id = event.id;
  entry.offered_hours = session.credit_hours;
  entry.programs = event.programs;
  return entry;
}

std::string league_entry_id(std::string_view event_id, std::string_view session_id) {
  return std::string(event_id) + "/" + std::string(session_id);
}

} // namespace muster
