// ServerStore's people: the roster and its role history, municipalities, and the walk-ins a
// kiosk's registration scans created.
#include <chrono>
#include <set>
#include <tuple>

#include "sync/server/sql_server_store.hpp"

namespace muster::server {

DbResult<ImportStats> ServerStore::upsert_roster(std::span<const Attendee> attendees) {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return upsert_roster(attendees, Date{today});
}

DbResult<Role> ServerStore::role_on(std::string_view attendee_id, Date date) {
  auto person = attendee(attendee_id);
  if (!person) return person.error();
  auto history = role_history(attendee_id);
  if (!history) return history.error();
  return muster::role_on(*history, date, person->role);
}

namespace store_impl {

DbResult<ImportStats> SqlServerStore::upsert_roster(std::span<const Attendee> attendees,
                                                    Date effective) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  for (std::size_t i = 0; i < attendees.size(); ++i) {
    const Attendee& a = attendees[i];
    if (a.id.empty()) {
      return fail(DbError::invalid, "attendee number " + std::to_string(i + 1) + " has no id");
    }
    for (const std::string* field :
         {&a.id, &a.first_name, &a.last_name, &a.municipality, &a.email}) {
      if (has_nul(*field)) {
        return fail(DbError::invalid, "attendee '" + a.id + "' contains a NUL character");
      }
    }
  }
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  // One read of the whole roster, then writes only for what differs: re-importing an
  // unchanged 5,000-row roster costs one query and changes nothing.
  auto rows = db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees");
  if (!rows) return rows.error();
  std::map<std::string, Attendee, std::less<>> existing;
  for (const auto& row : rows->rows) {
    Attendee attendee = attendee_from(row);
    std::string id = attendee.id;
    existing.emplace(std::move(id), std::move(attendee));
  }
  std::map<std::string, Role, std::less<>> roles_before;
  for (const auto& [id, attendee] : existing)
    roles_before.emplace(id, attendee.role);
  // A roster row never inherits a walk-in's state: an id a (pre-fix) walk-in took is made a
  // plain roster attendee again, or its credit would stay provisional forever.
  auto provisional_rows = db_->exec("SELECT id FROM attendees WHERE provisional = 1");
  if (!provisional_rows) return provisional_rows.error();
  std::set<std::string, std::less<>> provisional;
  for (const auto& row : provisional_rows->rows)
    provisional.insert(text(row[0]));
  ImportStats stats;
  std::vector<Attendee> fresh; // inserted in multi-row statements below: one round trip each
  std::map<std::string, std::size_t, std::less<>> fresh_index;
  for (const Attendee& a : attendees) {
    auto found = existing.find(a.id);
    if (found != existing.end() && same_attendee(found->second, a) && !provisional.contains(a.id)) {
      ++stats.unchanged;
      continue;
    }
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    if (found == existing.end()) {
      ++stats.inserted;
      fresh_index.emplace(a.id, fresh.size());
      fresh.push_back(a);
      existing.emplace(a.id, a);
      continue;
    }
    ++stats.updated;
    found->second = a;
    if (auto pending = fresh_index.find(a.id); pending != fresh_index.end()) {
      fresh[pending->second] = a; // listed twice in one import: the last row wins
      continue;
    }
    auto updated = db_->exec(
        "UPDATE attendees SET first_name = $2, last_name = $3, role = $4, municipality = $5, "
        "email = $6, change = $7, municipality_id = $8, provisional = 0, same_as = '' "
        "WHERE id = $1",
        Params{a.id, a.first_name, a.last_name, std::string(to_string(a.role)), a.municipality,
               a.email, *stamp, a.municipality_id});
    if (!updated) return updated.error();
  }
  if (auto inserted = insert_attendees(fresh, tx->stamp.value_or(0)); !inserted) {
    return inserted.error();
  }
  auto facts = record_roles(attendees, roles_before, effective);
  if (!facts) return facts.error();
  stats.role_changes = *facts;
  if (auto committed = tx->commit(); !committed) return committed.error();
  return stats;
}

DbResult<std::vector<RoleChange>> SqlServerStore::role_history(std::string_view attendee_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto all = load_role_histories(attendee_id);
  if (!all) return all.error();
  const auto found = all->find(attendee_id);
  return found == all->end() ? std::vector<RoleChange>{} : found->second;
}

DbResult<RoleHistories> SqlServerStore::role_histories() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  return load_role_histories(std::nullopt);
}

