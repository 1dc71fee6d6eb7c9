// ciro serve: one proving node on a spool directory (runtime/node.hpp), until SIGTERM or SIGINT
// (which drain it: nothing is lost) or, with --once, until the directory has nothing left to do.

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "runtime/node.hpp"

namespace ciro::cli {

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void on_stop_signal(int) { stop_requested = true; }

}  // namespace

int serve_command(const std::vector<std::string>& args) {
  runtime::node_config c;
  const auto number = [&](std::size_t& i, const std::string& flag, unsigned long max) -> std::optional<unsigned long> {
    if (i + 1 >= args.size()) return std::nullopt;
    const std::string& s = args[++i];
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const unsigned long v = std::stoul(s);
    if (v > max) return std::nullopt;
    (void)flag;
    return v;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--spool" && i + 1 < args.size()) {
      c.spool = args[++i];
    } else if (a == "--workers") {
      const auto v = number(i, a, 256);
      if (!v || *v == 0) return usage_error("serve: --workers takes a count from 1 to 256");
      c.workers = static_cast<unsigned>(*v);
    } else if (a == "--threads") {
      const auto v = number(i, a, 4096);
      if (!v) return usage_error("serve: --threads takes a count (0: all cores)");
      c.threads_per_worker = static_cast<unsigned>(*v);
    } else if (a == "--queue") {
      const auto v = number(i, a, 1000000);
      if (!v) return usage_error("serve: --queue takes a count");
      c.queue_limit = *v;
    } else if (a == "--price-core-hour" && i + 1 < args.size()) {
      try {
        c.price.core_hour = std::stod(args[++i]);
      } catch (...) {
        return usage_error("serve: --price-core-hour takes a number");
      }
      if (!(c.price.core_hour >= 0)) return usage_error("serve: --price-core-hour takes a number >= 0");
    } else if (a == "--once") {
      c.once = true;
    } else {
      return usage_error("serve: unknown or incomplete option '" + a +
                         "' (usage: ciro serve --spool DIR [--workers N] [--threads N] [--queue N] "
                         "[--price-core-hour X] [--once])");
    }
  }
  if (c.spool.empty()) return usage_error("serve: --spool DIR is required");
  c.log = [](const std::string& line) { std::fprintf(stderr, "ciro serve: %s\n", line.c_str()); };
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  std::fprintf(stderr, "ciro serve: spool %s, %u worker(s)%s\n", c.spool.c_str(), c.workers,
               c.once ? ", until the spool is empty" : "; SIGTERM drains and stops");
  auto s = runtime::run_node(c, stop_requested);
  if (!s) return usage_error("serve: " + s.error().message);
  std::printf("done %zu, failed %zu, recovered %zu, put back %zu\n", s.value().done, s.value().failed,
              s.value().recovered, s.value().put_back);
  return exit_ok;
}

}  // namespace ciro::cli
