// ServerStore's events and their sessions: importing (a re-import changes only what differs)
// and loading them.
#include <set>

#include <nlohmann/json.hpp>

#include "sync/server/sql_server_store.hpp"

namespace muster::server::store_impl {

DbResult<ImportStats> SqlServerStore::upsert_event(const Event& event) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  if (auto valid = validate_event(event); !valid) return valid.error();
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto stored = load_event(event.id);
  if (!stored && stored.code() != DbError::not_found) return stored.error();

  ImportStats stats;
  bool changed = false;
  if (!stored || !same_event_fields(*stored, event)) {
    if (auto written = write_event_fields(*tx, event, stored.ok(), stats); !written) {
      return written.error();
    }
    changed = true;
  } else {
    ++stats.unchanged;
  }
  auto sessions_changed =
      write_sessions(*tx, event, stored ? stored->sessions : std::vector<Session>{}, stats);
  if (!sessions_changed) return sessions_changed.error();
  if (changed || *sessions_changed) {
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    if (auto marked =
            db_->exec("UPDATE events SET change = $2 WHERE id = $1", Params{event.id, *stamp});
        !marked) {
      return marked.error();
    }
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return stats;
}

// The event's own row (not its sessions), inserted or updated; counted in `stats`.
DbResult<Ok> SqlServerStore::write_event_fields(StoreTransaction& tx, const Event& event,
                                                bool stored, ImportStats& stats) {
  auto stamp = bump(tx);
  if (!stamp) return stamp.error();
  const auto& policy = event.credit_policy;
  const Params params{event.id,
                      event.name,
                      event.timezone,
                      event.location,
                      std::int64_t{policy.arrival_grace.count()},
                      std::int64_t{policy.leave_grace.count()},
                      format_double(policy.increment_hours),
                      std::int64_t{policy.debounce.count()},
                      *stamp,
                      survey_to_json(event.survey),
                      std::int64_t{policy.lead_time.count()},
                      nlohmann::json(event.programs).dump(),
                      roles_json(event.eligible_roles)};
  auto written =
      db_->exec(stored ? "UPDATE events SET name = $2, timezone = $3, location = $4, "
                         "arrival_grace_min = $5, leave_grace_min = $6, increment_hours = $7, "
                         "debounce_s = $8, change = $9, survey_json = $10, "
                         "lead_time_min = $11, programs_json = $12, eligible_roles_json = $13 "
                         "WHERE id = $1"
                       : "INSERT INTO events (id, name, timezone, location, arrival_grace_min, "
                         "leave_grace_min, increment_hours, debounce_s, change, survey_json, "
                         "lead_time_min, programs_json, eligible_roles_json) "
                         "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                params);
  if (!written) return written.error();
  ++(stored ? stats.updated : stats.inserted);
  return Ok{};
}

// The event's sessions against the stored ones: each new or changed one written, each one left
// out removed. True when anything changed.
DbResult<bool> SqlServerStore::write_sessions(StoreTransaction& tx, const Event& event,
                                              const std::vector<Session>& stored,
                                              ImportStats& stats) {
  bool changed = false;
  std::map<std::string, std::pair<std::size_t, const Session*>, std::less<>> old_sessions;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    old_sessions.emplace(stored[i].id, std::pair{i, &stored[i]});
  }
  for (std::size_t i = 0; i < event.sessions.size(); ++i) {
    const Session& s = event.sessions[i];
    auto found = old_sessions.find(s.id);
    if (found != old_sessions.end() && found->second.first == i &&
        same_session(*found->second.second, s)) {
      ++stats.unchanged;
      continue;
    }
    auto stamp = bump(tx);
    if (!stamp) return stamp.error();
    const Params params{event.id,
                        s.id,
                        static_cast<std::int64_t>(i),
                        s.title,
                        s.room,
                        to_ms(s.start),
                        to_ms(s.end),
                        format_double(s.credit_hours),
                        s.course_code,
                        std::int64_t{s.core ? 1 : 0},
                        s.topic};
    const bool is_new = found == old_sessions.end();
    auto written = db_->exec(
        is_new ? "INSERT INTO sessions (event_id, id, ord, title, room, start_ms, end_ms, "
                 "credit_hours, course_code, core, topic) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
               : "UPDATE sessions SET ord = $3, title = $4, room = $5, start_ms = $6, "
                 "end_ms = $7, credit_hours = $8, course_code = $9, core = $10, topic = $11 "
                 "WHERE event_id = $1 AND id = $2",
        params);
    if (!written) return written.error();
    ++(is_new ? stats.inserted : stats.updated);
    changed = true;
  }
  // A session left out of the new file goes away, unless scans already point at it.
  std::set<std::string, std::less<>> kept;
  for (const Session& s : event.sessions)
    kept.insert(s.id);
  for (const auto& [id, _] : old_sessions) {
    if (kept.contains(id)) continue;
    auto used = db_->exec("SELECT 1 FROM scans WHERE event_id = $1 AND session_id = $2 LIMIT 1",
                          Params{event.id, id});
    if (!used) return used.error();
    if (!used->rows.empty()) {
      return fail(DbError::invalid, "session '" + id + "' of event '" + event.id +
                                        "' already has scans and cannot be removed");
    }
    auto removed =
        db_->exec("DELETE FROM sessions WHERE event_id = $1 AND id = $2", Params{event.id, id});
    if (!removed) return removed.error();
    ++stats.updated;
    changed = true;
  }
  return changed;
}

DbResult<Event> SqlServerStore::event(std::string_view event_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  return load_event(event_id);
}

DbResult<std::vector<Event>> SqlServerStore::events() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto ids = db_->exec("SELECT id FROM events ORDER BY id");
  if (!ids) return ids.error();
  std::vector<Event> all;
  for (const auto& row : ids->rows) {
    auto loaded = load_event(text(row[0]));
    if (!loaded) return loaded.error();
    all.push_back(std::move(*loaded));
  }
  return all;
}