DbResult<std::optional<Date>> SqlServerStore::last_attended_day() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec(
      "SELECT e.timezone, max(s.start_ms) FROM sessions s JOIN events e ON e.id = s.event_id "
      "WHERE EXISTS (SELECT 1 FROM scans c WHERE c.event_id = s.event_id AND "
      "c.session_id = s.id AND c.kind IN ('arrive', 'leave', 'correction')) "
      "GROUP BY e.id, e.timezone");
  if (!rows) return rows.error();
  std::optional<Date> last;
  for (const auto& row : rows->rows) {
    const auto day = parse_date(local_date(from_ms(integer(row[1])), text(row[0])));
    if (day && (!last || std::chrono::sys_days{*day} > std::chrono::sys_days{*last})) last = day;
  }
  return last;
}

DbResult<ImportStats> SqlServerStore::upsert_municipalities(std::span<const Municipality> list) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  for (const Municipality& m : list) {
    if (m.id.empty() || has_nul(m.id) || has_nul(m.name) || m.council_seats < 0) {
      return fail(DbError::invalid, "municipality '" + m.id + "' needs an id and seats >= 0");
    }
  }
  auto tx = begin_write(kLeagueScope);
  if (!tx) return tx.error();
  auto rows = db_->exec("SELECT id, name, council_seats FROM municipalities");
  if (!rows) return rows.error();
  std::map<std::string, Municipality, std::less<>> existing;
  for (const auto& row : rows->rows) {
    Municipality m{text(row[0]), text(row[1]), static_cast<int>(integer(row[2]))};
    existing.emplace(m.id, m);
  }
  ImportStats stats;
  for (const Municipality& m : list) {
    const auto found = existing.find(m.id);
    if (found != existing.end() && found->second == m) {
      ++stats.unchanged;
      continue;
    }
    auto written =
        db_->exec(found == existing.end()
                      ? "INSERT INTO municipalities (id, name, council_seats) VALUES ($1, $2, $3)"
                      : "UPDATE municipalities SET name = $2, council_seats = $3 WHERE id = $1",
                  Params{m.id, m.name, std::int64_t{m.council_seats}});
    if (!written) return written.error();
    ++(found == existing.end() ? stats.inserted : stats.updated);
    existing.insert_or_assign(m.id, m);
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return stats;
}

DbResult<std::vector<Municipality>> SqlServerStore::municipalities() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT id, name, council_seats FROM municipalities ORDER BY id");
  if (!rows) return rows.error();
  std::vector<Municipality> all;
  for (const auto& row : rows->rows) {
    all.push_back({text(row[0]), text(row[1]), static_cast<int>(integer(row[2]))});
  }
  return all;
}

DbResult<std::vector<Attendee>> SqlServerStore::roster() {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees ORDER BY id");
  if (!rows) return rows.error();
  std::vector<Attendee> all;
  all.reserve(rows->rows.size());
  for (const auto& row : rows->rows)
    all.push_back(attendee_from(row));
  return all;
}

DbResult<Attendee> SqlServerStore::attendee(std::string_view attendee_id) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  auto rows = db_->exec("SELECT " + std::string(kAttendeeColumns) + " FROM attendees WHERE id = $1",
                        Params{std::string(attendee_id)});
  if (!rows) return rows.error();
  if (rows->rows.empty()) {
    return fail(DbError::not_found, "no attendee '" + std::string(attendee_id) + "'");
  }
  return attendee_from(rows->rows[0]);
}

