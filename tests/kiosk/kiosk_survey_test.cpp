// The survey after a leave and the kiosk confirmation of leaves (kiosk/README.md "Survey"):
// KioskApp driven directly, the answers read back from the kiosk store.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kiosk/app/headless.hpp"
#include "kiosk/app/kiosk_app.hpp"
#include "kiosk/app/kiosk_settings.hpp"
#include "shared/badge.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/demo_kiosk.hpp"
#include "tests/support/test_support.hpp"

namespace muster::kiosk {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

using test::at;

std::vector<Scan> scans_of_kind(const KioskStore& store, ScanKind kind) {
  std::vector<Scan> out;
  auto all = store.scans_after("DOOR-1", 0, 100);
  if (!all) throw std::runtime_error(all.message());
  for (auto& scan : *all) {
    if (scan.kind == kind) out.push_back(std::move(scan));
  }
  return out;
}

// The demo event (assets/demo/event.json: S1 in Ballroom A 08:30-10:00 America/Chicago on
// 2026-12-03) with two survey questions; RB-0001 Loretta Haynes is a mayor.
class SurveyTest : public test::DemoKioskTest {
protected:
  void SetUp() override { open_kiosk(true, true); }

  void open_kiosk(bool with_survey, bool confirm_leaves) {
    DemoKioskTest::open_kiosk(
        [with_survey](Event& event) {
          if (!with_survey) return;
          event.survey = {{"useful", "Was this session useful?", {"Yes", "Somewhat", "No"}},
                          {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
        },
        confirm_leaves);
  }

  // RB-0001 arrives at 08:31 and leaves at 09:15, answering "Leaving early?" with yes.
  void arrive_and_leave(milliseconds now = milliseconds{2500}) {
    scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
    scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
    ASSERT_EQ(state().screen, Screen::confirm_leave);
    app_->handle(AnswerLeave{true}, now);
  }

  void press(char32_t c, milliseconds now) {
    // A person's key: the wedge detector hands it on after its quiet gap.
    app_->key(KeyEvent{KeyKind::character, c, now}, now);
    app_->tick(now + milliseconds{500});
  }
};

TEST_F(SurveyTest, ConfirmedLeaveShowsTheSurveyAndCarriesKioskConfirmation) {
  arrive_and_leave();
  EXPECT_EQ(state().screen, Screen::survey);
  EXPECT_EQ(state().survey_question, 0U);
  EXPECT_EQ(state().flash, Flash::success); // the leave's flash stays on the survey
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::left);
  const auto leaves = scans_of_kind(*store_, ScanKind::leave);
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(json::parse(leaves[0].details), json({{"confirmed", "kiosk"}}));
  const auto state_json = json::parse(app_->state_json());
  EXPECT_EQ(state_json["screen"], "survey");
  EXPECT_EQ(state_json["question"], "useful");
  EXPECT_EQ(state_json["session"], "S1");
}

TEST_F(SurveyTest, AnswersAreRecordedAsOneSurveyScan) {
  arrive_and_leave();
  app_->handle(AnswerSurvey{0}, milliseconds{3000});
  EXPECT_EQ(state().screen, Screen::survey);
  EXPECT_EQ(state().survey_question, 1U);
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).empty()); // nothing until the end
  wall_ = at("2026-12-03T09:15:20-06:00");
  app_->handle(AnswerSurvey{1}, milliseconds{4000});
  EXPECT_EQ(state().screen, Screen::attract);
  const auto surveys = scans_of_kind(*store_, ScanKind::survey);
  ASSERT_EQ(surveys.size(), 1U);
  EXPECT_EQ(surveys[0].attendee_id, "RB-0001");
  EXPECT_EQ(surveys[0].session_id, "S1");
  EXPECT_EQ(surveys[0].wall_time, at("2026-12-03T09:15:20-06:00"));
  EXPECT_EQ(json::parse(surveys[0].details),
            json({{"answers", {{"useful", "Yes"}, {"pace", "Right"}}}}));
  // Chained like every scan: the survey follows the leave on this device.
  const auto leaves = scans_of_kind(*store_, ScanKind::leave);
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(surveys[0].sequence, leaves[0].sequence + 1);
  EXPECT_EQ(surveys[0].prev_hash, leaves[0].hash);
  EXPECT_EQ(json::parse(app_->state_json())["survey_message"],
            "Thank you: your answers were saved.");
}

