// The device's scans in the kiosk store: appending to the hash chain (the only way a scan is
// recorded), reading it back, verifying it, and the other doors' scans that sync relays.
#include <set>
#include <string>
#include <tuple>

#include "shared/kiosk_store_support.hpp"

namespace muster {

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

namespace {

std::string validate_scan(const Scan& draft) {
  if (draft.device_id.empty()) return "the scan has no device id";
  const bool event_level = draft.kind == ScanKind::checkin ||
                           draft.kind == ScanKind::registration || draft.kind == ScanKind::reprint;
  if (draft.session_id.empty() && !event_level && draft.correction != Correction::void_scan) {
    return "the scan has no session";
  }
  const bool is_correction = draft.kind == ScanKind::correction;
  if (is_correction != (draft.correction != Correction::none)) {
    return "a staff correction must say what it corrects, and only corrections may";
  }
  if (draft.correction == Correction::void_scan &&
      (draft.voids_device_id.empty() || draft.voids_sequence == 0)) {
    return "a void correction must name the scan it cancels (device and sequence)";
  }
  return {};
}

} // namespace

Result<Scan, StoreError> KioskStore::append_scan(Scan draft) {
  constexpr std::string_view kAction = "recording a scan";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (const std::string problem = validate_scan(draft); !problem.empty()) {
    return fail(StoreError::invalid, "the scan was not recorded: " + problem);
  }
  // No background checkpoint starts while this scan is appended (kiosk_store_support.hpp).
  const WalCheckpointer::Writing writing(state_->checkpointer.get());
  // Read the chain's tip and write the next link under one write lock, so two connections
  // can never give two scans the same sequence.
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // A device that moved to a branch (a restored or cloned kiosk) records under the branch: a
  // window that started before the switch still holds the old id.
  if (auto resolved = state_->branch_of(draft.device_id, kAction); !resolved) {
    return resolved.error();
  } else {
    draft.device_id = std::move(*resolved);
  }
  if (draft.kind == ScanKind::correction && draft.correction == Correction::void_scan) {
    auto moved = state_->moved_scan(draft.voids_device_id, draft.voids_sequence, kAction);
    if (!moved) return moved.error();
    if (*moved) std::tie(draft.voids_device_id, draft.voids_sequence) = **moved;
  }
  auto tip = state_->prepare(
      "SELECT sequence, hash FROM scans WHERE device_id = ?1 ORDER BY sequence DESC LIMIT 1",
      kAction);
  if (!tip) return tip.error();
  tip->bind(1, draft.device_id);
  auto row = tip->step();
  if (!row) return state_->error(row.error(), kAction);
  const std::uint64_t last = *row ? to_u64(tip->column_int64(0)) : 0;
  const Digest last_hash = *row ? to_digest(tip->column_blob(1)) : Digest{};
  // Done with the tip: a statement still on a row at COMMIT keeps the connection reading its
  // old snapshot, so the automatic checkpoint after the commit could never reset the WAL, which
  // then grew by every scan and was copied back in ever larger checkpoints (issue 19).
  tip->reset();
  draft.sequence = last + 1;
  seal(draft, last_hash);

  auto insert = state_->prepare("INSERT INTO scans (" + std::string(kScanColumns) + ") VALUES (" +
                                    std::string(kScanValues) + ")",
                                kAction);
  if (!insert) return insert.error();
  bind_scan(*insert, draft);
  if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
  // synchronous=FULL: COMMIT returns only once the WAL is on the disk.
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return draft;
}

Result<std::vector<Scan>, StoreError> KioskStore::scans_after(std::string_view device_id,
                                                              std::uint64_t after_sequence,
                                                              std::size_t limit) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM scans WHERE device_id = ?1 AND sequence > ?2 "
                                       "ORDER BY sequence LIMIT ?3",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id).bind(2, to_sql(after_sequence)).bind(3, to_sql(limit));
  std::vector<Scan> scans;
  if (auto read = state_->collect_scans(*statement, kAction, scans); !read) return read.error();
  return scans;
}

