#pragma once
// What the window shows, as a PNG: glReadPixels of the frame just rendered + stb_image_write.
#include <filesystem>
#include <string>

namespace muster::kiosk::ui {

// Reads the current GL framebuffer (width x height, RGBA) and writes it as PNG.
// Returns an error message, or an empty string on success.
std::string save_framebuffer_png(const std::filesystem::path& file, int width, int height);

} // namespace muster::kiosk::ui
