// The event's optional survey (docs/formats.md "survey"): every import rule, and the round trips
// through the event package and the kiosk store (the server store's is in
// tests/integration/server_store_test.cpp, on both backends).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <string>

#include "shared/event_package.hpp"
#include "shared/import.hpp"
#include "shared/kiosk_store.hpp"
#include "shared/time.hpp"
#include "tests/support/test_support.hpp"

namespace muster {
namespace {

using nlohmann::json;

json event_with_survey() {
  return json::parse(R"({
    "id": "ev-1", "name": "Winter Training", "timezone": "America/Chicago",
    "sessions": [
      {"id": "S1", "title": "Ethics", "room": "A", "start": "2026-12-03T08:30:00-06:00",
       "end": "2026-12-03T10:00:00-06:00", "credit_hours": 1.5}
    ],
    "survey": [
      {"id": "useful", "text": "Was this session useful?", "choices": ["Yes", "Somewhat", "No"]},
      {"id": "pace", "text": "How was the pace?", "choices": ["Too slow", "Right", "Too fast"]}
    ]})");
}

const std::vector<SurveyQuestion> kSurvey{
    {"useful", "Was this session useful?", {"Yes", "Somewhat", "No"}},
    {"pace", "How was the pace?", {"Too slow", "Right", "Too fast"}}};

TEST(Survey, ParsesInOrder) {
  const auto event = parse_event_json(event_with_survey().dump());
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(event->survey, kSurvey);
}

TEST(Survey, IsOptionalAndNullOrEmptyMeanNone) {
  json doc = event_with_survey();
  doc.erase("survey");
  auto none = parse_event_json(doc.dump());
  ASSERT_TRUE(none.ok()) << none.message();
  EXPECT_TRUE(none->survey.empty());
  doc["survey"] = nullptr;
  EXPECT_TRUE(parse_event_json(doc.dump())->survey.empty());
  doc["survey"] = json::array();
  EXPECT_TRUE(parse_event_json(doc.dump())->survey.empty());
}

TEST(Survey, LimitsAreInclusive) {
  json doc = event_with_survey();
  json questions = json::array();
  for (std::size_t i = 0; i < kMaxSurveyQuestions; ++i) {
    questions.push_back({{"id", "q" + std::to_string(i)},
                         {"text", std::string(kMaxSurveyTextChars, 'x')},
                         {"choices", {"A", "B", "C", "D", "E", std::string(60, 'F')}}});
  }
  doc["survey"] = questions;
  const auto event = parse_event_json(doc.dump());
  ASSERT_TRUE(event.ok()) << event.message();
  EXPECT_EQ(event->survey.size(), 10U);
  EXPECT_EQ(event->survey[9].choices.size(), 6U);
  // 200 characters, not bytes: 200 accented letters are 400 bytes and still fit.
  std::string accented;
  for (int i = 0; i < 200; ++i)
    accented += "\xC3\xA9";
  doc["survey"] = json::array({{{"id", "q"}, {"text", accented}, {"choices", {"Oui", "Non"}}}});
  const auto french = parse_event_json(doc.dump());
  ASSERT_TRUE(french.ok()) << french.message();
  EXPECT_EQ(french->survey[0].text, accented);
}

struct BadSurvey {
  const char* name;
  std::function<void(json&)> mutate;
  ImportErrc kind;
  std::string path;
  std::string message_part;
};

void PrintTo(const BadSurvey& bad, std::ostream* out) { *out << bad.name; }

class SurveyBadField : public ::testing::TestWithParam<BadSurvey> {};

TEST_P(SurveyBadField, FailsNamingTheJsonPath) {
  json doc = event_with_survey();
  GetParam().mutate(doc);
  const auto event = parse_event_json(doc.dump(2));
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.code().kind, GetParam().kind);
  EXPECT_EQ(event.code().field, GetParam().path);
  EXPECT_EQ(event.message().rfind("event.json: " + GetParam().path + ": ", 0), 0U)
      << event.message();
  EXPECT_NE(event.message().find(GetParam().message_part), std::string::npos) << event.message();
}

json many_questions(std::size_t count) {
  json list = json::array();
  for (std::size_t i = 0; i < count; ++i) {
    list.push_back({{"id", "q" + std::to_string(i)}, {"text", "Q?"}, {"choices", {"A", "B"}}});
  }
  return list;
}

