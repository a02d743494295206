#include "tests/support/kiosk_doors.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/test_support.hpp"

namespace muster::test {

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '{') out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

Ran KioskDoors::kiosk(const std::string& name, const std::string& command) const {
  return run_shell(std::string(MUSTER_KIOSK_PROGRAM) + " --data " + quoted(door(name).string()) +
                   " " + command);
}

Ran KioskDoors::provision(const std::string& name, const std::string& url, const std::string& code,
                          const std::string& room) const {
  return kiosk(name, "--room " + quoted(room) + " provision " + quoted(url) + " " + quoted(code));
}

std::vector<nlohmann::json>
KioskDoors::scan(const std::string& name,
                 const std::vector<std::pair<std::string, std::string>>& scans) const {
  std::string input;
  for (const auto& [time, attendee] : scans)
    input += "@" + time + " " + payload_of_(attendee) + "\n";
  const auto file = dir_ / ("input-" + name + ".txt");
  write_file(file, input);
  const Ran ran = kiosk(name, "headless --simulated-clock < " + quoted(file.string()));
  EXPECT_EQ(ran.exit_code, 0) << ran.out;
  auto answers = json_lines(ran.out);
  EXPECT_EQ(answers.size(), scans.size()) << ran.out;
  return answers;
}

} // namespace muster::test
