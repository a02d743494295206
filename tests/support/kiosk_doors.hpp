#pragma once
// Real muster-kiosk processes at the doors of a test's event: each door is a data folder
// DIR/door-NAME, provisioned with a code at a server's (or relay's) URL, fed scans as lines
// "@<UTC time> <payload>" through `headless --simulated-clock`, and synced once. The program is
// the one CMake built (MUSTER_KIOSK_PROGRAM).
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace muster::test {

// The JSON objects of a program's output, one per line that starts with '{'.
std::vector<nlohmann::json> json_lines(const std::string& text);

class KioskDoors {
public:
  // `payload_of` turns an attendee id into the badge payload the door scans.
  using PayloadOf = std::function<std::string(const std::string& attendee)>;
  KioskDoors(std::filesystem::path dir, PayloadOf payload_of)
      : dir_(std::move(dir)), payload_of_(std::move(payload_of)) {}

  [[nodiscard]] std::filesystem::path door(const std::string& name) const {
    return dir_ / ("door-" + name);
  }
  // `muster-kiosk --data DOOR [ARGS] COMMAND` (e.g. "sync --once").
  [[nodiscard]] Ran kiosk(const std::string& name, const std::string& command) const;
  // `--room ROOM provision URL CODE`.
  [[nodiscard]] Ran provision(const std::string& name, const std::string& url,
                              const std::string& code, const std::string& room = "Hall") const;
  // Scans of (UTC time, attendee id) through `headless --simulated-clock`: the JSON answers,
  // expected one per scan and a zero exit code (a failed expectation otherwise).
  std::vector<nlohmann::json>
  scan(const std::string& name,
       const std::vector<std::pair<std::string, std::string>>& scans) const;
  [[nodiscard]] Ran sync(const std::string& name) const { return kiosk(name, "sync --once"); }

private:
  std::filesystem::path dir_;
  PayloadOf payload_of_;
};

} // namespace muster::test
