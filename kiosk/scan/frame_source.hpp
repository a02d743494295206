#pragma once
// Where camera frames come from. A V4L2 camera implements FrameSource in the UI program; an
// image file or a directory of images stands in for it in tests and in `muster-kiosk decode`.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kiosk/scan/gray_image.hpp"
#include "kiosk/scan/raw_scan.hpp"
#include "shared/result.hpp"

namespace muster::kiosk {

struct Frame {
  GrayImage image;
  std::string name; // file path, or a camera frame number
};

// One virtual seam per adapter (style.md): a camera and a folder look the same to the decoder.
class FrameSource {
public:
  virtual ~FrameSource() = default;
  // The next frame, or nothing when the source is exhausted (a file source) or closed.
  virtual std::optional<Frame> next() = 0;
};

// Frames from one image file or from every image in a directory (sorted by name; PNG, JPEG,
// BMP, PGM/PPM, TGA). Files that cannot be read are skipped and listed in skipped().
class ImageFileSource final : public FrameSource {
public:
  static Result<ImageFileSource, ImageError> open(const std::filesystem::path& file_or_directory);

  std::optional<Frame> next() override;
  [[nodiscard]] std::size_t size() const { return paths_.size(); }
  [[nodiscard]] const std::vector<std::string>& skipped() const { return skipped_; }

private:
  explicit ImageFileSource(std::vector<std::filesystem::path> paths) : paths_(std::move(paths)) {}
  std::vector<std::filesystem::path> paths_;
  std::size_t next_ = 0;
  std::vector<std::string> skipped_;
};

// A camera sees the same badge in many consecutive frames: that is one scan. A payload is
// emitted when it first appears, and again only after it has been out of view for `absence`
// (held up a second time), whatever is decoded in between.
class FrameScanFilter {
public:
  explicit FrameScanFilter(std::chrono::milliseconds absence = std::chrono::milliseconds{1500})
      : absence_(absence) {}
  // The decoded payload of the frame at monotonic time `at` (nothing: no code in the frame).
  // Returns the payload when it is a new scan.
  std::optional<std::string> observe(const std::optional<std::string>& payload,
                                     std::chrono::milliseconds at);

private:
  struct Seen {
    std::string payload;
    std::chrono::milliseconds last_at;
  };
  std::chrono::milliseconds absence_;
  std::vector<Seen> seen_; // recent payloads; a few at most
};

} // namespace muster::kiosk
