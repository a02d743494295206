#include "kiosk/scan/camera.hpp"

#include <exception>
#include <iostream>

#include "kiosk/scan/decoder.hpp"
#include "kiosk/scan/raw_scan.hpp"

namespace muster::kiosk {

namespace {

GrayImage downscale(const GrayImage& image, int max_width) {
  if (image.width <= max_width) return image;
  const int step = (image.width + max_width - 1) / max_width;
  GrayImage out(image.width / step, image.height / step);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x)
      out.at(x, y) = image.at(x * step, y * step);
  }
  return out;
}

} // namespace

CameraWorker::CameraWorker(std::unique_ptr<FrameSource> source, std::function<void()> wake,
                           std::chrono::milliseconds frame_interval)
    : source_(std::move(source)), wake_(std::move(wake)), frame_interval_(frame_interval) {
  // Exceptions are bugs (a driver's, a decoder's): caught at the top of each thread and
  // recorded, so the kiosk stays up (keyboard-wedge scanners still work) instead of an uncaught
  // exception ending the process.
  capture_ = std::thread([this] { guarded("camera", [this] { capture_loop(); }); });
  decode_ = std::thread([this] { guarded("decoder", [this] { decode_loop(); }); });
}

void CameraWorker::guarded(const char* what, const std::function<void()>& loop) {
  std::string error;
  try {
    loop();
    return;
  } catch (const std::exception& e) {
    error = std::string(what) + " stopped: " + e.what();
  } catch (...) {
    error = std::string(what) + " stopped: unknown exception";
  }
  std::cerr << "muster-kiosk: " << error << '\n';
  {
    std::lock_guard lock(mutex_);
    last_error_ = error;
  }
  if (wake_) {
    try {
      wake_();
    } catch (...) {
      // Nothing left to tell: the UI reads last_error() on its next frame.
    }
  }
}

std::string CameraWorker::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

CameraWorker::~CameraWorker() {
  stop_ = true;
  {
    std::lock_guard lock(mutex_);
    wake_decoder_.notify_all();
  }
  if (capture_.joinable()) capture_.join();
  if (decode_.joinable()) decode_.join();
}

void CameraWorker::capture_loop() {
  while (!stop_) {
    auto frame = source_->next();
    if (!frame) break;                  // a file source is exhausted; a camera was closed
    if (frame->image.empty()) continue; // a camera had nothing yet: look at stop_ again
    auto small = downscale(frame->image, 320);
    {
      std::lock_guard lock(mutex_);
      mailbox_ = std::move(frame->image);
      preview_.image = std::move(small);
      ++preview_.serial;
      wake_decoder_.notify_one();
    }
    if (wake_) wake_();
    // Bounded pacing: a stop request is seen within one interval.
    if (frame_interval_.count() > 0) std::this_thread::sleep_for(frame_interval_);
  }
}

void CameraWorker::decode_loop() {
  FrameScanFilter filter;
  while (true) {
    std::optional<GrayImage> frame;
    {
      std::unique_lock lock(mutex_);
      wake_decoder_.wait_for(lock, std::chrono::milliseconds{200},
                             [this] { return stop_.load() || mailbox_.has_value(); });
      if (stop_) return;
      if (!mailbox_) continue;
      frame = std::move(mailbox_);
      mailbox_.reset();
    }
    std::optional<std::string> payload;
    if (auto decoded = decode_frame(frame->view())) payload = std::move(decoded->payload);
    if (auto fresh = filter.observe(payload, monotonic_now())) {
      {
        std::lock_guard lock(mutex_);
        scans_.push_back(std::move(*fresh));
      }
      if (wake_) wake_();
    }
  }
}

std::vector<std::string> CameraWorker::take_scans() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.swap(scans_);
  return out;
}

std::optional<Preview> CameraWorker::preview_after(std::uint64_t serial) {
  std::lock_guard lock(mutex_);
  if (preview_.serial == serial) return std::nullopt;
  return preview_;
}

} // namespace muster::kiosk