TEST_F(SurveyTest, KeysOneToSixAnswerAndEscapeSkips) {
  arrive_and_leave();
  press(U'3', milliseconds{3000}); // "No"
  EXPECT_EQ(state().survey_question, 1U);
  press(U'9', milliseconds{4000}); // no such choice: nothing happens
  EXPECT_EQ(state().survey_question, 1U);
  press(U'\x1b', milliseconds{5000}); // Esc skips "pace"
  EXPECT_EQ(state().screen, Screen::attract);
  const auto surveys = scans_of_kind(*store_, ScanKind::survey);
  ASSERT_EQ(surveys.size(), 1U);
  EXPECT_EQ(json::parse(surveys[0].details), json({{"answers", {{"useful", "No"}}}}));
}

TEST_F(SurveyTest, SkippingEveryQuestionRecordsNothing) {
  arrive_and_leave();
  app_->handle(SkipSurvey{}, milliseconds{3000});
  EXPECT_EQ(state().screen, Screen::survey);
  app_->handle(SkipSurvey{}, milliseconds{3500});
  EXPECT_EQ(state().screen, Screen::attract);
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).empty());
  EXPECT_EQ(scans_of_kind(*store_, ScanKind::leave).size(), 1U); // the leave stays
}

TEST_F(SurveyTest, TimeoutKeepsTheAnswersSoFar) {
  arrive_and_leave();
  app_->handle(AnswerSurvey{2}, milliseconds{3000});
  app_->tick(milliseconds{3200}); // the leave's flash ends; the survey's timer is next
  EXPECT_EQ(state().flash, Flash::none);
  ASSERT_EQ(app_->next_deadline(), milliseconds{3000 + 20000});
  app_->tick(milliseconds{3000 + 19999});
  EXPECT_EQ(state().screen, Screen::survey);
  app_->tick(milliseconds{3000 + 20000});
  EXPECT_EQ(state().screen, Screen::attract);
  const auto surveys = scans_of_kind(*store_, ScanKind::survey);
  ASSERT_EQ(surveys.size(), 1U);
  EXPECT_EQ(json::parse(surveys[0].details), json({{"answers", {{"useful", "No"}}}}));
}

TEST_F(SurveyTest, TimeoutWithoutAnswersRecordsNothing) {
  arrive_and_leave();
  app_->tick(milliseconds{2500 + 20000});
  EXPECT_EQ(state().screen, Screen::attract);
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).empty());
}

TEST_F(SurveyTest, ScanDuringTheSurveyEndsItAndIsProcessed) {
  arrive_and_leave();
  app_->handle(AnswerSurvey{1}, milliseconds{3000});
  // The next official arrives while the survey still shows.
  scan(badge("RB-0002"), "2026-12-03T09:16:00-06:00", milliseconds{4000});
  EXPECT_EQ(state().screen, Screen::result);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_EQ(state().outcome->attendee_id, "RB-0002");
  const auto surveys = scans_of_kind(*store_, ScanKind::survey);
  ASSERT_EQ(surveys.size(), 1U);
  EXPECT_EQ(surveys[0].attendee_id, "RB-0001");
  EXPECT_EQ(json::parse(surveys[0].details), json({{"answers", {{"useful", "Somewhat"}}}}));
  EXPECT_EQ(scans_of_kind(*store_, ScanKind::arrive).size(), 2U);
}

TEST_F(SurveyTest, WedgeBurstDuringTheSurveyIsAScanNotAnAnswer) {
  arrive_and_leave();
  // A payload typed at scanner speed: its characters (digits among them) must not answer.
  const std::string payload = badge("RB-0002");
  wall_ = at("2026-12-03T09:16:00-06:00");
  auto t = milliseconds{3000};
  for (const char c : payload) {
    app_->key(KeyEvent{KeyKind::character, static_cast<unsigned char>(c), t}, t);
    t += milliseconds{3};
  }
  app_->key(KeyEvent{KeyKind::enter, 0, t}, t);
  ASSERT_TRUE(state().outcome);
  EXPECT_EQ(state().outcome->attendee_id, "RB-0002");
  EXPECT_EQ(state().outcome->result, CheckinResult::arrived);
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).empty());
}

