#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/task_arena.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "bench/workload.hpp"
#include "cli/command.hpp"
#include "field/packed.hpp"

namespace ciro::cli {
namespace {

struct machine_info {
  std::string cpu;
  unsigned cores = 0;    // hardware threads of the machine
  unsigned threads = 0;  // worker threads the workloads use
  std::string simd_target;
};

machine_info this_machine() {
  machine_info m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  if (m.cpu.empty()) m.cpu = "unknown";
  m.cores = std::thread::hardware_concurrency();
  m.threads = static_cast<unsigned>(bench::worker_threads());
  m.simd_target = field::packed::simd_target();
  return m;
}

/// "1.23 ms" style durations and "4.56e+09" style throughputs for the table.
std::string format_seconds(double s) {
  char buffer[32];
  if (s >= 1) {
    std::snprintf(buffer, sizeof buffer, "%.3f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buffer, sizeof buffer, "%.3f ms", s * 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3f us", s * 1e6);
  }
  return buffer;
}

}  // namespace

int usage_error(const std::string& message) {
  std::fprintf(stderr, "ciro: %s\n", message.c_str());
  return exit_usage;
}

int bench_command(const std::vector<std::string>& args) {
  std::string filter = ".*", json_path;
  bool quick = false, list = false;
  int repetitions = 7, threads = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      (void)flag;
      return &args[++i];
    };
    if (a == "--quick") {
      quick = true;
    } else if (a == "--list") {
      list = true;
    } else if (a == "--filter" || a == "--json" || a == "--repetitions" || a == "--threads") {
      const std::string* v = value(a.c_str());
      if (!v) return usage_error("bench: " + a + " needs a value");
      if (a == "--filter") filter = *v;
      if (a == "--json") json_path = *v;
      if (a == "--repetitions" || a == "--threads") {
        int& target = a == "--repetitions" ? repetitions : threads;
        try {
          std::size_t used = 0;
          target = std::stoi(*v, &used);
          if (used != v->size() || target < 1 || target > 1000) throw std::invalid_argument("range");
        } catch (const std::exception&) {
          return usage_error("bench: " + a + " needs a whole number from 1 to 1000, not '" + *v + "'");
        }
      }
    } else if (a == "--help" || a == "-h") {
      std::puts("usage: ciro bench [--filter REGEX] [--json FILE] [--quick] [--repetitions N] [--threads N] [--list]");
      return exit_ok;
    } else {
      return usage_error("bench: unknown option '" + a + "'");
    }
  }
  if (quick) repetitions = std::min(repetitions, 3);
  // --threads N caps the worker threads (e.g. 1 for per-core figures); default: all cores.
  std::optional<tbb::global_control> thread_limit;
  if (threads > 0)
    thread_limit.emplace(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));

  std::regex pattern;
  try {
    pattern = std::regex(filter);
  } catch (const std::regex_error& e) {
    return usage_error("bench: --filter is not a valid regular expression: " + filter);
  }
  std::vector<bench::workload> selected;
  for (auto& w : bench::all_workloads()) {
    if (std::regex_search(w.name, pattern)) selected.push_back(std::move(w));
  }
  if (list) {
    for (const auto& w : selected) std::printf("%-28s %s\n", w.name.c_str(), w.description.c_str());
    return exit_ok;
  }
  if (selected.empty()) return usage_error("bench: no workload matches '" + filter + "' (see ciro bench --list)");

  std::ofstream json_file;
  if (!json_path.empty()) {
    json_file.open(json_path);
    if (!json_file) return usage_error("bench: cannot write " + json_path);
  }

  const machine_info machine = this_machine();
  std::fprintf(stderr, "ciro bench: %s, %u cores, %u threads, SIMD %s, %d repetitions (median)\n", machine.cpu.c_str(),
               machine.cores, machine.threads, machine.simd_target.c_str(), repetitions);
  std::vector<bench::result> results;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    std::fprintf(stderr, "[%zu/%zu] %s ...\n", i + 1, selected.size(), selected[i].name.c_str());
    results.push_back(bench::run(selected[i], repetitions));
  }

  std::printf("%-28s %12s %14s  %s\n", "workload", "median", "throughput", "unit");
  for (const auto& r : results) {
    std::printf("%-28s %12s %14.4g  %s", r.name.c_str(), format_seconds(r.median_s).c_str(), r.throughput,
                r.unit.c_str());
    for (const auto& [key, v] : r.extras) std::printf("  %s=%.0f", key.c_str(), v);
    std::printf("\n");
  }

  if (json_file.is_open()) {
    nlohmann::json j;
    j["machine"] = {{"cpu", machine.cpu},
                    {"cores", machine.cores},
                    {"threads", machine.threads},
                    {"simd_target", machine.simd_target}};
    j["results"] = nlohmann::json::array();
    for (const auto& r : results) {
      nlohmann::json row = {{"name", r.name},
                            {"median_s", r.median_s},
                            {"throughput", r.throughput},
                            {"unit", r.unit},
                            {"repetitions", r.repetitions}};
      for (const auto& [key, v] : r.extras) row[key] = v;
      j["results"].push_back(row);
    }
    json_file << j.dump(2) << "\n";
    if (!json_file) return usage_error("bench: failed writing " + json_path);
  }
  return exit_ok;
}

}  // namespace ciro::cli
