// The kiosk store's WAL checkpoints, off the scan path: why and how in kiosk_store_support.hpp
// (WalCheckpointer).
#include <sqlite3.h>

#include <system_error>
#include <utility>

#include "shared/kiosk_store_support.hpp"

namespace muster {

namespace kiosk_store_support {

WalCheckpointer::WalCheckpointer(std::filesystem::path path, sqlite3* writer, bool background)
    : path_(std::move(path)), writer_(writer), background_(background) {
  sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_wal_hook(writer_, nullptr, nullptr);
}

CheckpointStats WalCheckpointer::stats() const {
  return {background_done_.load(), in_commit_done_.load()};
}

WalCheckpointer::Writing::Writing(WalCheckpointer* checkpointer) : checkpointer_(checkpointer) {
  if (checkpointer_ != nullptr) checkpointer_->writing_.store(true);
}

WalCheckpointer::Writing::~Writing() {
  if (checkpointer_ == nullptr) return;
  checkpointer_->last_commit_.store(Clock::now().time_since_epoch().count());
  checkpointer_->writing_.store(false);
  // A wake-up the quiet wait slept through: it looks again now the scan is done.
  if (checkpointer_->requested_.load()) {
    std::lock_guard lock(checkpointer_->mutex_);
    checkpointer_->wanted_.notify_one();
  }
}

// Called by SQLite on the writer's thread after each commit, with the WAL's size in pages. It
// must return SQLITE_OK: any other code would make the COMMIT report a failure for a scan that
// is already durable, and the kiosk would tell the official it was not recorded.
int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  auto& checkpointer = *static_cast<WalCheckpointer*>(self);
  checkpointer.last_commit_.store(Clock::now().time_since_epoch().count());
  if (frames >= kInlineFrames) {
    // No quiet spell came in time (or the background is off): bound the WAL here. BUSY (the
    // thread is mid-checkpoint) is fine, the next commit tries again.
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      checkpointer.in_commit_done_.fetch_add(1);
    }
  } else if (frames >= kBackgroundFrames && checkpointer.background_ &&
             !checkpointer.requested_.exchange(true)) {
    checkpointer.wake();
  }
  return SQLITE_OK;
}

void WalCheckpointer::wake() {
  if (!started_) {
    started_ = true;
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      // No thread to be had: the writer keeps checkpointing at kInlineFrames, as SQLite would.
      background_ = false;
      return;
    }
  }
  // Under the mutex, so the thread cannot miss it between its check and its wait.
  std::lock_guard lock(mutex_);
  wanted_.notify_one();
}

void WalCheckpointer::run() {
  sqlite::Connection db;
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [this] { return requested_.load() || stopping_; });
    // Until no scan is being appended and none was for kQuiet: a scan mid-commit is never made
    // to share the disk with the checkpoint.
    for (;;) {
      if (stopping_) return;
      if (writing_.load()) {
        wanted_.wait_for(lock, kQuiet); // Writing's end notifies; the timeout is a safety net
        continue;
      }
      const Clock::time_point quiet_at{Clock::duration{last_commit_.load()} + kQuiet};
      if (Clock::now() >= quiet_at) break;
      wanted_.wait_until(lock, quiet_at);
    }
    // Cleared before the checkpoint: a commit during it asks for another once it is quiet again
    // (the WAL restarts only when a checkpoint copied all of it).
    requested_.store(false);
    lock.unlock();
    if (!db) {
      auto opened =
          sqlite::open_connection(path_.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
      // No second connection: the writer's inline checkpoints keep the WAL bounded.
      if (!opened) return;
      db = std::move(opened).value();
      // A checkpoint syncs the WAL, then the database file, like the writer would: FULL. The
      // read opens the file's WAL index, which a checkpoint on a fresh connection needs.
      if (!sqlite::exec(db.get(),
                        "PRAGMA synchronous = FULL; SELECT count(*) FROM sqlite_schema")) {
        return;
      }
    }
    // PASSIVE copies what no reader still needs and never waits for or blocks the writer; BUSY
    // (the writer is checkpointing inline) just means the WAL is being bounded already.
    if (sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      background_done_.fetch_add(1);
    }
    lock.lock();
  }
}

} // namespace kiosk_store_support

CheckpointStats KioskStore::checkpoint_stats() const {
  return state_->checkpointer ? state_->checkpointer->stats() : CheckpointStats{};
}

} // namespace muster
