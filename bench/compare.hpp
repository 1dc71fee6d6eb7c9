#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

/// Runs of `ciro bench --json` from several machines side by side (`ciro bench --compare`): a
/// plain table with each run's throughput and its ratio to the first run's, and a self-contained
/// HTML page with a bar chart per workload (inline SVG, no script, no external assets).
namespace ciro::bench {

/// One workload's figures in a run.
struct run_figure {
  std::string name, unit;
  double median_s = 0, throughput = 0;
};

/// One `ciro bench --json` file.
struct bench_run {
  std::string label;                ///< the file's name without its folder and extension
  std::string machine;              ///< one line: CPU, cores, SIMD target, and its GPUs when it names some
  std::vector<run_figure> figures;  ///< in the file's order
};

/// The largest file read_bench_run takes.
inline constexpr std::size_t max_bench_file_bytes = std::size_t{16} << 20;

/// Reads a `ciro bench --json` file: {"machine": {"cpu", "cores", "threads", "simd_target",
/// ["gpus": [{"name", ...}]]}, "results": [{"name", "median_s", "throughput", "unit", ...}]}.
/// Fails with one line naming the file: unreadable, over max_bench_file_bytes, not JSON, or a
/// result without its name, unit or numbers.
[[nodiscard]] result<bench_run, int> read_bench_run(const std::filesystem::path& file);

/// The table: one header line per run (its letter, label and machine), then one row per workload
/// (in the order the runs first name them): the unit, each run's throughput and, after the first
/// run, its ratio to the first ("2.31x"); "-" where a run lacks the workload.
[[nodiscard]] std::string comparison_table(const std::vector<bench_run>& runs);

/// The same as one HTML page: the runs' machines in a table, then per workload a horizontal bar
/// chart of the runs' throughputs (each bar `class="bar"`, labelled with the value and the ratio).
[[nodiscard]] std::string comparison_html(const std::vector<bench_run>& runs);

}  // namespace ciro::bench
