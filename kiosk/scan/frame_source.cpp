#include "kiosk/scan/frame_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace muster::kiosk {

namespace {

bool has_image_extension(const std::filesystem::path& path) {
  static constexpr std::array<std::string_view, 9> kExtensions{
      ".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".pnm", ".tga", ".gif"};
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

} // namespace

Result<ImageFileSource, ImageError> ImageFileSource::open(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return ImageFileSource({path});
  if (!std::filesystem::is_directory(path, ec)) {
    return fail(ImageError::io, path.string() + " is neither an image file nor a directory");
  }
  std::vector<std::filesystem::path> paths;
  for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && has_image_extension(it->path())) paths.push_back(it->path());
  }
  if (ec) return fail(ImageError::io, "cannot list " + path.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  return ImageFileSource(std::move(paths));
}

std::optional<Frame> ImageFileSource::next() {
  while (next_ < paths_.size()) {
    const auto& path = paths_[next_++];
    auto image = load_gray_image(path);
    if (image) return Frame{std::move(*image), path.string()};
    skipped_.push_back(image.message());
  }
  return std::nullopt;
}

std::optional<std::string> FrameScanFilter::observe(const std::optional<std::string>& payload,
                                                    std::chrono::milliseconds at) {
  std::erase_if(seen_, [&](const Seen& seen) { return at - seen.last_at > absence_; });
  if (!payload) return std::nullopt;
  const auto found = std::find_if(seen_.begin(), seen_.end(),
                                  [&](const Seen& seen) { return seen.payload == *payload; });
  if (found != seen_.end()) {
    found->last_at = at;
    return std::nullopt;
  }
  seen_.push_back(Seen{*payload, at});
  return payload;
}

} // namespace muster::kiosk
