#include "kiosk/ui/survey_screen.hpp"

#include <imgui.h>

#include <algorithm>
#include <string>

#include "kiosk/ui/screens.hpp"
#include "kiosk/ui/view_style.hpp"
#include "shared/hours.hpp"

namespace muster::kiosk::ui {

namespace {

const ImVec4 kChoice{0.16F, 0.36F, 0.62F, 1.0F}; // blue: an answer, not a yes/no to leaving
const ImVec4 kSkip{0.30F, 0.33F, 0.40F, 1.0F};

} // namespace

std::optional<Intent> draw_survey(const ViewContext& context) {
  const auto& app = context.app;
  const auto& fonts = context.fonts;
  const auto& state = app.state();
  const auto& survey = app.checkin().event().survey;
  if (state.survey_question >= survey.size()) return std::nullopt;
  const auto& question = survey[state.survey_question];
  const float w = ImGui::GetWindowWidth();
  const float h = ImGui::GetWindowHeight();

  // What was just recorded stays on top, small: the survey is optional, the leave is not.
  ImGui::SetCursorPosY(h * 0.05F);
  if (state.outcome) {
    std::string left =
        "Goodbye, " + state.outcome->display_name + ": left " + state.outcome->local_time;
    if (state.outcome->credit_eligible) {
      left +=
          ", credit " + format_hours(state.outcome->credit_hours, HoursStyle::two_decimals) + " h";
    }
    centered_wrapped_to_text(fonts.body, left, kWhite, w * 0.9F);
  }
  centered_wrapped_to_text(fonts.body,
                           "Question " + std::to_string(state.survey_question + 1) + " of " +
                               std::to_string(survey.size()) + " (optional)",
                           kDim, w * 0.9F);
  ImGui::Dummy(ImVec2{1.0F, 20.0F});
  centered_wrapped_to_text(fonts.large, question.text, kWhite, w * 0.85F);

  // Up to three big buttons a row, numbered like the keys that pick them.
  const std::size_t count = question.choices.size();
  const std::size_t per_row = count <= 3 ? count : (count + 1) / 2;
  const float gap = 24.0F;
  const float bw = std::min(420.0F, (w * 0.9F - gap * static_cast<float>(per_row - 1)) /
                                        static_cast<float>(per_row));
  const ImVec2 size{bw, 130.0F};
  const float top = h * 0.42F;
  std::optional<Intent> intent;
  ImGui::PushFont(fonts.body);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t row = i / per_row;
    const std::size_t col = i % per_row;
    const std::size_t in_row = std::min(per_row, count - row * per_row);
    const float row_width = bw * static_cast<float>(in_row) + gap * static_cast<float>(in_row - 1);
    const float x = (w - row_width) / 2.0F + static_cast<float>(col) * (bw + gap);
    ImGui::SetCursorPos(ImVec2{x, top + static_cast<float>(row) * (size.y + gap)});
    const std::string label =
        std::to_string(i + 1) + "   " + question.choices[i] + "##choice" + std::to_string(i);
    if (coloured_button(label.c_str(), size, kChoice)) intent = AnswerSurvey{i};
  }
  const ImVec2 skip_size{260.0F, 100.0F};
  ImGui::SetCursorPos(ImVec2{w - skip_size.x - 40.0F, h - skip_size.y - 40.0F});
  if (coloured_button("Skip", skip_size, kSkip)) intent = SkipSurvey{};
  ImGui::PopFont();
  ImGui::SetCursorPos(ImVec2{40.0F, h - 80.0F});
  ImGui::PushFont(fonts.small);
  ImGui::PushStyleColor(ImGuiCol_Text, kDim);
  const std::string hint = "Keys 1 to " + std::to_string(count) + " answer, Esc skips";
  ImGui::TextUnformatted(hint.c_str());
  ImGui::PopStyleColor();
  ImGui::PopFont();
  return intent;
}

} // namespace muster::kiosk::ui