DbResult<RoleHistories> SqlServerStore::load_role_histories(std::optional<std::string_view> only) {
  auto rows = only ? db_->exec("SELECT attendee_id, effective, role FROM role_history "
                               "WHERE attendee_id = $1 ORDER BY attendee_id, effective",
                               Params{std::string(*only)})
                   : db_->exec("SELECT attendee_id, effective, role FROM role_history "
                               "ORDER BY attendee_id, effective");
  if (!rows) return rows.error();
  RoleHistories all;
  for (const auto& row : rows->rows) {
    const auto date = parse_date(text(row[1]));
    const auto role = parse_role(text(row[2]));
    if (!date || !role) {
      return fail(DbError::schema, "unreadable role fact of attendee " + text(row[0]));
    }
    all[text(row[0])].push_back({*date, *role});
  }
  return all;
}

DbResult<std::uint64_t>
SqlServerStore::record_roles(std::span<const Attendee> attendees,
                             const std::map<std::string, Role, std::less<>>& before,
                             Date effective) {
  std::map<std::string, Role, std::less<>> imported; // listed twice: the last row wins
  for (const Attendee& a : attendees)
    imported.insert_or_assign(a.id, a.role);
  auto histories = load_role_histories(std::nullopt);
  if (!histories) return histories.error();
  const std::string date = format_date(effective);
  std::vector<std::tuple<std::string, std::string, Role>> facts; // attendee, date, role
  std::uint64_t changes = 0;
  for (const auto& [id, role] : imported) {
    const auto history = histories->find(id);
    const auto old = before.find(id);
    if (history == histories->end() || history->second.empty()) {
      if (old == before.end() || old->second == role) continue; // the roster's role holds
      facts.emplace_back(id, std::string(kBeginningOfTime), old->second);
      facts.emplace_back(id, date, role);
      ++changes;
      continue;
    }
    if (muster::role_on(history->second, effective, role) == role) continue;
    facts.emplace_back(id, date, role);
    ++changes;
  }
  constexpr std::size_t kRowsPerStatement = 200;
  const std::int64_t now = to_ms(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
  for (std::size_t first = 0; first < facts.size(); first += kRowsPerStatement) {
    const std::size_t count = std::min(kRowsPerStatement, facts.size() - first);
    std::string sql = "INSERT INTO role_history (attendee_id, effective, role, recorded_at) "
                      "VALUES ";
    Params params;
    for (std::size_t i = 0; i < count; ++i) {
      const auto& [id, when, role] = facts[first + i];
      sql += (i == 0 ? "(" : ", (") + ("$" + std::to_string(i * 4 + 1)) + ", $" +
             std::to_string(i * 4 + 2) + ", $" + std::to_string(i * 4 + 3) + ", $" +
             std::to_string(i * 4 + 4) + ")";
      params.insert(params.end(), {id, when, std::string(to_string(role)), now});
    }
    sql += " ON CONFLICT (attendee_id, effective) DO UPDATE SET role = excluded.role, "
           "recorded_at = excluded.recorded_at";
    if (auto inserted = db_->exec(sql, params); !inserted) return inserted.error();
  }
  return changes;
}

DbResult<Ok> SqlServerStore::insert_attendees(std::span<const Attendee> fresh, std::int64_t stamp) {
  constexpr std::size_t kRowsPerStatement = 200; // 1,400 parameters: within both limits
  constexpr std::size_t kColumns = 8;
  for (std::size_t first = 0; first < fresh.size(); first += kRowsPerStatement) {
    const auto chunk = fresh.subspan(first, std::min(kRowsPerStatement, fresh.size() - first));
    std::string sql =
        "INSERT INTO attendees (id, first_name, last_name, role, municipality, email, change, "
        "municipality_id) VALUES ";
    Params params;
    params.reserve(chunk.size() * kColumns);
    for (std::size_t row = 0; row < chunk.size(); ++row) {
      sql += row == 0 ? "(" : ", (";
      for (std::size_t column = 1; column <= kColumns; ++column) {
        sql += "$" + std::to_string(row * kColumns + column) + (column < kColumns ? ", " : ")");
      }
      const Attendee& a = chunk[row];
      params.insert(params.end(), {a.id, a.first_name, a.last_name, std::string(to_string(a.role)),
                                   a.municipality, a.email, stamp, a.municipality_id});
    }
    if (auto inserted = db_->exec(sql, params); !inserted) return inserted.error();
  }
  return Ok{};
}

DbResult<std::vector<WalkInRecord>> SqlServerStore::walk_ins(std::string_view event_id,
                                                             bool include_confirmed) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  std::string sql =
      "SELECT a.id, a.first_name, a.last_name, a.role, a.municipality, a.provisional, "
      "a.same_as, s.event_id, s.device_id, s.staff_id, s.reason, s.wall_ms, s.clock_offset_ms "
      "FROM attendees a JOIN scans s ON s.attendee_id = a.id AND s.kind = 'registration' "
      "WHERE 1 = 1";
  Params params;
  if (!include_confirmed) sql += " AND a.provisional = 1";
  if (!event_id.empty()) {
    sql += " AND s.event_id = $1";
    params.emplace_back(std::string(event_id));
  }
  sql += " ORDER BY s.wall_ms, a.id";
  auto rows = db_->exec(sql, params);
  if (!rows) return rows.error();
  std::vector<WalkInRecord> out;
  std::set<std::string, std::less<>> seen; // one line per walk-in (its first registration)
  for (const auto& row : rows->rows) {
    WalkInRecord record;
    record.attendee.id = text(row[0]);
    if (!seen.insert(record.attendee.id).second) continue;
    record.attendee.first_name = text(row[1]);
    record.attendee.last_name = text(row[2]);
    record.attendee.role = parse_role(text(row[3])).value_or(Role::guest);
    record.attendee.municipality = text(row[4]);
    record.provisional = integer(row[5]) != 0;
    record.same_as = text(row[6]);
    record.event_id = text(row[7]);
    record.device_id = text(row[8]);
    record.staff_id = text(row[9]);
    record.reason = text(row[10]);
    record.registered_at = from_ms(integer(row[11]) + integer(row[12]));
    out.push_back(std::move(record));
  }
  return out;
}

