#pragma once
// Running the real programs from tests: `timeout 120 program args...` through the shell, both
// streams captured in files in a directory of the test's, the exit code as the program gave it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace muster::test {

struct ProcessOutcome {
  int code = -1; // -1: killed by a signal (the timeout's included)
  std::string out;
  std::string err;
};

// `arg` in single quotes for /bin/sh.
std::string quoted(const std::string& arg);
// The text's lines without their line ends.
std::vector<std::string> lines_of(const std::string& text);

// stdout.txt and stderr.txt (and stdin.txt, when `input` is given) are written in `dir`; without
// `input` the program inherits the test's stdin.
ProcessOutcome run_program(const std::filesystem::path& program, const std::filesystem::path& dir,
                           const std::vector<std::string>& args,
                           const std::optional<std::string>& input = std::nullopt);

// A shell command with stdout and stderr together (2>&1), read through a pipe.
struct Ran {
  int exit_code = -1; // -1: killed by a signal
  std::string out;
};
Ran run_shell(const std::string& command);

} // namespace muster::test
