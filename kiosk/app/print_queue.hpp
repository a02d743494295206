#pragma once
// Printing off the UI thread (a reprint ran `lp` on the UI thread and the window froze
// while the print system answered). One worker thread runs queued print commands in order.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace muster::kiosk {

class PrintQueue {
public:
  PrintQueue();
  // Finishes the queued jobs (a reprint handed over is printed), then stops.
  ~PrintQueue();
  PrintQueue(const PrintQueue&) = delete;
  PrintQueue& operator=(const PrintQueue&) = delete;

  // Queues a shell command line (already quoted); returns at once.
  void submit(std::string command);
  // Blocks until every queued job has run (tests, headless runs).
  void wait_idle();
  // Jobs that failed (non-zero exit) since the last call, for the staff screen.
  [[nodiscard]] int take_failures();

private:
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  int failures_ = 0;
  std::thread worker_;
};

} // namespace muster::kiosk
