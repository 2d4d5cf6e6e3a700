#pragma once
// Runs the real `winston` binary for CLI tests.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace winston::testing {

struct Completed {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` with extra environment variables and waits for it, killing it
/// after `timeout_ms`.
Completed run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
              int timeout_ms = 120'000);

/// A background process whose stderr is captured to a file.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~Background();
  /// Waits until stderr contains `needle`; returns stderr so far ("" on timeout).
  std::string wait_for_stderr(const std::string& needle, int timeout_ms);
  void signal(int sig);
  /// Waits for exit; returns the exit code (or 128+signal), -1 on timeout.
  int wait(int timeout_ms);
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::string err_path_;
};

}  // namespace winston::testing
