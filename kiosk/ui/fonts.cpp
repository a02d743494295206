#include "kiosk/ui/fonts.hpp"

#define GLFW_INCLUDE_GLEXT
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace muster::kiosk::ui {

std::string find_font_file(const std::string& pattern) {
  // The pattern is ours (never user input), so quoting it for the shell is enough.
  const std::string command = "fc-match -f '%{file}' '" + pattern + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  if (!pipe) return {};
  std::string out;
  char buffer[512];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) {
    out.append(buffer, n);
  }
  std::error_code ec;
  if (out.empty() || !std::filesystem::is_regular_file(out, ec)) return {};
  return out;
}

Fonts load_fonts(float screen_height) {
  Fonts fonts;
  auto& io = ImGui::GetIO();
  fonts.regular_file = find_font_file("DejaVu Sans");
  fonts.bold_file = find_font_file("DejaVu Sans:bold");
  if (fonts.bold_file.empty()) fonts.bold_file = fonts.regular_file;
  // Sizes from the screen height: body text ~4.5% of it (36 px on 800 lines), readable at 2 m.
  const float h = std::max(screen_height, 480.0F);
  // Latin, Latin-1 supplement and Latin Extended-A: accented names of officials.
  static const ImWchar kRanges[] = {0x0020, 0x017F, 0x2013, 0x2026, 0};
  // The huge size shows only fixed headings and the clock: ASCII keeps its atlas small.
  static const ImWchar kAscii[] = {0x0020, 0x007E, 0};
  const auto add = [&](const std::string& file, float size, const ImWchar* ranges) -> ImFont* {
    if (!file.empty()) {
      // No horizontal oversampling: at these sizes it only triples the atlas (and the RSS).
      ImFontConfig config;
      config.OversampleH = 1;
      config.OversampleV = 1;
      config.PixelSnapH = true;
      if (ImFont* font = io.Fonts->AddFontFromFileTTF(file.c_str(), size, &config, ranges)) {
        return font;
      }
    }
    ImFontConfig config;
    config.SizePixels = size;
    return io.Fonts->AddFontDefault(&config);
  };
  fonts.body = add(fonts.regular_file, h / 22.0F, kRanges); // first font: ImGui's default
  fonts.small = add(fonts.regular_file, h / 30.0F, kRanges);
  fonts.large = add(fonts.bold_file, h / 12.0F, kRanges);
  fonts.huge = add(fonts.bold_file, h / 7.5F, kAscii);
  return fonts;
}

unsigned int upload_font_atlas(Fonts& fonts) {
  auto& atlas = *ImGui::GetIO().Fonts;
  unsigned char* pixels = nullptr;
  int width = 0;
  int height = 0;
  atlas.GetTexDataAsAlpha8(&pixels, &width, &height);
  if (pixels == nullptr) return 0;
  GLint last_texture = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &last_texture);
  GLuint texture = 0;
  glGenTextures(1, &texture);
  glBindTexture(GL_TEXTURE_2D, texture);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  static const GLint kWhiteWithCoverage[] = {GL_ONE, GL_ONE, GL_ONE, GL_RED};
  glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, kWhiteWithCoverage);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED, GL_UNSIGNED_BYTE, pixels);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(last_texture));
  atlas.SetTexID(reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(texture)));
  fonts.atlas_width = width;
  fonts.atlas_height = height;
  // The glyphs are built and in the texture: the pixels and the TTF files (about 3 MB for the
  // four fonts) are no longer needed. ImGui keeps the glyph tables it draws with.
  atlas.ClearTexData();
  atlas.ClearInputData();
  return texture;
}

} // namespace muster::kiosk::ui
