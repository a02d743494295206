#pragma once
// Bounds what a slow client can hold ("slow-header attack"). cpp-httplib 0.11 gives
// each connection a worker thread and only a per-read timeout, so a client that sends one
// header line every few seconds keeps a worker forever; 16 such connections stop the server.
// The guard watches the server's connected sockets and shuts down (so the worker's read ends
// at once) every connection that:
//  - has not finished sending its request (headers and body) within `read_deadline` of its
//    arrival or of its previous answer (keep-alive), or
//  - is beyond `max_per_address` connections of one client address that have been sending
//    their first request for over a second (the newest are closed).
// A connection whose request is being handled is never cut: that time is the server's own.
#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace muster::server {

class ConnectionGuard {
public:
  // max_per_address 0: no per-address limit (behind a reverse proxy every client has its address).
  ConnectionGuard(int port, std::chrono::milliseconds read_deadline, int max_per_address);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  void start();
  void stop();

  // From the request handlers (by httplib's remote_addr/remote_port): the request was read and
  // its handler runs; the answer was written (the deadline starts again for the next request).
  void handling(const std::string& address, int port);
  void answered(const std::string& address, int port);

  [[nodiscard]] std::uint64_t connections_cut() const { return cut_.load(); }

private:
  struct Connection {
    std::uint64_t inode = 0;
    std::string address;
    std::chrono::steady_clock::time_point since; // arrival, or the last answer
    bool handling = false;
    bool answered_once = false; // a request of it was answered (keep-alive)
  };

  void run();
  void sweep();

  int port_;
  std::chrono::milliseconds read_deadline_;
  int max_per_address_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, Connection> connections_; // by "address|port"
  std::thread thread_;
  std::atomic<std::uint64_t> cut_{0};
};

} // namespace muster::server
