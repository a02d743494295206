#include "kiosk/ui/screenshot.hpp"

#define GLFW_INCLUDE_NONE
#include <GL/gl.h>
#include <stb_image_write.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace muster::kiosk::ui {

std::string save_framebuffer_png(const std::filesystem::path& file, int width, int height) {
  if (width <= 0 || height <= 0) return "the window has no pixels";
  const auto w = static_cast<std::size_t>(width);
  const auto h = static_cast<std::size_t>(height);
  std::vector<std::uint8_t> pixels(w * h * 4);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  // OpenGL's rows start at the bottom; PNG's at the top.
  std::vector<std::uint8_t> flipped(pixels.size());
  for (std::size_t y = 0; y < h; ++y) {
    std::memcpy(&flipped[y * w * 4], &pixels[(h - 1 - y) * w * 4], w * 4);
  }
  for (std::size_t i = 3; i < flipped.size(); i += 4)
    flipped[i] = 255; // opaque
  if (stbi_write_png(file.c_str(), width, height, 4, flipped.data(), width * 4) == 0) {
    return "cannot write " + file.string();
  }
  return {};
}

} // namespace muster::kiosk::ui
