#pragma once
// A power cut for SQLite, in the process (SQLite's own testing method: a VFS that models what
// the disk holds). Installed as the default VFS, it wraps the real one: writes to a database,
// its WAL or its rollback journal stay in memory (the "page cache") until SQLite syncs that file,
// which makes them durable. Reads see the pending writes, as an OS page cache would.
// PowerCut::arm(n) cuts the power at the n-th write or sync from then on: every pending write of
// every file is lost and all I/O fails from that moment (the machine is dead). reboot() forgets
// the dead machine's state and deletes the WAL index (-shm), whose content a power cut also
// loses, so the next open recovers from the WAL as SQLite does after a real power loss.
// Limits: a truncate is applied at once (SQLite syncs right after it); file creation and
// deletion (directory entries) are durable at once.
#include <cstdint>
#include <filesystem>

namespace muster::test {

class PowerCut {
public:
  static void install();                     // once per process, before any database is opened
  static void arm(std::uint64_t operations); // cut at the n-th write or sync (n >= 1)
  static void disarm();
  static void cut_now(); // the power goes off between two operations
  [[nodiscard]] static bool is_cut();
  [[nodiscard]] static std::uint64_t writes_lost(); // pending writes the last cut threw away
  // After every connection of the dead machine was closed: power back on, -shm files gone.
  static void reboot(const std::filesystem::path& database);
};

} // namespace muster::test
