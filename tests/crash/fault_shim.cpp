// LD_PRELOAD fault shim for the power-loss style test: while the file named by
// MUSTER_FAULT_FILE exists, write/pwrite/fsync/fdatasync/ftruncate on REGULAR files fail with
// the errno it holds ("ENOSPC" or "EIO"; default ENOSPC), after MUSTER_FAULT_AFTER successful
// calls (default 0) counted from when the file appeared. Pipes and terminals are never touched,
// so the kiosk can still answer on stdout. Removing the file removes the fault: the disk is back.
#include <dlfcn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

std::atomic<long> g_calls_while_active{0};

// -1: let the call through; else the errno to fail with.
int fault_for(int fd) {
  const char* control = std::getenv("MUSTER_FAULT_FILE");
  if (control == nullptr) return -1;
  char text[16] = {};
  FILE* file = std::fopen(control, "re");
  if (file == nullptr) {
    g_calls_while_active = 0;
    return -1;
  }
  const std::size_t got = std::fread(text, 1, sizeof text - 1, file);
  std::fclose(file);
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) return -1;
  const char* after = std::getenv("MUSTER_FAULT_AFTER");
  if (g_calls_while_active++ < (after == nullptr ? 0 : std::atol(after))) return -1;
  return got >= 3 && std::strncmp(text, "EIO", 3) == 0 ? EIO : ENOSPC;
}

template <class Fn> Fn next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  static const auto real = next<ssize_t (*)(int, const void*, size_t)>("write");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd, buf, count);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  static const auto real = next<ssize_t (*)(int, const void*, size_t, off64_t)>("pwrite64");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static const auto real = next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd, buf, count, offset);
}

int fsync(int fd) {
  static const auto real = next<int (*)(int)>("fsync");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd);
}

int fdatasync(int fd) {
  static const auto real = next<int (*)(int)>("fdatasync");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd);
}

int ftruncate64(int fd, off64_t length) {
  static const auto real = next<int (*)(int, off64_t)>("ftruncate64");
  if (const int error = fault_for(fd); error >= 0) {
    errno = error;
    return -1;
  }
  return real(fd, length);
}

} // extern "C"
