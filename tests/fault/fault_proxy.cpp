#include "tests/fault/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <list>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace muster::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kIoTimeout{15000}; // any single read or write
constexpr std::size_t kMaxMessage = std::size_t{64} * 1024 * 1024;

void reset_close(int fd) {
  linger l{1, 0}; // close with RST instead of FIN
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

int listen_on(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Message {
  std::string bytes;          // headers and body as received
  std::size_t header_end = 0; // offset of the body
  std::string first_line;
  bool chunked = false;
};

} // namespace

std::string_view to_string(Fault fault) {
  static constexpr std::array<std::string_view, kFaultCount> names = {"none",
                                                                      "refuse",
                                                                      "reset_mid_request",
                                                                      "reset_after_answer",
                                                                      "delay",
                                                                      "throttle",
                                                                      "slice",
                                                                      "truncate_body",
                                                                      "duplicate",
                                                                      "status_500",
                                                                      "status_503",
                                                                      "slow_close",
                                                                      "stall"};
  return names.at(static_cast<std::size_t>(fault));
}

struct FaultProxy::Impl {
  ProxyOptions options;
  FaultChooser chooser;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<bool> down{false};
  std::atomic<bool> listening{true};
  std::atomic<std::int64_t> refuse_until_ns{0};
  mutable std::mutex mutex;
  ProxyStats stats;
  std::set<int> client_fds;
  std::list<std::thread> threads;
  std::thread acceptor;

  // Waits until fd is readable (true) or the deadline passes / the proxy stops (false).
  bool wait_readable(int fd, Clock::time_point deadline) const {
    while (!stopping) {
      if (Clock::now() >= deadline) return false;
      pollfd p{fd, POLLIN, 0};
      const int ready = poll(&p, 1, 100);
      if (ready > 0) return true;
      if (ready < 0 && errno != EINTR) return false;
    }
    return false;
  }

  bool send_all(int fd, std::string_view data) const {
    while (!data.empty()) {
      if (stopping) return false;
      const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Sends in pieces of `piece` bytes with `pause` between them.
  bool send_paced(int fd, std::string_view data, std::size_t piece,
                  std::chrono::microseconds pause) const {
    while (!data.empty()) {
      const std::size_t n = std::min(piece, data.size());
      if (!send_all(fd, data.substr(0, n))) return false;
      data.remove_prefix(n);
      if (!data.empty()) std::this_thread::sleep_for(pause);
    }
    return true;
  }

  bool send_throttled(int fd, std::string_view data) const {
    const std::size_t piece = 512;
    const auto pause = std::chrono::microseconds{static_cast<std::int64_t>(
        1e6 * static_cast<double>(piece) / static_cast<double>(options.throttle_bytes_per_second))};
    return send_paced(fd, data, piece, pause);
  }

  // Reads one HTTP message (request or response). `stop_after_headers`: return once the
  // headers are in (the caller reads the body). Returns nothing on close, error or timeout.
  std::optional<Message> read_headers(int fd, std::string& buffer,
                                      std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    while (buffer.find("\r\n\r\n") == std::string::npos) {
      if (buffer.size() > 64 * 1024) return std::nullopt;
      if (!wait_readable(fd, deadline)) return std::nullopt;
      char chunk[16384];
      const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    Message m;
    m.header_end = buffer.find("\r\n\r\n") + 4;
    m.first_line = buffer.substr(0, buffer.find("\r\n"));
    m.bytes = buffer;
    buffer.clear();
    return m;
  }

  static std::optional<std::size_t> content_length(const Message& m) {
    const std::string head = lower(std::string_view(m.bytes).substr(0, m.header_end));
    const auto pos = head.find("\r\ncontent-length:");
    if (pos == std::string::npos) return std::nullopt;
    std::size_t at = pos + 17;
    while (at < head.size() && head[at] == ' ')
      ++at;
    std::size_t value = 0;
    std::from_chars(head.data() + at, head.data() + head.size(), value);
    return value;
  }

  static bool is_chunked(const Message& m) {
    const std::string head = lower(std::string_view(m.bytes).substr(0, m.header_end));
    return head.find("\r\ntransfer-encoding: chunked") != std::string::npos;
  }

  // Reads the body until `length` bytes (or, without a length, the chunked terminator or the
  // close); `rate` > 0 reads at most that many bytes per second (a slow link).
  bool read_body(int fd, Message& m, std::optional<std::size_t> length, std::size_t rate,
                 bool until_close) const {
    const auto deadline = Clock::now() + kIoTimeout + std::chrono::seconds{60};
    const bool chunked = is_chunked(m);
    auto done = [&] {
      const std::size_t have = m.bytes.size() - m.header_end;
      if (length) return have >= *length;
      if (chunked) return m.bytes.size() >= 5 && m.bytes.ends_with("0\r\n\r\n");
      return !until_close;
    };
    while (!done()) {
      if (m.bytes.size() > kMaxMessage) return false;
      if (!wait_readable(fd, deadline)) return false;
      char chunk[16384];
      const std::size_t want = rate > 0 ? std::min<std::size_t>(512, sizeof chunk) : sizeof chunk;
      const ssize_t n = recv(fd, chunk, want, 0);
      if (n < 0) return false;
      if (n == 0) return !length && !chunked;
      m.bytes.append(chunk, static_cast<std::size_t>(n));
      if (rate > 0) {
        std::this_thread::sleep_for(std::chrono::microseconds{
            static_cast<std::int64_t>(1e6 * static_cast<double>(n) / static_cast<double>(rate))});
      }
    }
    return true;
  }

  // Sends the request upstream on a fresh connection and reads the whole answer.
  std::optional<std::string> round_trip(const std::string& request, bool sliced) const {
    const int up = connect_to(options.upstream_port);
    if (up < 0) return std::nullopt;
    bool sent = false;
    if (sliced) {
      const std::size_t prefix = std::min(request.size(), options.slice_request_prefix);
      sent = send_paced(up, std::string_view(request).substr(0, prefix), options.slice_max_bytes,
                        options.slice_pause) &&
             send_all(up, std::string_view(request).substr(prefix));
    } else {
      sent = send_all(up, request);
    }
    std::optional<std::string> answer;
    if (sent) {
      std::string buffer;
      if (auto m = read_headers(up, buffer, kIoTimeout)) {
        if (read_body(up, *m, content_length(*m), 0, true)) answer = std::move(m->bytes);
      }
    }
    close(up);
    return answer;
  }

  static std::string synthetic(int status, std::string_view reason, std::string_view code,
                               bool retry_after) {
    const std::string body = R"({"error":{"code":")" + std::string(code) +
                             R"(","message":"injected by the fault proxy"}})";
    std::string out =
        "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n";
    if (retry_after) out += "Retry-After: 1\r\n";
    return out + "\r\n" + body;
  }

  void count(Fault fault, std::size_t body_bytes) {
    std::lock_guard lock(mutex);
    stats.requests += 1;
    stats.faults.at(static_cast<std::size_t>(fault)) += 1;
    stats.largest_request_body = std::max(stats.largest_request_body, body_bytes);
  }

  Fault choose(const RequestInfo& info) {
    std::lock_guard lock(mutex);
    return chooser ? chooser(info) : Fault::none;
  }

  // One client connection: requests one after another (keep-alive), each with its fault.
  // Returns true when the fd was already closed here.
  bool serve_client(int fd) {
    std::string buffer;
    while (!stopping) {
      if (down) {
        reset_close(fd);
        return true;
      }
      auto request = read_headers(fd, buffer, std::chrono::seconds{30});
      if (!request) return false;
      // Bytes past the headers already read belong to the body.
      const auto length = content_length(*request);
      RequestInfo info;
      const auto sp1 = request->first_line.find(' ');
      const auto sp2 = request->first_line.find(' ', sp1 + 1);
      info.method = request->first_line.substr(0, sp1);
      info.path = request->first_line.substr(sp1 + 1, sp2 - sp1 - 1);
      info.body_bytes = length.value_or(0);
      const Fault fault = choose(info);
      count(fault, info.body_bytes);

      if (fault == Fault::refuse) {
        refuse_until_ns = (Clock::now() + options.refuse_for).time_since_epoch().count();
        reset_close(fd);
        return true;
      }
      const std::size_t rate = fault == Fault::throttle ? options.throttle_bytes_per_second : 0;
      if (fault == Fault::reset_mid_request) {
        // Half of what arrived goes to the server, then both connections are reset.
        (void)read_body(fd, *request, length, 0, false);
        const int up = connect_to(options.upstream_port);
        if (up >= 0) {
          (void)send_all(up, std::string_view(request->bytes).substr(0, request->bytes.size() / 2));
          std::this_thread::sleep_for(std::chrono::milliseconds{20});
          reset_close(up);
        }
        reset_close(fd);
        return true;
      }
      if (!read_body(fd, *request, length, rate, false)) return false;
      if (fault == Fault::stall) {
        // Hold the connection without answering until the client gives up (bounded).
        const auto deadline = Clock::now() + options.stall_limit;
        while (wait_readable(fd, deadline)) {
          char c[4096];
          if (recv(fd, c, sizeof c, 0) <= 0) break;
        }
        return false;
      }
      if (fault == Fault::status_503) {
        if (!send_all(fd, synthetic(503, "Service Unavailable", "store_unavailable", true)))
          return false;
        continue;
      }
      auto answer = round_trip(request->bytes, fault == Fault::slice);
      if (fault == Fault::duplicate) (void)round_trip(request->bytes, false);
      if (!answer) {
        reset_close(fd); // the server side failed: the client must see a broken connection
        return true;
      }
      switch (fault) {
      case Fault::reset_after_answer:
        reset_close(fd);
        return true;
      case Fault::status_500:
        if (!send_all(fd, synthetic(500, "Internal Server Error", "internal", false))) return false;
        continue;
      case Fault::delay:
        std::this_thread::sleep_for(options.delay);
        break;
      case Fault::truncate_body: {
        const std::size_t header_end = answer->find("\r\n\r\n") + 4;
        const std::size_t keep = header_end + (answer->size() - header_end) / 2;
        (void)send_all(fd, std::string_view(*answer).substr(0, keep));
        shutdown(fd, SHUT_WR);
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
        close(fd);
        return true;
      }
      default:
        break;
      }
      bool sent = false;
      if (fault == Fault::throttle)
        sent = send_throttled(fd, *answer);
      else if (fault == Fault::slice)
        sent = send_paced(fd, *answer, options.slice_max_bytes, options.slice_pause);
      else
        sent = send_all(fd, *answer);
      if (!sent) return false;
      if (fault == Fault::slow_close) {
        std::this_thread::sleep_for(options.slow_close_pause);
        shutdown(fd, SHUT_WR);
        const auto deadline = Clock::now() + std::chrono::seconds{2};
        while (wait_readable(fd, deadline)) {
          char c[4096];
          if (recv(fd, c, sizeof c, 0) <= 0) break;
        }
        return false;
      }
    }
    return false;
  }

  void accept_loop(int listener) {
    while (!stopping) {
      const bool refusing =
          down || Clock::now().time_since_epoch().count() < refuse_until_ns.load();
      if (refusing) {
        if (listener >= 0) {
          close(listener); // nobody listens: connect() gets ECONNREFUSED
          listener = -1;
          listening = false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
        continue;
      }
      if (listener < 0) {
        listener = listen_on(port);
        if (listener < 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds{20});
          continue;
        }
        listening = true;
      }
      pollfd p{listener, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex);
      stats.connections += 1;
      client_fds.insert(fd);
      threads.emplace_back([this, fd] {
        const bool closed = serve_client(fd);
        {
          std::lock_guard inner(mutex);
          client_fds.erase(fd);
        }
        if (!closed) close(fd);
      });
    }
    if (listener >= 0) close(listener);
  }
};

