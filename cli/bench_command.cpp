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

#include "bench/compare.hpp"
#include "bench/workload.hpp"
#include "cli/command.hpp"
#include "cli/machine.hpp"

namespace ciro::cli {
namespace {

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

namespace {

constexpr const char* bench_usage =
    "usage: ciro bench [--filter REGEX] [--json FILE] [--quick] [--repetitions N] [--threads N] [--list]\n"
    "       ciro bench --compare A.json B.json ... [--html OUT]";

/// `ciro bench --compare A.json B.json ... [--html OUT]`: the runs side by side.
int compare_command(const std::vector<std::string>& files, const std::string& html_path) {
  if (files.size() < 2) return usage_error("bench: --compare takes two or more files written by ciro bench --json");
  std::vector<bench::bench_run> runs;
  for (const auto& f : files) {
    auto run = bench::read_bench_run(f);
    if (!run) return usage_error("bench: " + run.error().message);
    runs.push_back(std::move(run.value()));
  }
  std::fputs(bench::comparison_table(runs).c_str(), stdout);
  if (!html_path.empty()) {
    std::ofstream out(html_path);
    out << bench::comparison_html(runs);
    if (!out) return usage_error("bench: cannot write " + html_path);
  }
  return exit_ok;
}

}  // namespace

int bench_command(const std::vector<std::string>& args) {
  std::string filter = ".*", json_path, html_path;
  bool quick = false, list = false, compare = false;
  std::vector<std::string> compare_files;
  int repetitions = 7, threads = 0;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--compare") {
      compare = true;
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) compare_files.push_back(args[++i]);
      continue;
    }
    if (a == "--html") {
      if (i + 1 >= args.size()) return usage_error("bench: --html needs a file");
      html_path = args[++i];
      continue;
    }
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
      std::puts(bench_usage);
      return exit_ok;
    } else {
      return usage_error("bench: unknown option '" + a + "'");
    }
  }
  if (compare) return compare_command(compare_files, html_path);
  if (!html_path.empty()) return usage_error("bench: --html goes with --compare");
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
  for (const auto& d : machine.gpus.devices) std::fprintf(stderr, "ciro bench: GPU %d: %s\n", d.ordinal, d.name.c_str());
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
    j["machine"] = machine_json(machine);
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
