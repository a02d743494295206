#pragma once
// What the kiosk's views share: the colours (high contrast on a dark background), the margin,
// centred text and coloured buttons. Only for the views in kiosk/ui/.
#include <imgui.h>

#include <string>

#include "kiosk/app/kiosk_app.hpp"

namespace muster::kiosk::ui {

// High contrast on a dark background; the flash colours fill the whole screen.
inline const ImVec4 kWhite{1.0F, 1.0F, 1.0F, 1.0F};
inline const ImVec4 kDim{0.78F, 0.82F, 0.90F, 1.0F};
inline const ImVec4 kGreen{0.10F, 0.62F, 0.25F, 1.0F};
inline const ImVec4 kRed{0.80F, 0.12F, 0.12F, 1.0F};
inline const ImVec4 kAmber{1.0F, 0.76F, 0.10F, 1.0F};
inline const ImVec4 kGreenText{0.45F, 0.95F, 0.55F, 1.0F};
inline const ImVec4 kRedText{1.0F, 0.55F, 0.50F, 1.0F};

inline constexpr float kMargin = 32.0F;

// The current ImGui window's width.
float width();
// One line centred in the window (never closer than kMargin to the left edge).
void centered(ImFont* font, const std::string& text, const ImVec4& colour);
// Wrapped at `wrap` pixels, the block centred in the window.
void centered_wrapped(ImFont* font, const std::string& text, const ImVec4& colour, float wrap);
// Like centered_wrapped, but a short text is centred on its own width, not the wrap width.
void centered_wrapped_to_text(ImFont* font, const std::string& text, const ImVec4& colour,
                              float wrap);
// A button in `colour`, lighter when hovered and darker when pressed.
bool coloured_button(const char* label, ImVec2 size, const ImVec4& colour);
// "14:05" in the event's time zone.
std::string local_hm(const KioskApp& app, Instant at);

} // namespace muster::kiosk::ui