Result<std::vector<Scan>, StoreError>
KioskStore::scans_for_session(std::string_view session_id) const {
  return state_->scans_where("session_id = ?1", session_id);
}

Result<std::vector<Scan>, StoreError>
KioskStore::scans_for_attendee(std::string_view attendee_id) const {
  return state_->scans_where("attendee_id = ?1", attendee_id);
}

Result<std::uint64_t, StoreError> KioskStore::add_peer_scans(std::span<const Scan> scans) {
  constexpr std::string_view kAction = "saving the other doors' scans";
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  // This device's own scans never come back as a peer's: they are in `scans`. A kiosk that
  // continued on a branch holds its old id's scans up to where it branched; that id's later
  // scans (a clone's, or its own lost history after a restore) are another door's facts.
  auto insert =
      state_->prepare("INSERT OR IGNORE INTO peer_scans (" + std::string(kScanColumns) +
                          ") SELECT " + std::string(kScanValues) +
                          " WHERE NOT EXISTS (SELECT 1 FROM scans WHERE device_id = ?1 AND "
                          "sequence = ?2)",
                      kAction);
  if (!insert) return insert.error();
  std::uint64_t added = 0;
  for (const Scan& scan : scans) {
    if (!is_attendance(scan.kind) || scan.device_id.empty() || scan.sequence == 0) continue;
    insert->reset();
    bind_scan(*insert, scan);
    if (auto done = insert->run(); !done) return state_->error(done.error(), kAction);
    added += to_u64(sqlite::changes(state_->db()));
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return added;
}

Result<std::vector<Scan>, StoreError>
KioskStore::known_scans_for_attendee(std::string_view attendee_id) const {
  auto own = scans_for_attendee(attendee_id);
  if (!own) return own;
  constexpr std::string_view kAction = "reading the other doors' scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM peer_scans WHERE attendee_id = ?1 "
                                       "ORDER BY device_id, sequence",
                                   kAction);
  if (!statement) return statement.error();
  statement->bind(1, attendee_id);
  if (auto read = state_->collect_scans(*statement, kAction, *own); !read) return read.error();
  return own;
}

Result<std::vector<std::string>, StoreError>
KioskStore::attendees_seen_in(std::span<const std::string> session_ids) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement = state_->prepare(
      "SELECT attendee_id FROM scans WHERE session_id = ?1 AND kind IN ('arrive', 'leave', "
      "'correction') UNION SELECT attendee_id FROM peer_scans WHERE session_id = ?1",
      kAction);
  if (!statement) return statement.error();
  std::set<std::string> seen;
  for (const auto& session_id : session_ids) {
    statement->reset();
    statement->bind(1, session_id);
    for (;;) {
      auto row = statement->step();
      if (!row) return state_->error(row.error(), kAction);
      if (!*row) break;
      seen.insert(statement->column_text(0));
    }
  }
  return std::vector<std::string>(seen.begin(), seen.end());
}

Result<std::uint64_t, StoreError> KioskStore::peer_scan_count() const {
  auto count =
      state_->query_int("SELECT count(*) FROM peer_scans", "reading the other doors' scans");
  if (!count) return count.error();
  return to_u64(*count);
}

Result<std::uint64_t, StoreError> KioskStore::last_sequence(std::string_view device_id) const {
  constexpr std::string_view kAction = "reading scans";
  auto statement =
      state_->prepare("SELECT coalesce(max(sequence), 0) FROM scans WHERE device_id = ?1", kAction);
  if (!statement) return statement.error();
  statement->bind(1, device_id);
  auto row = statement->step();
  if (!row) return state_->error(row.error(), kAction);
  return to_u64(statement->column_int64(0));
}

Result<std::optional<ChainBreak>, StoreError>
KioskStore::verify_device_chain(std::string_view device_id) const {
  auto scans = state_->scans_where("device_id = ?1", device_id);
  if (!scans) return scans.error();
  return verify_chain(*scans);
}

} // namespace muster