DbResult<Ok> SqlServerStore::validate_event(const Event& event) {
  if (event.id.empty()) return fail(DbError::invalid, "an event needs an id");
  std::set<std::string, std::less<>> ids;
  for (const Session& s : event.sessions) {
    if (s.id.empty()) {
      return fail(DbError::invalid, "a session of event '" + event.id + "' has no id");
    }
    if (!ids.insert(s.id).second) {
      return fail(DbError::invalid, "event '" + event.id + "' lists session '" + s.id + "' twice");
    }
    for (const std::string* field : {&s.id, &s.title, &s.room, &s.course_code, &s.topic}) {
      if (has_nul(*field)) return fail(DbError::invalid, "session '" + s.id + "' contains NUL");
    }
  }
  for (const std::string* field : {&event.id, &event.name, &event.timezone, &event.location}) {
    if (has_nul(*field)) return fail(DbError::invalid, "event '" + event.id + "' contains NUL");
  }
  return Ok{};
}

DbResult<Ok> SqlServerStore::event_exists(std::string_view event_id) {
  auto rows = db_->exec("SELECT 1 FROM events WHERE id = $1", Params{std::string(event_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty())
    return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
  return Ok{};
}

DbResult<Event> SqlServerStore::load_event(std::string_view event_id) {
  const Params id{std::string(event_id)};
  auto rows = db_->exec("SELECT id, name, timezone, location, arrival_grace_min, leave_grace_min, "
                        "increment_hours, debounce_s, survey_json, lead_time_min, programs_json, "
                        "eligible_roles_json FROM events WHERE id = $1",
                        id);
  if (!rows) return rows.error();
  if (rows->rows.empty())
    return fail(DbError::not_found, "no event '" + std::string(event_id) + "'");
  const SqlRow& row = rows->rows[0];
  Event event;
  event.id = text(row[0]);
  event.name = text(row[1]);
  event.timezone = text(row[2]);
  event.location = text(row[3]);
  event.credit_policy.arrival_grace = std::chrono::minutes{integer(row[4])};
  event.credit_policy.leave_grace = std::chrono::minutes{integer(row[5])};
  event.credit_policy.increment_hours = parse_double(row[6]);
  event.credit_policy.debounce = std::chrono::seconds{integer(row[7])};
  event.credit_policy.lead_time = std::chrono::minutes{integer(row[9])};
  auto survey = parse_survey_json(text(row[8]), "the stored survey of event " + event.id);
  if (!survey) return fail(DbError::schema, survey.message());
  event.survey = std::move(*survey);
  auto programs = programs_from_json(text(row[10]), text(row[11]));
  if (!programs)
    return fail(DbError::schema, "the stored programs of event " + event.id +
                                     " are unreadable: " + programs.message());
  event.programs = std::move(programs->first);
  event.eligible_roles = std::move(programs->second);
  auto sessions =
      db_->exec("SELECT id, title, room, start_ms, end_ms, credit_hours, course_code, core, topic "
                "FROM sessions WHERE event_id = $1 ORDER BY ord",
                id);
  if (!sessions) return sessions.error();
  for (const auto& s : sessions->rows) {
    Session session;
    session.id = text(s[0]);
    session.title = text(s[1]);
    session.room = text(s[2]);
    session.start = from_ms(integer(s[3]));
    session.end = from_ms(integer(s[4]));
    session.credit_hours = parse_double(s[5]);
    session.course_code = text(s[6]);
    session.core = integer(s[7]) != 0;
    session.topic = text(s[8]);
    event.sessions.push_back(std::move(session));
  }
  return event;
}

} // namespace muster::server::store_impl
