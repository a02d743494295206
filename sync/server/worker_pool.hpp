#pragma once
// The HTTP server's task queue (httplib::TaskQueue): `api_workers` threads serve requests, and a
// live page's stream moves its thread into a separate, bounded budget of stream threads.
//
// Why threads for streams at all: Debian 12's cpp-httplib 0.11.4 writes a chunked answer (the
// Server-Sent Events of a live page) from inside the worker that read the request, calling the
// content provider in a loop until it ends; it offers no way to hand the connection (or its
// TLS state) to another loop. So an open page holds a thread. This pool keeps that from
// starving the API: when a handler starts a stream it claims a stream slot, and the pool starts
// another worker so that `api_workers` stay free for kiosks and pages. Stream threads only
// sleep on the LiveHub's condition variable (live_hub.hpp); when a stream ends its thread
// serves the rest of its connection and retires. docs/console.md, "Live updates".
#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace muster::server {

class WorkerPool final : public httplib::TaskQueue {
public:
  WorkerPool(std::size_t api_workers, std::size_t max_streams);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // Held for as long as a stream runs on the calling worker thread.
  class StreamSlot {
  public:
    explicit StreamSlot(WorkerPool& pool) : pool_(pool) {}
    StreamSlot(const StreamSlot&) = delete;
    StreamSlot& operator=(const StreamSlot&) = delete;
    ~StreamSlot();

  private:
    WorkerPool& pool_;
  };
  // A slot for a stream about to run on this thread, or nullptr when max_streams are running or
  // the caller is not one of a WorkerPool's threads (then the caller answers 503).
  static std::unique_ptr<StreamSlot> claim_stream();

  [[nodiscard]] std::size_t threads() const;   // running worker threads
  [[nodiscard]] std::size_t streaming() const; // of which holding a stream

private:
  void spawn(); // with mutex_ held
  void work();

  const std::size_t api_workers_;
  const std::size_t max_streams_;
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::list<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> retired_; // exited (or exiting) threads, joined at the next spawn
  std::size_t alive_ = 0;
  std::size_t streaming_ = 0;
  bool shutdown_ = false;
};

} // namespace muster::server