DbResult<WalkInRecord> SqlServerStore::confirm_walk_in(std::string_view attendee_id,
                                                       std::string_view same_as) {
  if (auto ready = ensure_schema(); !ready) return ready.error();
  {
    auto tx = begin_write(kLeagueScope);
    if (!tx) return tx.error();
    auto found =
        db_->exec("SELECT a.provisional FROM attendees a WHERE a.id = $1 AND EXISTS "
                  "(SELECT 1 FROM scans s WHERE s.attendee_id = a.id AND s.kind = 'registration')",
                  Params{std::string(attendee_id)});
    if (!found) return found.error();
    if (found->rows.empty()) {
      return fail(DbError::not_found, "no walk-in '" + std::string(attendee_id) + "'");
    }
    if (!same_as.empty()) {
      if (same_as == attendee_id) {
        return fail(DbError::invalid, "a walk-in cannot be the same person as itself");
      }
      auto other = db_->exec("SELECT provisional, same_as FROM attendees WHERE id = $1",
                             Params{std::string(same_as)});
      if (!other) return other.error();
      if (other->rows.empty()) {
        return fail(DbError::not_found, "no attendee '" + std::string(same_as) + "'");
      }
      if (integer(other->rows[0][0]) != 0 || !text(other->rows[0][1]).empty()) {
        return fail(DbError::invalid, "'" + std::string(same_as) +
                                          "' is a walk-in itself: confirm it first, or name "
                                          "the roster attendee");
      }
    }
    auto stamp = bump(*tx);
    if (!stamp) return stamp.error();
    if (auto updated = db_->exec(
            "UPDATE attendees SET provisional = 0, same_as = $2, change = $3 WHERE id = $1",
            Params{std::string(attendee_id), std::string(same_as), *stamp});
        !updated) {
      return updated.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
  }
  auto all = walk_ins("", true);
  if (!all) return all.error();
  for (auto& record : *all) {
    if (record.attendee.id == attendee_id) return std::move(record);
  }
  return fail(DbError::not_found, "no walk-in '" + std::string(attendee_id) + "'");
}

} // namespace store_impl
} // namespace muster::server
