#pragma once
// The camera path: frames are captured on one thread and decoded on another, so the UI thread
// never waits for a camera or for ZXing. Captured frames go to the decoder through a one-slot
// mailbox (a slow decode drops frames rather than queueing them); new payloads (one scan per
// badge held up, FrameScanFilter) and a small preview wait in a queue for the UI thread, which
// is woken with `wake` (glfwPostEmptyEvent).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kiosk/scan/frame_source.hpp"
#include "kiosk/scan/gray_image.hpp"

namespace muster::kiosk {

struct Preview {
  GrayImage image;          // downscaled to <= 320 px wide
  std::uint64_t serial = 0; // changes with each new preview
};

class CameraWorker {
public:
  // `source` is read on the capture thread only. `frame_interval` paces file sources (a V4L2
  // camera paces itself).
  CameraWorker(std::unique_ptr<FrameSource> source, std::function<void()> wake,
               std::chrono::milliseconds frame_interval = std::chrono::milliseconds{100});
  ~CameraWorker();
  CameraWorker(const CameraWorker&) = delete;
  CameraWorker& operator=(const CameraWorker&) = delete;

  // New payloads since the last call (UI thread).
  std::vector<std::string> take_scans();
  // The latest preview if it changed since `serial`.
  std::optional<Preview> preview_after(std::uint64_t serial);
  // Why the camera or decoder thread stopped ("" while they run): shown in staff mode.
  [[nodiscard]] std::string last_error() const;

private:
  void capture_loop();
  void decode_loop();
  void guarded(const char* what, const std::function<void()>& loop);

  std::unique_ptr<FrameSource> source_;
  std::function<void()> wake_;
  std::chrono::milliseconds frame_interval_;
  std::atomic<bool> stop_{false};

  mutable std::mutex mutex_; // guards everything below; never held while decoding or capturing
  std::string last_error_;
  std::optional<GrayImage> mailbox_;
  std::vector<std::string> scans_;
  Preview preview_;
  std::condition_variable wake_decoder_;

  std::thread capture_;
  std::thread decode_;
};

} // namespace muster::kiosk
