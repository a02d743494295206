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
};

// The file fontconfig picks for a pattern, e.g. "DejaVu Sans:bold"; empty when none.
std::string find_font_file(const std::string& pattern);

// Loads the fonts into the current ImGui context's atlas for a screen `screen_height` px high.
Fonts load_fonts(float screen_height);

} // namespace muster::kiosk::ui
