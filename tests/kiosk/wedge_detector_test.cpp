#include "kiosk/scan/wedge_detector.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace muster::kiosk {
namespace {

using std::chrono::milliseconds;

// A timed key script: text typed with a fixed gap, then an optional suffix key after `gap`.
struct Step {
  char32_t character = 0; // 0 with kind enter/tab
  KeyKind kind = KeyKind::character;
  int at_ms = 0;
};

std::vector<Step> typed(const std::string& text, int start_ms, int gap_ms) {
  std::vector<Step> steps;
  int t = start_ms;
  for (const char c : text) {
    steps.push_back({static_cast<char32_t>(c), KeyKind::character, t});
    t += gap_ms;
  }
  return steps;
}

std::vector<Step> then(std::vector<Step> steps, KeyKind kind, int at_ms) {
  steps.push_back({0, kind, at_ms});
  return steps;
}

struct Collected {
  std::vector<std::string> bursts;
  std::string typed_text; // characters typed by a person; '\n' for Enter, '\t' for Tab
};

void collect(const WedgeOutput& out, Collected& into) {
  for (const auto& burst : out.bursts)
    into.bursts.push_back(burst);
  for (const auto& key : out.typed) {
    if (key.kind == KeyKind::enter)
      into.typed_text += '\n';
    else if (key.kind == KeyKind::tab)
      into.typed_text += '\t';
    else
      into.typed_text += static_cast<char>(key.character);
  }
}

// Feeds the script, then polls at poll_ms (and once more far later, unless disabled).
Collected run(const std::vector<Step>& steps, int poll_ms, bool final_poll = true) {
  WedgeDetector detector;
  Collected result;
  for (const auto& step : steps) {
    collect(detector.feed({step.kind, step.character, milliseconds{step.at_ms}}), result);
  }
  collect(detector.poll(milliseconds{poll_ms}), result);
  if (final_poll) collect(detector.poll(milliseconds{poll_ms + 10'000}), result);
  return result;
}

const std::string kPayload = "MU1.LEAGUE.RB-0001.RB-0001-1.LK1.ABCDEFGHIJ234567";

struct WedgeCase {
  const char* name;
  std::vector<Step> steps;
  int poll_ms;
  std::vector<std::string> bursts;
  std::string typed_text;
};

class WedgeTable : public ::testing::TestWithParam<WedgeCase> {};

TEST_P(WedgeTable, SplitsBurstsFromTyping) {
  const auto& c = GetParam();
  const auto result = run(c.steps, c.poll_ms);
  EXPECT_EQ(result.bursts, c.bursts);
  EXPECT_EQ(result.typed_text, c.typed_text);
}

std::vector<WedgeCase> cases() {
  const int n = static_cast<int>(kPayload.size());
  std::vector<WedgeCase> table;
  table.push_back({"ScannerWithEnter",
                   then(typed(kPayload, 0, 4), KeyKind::enter, 4 * n),
                   4 * n + 1,
                   {kPayload},
                   ""});
  table.push_back({"ScannerWithTab",
                   then(typed(kPayload, 0, 8), KeyKind::tab, 8 * n),
                   8 * n + 1,
                   {kPayload},
                   ""});
  table.push_back(
      {"ScannerWithoutSuffixEndsOnQuietGap", typed(kPayload, 0, 10), 10 * n + 100, {kPayload}, ""});
  table.push_back({"PersonTypingIsReleasedWithEnter",
                   then(typed("hello", 0, 150), KeyKind::enter, 900),
                   1000,
                   {},
                   "hello\n"});
  table.push_back({"FastKeyRolloverIsStillAPerson", typed("ab", 0, 5), 500, {}, "ab"});
  table.push_back({"FastRunBelowMinimumWithEnterIsAPerson",
                   then(typed("1234", 0, 5), KeyKind::enter, 20),
                   500,
                   {},
                   "1234\n"});
  {
    // A USB hiccup of 70 ms in the middle of a long burst does not split it.
    auto steps = typed(kPayload.substr(0, 20), 0, 5);
    auto rest = typed(kPayload.substr(20), 95 + 70, 5);
    steps.insert(steps.end(), rest.begin(), rest.end());
    const int end = 165 + 5 * static_cast<int>(kPayload.size() - 20);
    table.push_back({"HiccupInsideABurstKeepsOneBurst",
                     then(steps, KeyKind::enter, end),
                     end + 1,
                     {kPayload},
                     ""});
  }
  {
    // A person types, pauses, then a badge is scanned: both come out, each in its place.
    auto steps = typed("abc", 0, 200);
    auto scan = typed(kPayload, 1000, 3);
    steps.insert(steps.end(), scan.begin(), scan.end());
    const int end = 1000 + 3 * n;
    table.push_back(
        {"TypingThenScan", then(steps, KeyKind::enter, end), end + 1, {kPayload}, "abc"});
  }
  {
    auto steps = then(typed(kPayload, 0, 3), KeyKind::enter, 3 * n);
    auto second =
        then(typed("SECOND-BADGE-PAYLOAD", 3 * n + 300, 3), KeyKind::enter, 3 * n + 300 + 60);
    steps.insert(steps.end(), second.begin(), second.end());
    table.push_back(
        {"TwoScansBackToBack", steps, 3 * n + 1000, {kPayload, "SECOND-BADGE-PAYLOAD"}, ""});
  }
  table.push_back(
      {"SlowStartBeforeMinimumIsTyping", typed("ABCDEFGHIJ", 0, 60), 2000, {}, "ABCDEFGHIJ"});
  return table;
}

INSTANTIATE_TEST_SUITE_P(Wedge, WedgeTable, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<WedgeCase>& param_info) {
                           return param_info.param.name;
                         });

TEST(Wedge, BurstWaitsForTheQuietGapBeforeEnding) {
  WedgeDetector detector;
  for (const auto& step : typed(kPayload, 0, 5)) {
    EXPECT_TRUE(detector.feed({step.kind, step.character, milliseconds{step.at_ms}}).empty());
  }
  const int last = 5 * (static_cast<int>(kPayload.size()) - 1);
  EXPECT_TRUE(detector.poll(milliseconds{last + 50}).empty()); // maybe a hiccup: keep waiting
  EXPECT_TRUE(detector.pending());
  const auto out = detector.poll(milliseconds{last + 91});
  ASSERT_EQ(out.bursts.size(), 1u);
  EXPECT_EQ(out.bursts.front(), kPayload);
  EXPECT_FALSE(detector.pending());
}

TEST(Wedge, KeysOfABurstNeverReachTheUi) {
  // Even a payload full of characters that are UI shortcuts ('q', ' ', digits) stays a burst.
  const std::string payload = "q q 1 2 3 y n q q q";
  WedgeDetector detector;
  std::size_t typed_keys = 0;
  std::vector<std::string> bursts;
  for (const auto& step :
       then(typed(payload, 0, 2), KeyKind::enter, 2 * static_cast<int>(payload.size()))) {
    const auto out = detector.feed({step.kind, step.character, milliseconds{step.at_ms}});
    typed_keys += out.typed.size();
    bursts.insert(bursts.end(), out.bursts.begin(), out.bursts.end());
  }
  EXPECT_EQ(typed_keys, 0u);
  EXPECT_EQ(bursts, std::vector<std::string>{payload});
}

TEST(Wedge, PersonsKeysWaitOnlyUntilTheRunIsDecided) {
  WedgeDetector detector;
  EXPECT_TRUE(detector.feed({KeyKind::character, U'x', milliseconds{1000}}).empty());
  EXPECT_TRUE(detector.poll(milliseconds{1040}).empty()); // a scanner could still continue
  const auto out = detector.poll(milliseconds{1041});
  ASSERT_EQ(out.typed.size(), 1u);
  EXPECT_EQ(out.typed.front().character, U'x');
}

TEST(Wedge, RunawayBurstIsCutAtMaxLength) {
  WedgeConfig config;
  config.max_length = 16;
  WedgeDetector detector(config);
  std::vector<std::string> bursts;
  for (const auto& step : typed(std::string(40, 'Z'), 0, 1)) {
    const auto out = detector.feed({step.kind, step.character, milliseconds{step.at_ms}});
    bursts.insert(bursts.end(), out.bursts.begin(), out.bursts.end());
  }
  ASSERT_GE(bursts.size(), 2u);
  EXPECT_EQ(bursts.front(), std::string(16, 'Z'));
}

TEST(Wedge, NonAsciiCharactersComeOutAsUtf8) {
  WedgeDetector detector;
  const std::u32string text = U"Zoë-Núñez-ß€";
  int t = 0;
  for (const char32_t c : text)
    (void)detector.feed({KeyKind::character, c, milliseconds{t += 3}});
  const auto out = detector.feed({KeyKind::enter, 0, milliseconds{t + 3}});
  ASSERT_EQ(out.bursts.size(), 1u);
  EXPECT_EQ(out.bursts.front(), "Zoë-Núñez-ß€");
}

} // namespace
} // namespace muster::kiosk
