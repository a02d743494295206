#include "sync/server/worker_pool.hpp"

#include <algorithm>

namespace muster::server {

namespace {
thread_local WorkerPool* t_pool = nullptr; // the pool whose worker this thread is
} // namespace

WorkerPool::WorkerPool(std::size_t api_workers, std::size_t max_streams)
    : api_workers_(std::max<std::size_t>(1, api_workers)), max_streams_(max_streams) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < api_workers_; ++i)
    spawn();
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::spawn() {
  // Join the threads that retired: they left work() and only have to be reaped.
  for (const auto id : retired_) {
    auto found = std::find_if(threads_.begin(), threads_.end(),
                              [id](const std::thread& t) { return t.get_id() == id; });
    if (found != threads_.end()) {
      found->join();
      threads_.erase(found);
    }
  }
  retired_.clear();
  ++alive_;
  threads_.emplace_back([this] { work(); });
}

void WorkerPool::work() {
  t_pool = this;
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      // More free workers than api_workers (a stream ended on this or another thread): leave.
      if (!shutdown_ && alive_ - streaming_ > api_workers_) {
        --alive_;
        retired_.push_back(std::this_thread::get_id());
        return;
      }
      cond_.wait(lock, [this] { return !jobs_.empty() || shutdown_; });
      if (shutdown_ && jobs_.empty()) {
        --alive_;
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void WorkerPool::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(fn));
  }
  cond_.notify_one();
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
  }
  cond_.notify_all();
  // Spawning stops with shutdown_, so the list no longer grows; a stream's thread ends once its
  // stream does (the LiveHub was shut down before the server stopped).
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
      retired_.clear();
    }
    if (threads.empty()) break;
    for (auto& thread : threads)
      if (thread.joinable()) thread.join();
    threads.clear();
  }
}

std::unique_ptr<WorkerPool::StreamSlot> WorkerPool::claim_stream() {
  WorkerPool* pool = t_pool;
  if (pool == nullptr) return nullptr;
  std::lock_guard lock(pool->mutex_);
  if (pool->shutdown_ || pool->streaming_ >= pool->max_streams_) return nullptr;
  ++pool->streaming_;
  // This thread now belongs to the streams: another takes its place among the API workers.
  if (pool->alive_ - pool->streaming_ < pool->api_workers_) pool->spawn();
  return std::make_unique<StreamSlot>(*pool);
}

WorkerPool::StreamSlot::~StreamSlot() {
  std::lock_guard lock(pool_.mutex_);
  --pool_.streaming_;
  // The surplus worker retires when it next looks for a job (work()).
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mutex_);
  return alive_;
}

std::size_t WorkerPool::streaming() const {
  std::lock_guard lock(mutex_);
  return streaming_;
}

} // namespace muster::server
