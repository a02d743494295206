#pragma once
// The kiosk's type: a real TTF found at run time with fontconfig (fc-match), loaded into
// Dear ImGui at sizes readable from two metres, scaled to the screen height.
#include <string>

struct ImFont;

namespace muster::kiosk::ui {

struct Fonts {
  ImFont* small = nullptr;  // staff lists
  ImFont* body = nullptr;   // sentences, buttons
  ImFont* large = nullptr;  // names, headings
  ImFont* huge = nullptr;   // "Scan your badge", the clock
  std::string regular_file; // what fc-match found (empty: ImGui's built-in font)
  std::string bold_file;
  int atlas_width = 0; // the built atlas, uploaded as one byte a texel (upload_font_atlas)
  int atlas_height = 0;
};

// The file fontconfig picks for a pattern, e.g. "DejaVu Sans:bold"; empty when none.
std::string find_font_file(const std::string& pattern);

// Loads the fonts into the current ImGui context's atlas for a screen `screen_height` px high.
Fonts load_fonts(float screen_height);

// Uploads the current context's atlas as a one-channel OpenGL texture (the GL 3.3 swizzle
// returns white with the glyph's coverage as alpha, which is what ImGui's RGBA texture held),
// hands its id to ImGui and frees the atlas's CPU pixels and TTF data. The backend's own RGBA
// upload takes four bytes a texel in the driver (8 MB for a 2048x1024 atlas, issue 19) and
// keeps the pixels until told. Returns the texture (0 when it could not be made); the caller
// deletes it while the context is current. Call after ImGui_ImplOpenGL3_CreateDeviceObjects.
unsigned int upload_font_atlas(Fonts& fonts);

} // namespace muster::kiosk::ui
