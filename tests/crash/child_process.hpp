#pragma once
// A program run as a child with pipes on stdin and stdout, for the crash and bad-input tests:
// write lines, read the answers it wrote (even after it was killed: what it wrote before dying
// is still in the pipe), SIGKILL it. POSIX only; every wait is bounded.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace muster::test {

class ChildProcess {
public:
  // Starts argv[0] with `extra_env` ("NAME=value") added to the environment. stderr goes to
  // `stderr_path` ("" keeps the test's stderr).
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
               const std::string& stderr_path = "/dev/null") {
    int in_pipe[2];
    int out_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(in_pipe[0], STDIN_FILENO);
      dup2(out_pipe[1], STDOUT_FILENO);
      if (!stderr_path.empty()) {
        const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (err >= 0) dup2(err, STDERR_FILENO);
      }
      close(in_pipe[0]);
      close(in_pipe[1]);
      close(out_pipe[0]);
      close(out_pipe[1]);
      for (const auto& env : extra_env)
        putenv(const_cast<char*>(env.c_str()));
      std::vector<char*> args;
      for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    in_ = in_pipe[1];
    out_ = out_pipe[0];
    signal(SIGPIPE, SIG_IGN); // writing to a killed child must fail, not kill the test
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
  }

  bool write_text(std::string_view text) {
    while (!text.empty()) {
      const auto n = ::write(in_, text.data(), text.size());
      if (n <= 0) return false;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  void close_stdin() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }

  // Reads what arrives until `deadline` (or end of output); returns complete lines read so far.
  std::vector<std::string> read_until(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{out_, POLLIN, 0};
      const int ready = poll(&fd, 1, left.count() > 0 ? static_cast<int>(left.count()) : 0);
      if (ready <= 0) break;
      char buffer[4096];
      const auto n = ::read(out_, buffer, sizeof buffer);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
    }
    return take_lines();
  }

  // Reads until `count` more lines arrived, end of output or `timeout`.
  std::vector<std::string> read_lines(std::size_t count, std::chrono::milliseconds timeout) {
    std::vector<std::string> lines;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (lines.size() < count && !eof_ && std::chrono::steady_clock::now() < deadline) {
      auto more = read_until(
          std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
      for (auto& line : more)
        lines.push_back(std::move(line));
    }
    return lines;
  }

  // SIGKILL, then the lines it had already written. Returns them.
  std::vector<std::string> kill_and_drain() {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    return read_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  }

  // Waits for exit (bounded); the exit code, or -1 on a signal/timeout.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t done = waitpid(pid_, &status_, WNOHANG);
      if (done == pid_) {
        reaped_ = true;
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
      }
      for (auto& line :
           read_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(10))) {
        unclaimed_.push_back(std::move(line));
      }
    }
    return -1;
  }

  // Lines read while waiting for the exit, plus what is still in the pipe.
  std::vector<std::string> remaining_lines() {
    auto lines = std::move(unclaimed_);
    unclaimed_.clear();
    for (auto& line :
         read_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(50))) {
      lines.push_back(std::move(line));
    }
    return lines;
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

private:
  std::vector<std::string> take_lines() {
    std::vector<std::string> lines;
    for (auto end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n')) {
      lines.push_back(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
    return lines;
  }

  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  bool eof_ = false;
  std::string pending_;
  std::vector<std::string> unclaimed_;
};

} // namespace muster::test
