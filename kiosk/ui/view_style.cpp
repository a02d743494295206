#include "kiosk/ui/view_style.hpp"

#include <algorithm>

#include "shared/time.hpp"

namespace muster::kiosk::ui {

float width() { return ImGui::GetWindowWidth(); }

void centered(ImFont* font, const std::string& text, const ImVec4& colour) {
  ImGui::PushFont(font);
  const float w = ImGui::CalcTextSize(text.c_str()).x;
  ImGui::SetCursorPosX(std::max(kMargin, (width() - w) / 2.0F));
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopStyleColor();
  ImGui::PopFont();
}

namespace {

// `text` wrapped at `wrap` pixels from `x`, in the font already pushed.
void wrapped_from(float x, const std::string& text, const ImVec4& colour, float wrap) {
  ImGui::SetCursorPosX(x);
  ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + wrap);
  ImGui::TextUnformatted(text.c_str());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

} // namespace

void centered_wrapped(ImFont* font, const std::string& text, const ImVec4& colour, float wrap) {
  ImGui::PushFont(font);
  wrapped_from((width() - wrap) / 2.0F, text, colour, wrap);
  ImGui::PopFont();
}

void centered_wrapped_to_text(ImFont* font, const std::string& text, const ImVec4& colour,
                              float wrap) {
  ImGui::PushFont(font);
  const float w = std::min(wrap, ImGui::CalcTextSize(text.c_str()).x);
  wrapped_from(std::max(kMargin, (width() - w) / 2.0F), text, colour, wrap);
  ImGui::PopFont();
}

bool coloured_button(const char* label, ImVec2 size, const ImVec4& colour) {
  ImGui::PushStyleColor(ImGuiCol_Button, colour);
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered,
                        ImVec4{colour.x * 1.15F, colour.y * 1.15F, colour.z * 1.15F, 1.0F});
  ImGui::PushStyleColor(ImGuiCol_ButtonActive,
                        ImVec4{colour.x * 0.8F, colour.y * 0.8F, colour.z * 0.8F, 1.0F});
  const bool pressed = ImGui::Button(label, size);
  ImGui::PopStyleColor(3);
  return pressed;
}

std::string local_hm(const KioskApp& app, Instant at) {
  return format_local(at, app.checkin().event().timezone, "%H:%M");
}

} // namespace muster::kiosk::ui
