// The survey and the kiosk confirmation end to end: the event's survey travels to a kiosk in the
// event package over the real API; the kiosk's Checkin records a confirmed leave and a survey
// scan; the real sync client pushes them to the real server; the credit form shows both.
#include <gtest/gtest.h>

#include <string>

#include "kiosk/app/checkin.hpp"
#include "sync/server/credit_commands.hpp"
#include "tests/fault/sync_world.hpp"

namespace muster::test {
namespace {

using std::chrono::milliseconds;

TEST(SyncSurvey, ConfirmedLeaveAndSurveyReachTheServerAndTheCreditForm) {
  SyncWorld world;
  ASSERT_NO_FATAL_FAILURE(world.setup(4));
  Event event = world.event();
  event.survey = {{"useful", "Was this session useful?", {"Yes", "Somewhat", "No"}},
                  {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};
  ASSERT_TRUE(world.store().upsert_event(event).ok());

  auto kiosk = world.provision_kiosk("door-a");
  ASSERT_TRUE(kiosk.has_value());
  auto pulled = kiosk->event();
  ASSERT_TRUE(pulled.ok()) << pulled.message();
  EXPECT_EQ(pulled->survey, event.survey); // through the signed package over HTTP

  std::string secret = read_file(world.dir() / "league.key");
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  auto key = parse_signing_key(secret);
  ASSERT_TRUE(key.ok()) << key.message();
  auto payload = sign_badge({SyncWorld::kLeague, "A1", "SER1"}, *key);
  ASSERT_TRUE(payload.ok());

  kiosk::CheckinOptions options;
  options.room = "Hall";
  options.confirm_leaves = true; // the window's behaviour
  auto checkin = kiosk::Checkin::open(*kiosk, options);
  ASSERT_TRUE(checkin.ok()) << checkin.message();
  // S1 runs 15:00-17:00 UTC (09:00-11:00 CST).
  const auto arrived = checkin->accept(
      {*payload, kiosk::ScanSource::wedge, at("2026-03-02T15:01:00Z"), milliseconds{1000}});
  ASSERT_EQ(arrived.result, kiosk::CheckinResult::arrived) << arrived.detail;
  const auto asked = checkin->accept(
      {*payload, kiosk::ScanSource::wedge, at("2026-03-02T16:00:00Z"), milliseconds{2000}});
  ASSERT_EQ(asked.result, kiosk::CheckinResult::confirm_leave) << asked.detail;
  const auto left = checkin->confirm_leave(true);
  ASSERT_EQ(left.result, kiosk::CheckinResult::left) << left.detail;
  kiosk::SurveyAnswers answers;
  answers.attendee_id = "A1";
  answers.session_id = "S1";
  answers.answers = {{"useful", "Somewhat"}, {"pace", "Too fast"}};
  answers.at = at("2026-03-02T16:00:25Z");
  answers.monotonic = milliseconds{2500};
  auto survey = checkin->record_survey(answers);
  ASSERT_TRUE(survey.ok()) << survey.message();

  sync::HttpClient http;
  sync::SyncPassOptions pass;
  pass.measure_clock = false;
  const auto report = sync::run_sync_pass(*kiosk, http, pass, kiosk::package_applier());
  ASSERT_TRUE(report.ok) << (report.error ? report.error->message : "");
  ASSERT_NO_FATAL_FAILURE(world.expect_server_holds_exactly(*kiosk));

  auto remote = world.store().scans_for_device(SyncWorld::device_id(*kiosk));
  ASSERT_TRUE(remote.ok()) << remote.message();
  ASSERT_EQ(remote->size(), 3U);
  EXPECT_EQ((*remote)[1].kind, ScanKind::leave);
  EXPECT_EQ((*remote)[1].details, R"({"confirmed":"kiosk"})");
  EXPECT_EQ((*remote)[2].kind, ScanKind::survey);
  EXPECT_EQ((*remote)[2].details, R"({"answers":{"pace":"Too fast","useful":"Somewhat"}})");

  auto form = server::build_credit_form(world.store(), SyncWorld::kEvent, "A1");
  ASSERT_TRUE(form.ok()) << form.message();
  const std::string csv = server::credit_form_csv(*form);
  // 16:00 UTC is 10:00 CST on 2026-03-02 (before the switch to CDT).
  EXPECT_NE(csv.find(",useful: Somewhat; pace: Too fast,confirmed at kiosk 10:00,"),
            std::string::npos)
      << csv;
}

} // namespace
} // namespace muster::test
