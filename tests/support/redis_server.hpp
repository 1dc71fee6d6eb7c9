#pragma once

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

#include "net/redis.hpp"
#include "net/free_port.hpp"

namespace ciro::test {

/// A real redis-server (Debian's /usr/bin/redis-server) on a free loopback port, no persistence,
/// started by the test and killed with it; kill() and start() again on the same port model an
/// outage. available() is false (and the test should skip, saying why) when the binary is absent.
class redis_server {
 public:
  redis_server() : port_(net::free_loopback_port()) {
    if (available()) start();
  }
  ~redis_server() { kill(); }
  static bool available() { return std::filesystem::exists("/usr/bin/redis-server"); }

  /// Starts the server and waits (up to 10 s) until it answers PING.
  void start() {
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec: the parent has threads
      const int quiet = ::open("/dev/null", O_WRONLY);
      if (quiet >= 0) {
        ::dup2(quiet, 1);
        ::dup2(quiet, 2);
      }
      ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    net::redis_connection c({"127.0.0.1", port_}, std::chrono::milliseconds(200));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!c.ping() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(c.ping().has_value()) << "redis-server did not start on port " << port_;
  }
  /// kill -9 and reap.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] net::redis_address address() const { return {"127.0.0.1", port_}; }

 private:
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace ciro::test
