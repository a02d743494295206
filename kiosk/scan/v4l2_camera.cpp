#include "kiosk/scan/v4l2_camera.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stb_image.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace muster::kiosk {

struct V4l2Camera::State {
  struct Buffer {
    void* start = MAP_FAILED;
    std::size_t length = 0;
  };
  int fd = -1;
  std::uint32_t pixel_format = 0;
  int width = 0;
  int height = 0;
  std::uint32_t bytes_per_line = 0;
  std::vector<Buffer> buffers;
  bool streaming = false;
  std::uint64_t frames = 0;

  ~State() {
    if (streaming) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      ioctl(fd, VIDIOC_STREAMOFF, &type);
    }
    for (auto& buffer : buffers) {
      if (buffer.start != MAP_FAILED) munmap(buffer.start, buffer.length);
    }
    if (fd >= 0) close(fd);
  }
};

namespace {

int xioctl(int fd, unsigned long request, void* arg) {
  int result = 0;
  do {
    result = ioctl(fd, request, arg);
  } while (result == -1 && errno == EINTR);
  return result;
}

GrayImage from_yuyv(const std::uint8_t* data, std::size_t size, int width, int height,
                    std::uint32_t bytes_per_line) {
  GrayImage image(width, height);
  for (int y = 0; y < height; ++y) {
    const std::size_t row = static_cast<std::size_t>(y) * bytes_per_line;
    for (int x = 0; x < width; ++x) {
      const std::size_t at = row + static_cast<std::size_t>(x) * 2; // Y0 U Y1 V: luma first
      image.at(x, y) = at < size ? data[at] : 0;
    }
  }
  return image;
}

GrayImage from_mjpeg(const std::uint8_t* data, std::size_t size) {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::unique_ptr<unsigned char, decltype(&stbi_image_free)> pixels(
      stbi_load_from_memory(data, static_cast<int>(size), &width, &height, &channels, 1),
      &stbi_image_free);
  if (!pixels) return {};
  GrayImage image(width, height);
  std::memcpy(image.pixels.data(), pixels.get(), image.pixels.size());
  return image;
}

} // namespace

V4l2Camera::V4l2Camera(std::unique_ptr<State> state) : state_(std::move(state)) {}
V4l2Camera::~V4l2Camera() = default;

Result<std::unique_ptr<V4l2Camera>, CameraError> V4l2Camera::open(const std::string& device) {
  auto state = std::make_unique<State>();
  state->fd = ::open(device.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (state->fd < 0) {
    return fail(CameraError::cannot_open, "cannot open " + device + ": " + std::strerror(errno));
  }
  v4l2_capability caps{};
  if (xioctl(state->fd, VIDIOC_QUERYCAP, &caps) != 0 ||
      (caps.capabilities & V4L2_CAP_VIDEO_CAPTURE) == 0 ||
      (caps.capabilities & V4L2_CAP_STREAMING) == 0) {
    return fail(CameraError::not_camera, device + " is not a V4L2 camera with streaming I/O");
  }
  bool formatted = false;
  for (const std::uint32_t wanted : {V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_MJPEG}) {
    v4l2_format format{};
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    format.fmt.pix.width = 1280;
    format.fmt.pix.height = 720;
    format.fmt.pix.pixelformat = wanted;
    format.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(state->fd, VIDIOC_S_FMT, &format) == 0 && format.fmt.pix.pixelformat == wanted) {
      state->pixel_format = wanted;
      state->width = static_cast<int>(format.fmt.pix.width);
      state->height = static_cast<int>(format.fmt.pix.height);
      state->bytes_per_line =
          format.fmt.pix.bytesperline != 0 ? format.fmt.pix.bytesperline : format.fmt.pix.width * 2;
      formatted = true;
      break;
    }
  }
  if (!formatted) return fail(CameraError::format, device + " offers neither YUYV nor MJPEG");

  v4l2_requestbuffers request{};
  request.count = 4;
  request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  request.memory = V4L2_MEMORY_MMAP;
  if (xioctl(state->fd, VIDIOC_REQBUFS, &request) != 0 || request.count < 2) {
    return fail(CameraError::streaming, device + ": cannot get capture buffers");
  }
  for (std::uint32_t i = 0; i < request.count; ++i) {
    v4l2_buffer buffer{};
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    buffer.index = i;
    if (xioctl(state->fd, VIDIOC_QUERYBUF, &buffer) != 0) {
      return fail(CameraError::streaming, device + ": cannot query a capture buffer");
    }
    State::Buffer mapped;
    mapped.length = buffer.length;
    mapped.start = mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, state->fd,
                        static_cast<off_t>(buffer.m.offset));
    state->buffers.push_back(mapped);
    if (mapped.start == MAP_FAILED || xioctl(state->fd, VIDIOC_QBUF, &buffer) != 0) {
      return fail(CameraError::streaming, device + ": cannot map a capture buffer");
    }
  }
  v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (xioctl(state->fd, VIDIOC_STREAMON, &type) != 0) {
    return fail(CameraError::streaming, device + ": cannot start streaming");
  }
  state->streaming = true;
  return std::unique_ptr<V4l2Camera>(new V4l2Camera(std::move(state)));
}

std::optional<Frame> V4l2Camera::next() {
  pollfd waiting{state_->fd, POLLIN, 0};
  const int ready = ::poll(&waiting, 1, 200);
  if (ready < 0 && errno != EINTR) return std::nullopt;
  if (ready <= 0) return Frame{}; // nothing yet: let the caller look up
  if ((waiting.revents & (POLLERR | POLLHUP)) != 0) return std::nullopt;
  v4l2_buffer buffer{};
  buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  buffer.memory = V4L2_MEMORY_MMAP;
  if (xioctl(state_->fd, VIDIOC_DQBUF, &buffer) != 0) {
    if (errno == EAGAIN) return Frame{};
    return std::nullopt;
  }
  Frame frame;
  if (buffer.index < state_->buffers.size()) {
    const auto* data = static_cast<const std::uint8_t*>(state_->buffers[buffer.index].start);
    const std::size_t size =
        std::min<std::size_t>(buffer.bytesused, state_->buffers[buffer.index].length);
    frame.image = state_->pixel_format == V4L2_PIX_FMT_YUYV
                      ? from_yuyv(data, size, state_->width, state_->height, state_->bytes_per_line)
                      : from_mjpeg(data, size);
  }
  frame.name = "camera frame " + std::to_string(++state_->frames);
  if (xioctl(state_->fd, VIDIOC_QBUF, &buffer) != 0) return std::nullopt;
  return frame;
}

} // namespace muster::kiosk
