#include "support/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/ids.hpp"
#include "support/wait.hpp"

namespace winston::testing {
namespace {

std::string temp_path(const char* tag) {
  return (std::filesystem::temp_directory_path() / (std::string("winston-") + tag + "-" + random_hex(6))).string();
}

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int wait_pid(pid_t pid, int timeout_ms) {
  int status = 0;
  if (!wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::milliseconds(timeout_ms))) {
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Completed run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int timeout_ms) {
  const auto out = temp_path("out");
  const auto err = temp_path("err");
  const pid_t pid = spawn(argv, env, out, err);
  Completed c;
  c.exit_code = wait_pid(pid, timeout_ms);
  if (c.exit_code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  c.out = slurp(out);
  c.err = slurp(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return c;
}

Background::Background(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
    : err_path_(temp_path("bg-err")) {
  pid_ = spawn(argv, env, "/dev/null", err_path_);
}

Background::~Background() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::filesystem::remove(err_path_);
}

std::string Background::wait_for_stderr(const std::string& needle, int timeout_ms) {
  std::string text;
  const auto seen = [&] {
    text = slurp(err_path_);
    return text.find(needle) != std::string::npos;
  };
  return wait_until(seen, std::chrono::milliseconds(timeout_ms), std::chrono::milliseconds(50)) ? text : std::string();
}

void Background::signal(int sig) { kill(pid_, sig); }

int Background::wait(int timeout_ms) {
  const int code = wait_pid(pid_, timeout_ms);
  if (code != -1) pid_ = -1;
  return code;
}

std::string Background::stderr_text() const { return slurp(err_path_); }

}  // namespace winston::testing
