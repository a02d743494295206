// Branches in the kiosk store (sync/PROTOCOL.md "Branches"): a restored or cloned kiosk's
// scans move, in one transaction, to a new device id and chain; the originals stay in the
// archive.
#include <optional>
#include <string>
#include <vector>

#include "shared/kiosk_store_support.hpp"

namespace muster {

using namespace kiosk_store_support; // NOLINT(google-build-using-namespace)

namespace {

constexpr std::string_view kAction = "moving scans to the device's branch";
using BranchMove = KioskStore::BranchMove;

// True when this very move was done before (nothing to do); refused when the device moved to
// another branch or the branch id is taken.
Result<bool, StoreError> done_before(const KioskStore::State& state, const BranchMove& move) {
  auto done =
      state.prepare("SELECT to_device_id FROM device_branches WHERE from_device_id = ?1", kAction);
  if (!done) return done.error();
  done->bind(1, move.device_id);
  auto before = done->step();
  if (!before) return state.error(before.error(), kAction);
  if (*before) {
    if (done->column_text(0) == move.branch_device_id) return true;
    return fail(StoreError::constraint, "device " + move.device_id + " moved to branch " +
                                            done->column_text(0) + " already");
  }
  auto existing = state.prepare("SELECT count(*) FROM scans WHERE device_id = ?1", kAction);
  if (!existing) return existing.error();
  existing->bind(1, move.branch_device_id);
  if (auto row = existing->step(); !row) return state.error(row.error(), kAction);
  if (existing->column_int64(0) != 0) {
    return fail(StoreError::constraint,
                "device " + move.branch_device_id + " already has scans in this kiosk");
  }
  return false;
}

// The scans that move, as recorded, with when the server acknowledged each (if it did).
struct Moving {
  std::vector<Scan> originals;
  std::vector<std::optional<std::int64_t>> acked;
};

Result<Moving, StoreError> read_moving(const KioskStore::State& state, const BranchMove& move) {
  auto moving = state.prepare("SELECT " + std::string(kScanColumns) +
                                  ", acked_at_ms FROM scans WHERE device_id = ?1 AND "
                                  "sequence >= ?2 ORDER BY sequence",
                              kAction);
  if (!moving) return moving.error();
  moving->bind(1, move.device_id).bind(2, to_sql(move.diverged_at));
  Moving out;
  for (;;) {
    auto row = moving->step();
    if (!row) return state.error(row.error(), kAction);
    if (!*row) return out;
    out.originals.push_back(read_scan(*moving));
    out.acked.push_back(moving->column_is_null(20) ? std::optional<std::int64_t>{}
                                                   : moving->column_int64(20));
  }
}

// The originals go to the archive, then leave the chain: only rows now in the archive may
// (the delete trigger checks each).
Result<Ok, StoreError> archive_originals(const KioskStore::State& state, const BranchMove& move,
                                         const Moving& moving, Instant now) {
  auto archive = state.prepare(
      "INSERT INTO scans_archive (" + std::string(kScanColumns) +
          ", acked_at_ms, archived_at_ms, branch_device_id, branch_sequence) VALUES (" +
          std::string(kScanValues) + ", ?21, ?22, ?23, ?24)",
      kAction);
  if (!archive) return archive.error();
  for (std::size_t i = 0; i < moving.originals.size(); ++i) {
    archive->reset();
    bind_scan(*archive, moving.originals[i]);
    if (moving.acked[i]) {
      archive->bind(21, *moving.acked[i]);
    } else {
      archive->bind_null(21);
    }
    archive->bind(22, to_ms(now)).bind(23, move.branch_device_id).bind(24, to_sql(i + 1));
    if (auto ran = archive->run(); !ran) return state.error(ran.error(), kAction);
  }
  auto remove = state.prepare("DELETE FROM scans WHERE device_id = ?1 AND sequence >= ?2", kAction);
  if (!remove) return remove.error();
  remove->bind(1, move.device_id).bind(2, to_sql(move.diverged_at));
  if (auto ran = remove->run(); !ran) return state.error(ran.error(), kAction);
  return Ok{};
}

// The same facts as the branch's sequences 1.., chained anew.
Result<Ok, StoreError> rechain_on_branch(const KioskStore::State& state, const BranchMove& move,
                                         const std::vector<Scan>& originals) {
  auto insert = state.prepare("INSERT INTO scans (" + std::string(kScanColumns) + ") VALUES (" +
                                  std::string(kScanValues) + ")",
                              kAction);
  if (!insert) return insert.error();
  Digest previous{};
  for (std::size_t i = 0; i < originals.size(); ++i) {
    Scan scan = originals[i];
    scan.device_id = move.branch_device_id;
    scan.sequence = i + 1;
    if (scan.kind == ScanKind::correction && scan.correction == Correction::void_scan &&
        scan.voids_device_id == move.device_id && scan.voids_sequence >= move.diverged_at) {
      scan.voids_device_id = move.branch_device_id;
      scan.voids_sequence = scan.voids_sequence - move.diverged_at + 1;
    }
    seal(scan, previous);
    previous = scan.hash;
    insert->reset();
    bind_scan(*insert, scan);
    if (auto ran = insert->run(); !ran) return state.error(ran.error(), kAction);
  }
  return Ok{};
}

} // namespace

Result<std::uint64_t, StoreError> KioskStore::move_to_branch(const BranchMove& move, Instant now) {
  if (auto refused = state_->refuse_if_read_only(kAction); !refused) return refused.error();
  if (move.device_id.empty() || move.branch_device_id.empty() || move.diverged_at == 0 ||
      move.device_id == move.branch_device_id) {
    return fail(StoreError::invalid, "a branch needs the old and the new device id and the "
                                     "first sequence that moves");
  }
  auto transaction = Transaction::begin(state_->db(), Transaction::Kind::immediate);
  if (!transaction) return state_->error(transaction.error(), kAction);
  auto done = done_before(*state_, move);
  if (!done) return done.error();
  if (*done) return std::uint64_t{0};
  auto moving = read_moving(*state_, move);
  if (!moving) return moving.error();
  if (auto archived = archive_originals(*state_, move, *moving, now); !archived) {
    return archived.error();
  }
  if (auto chained = rechain_on_branch(*state_, move, moving->originals); !chained) {
    return chained.error();
  }
  auto link = state_->prepare("INSERT INTO device_branches (from_device_id, to_device_id, "
                              "diverged_at, branched_at_ms) VALUES (?1, ?2, ?3, ?4)",
                              kAction);
  if (!link) return link.error();
  link->bind(1, move.device_id).bind(2, move.branch_device_id).bind(3, to_sql(move.diverged_at));
  link->bind(4, to_ms(now));
  if (auto ran = link->run(); !ran) return state_->error(ran.error(), kAction);
  for (const auto& [key, value] : move.settings) {
    if (auto saved = state_->set_text("settings", "key", key, value); !saved) return saved.error();
  }
  if (auto committed = transaction->commit(); !committed) {
    return state_->error(committed.error(), kAction);
  }
  return static_cast<std::uint64_t>(moving->originals.size());
}

Result<std::vector<Scan>, StoreError> KioskStore::archived_scans() const {
  constexpr std::string_view kAction = "reading archived scans";
  auto statement = state_->prepare("SELECT " + std::string(kScanColumns) +
                                       " FROM scans_archive ORDER BY device_id, sequence",
                                   kAction);
  if (!statement) return statement.error();
  std::vector<Scan> scans;
  if (auto read = state_->collect_scans(*statement, kAction, scans); !read) return read.error();
  return scans;
}

} // namespace muster
