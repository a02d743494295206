#include "sync/server/connection_guard.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <vector>

namespace muster::server {
namespace {

constexpr auto kSweepInterval = std::chrono::milliseconds(200);
// A fresh connection counts towards its address's limit only after this long without a
// complete request: a burst of kiosks behind one NAT (queued for a worker for a moment) is
// not cut, a trickler is.
constexpr auto kLimitGrace = std::chrono::seconds(1);

std::string key_of(const std::string& address, int port) {
  return address + "|" + std::to_string(port);
}

int port_of(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return -1;
}

struct Socket {
  int fd = -1;
  std::uint64_t inode = 0;
  std::string address; // as httplib writes remote_addr (getnameinfo, numeric)
  int port = -1;
};

// The server's connected sockets: TCP, local port `port`, not the listening socket.
std::vector<Socket> server_connections(int port) {
  std::vector<Socket> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    const std::string name = entry.path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
    struct stat info {};
    if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) continue;
    if (port_of(local) != port) continue;
    int listening = 0;
    socklen_t flag_length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_length) != 0 || listening) {
      continue;
    }
    sockaddr_storage peer{};
    length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    char host[NI_MAXHOST];
    if (getnameinfo(reinterpret_cast<sockaddr*>(&peer), length, host, sizeof host, nullptr, 0,
                    NI_NUMERICHOST) != 0) {
      continue;
    }
    found.push_back({fd, static_cast<std::uint64_t>(info.st_ino), host, port_of(peer)});
  }
  return found;
}

// Ends the connection: the worker's blocked read returns at once and httplib closes it. The
// descriptor is checked to be the same socket right before (it may have been closed and its
// number reused since the scan).
void cut(const Socket& socket) {
  struct stat info {};
  if (fstat(socket.fd, &info) != 0 || static_cast<std::uint64_t>(info.st_ino) != socket.inode) {
    return;
  }
  ::shutdown(socket.fd, SHUT_RDWR);
}

} // namespace

ConnectionGuard::ConnectionGuard(int port, std::chrono::milliseconds read_deadline,
                                 int max_per_address)
    : port_(port), read_deadline_(read_deadline), max_per_address_(max_per_address) {}

ConnectionGuard::~ConnectionGuard() { stop(); }

void ConnectionGuard::start() {
  thread_ = std::thread([this] { run(); });
}

void ConnectionGuard::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionGuard::handling(const std::string& address, int port) {
  const std::lock_guard lock(mutex_);
  auto& connection = connections_[key_of(address, port)];
  if (connection.address.empty()) {
    connection.address = address;
    connection.since = std::chrono::steady_clock::now();
  }
  connection.handling = true;
}

void ConnectionGuard::answered(const std::string& address, int port) {
  const std::lock_guard lock(mutex_);
  const auto found = connections_.find(key_of(address, port));
  if (found == connections_.end()) return;
  found->second.handling = false;
  found->second.answered_once = true;
  found->second.since = std::chrono::steady_clock::now();
}

void ConnectionGuard::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    sweep();
    lock.lock();
    wake_.wait_for(lock, kSweepInterval, [this] { return stopping_; });
  }
}

void ConnectionGuard::sweep() {
  const auto sockets = server_connections(port_); // outside the lock: /proc is slow-ish
  const auto now = std::chrono::steady_clock::now();
  std::vector<Socket> to_cut;
  {
    const std::lock_guard lock(mutex_);
    std::set<std::string, std::less<>> present;
    // Sending connections per address, oldest first, to keep the oldest within the limit.
    std::map<std::string, std::vector<std::pair<std::chrono::steady_clock::time_point, Socket>>>
        sending;
    for (const Socket& socket : sockets) {
      const std::string key = key_of(socket.address, socket.port);
      present.insert(key);
      auto& connection = connections_[key];
      if (connection.inode != socket.inode) {
        // A new connection (or a handler saw it first): its clock starts at its arrival.
        const bool seen_by_handler = connection.inode == 0 && !connection.address.empty();
        if (!seen_by_handler) {
          connection.since = now;
          connection.handling = false;
          connection.answered_once = false;
        }
        connection.inode = socket.inode;
        connection.address = socket.address;
      }
      if (connection.handling) continue;
      if (now - connection.since > read_deadline_) {
        to_cut.push_back(socket);
        continue;
      }
      // A keep-alive connection that was answered before waits for its next request (bounded
      // by the deadline): it is a client that behaved, not one that never finished a request.
      if (!connection.answered_once && now - connection.since > kLimitGrace) {
        sending[socket.address].emplace_back(connection.since, socket);
      }
    }
    // Gone connections are forgotten; one a handler announced before this scan saw its socket
    // stays until its answer.
    std::erase_if(connections_, [&](const auto& entry) {
      return !present.contains(entry.first) && (entry.second.inode != 0 || !entry.second.handling);
    });
    if (max_per_address_ > 0) {
      for (auto& [address, list] : sending) {
        if (list.size() <= static_cast<std::size_t>(max_per_address_)) continue;
        std::stable_sort(list.begin(), list.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (std::size_t i = static_cast<std::size_t>(max_per_address_); i < list.size(); ++i) {
          to_cut.push_back(list[i].second);
        }
      }
    }
  }
  for (const Socket& socket : to_cut) {
    cut(socket);
    ++cut_;
  }
}

} // namespace muster::server
