#include "kiosk/app/print_queue.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>

namespace muster::kiosk {

PrintQueue::PrintQueue() : worker_([this] { run(); }) {}

PrintQueue::~PrintQueue() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void PrintQueue::submit(std::string command) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(command));
  }
  changed_.notify_all();
}

void PrintQueue::wait_idle() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

int PrintQueue::take_failures() {
  const std::lock_guard lock(mutex_);
  const int failures = failures_;
  failures_ = 0;
  return failures;
}

void PrintQueue::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return; // stopping, and nothing left to print
    const std::string command = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    bool ok = false;
    try {
      ok = std::system(command.c_str()) == 0;
    } catch (const std::exception& error) {
      std::cerr << "muster-kiosk: printing: " << error.what() << '\n';
    }
    lock.lock();
    busy_ = false;
    if (!ok) ++failures_;
    changed_.notify_all();
  }
}

} // namespace muster::kiosk
