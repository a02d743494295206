#include "tests/crash/power_cut_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

namespace muster::test {
namespace {

struct PendingWrite {
  sqlite3_int64 offset;
  std::vector<unsigned char> bytes;
};

// What the dead or living machine holds in its page cache, by file path.
struct Machine {
  std::mutex mutex;
  std::map<std::string, std::vector<PendingWrite>> pending;
  std::uint64_t armed_at = 0; // 0: not armed
  std::uint64_t operations = 0;
  bool cut = false;
  std::uint64_t lost = 0;
};
Machine& machine() {
  static Machine instance;
  return instance;
}

sqlite3_vfs* real_vfs = nullptr;

struct CutFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool cached; // database, WAL or rollback journal: writes wait for a sync
  std::string path;
};

// Counts a write or sync; true when the power goes off now (the operation does not happen).
bool power_fails_now() {
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  if (m.cut) return true;
  if (m.armed_at == 0) return false;
  if (++m.operations < m.armed_at) return false;
  m.cut = true;
  for (const auto& [path, writes] : m.pending)
    m.lost += writes.size();
  m.pending.clear();
  return true;
}

bool is_dead() {
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  return m.cut;
}

int flush(CutFile* file) {
  std::vector<PendingWrite> writes;
  {
    auto& m = machine();
    std::lock_guard lock(m.mutex);
    auto found = m.pending.find(file->path);
    if (found == m.pending.end()) return SQLITE_OK;
    writes = std::move(found->second);
    m.pending.erase(found);
  }
  for (const auto& w : writes) {
    const int rc = file->real->pMethods->xWrite(file->real, w.bytes.data(),
                                                static_cast<int>(w.bytes.size()), w.offset);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

int x_close(sqlite3_file* f) {
  auto* file = reinterpret_cast<CutFile*>(f);
  // A file closed on a living machine reaches the disk eventually; on a dead one it never does.
  if (file->cached && !is_dead()) (void)flush(file);
  const int rc = file->real->pMethods ? file->real->pMethods->xClose(file->real) : SQLITE_OK;
  file->path.~basic_string();
  return rc;
}

int x_read(sqlite3_file* f, void* buffer, int amount, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<CutFile*>(f);
  if (is_dead()) return SQLITE_IOERR_READ;
  int rc = file->real->pMethods->xRead(file->real, buffer, amount, offset);
  if (!file->cached || (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)) return rc;
  sqlite3_int64 real_size = 0;
  if (const int sized = file->real->pMethods->xFileSize(file->real, &real_size); sized != SQLITE_OK)
    return sized;
  sqlite3_int64 size = real_size;
  auto* out = static_cast<unsigned char*>(buffer);
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  if (const auto found = m.pending.find(file->path); found != m.pending.end()) {
    for (const auto& w : found->second) { // in write order: later writes win
      const auto end = w.offset + static_cast<sqlite3_int64>(w.bytes.size());
      size = std::max(size, end);
      const auto from = std::max(offset, w.offset);
      const auto to = std::min(offset + amount, end);
      if (from < to) {
        std::memcpy(out + (from - offset), w.bytes.data() + (from - w.offset),
                    static_cast<std::size_t>(to - from));
      }
    }
  }
  return offset + amount <= size ? SQLITE_OK : SQLITE_IOERR_SHORT_READ;
}

int x_write(sqlite3_file* f, const void* buffer, int amount, sqlite3_int64 offset) {
  auto* file = reinterpret_cast<CutFile*>(f);
  if (power_fails_now()) return SQLITE_IOERR_WRITE;
  if (!file->cached) return file->real->pMethods->xWrite(file->real, buffer, amount, offset);
  const auto* bytes = static_cast<const unsigned char*>(buffer);
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  m.pending[file->path].push_back(PendingWrite{offset, {bytes, bytes + amount}});
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* file = reinterpret_cast<CutFile*>(f);
  if (is_dead()) return SQLITE_IOERR_TRUNCATE;
  if (file->cached) {
    if (const int rc = flush(file); rc != SQLITE_OK) return rc;
  }
  return file->real->pMethods->xTruncate(file->real, size);
}

int x_sync(sqlite3_file* f, int flags) {
  auto* file = reinterpret_cast<CutFile*>(f);
  if (power_fails_now()) return SQLITE_IOERR_FSYNC;
  if (file->cached) {
    if (const int rc = flush(file); rc != SQLITE_OK) return rc;
  }
  return file->real->pMethods->xSync(file->real, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  auto* file = reinterpret_cast<CutFile*>(f);
  if (is_dead()) return SQLITE_IOERR_FSTAT;
  const int rc = file->real->pMethods->xFileSize(file->real, size);
  if (rc != SQLITE_OK || !file->cached) return rc;
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  if (const auto found = m.pending.find(file->path); found != m.pending.end()) {
    for (const auto& w : found->second)
      *size = std::max(*size, w.offset + static_cast<sqlite3_int64>(w.bytes.size()));
  }
  return SQLITE_OK;
}

sqlite3_file* real_of(sqlite3_file* f) { return reinterpret_cast<CutFile*>(f)->real; }

int x_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int x_unlock(sqlite3_file* f, int level) {
  return real_of(f)->pMethods->xUnlock(real_of(f), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

// Version 2: no xFetch, so SQLite never memory-maps a file past the page cache model.
const sqlite3_io_methods kMethods = {2,           x_close,          x_read,         x_write,
                                     x_truncate,  x_sync,           x_file_size,    x_lock,
                                     x_unlock,    x_check_reserved, x_file_control, x_sector_size,
                                     x_device,    x_shm_map,        x_shm_lock,     x_shm_barrier,
                                     x_shm_unmap, nullptr,          nullptr};

int v_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<CutFile*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  if (is_dead()) return SQLITE_CANTOPEN;
  const int rc = real_vfs->xOpen(real_vfs, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  new (&file->path) std::string(name != nullptr ? name : "");
  file->cached = name != nullptr &&
                 (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0;
  file->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int v_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  if (is_dead()) return SQLITE_IOERR_DELETE;
  {
    auto& m = machine();
    std::lock_guard lock(m.mutex);
    m.pending.erase(name);
  }
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
int v_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
int v_full(sqlite3_vfs*, const char* name, int n, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
void* v_dlopen(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void v_dlerror(sqlite3_vfs*, int n, char* out) { real_vfs->xDlError(real_vfs, n, out); }
void (*v_dlsym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return real_vfs->xDlSym(real_vfs, handle, symbol);
}
void v_dlclose(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int v_random(sqlite3_vfs*, int n, char* out) { return real_vfs->xRandomness(real_vfs, n, out); }
int v_sleep(sqlite3_vfs*, int us) { return real_vfs->xSleep(real_vfs, us); }
int v_time(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int v_error(sqlite3_vfs*, int n, char* out) { return real_vfs->xGetLastError(real_vfs, n, out); }
int v_time64(sqlite3_vfs*, sqlite3_int64* out) {
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

sqlite3_vfs power_cut_vfs = {};

} // namespace

void PowerCut::install() {
  static std::once_flag once;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    power_cut_vfs.iVersion = 2;
    power_cut_vfs.szOsFile = static_cast<int>(sizeof(CutFile)) + real_vfs->szOsFile;
    power_cut_vfs.mxPathname = real_vfs->mxPathname;
    power_cut_vfs.zName = "powercut";
    power_cut_vfs.xOpen = v_open;
    power_cut_vfs.xDelete = v_delete;
    power_cut_vfs.xAccess = v_access;
    power_cut_vfs.xFullPathname = v_full;
    power_cut_vfs.xDlOpen = v_dlopen;
    power_cut_vfs.xDlError = v_dlerror;
    power_cut_vfs.xDlSym = v_dlsym;
    power_cut_vfs.xDlClose = v_dlclose;
    power_cut_vfs.xRandomness = v_random;
    power_cut_vfs.xSleep = v_sleep;
    power_cut_vfs.xCurrentTime = v_time;
    power_cut_vfs.xGetLastError = v_error;
    power_cut_vfs.xCurrentTimeInt64 = v_time64;
    sqlite3_vfs_register(&power_cut_vfs, 1);
  });
}

void PowerCut::arm(std::uint64_t operations) {
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  m.armed_at = std::max<std::uint64_t>(operations, 1);
  m.operations = 0;
}

void PowerCut::disarm() {
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  m.armed_at = 0;
}

void PowerCut::cut_now() {
  arm(1);
  (void)power_fails_now();
}

bool PowerCut::is_cut() { return is_dead(); }

std::uint64_t PowerCut::writes_lost() {
  auto& m = machine();
  std::lock_guard lock(m.mutex);
  return m.lost;
}

void PowerCut::reboot(const std::filesystem::path& database) {
  auto& m = machine();
  {
    std::lock_guard lock(m.mutex);
    m.pending.clear();
    m.cut = false;
    m.armed_at = 0;
    m.operations = 0;
  }
  std::error_code ignored;
  std::filesystem::remove(database.string() + "-shm", ignored);
}

} // namespace muster::test