INSTANTIATE_TEST_SUITE_P(
    Survey, SurveyBadField,
    ::testing::Values(
        BadSurvey{"NotAnArray", [](json& d) { d["survey"] = json::object(); }, ImportErrc::field,
                  "survey", "must be an array"},
        BadSurvey{"TooManyQuestions", [](json& d) { d["survey"] = many_questions(11); },
                  ImportErrc::field, "survey", "has 11 questions; at most 10"},
        BadSurvey{"QuestionNotObject", [](json& d) { d["survey"][1] = "pace"; }, ImportErrc::field,
                  "survey[1]", "must be an object"},
        BadSurvey{"UnknownQuestionField", [](json& d) { d["survey"][0]["choice"] = "Yes"; },
                  ImportErrc::field, "survey[0].choice", "unknown field"},
        BadSurvey{"MissingId", [](json& d) { d["survey"][0].erase("id"); }, ImportErrc::field,
                  "survey[0].id", "missing (required)"},
        BadSurvey{"IdWithSpace", [](json& d) { d["survey"][0]["id"] = "is useful"; },
                  ImportErrc::field, "survey[0].id", "may only use"},
        BadSurvey{"IdTooLong", [](json& d) { d["survey"][0]["id"] = std::string(65, 'q'); },
                  ImportErrc::field, "survey[0].id", "may only use"},
        BadSurvey{"DuplicateIdIgnoringCase", [](json& d) { d["survey"][1]["id"] = "Useful"; },
                  ImportErrc::duplicate, "survey[1].id", "already the id of survey[0]"},
        BadSurvey{"MissingText", [](json& d) { d["survey"][1].erase("text"); }, ImportErrc::field,
                  "survey[1].text", "missing (required)"},
        BadSurvey{"EmptyText", [](json& d) { d["survey"][1]["text"] = "  "; }, ImportErrc::field,
                  "survey[1].text", "must not be empty"},
        BadSurvey{"TextNotString", [](json& d) { d["survey"][1]["text"] = 3; }, ImportErrc::field,
                  "survey[1].text", "must be a string, not a number"},
        BadSurvey{"TextTooLong", [](json& d) { d["survey"][0]["text"] = std::string(201, 'x'); },
                  ImportErrc::field, "survey[0].text", "longer than 200 characters"},
        BadSurvey{"TextWithLineBreak", [](json& d) { d["survey"][0]["text"] = "Useful?\nReally?"; },
                  ImportErrc::field, "survey[0].text", "contains"},
        BadSurvey{"MissingChoices", [](json& d) { d["survey"][0].erase("choices"); },
                  ImportErrc::field, "survey[0].choices", "missing (required)"},
        BadSurvey{"ChoicesNotArray", [](json& d) { d["survey"][0]["choices"] = "Yes/No"; },
                  ImportErrc::field, "survey[0].choices", "must be an array"},
        BadSurvey{"OneChoice", [](json& d) { d["survey"][0]["choices"] = {"Yes"}; },
                  ImportErrc::field, "survey[0].choices", "has 1 choices; a question needs 2 to 6"},
        BadSurvey{"SevenChoices",
                  [](json& d) { d["survey"][0]["choices"] = {"1", "2", "3", "4", "5", "6", "7"}; },
                  ImportErrc::field, "survey[0].choices", "has 7 choices"},
        BadSurvey{"EmptyChoice", [](json& d) { d["survey"][0]["choices"][2] = ""; },
                  ImportErrc::field, "survey[0].choices[2]", "must not be empty"},
        BadSurvey{"ChoiceNotString", [](json& d) { d["survey"][0]["choices"][1] = 5; },
                  ImportErrc::field, "survey[0].choices[1]", "must be a string"},
        BadSurvey{"ChoiceTooLong",
                  [](json& d) { d["survey"][0]["choices"][1] = std::string(61, 'x'); },
                  ImportErrc::field, "survey[0].choices[1]", "longer than 60 characters"},
        BadSurvey{"RepeatedChoice", [](json& d) { d["survey"][0]["choices"][2] = "Yes"; },
                  ImportErrc::duplicate, "survey[0].choices[2]", "'Yes' is already choice 0"}),
    [](const ::testing::TestParamInfo<BadSurvey>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(Survey, JsonTextRoundTripsAndIsCheckedOnRead) {
  const std::string text = survey_to_json(kSurvey);
  EXPECT_EQ(json::parse(text)[1]["choices"][1], "Right");
  auto back = parse_survey_json(text);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, kSurvey);
  EXPECT_EQ(survey_to_json({}), "[]");
  EXPECT_TRUE(parse_survey_json("")->empty());
  EXPECT_TRUE(parse_survey_json("[]")->empty());
  EXPECT_FALSE(parse_survey_json("[{").ok());
  const auto bad = parse_survey_json(R"([{"id":"a","text":"T","choices":["x"]}])", "stored");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code().field, "survey[0].choices");
}

TEST(Survey, TravelsInTheSignedEventPackage) {
  std::array<std::uint8_t, kSeedBytes> seed{};
  seed.fill(7);
  auto key = SigningKey::from_seed("LK-1", seed);
  ASSERT_TRUE(key.ok());
  EventPackage package;
  package.league_id = "DEMO";
  package.generated_at = *parse_iso8601("2026-12-01T12:00:00Z");
  package.event = *parse_event_json(event_with_survey().dump());
  package.league_keys = {key->public_key()};
  const std::string signed_text = sign_package(package, *key);
  const auto opened = open_package(signed_text, {key->public_key()});
  ASSERT_TRUE(opened.ok()) << opened.message();
  ASSERT_TRUE(opened->event.has_value());
  EXPECT_EQ(opened->event->survey, kSurvey);

  // Without a survey the package has no "survey" key at all (older kiosks refuse unknown keys).
  package.event->survey.clear();
  const std::string plain = sign_package(package, *key);
  EXPECT_EQ(plain.find("\"survey\""), std::string::npos);
  const auto reopened = open_package(plain, {key->public_key()});
  ASSERT_TRUE(reopened.ok()) << reopened.message();
  EXPECT_TRUE(reopened->event->survey.empty());
}

TEST(Survey, KioskStoreKeepsItAcrossReopen) {
  test::TempDir dir;
  const auto path = dir / "kiosk.db";
  Event event = *parse_event_json(event_with_survey().dump());
  {
    auto store = KioskStore::open(path);
    ASSERT_TRUE(store.ok()) << store.message();
    ASSERT_TRUE(store->replace_event(event).ok());
    EXPECT_EQ(store->event()->survey, kSurvey);
  }
  auto store = KioskStore::open(path);
  ASSERT_TRUE(store.ok()) << store.message();
  EXPECT_EQ(store->event()->survey, kSurvey);
  event.survey.clear();
  ASSERT_TRUE(store->replace_event(event).ok());
  EXPECT_TRUE(store->event()->survey.empty());
}

} // namespace
} // namespace muster
