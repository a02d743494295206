#pragma once
// A V4L2 camera as a FrameSource: mmap streaming, YUYV (the luma bytes) or MJPEG (decoded with
// stb_image) to 8-bit gray. Read on the camera thread only; the file descriptor and the mapped
// buffers are released by the destructor.
#include <cstdint>
#include <memory>
#include <string>

#include "kiosk/scan/frame_source.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

enum class CameraError : std::uint8_t {
  cannot_open, // no such device, or no permission (is the kiosk user in group "video"?)
  not_camera,  // not a V4L2 video capture device with streaming I/O
  format,      // neither YUYV nor MJPEG is offered
  streaming,   // buffers could not be mapped or streaming did not start
};

class V4l2Camera final : public FrameSource {
public:
  // Asks for 1280x720 (the driver may pick another size).
  static Result<std::unique_ptr<V4l2Camera>, CameraError> open(const std::string& device);
  ~V4l2Camera() override;
  V4l2Camera(const V4l2Camera&) = delete;
  V4l2Camera& operator=(const V4l2Camera&) = delete;

  // The next frame; a frame with an empty image when none came within 200 ms (so the caller can
  // check for shutdown); nothing when the camera is gone (unplugged, I/O error).
  std::optional<Frame> next() override;

  struct State; // the fd and the mapped buffers (v4l2_camera.cpp)

private:
  explicit V4l2Camera(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

} // namespace muster::kiosk
