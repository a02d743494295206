// The event package in the kiosk store: the event and its sessions (replaced whole), the roster
// (upserted, searched by folded name) and the revoked badge serials.
#include <algorithm>
#include <string>

#include "shared/import.hpp"
#include "shared/kiosk_store_support.hpp"

namespace muster {

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

Result<Ok, StoreError> KioskStore::replace_event(const Event& event) {
  constexpr std::string_view kAction = "saving the event package";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  if (event.id.empty()) return fail(StoreError::invalid, "the event has no id");
  for (const auto& session : event.sessions) {
    if (session.id.empty()) {
      return fail(StoreError::invalid, "a session of event " + event.id + " has no id");
    }
    if (session.end <= session.start) {
      return fail(StoreError::invalid, "session " + session.id + " ends before it starts");
    }
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto upsert = state_->prepare(
      "INSERT OR REPLACE INTO event (slot, id, name, timezone, location, arrival_grace_min, "
      "leave_grace_min, increment_hours, debounce_s, survey_json, lead_time_min) "
      "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
      kAction);
  if (!upsert) return upsert.error();
  const CreditPolicy& policy = event.credit_policy;
  upsert->bind(1, event.id).bind(2, event.name).bind(3, event.timezone).bind(4, event.location);
  upsert->bind(5, static_cast<std::int64_t>(policy.arrival_grace.count()))
      .bind(6, static_cast<std::int64_t>(policy.leave_grace.count()))
      .bind(7, policy.increment_hours)
      .bind(8, static_cast<std::int64_t>(policy.debounce.count()));
  upsert->bind(9, survey_to_json(event.survey));
  upsert->bind(10, static_cast<std::int64_t>(policy.lead_time.count()));
  if (auto done = upsert->run(); !done) return state_->error(done.error(), kAction);
  if (auto cleared = sqlite::exec(state_->db(), "DELETE FROM sessions"); !cleared) {
    return state_->error(cleared.error(), kAction);
  }
  auto insert = state_->prepare("INSERT INTO sessions (" + std::string(kSessionColumns) +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                kAction);
  if (!insert) return insert.error();
  for (const auto& session : event.sessions) {
    insert->reset();
    insert->bind(1, session.id).bind(2, session.title).bind(3, session.room);
    insert->bind(4, to_ms(session.start)).bind(5, to_ms(session.end));
    insert->bind(6, session.credit_hours).bind(7, session.course_code);
    insert->bind(8, std::int64_t{session.core ? 1 : 0}).bind(9, session.topic);
    if (auto done = insert->run(); !done) {
      return state_->error(done.error(), "saving session " + session.id);
    }
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<Event, StoreError> KioskStore::event() const {
  constexpr std::string_view kAction = "reading the event";
  auto statement =
      state_->prepare("SELECT id, name, timezone, location, arrival_grace_min, leave_grace_min, "
                      "increment_hours, debounce_s, survey_json, lead_time_min FROM event "
                      "WHERE slot = 1",
                      kAction);
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found,
                "this kiosk has no event yet; download the event package (sync) first");
  }
  Event event;
  event.id = statement->column_text(0);
  event.name = statement->column_text(1);
  event.timezone = statement->column_text(2);
  event.location = statement->column_text(3);
  event.credit_policy.arrival_grace = std::chrono::minutes{statement->column_int64(4)};
  event.credit_policy.leave_grace = std::chrono::minutes{statement->column_int64(5)};
  event.credit_policy.increment_hours = statement->column_double(6);
  event.credit_policy.debounce = std::chrono::seconds{statement->column_int64(7)};
  event.credit_policy.lead_time = std::chrono::minutes{statement->column_int64(9)};
  auto survey = parse_survey_json(statement->column_text(8), "the stored event survey");
  if (!survey) return fail(StoreError::corrupt, survey.message());
  event.survey = std::move(*survey);

  auto sessions = state_->prepare(
      "SELECT " + std::string(kSessionColumns) + " FROM sessions ORDER BY start_ms, id", kAction);
  if (!sessions) return sessions.error();
  for (;;) {
    auto next = sessions->step();
    if (!next) return state_->error(next.error(), kAction);
    if (!*next) break;
    event.sessions.push_back(read_session(*sessions));
  }
  return event;
}

Result<Session, StoreError> KioskStore::session(std::string_view session_id) const {
  constexpr std::string_view kAction = "reading a session";
  auto statement = state_->prepare(
      "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, session_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found,
                "no session " + std::string(session_id) + " in this kiosk's event package");
  }
  return read_session(*statement);
}

// ---- Roster ---------------------------------------------------------------------------------

Result<Ok, StoreError> KioskStore::upsert_roster(std::span<const Attendee> attendees) {
  constexpr std::string_view kAction = "saving the roster";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  for (const auto& attendee : attendees) {
    if (attendee.id.empty()) return fail(StoreError::invalid, "a roster entry has no attendee id");
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // Attendee::email is deliberately not bound: the table has no column for it.
  auto statement = state_->prepare(
      "INSERT INTO roster (" + std::string(kRosterColumns) +
          ", search_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (attendee_id) DO UPDATE SET "
          "first_name = excluded.first_name, last_name = excluded.last_name, "
          "role = excluded.role, municipality = excluded.municipality, "
          "search_key = excluded.search_key",
      kAction);
  if (!statement) return statement.error();
  for (const auto& attendee : attendees) {
    statement->reset();
    statement->bind(1, attendee.id).bind(2, attendee.first_name).bind(3, attendee.last_name);
    statement->bind(4, to_string(attendee.role)).bind(5, attendee.municipality);
    statement->bind(6, fold_for_search(attendee.last_name + " " + attendee.first_name));
    if (auto done = statement->run(); !done) {
      return state_->error(done.error(), "saving attendee " + attendee.id);
    }
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<Attendee, StoreError> KioskStore::attendee(std::string_view attendee_id) const {
  constexpr std::string_view kAction = "reading the roster";
  auto statement = state_->prepare(
      "SELECT " + std::string(kRosterColumns) + " FROM roster WHERE attendee_id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, attendee_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  if (!*row) {
    return fail(StoreError::not_found, "attendee " + std::string(attendee_id) +
                                           " is not on this kiosk's roster; sync the kiosk or "
                                           "use a walk-in check-in");
  }
  return read_attendee(*statement);
}

Result<std::vector<Attendee>, StoreError> KioskStore::search_roster(std::string_view query,
                                                                    std::size_t limit) const {
  constexpr std::string_view kAction = "searching the roster";
  constexpr std::size_t kMaxWords = 6;
  const std::string folded = fold_for_search(query);
  std::vector<std::string> words;
  for (std::size_t start = 0; start < folded.size() && words.size() < kMaxWords;) {
    const std::size_t end = std::min(folded.find(' ', start), folded.size());
    words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  if (words.empty() || limit == 0) return std::vector<Attendee>{};
  // Each word must start a word of the name: "gar" finds García, "arc" does not.
  std::string sql = "SELECT " + std::string(kRosterColumns) + " FROM roster WHERE ";
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) sql += " AND ";
    sql += "instr(' ' || search_key, ' ' || ?" + std::to_string(i + 1) + ") > 0";
  }
  sql += " ORDER BY search_key, attendee_id LIMIT ?" + std::to_string(words.size() + 1);
  auto statement = state_->prepare(sql, kAction);
  if (!statement) return statement.error();
  for (std::size_t i = 0; i < words.size(); ++i) {
    statement->bind(static_cast<int>(i + 1), words[i]);
  }
  statement->bind(static_cast<int>(words.size() + 1), to_sql(limit));
  std::vector<Attendee> found;
  for (;;) {
    auto row = statement->step();
    if (!row) return state_->error(row.error(), kAction);
    if (!*row) return found;
    found.push_back(read_attendee(*statement));
  }
}

Result<std::uint64_t, StoreError> KioskStore::roster_size() const {
  auto count = state_->query_int("SELECT count(*) FROM roster", "reading the roster");
  if (!count) return count.error();
  return to_u64(*count);
}

Result<Ok, StoreError> KioskStore::add_revoked_serials(std::span<const std::string> serials) {
  constexpr std::string_view kAction = "saving revoked badges";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused;
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto statement =
      state_->prepare("INSERT OR IGNORE INTO revoked_serials (serial) VALUES (?1)", kAction);
  if (!statement) return statement.error();
  for (const auto& serial : serials) {
    if (serial.empty()) continue; // an empty serial would revoke every badge-less correction
    statement->reset();
    statement->bind(1, serial);
    if (auto done = statement->run(); !done) return state_->error(done.error(), kAction);
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return Ok{};
}

Result<bool, StoreError> KioskStore::is_revoked(std::string_view badge_serial) const {
  constexpr std::string_view kAction = "checking revoked badges";
  auto statement = state_->prepare("SELECT 1 FROM revoked_serials WHERE serial = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, badge_serial);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return *row;
}

} // namespace muster
