#include "kiosk/ui/input_script.hpp"

#include <gtest/gtest.h>

namespace muster::kiosk::ui {
namespace {

TEST(InputScript, ParsesEveryVerbInTimeOrder) {
  auto events = parse_input_script("# a comment\n"
                                   "@900 text Hay nes\n"
                                   "@100 wedge MU1.X.Y\n"
                                   "\n"
                                   "@200 key F2\n"
                                   "@300 click 640 400\n"
                                   "@400 screenshot /tmp/a.png\n"
                                   "@1000 quit\n");
  ASSERT_TRUE(events) << events.message();
  ASSERT_EQ(events->size(), 6U);
  EXPECT_EQ((*events)[0].verb, ScriptVerb::wedge);
  EXPECT_EQ((*events)[0].argument, "MU1.X.Y");
  EXPECT_EQ((*events)[1].argument, "F2");
  EXPECT_EQ((*events)[2].x, 640);
  EXPECT_EQ((*events)[2].y, 400);
  EXPECT_EQ((*events)[4].argument, "Hay nes");
  EXPECT_EQ((*events)[4].at, std::chrono::milliseconds{900});
  EXPECT_EQ((*events)[5].verb, ScriptVerb::quit);
}

TEST(InputScript, ErrorsNameTheLine) {
  auto bad = parse_input_script("@100 key Enter\n@x key Enter\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("line 2"), std::string::npos) << bad.message();
  EXPECT_FALSE(parse_input_script("@100 key Hyper\n"));
  EXPECT_FALSE(parse_input_script("@100 click 10\n"));
  EXPECT_FALSE(parse_input_script("@100 dance\n"));
  EXPECT_FALSE(parse_input_script("100 key Enter\n"));
  EXPECT_FALSE(parse_input_script("@100 wedge\n"));
}

} // namespace
} // namespace muster::kiosk::ui
