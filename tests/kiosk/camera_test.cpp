// The camera worker's threads (no window needed): an exception in the frame source or the
// decoder is recorded and the process goes on (it ended the kiosk).
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "kiosk/scan/camera.hpp"

namespace muster::kiosk {
namespace {

class ThrowingSource final : public FrameSource {
public:
  std::optional<Frame> next() override {
    if (++calls_ > 2) throw std::runtime_error("the camera driver failed");
    Frame frame;
    frame.image = GrayImage(8, 8);
    return frame;
  }

private:
  int calls_ = 0;
};

TEST(CameraWorker, AnExceptionInTheCaptureThreadIsRecordedNotFatal) {
  using namespace std::chrono_literals;
  std::atomic<int> wakes{0};
  {
    CameraWorker worker(
        std::make_unique<ThrowingSource>(), [&wakes] { ++wakes; }, 1ms);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (worker.last_error().empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_NE(worker.last_error().find("the camera driver failed"), std::string::npos)
        << worker.last_error();
    EXPECT_TRUE(worker.take_scans().empty());
  } // joins both threads
  EXPECT_GE(wakes.load(), 1);
}

} // namespace
} // namespace muster::kiosk
