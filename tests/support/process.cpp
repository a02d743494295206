#include "tests/support/process.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace muster::test {

std::string quoted(const std::string& arg) {
  std::string text = "'";
  for (const char c : arg) {
    if (c == '\'') {
      text += "'\\''";
    } else {
      text += c;
    }
  }
  return text + "'";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

ProcessOutcome run_program(const std::filesystem::path& program, const std::filesystem::path& dir,
                           const std::vector<std::string>& args,
                           const std::optional<std::string>& input) {
  std::string command = "timeout 120 " + quoted(program.string());
  for (const auto& arg : args)
    command += " " + quoted(arg);
  if (input) {
    write_file(dir / "stdin.txt", *input);
    command += " <" + quoted((dir / "stdin.txt").string());
  }
  const auto out = dir / "stdout.txt";
  const auto err = dir / "stderr.txt";
  command += " >" + quoted(out.string()) + " 2>" + quoted(err.string());
  const int status = std::system(command.c_str());
  ProcessOutcome result;
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

Ran run_shell(const std::string& command) {
  Ran ran;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return ran;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    ran.out += buffer;
  const int status = pclose(pipe);
  ran.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

} // namespace muster::test