TEST_F(SurveyTest, StaffCornerDuringTheSurveyKeepsTheAnswers) {
  arrive_and_leave();
  app_->handle(AnswerSurvey{0}, milliseconds{3000});
  app_->handle(OpenStaff{}, milliseconds{3100});
  EXPECT_EQ(state().screen, Screen::staff_pin);
  EXPECT_EQ(scans_of_kind(*store_, ScanKind::survey).size(), 1U);
}

TEST_F(SurveyTest, NoSurveyInTheEventMeansTheResultScreen) {
  open_kiosk(false, true);
  arrive_and_leave();
  EXPECT_EQ(state().screen, Screen::result);
  const auto leaves = scans_of_kind(*store_, ScanKind::leave);
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(leaves[0].details, R"({"confirmed":"kiosk"})"); // confirmed all the same
}

TEST_F(SurveyTest, CancelledLeaveHasNoSurvey) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  scan(badge("RB-0001"), "2026-12-03T09:15:00-06:00", milliseconds{2000});
  app_->handle(AnswerLeave{false}, milliseconds{2500});
  EXPECT_EQ(state().screen, Screen::attract);
}

TEST_F(SurveyTest, ArrivalHasNoDetailsAndNoSurvey) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  EXPECT_EQ(state().screen, Screen::result);
  const auto arrivals = scans_of_kind(*store_, ScanKind::arrive);
  ASSERT_EQ(arrivals.size(), 1U);
  EXPECT_EQ(arrivals[0].details, "");
}

TEST_F(SurveyTest, StaffLeaveCorrectionIsNotConfirmed) {
  scan(badge("RB-0001"), "2026-12-03T08:31:00-06:00", milliseconds{1000});
  StaffCorrection correction;
  correction.attendee_id = "RB-0001";
  correction.session_id = "S1";
  correction.kind = Correction::leave;
  correction.effective_time = at("2026-12-03T09:30:00-06:00");
  correction.at = correction.effective_time;
  correction.staff_id = "staff-1";
  correction.reason = "forgot to scan out";
  const auto outcome = checkin_->correct(correction);
  ASSERT_TRUE(outcome.recorded) << outcome.detail;
  EXPECT_EQ(outcome.recorded->details, "");
  EXPECT_EQ(state().screen, Screen::result); // no survey for staff
}

TEST_F(SurveyTest, HeadlessLeaveIsNotConfirmedAndHasNoSurvey) {
  open_kiosk(true, false);
  std::istringstream in("@2026-12-03T08:31:00-06:00 " + badge("RB-0001") + "\n" +
                        "@2026-12-03T09:15:00-06:00 " + badge("RB-0001") + "\n");
  std::ostringstream out;
  EXPECT_EQ(run_headless(*checkin_, in, out, HeadlessOptions{true}), 2U);
  const auto leaves = scans_of_kind(*store_, ScanKind::leave);
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(leaves[0].details, "");
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).empty());
}

TEST_F(SurveyTest, RecordSurveyRefusesAnswersThatAreNotTheEventsChoices) {
  SurveyAnswers answers;
  answers.attendee_id = "RB-0001";
  answers.session_id = "S1";
  answers.at = wall_;
  EXPECT_EQ(checkin_->record_survey(answers).code(), StoreError::invalid); // none
  answers.answers = {{"useful", "Maybe"}};
  EXPECT_EQ(checkin_->record_survey(answers).code(), StoreError::invalid);
  answers.answers = {{"colour", "Yes"}};
  EXPECT_EQ(checkin_->record_survey(answers).code(), StoreError::invalid);
  answers.answers = {{"pace", "Right"}};
  auto recorded = checkin_->record_survey(answers);
  ASSERT_TRUE(recorded) << recorded.message();
  EXPECT_EQ(recorded->details, R"({"answers":{"pace":"Right"}})");
  EXPECT_TRUE(scans_of_kind(*store_, ScanKind::survey).size() == 1U);
}

} // namespace
} // namespace muster::kiosk