FaultProxy::FaultProxy(ProxyOptions options, FaultChooser chooser)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->chooser = std::move(chooser);
  const int listener = listen_on(0);
  if (listener < 0) throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
  sockaddr_in addr{};
  socklen_t size = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &size);
  port_ = ntohs(addr.sin_port);
  impl_->port = port_;
  impl_->acceptor = std::thread([impl = impl_.get(), listener] { impl->accept_loop(listener); });
}

FaultProxy::~FaultProxy() { stop(); }

void FaultProxy::set_chooser(FaultChooser chooser) {
  std::lock_guard lock(impl_->mutex);
  impl_->chooser = std::move(chooser);
}

void FaultProxy::set_down(bool down) {
  impl_->down = down;
  // Return only once the port really refuses (or listens again), so tests are not racy.
  const auto deadline = Clock::now() + std::chrono::seconds{2};
  while (impl_->listening == down && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
}

ProxyStats FaultProxy::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

void FaultProxy::stop() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  {
    std::lock_guard lock(impl_->mutex);
    for (const int fd : impl_->client_fds)
      shutdown(fd, SHUT_RDWR);
  }
  // No new threads start after the acceptor ended; each ends within one poll interval.
  for (auto& thread : impl_->threads)
    thread.join();
}

FaultChooser seeded_mix(std::uint64_t seed, int fault_percent, std::vector<Fault> faults) {
  auto random = std::make_shared<std::mt19937_64>(seed);
  return [random, fault_percent, faults = std::move(faults)](const RequestInfo&) {
    std::uniform_int_distribution<int> percent(0, 99);
    if (faults.empty() || percent(*random) >= fault_percent) return Fault::none;
    std::uniform_int_distribution<std::size_t> pick(0, faults.size() - 1);
    return faults[pick(*random)];
  };
}

} // namespace muster::test
