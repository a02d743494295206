#pragma once
// A fault-injecting HTTP/TCP proxy for tests, on 127.0.0.1 only: it sits between the kiosk's
// sync client and a real muster-server and, per request, injects one fault chosen by the test
// (seeded, so a failing mix can be replayed). Every wait is bounded; stop() ends all threads.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace muster::test {

enum class Fault : std::uint8_t {
  none,
  refuse,             // the listener goes away for a moment: connections are refused
  reset_mid_request,  // half the request reaches the server, then both sides get a reset
  reset_after_answer, // the server stored and answered; the client gets a reset instead
  delay,              // the answer comes late
  throttle,           // request body and answer at a few KB/s
  slice,              // request and answer in tiny TCP segments with pauses
  truncate_body,      // the answer stops half way through its body, then the connection closes
  duplicate,          // the server gets the request twice; the client sees the first answer
  status_500,         // the server handled it, the client sees 500 (its answer is lost)
  status_503,         // the server never sees it; the client gets 503 with Retry-After
  slow_close,         // the answer, then a long pause before the connection closes
  stall,              // the request is swallowed; no answer until the client gives up
};
inline constexpr std::size_t kFaultCount = 13;
std::string_view to_string(Fault fault);

struct RequestInfo {
  std::string method;
  std::string path;
  std::size_t body_bytes = 0;
};
using FaultChooser = std::function<Fault(const RequestInfo&)>;

struct ProxyOptions {
  int upstream_port = 0;
  std::size_t throttle_bytes_per_second = 8 * 1024;
  std::chrono::milliseconds delay{400};
  std::chrono::milliseconds refuse_for{300};
  std::chrono::milliseconds slow_close_pause{600};
  std::chrono::milliseconds stall_limit{20000}; // a stalled connection is closed after this
  std::size_t slice_max_bytes = 7;
  std::chrono::milliseconds slice_pause{1};
  std::size_t slice_request_prefix = 2048; // slice only this much of a request (bounded time)
};

struct ProxyStats {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::array<std::uint64_t, kFaultCount> faults{};
  std::size_t largest_request_body = 0;
};

class FaultProxy {
public:
  // Throws std::runtime_error when it cannot listen (test setup, a bug).
  FaultProxy(ProxyOptions options, FaultChooser chooser);
  ~FaultProxy(); // stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_chooser(FaultChooser chooser);
  void set_down(bool down); // true: the port refuses connections (the network is gone)
  [[nodiscard]] ProxyStats stats() const;
  void stop();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// A reproducible mix: `fault_percent` of requests get a fault drawn uniformly from `faults`.
FaultChooser seeded_mix(std::uint64_t seed, int fault_percent, std::vector<Fault> faults);

} // namespace muster::test
