#include "bench/compare.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "core/html.hpp"

namespace ciro::bench {

namespace {

using err = error<int>;

/// "1.234e+08" and "123.4": four significant digits.
std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

std::string ratio_text(double r) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2fx", r);
  return buffer;
}

/// The workloads the runs name, in the order they first name them.
std::vector<std::string> workload_names(const std::vector<bench_run>& runs) {
  std::vector<std::string> names;
  for (const auto& run : runs) {
    for (const auto& f : run.figures) {
      if (std::find(names.begin(), names.end(), f.name) == names.end()) names.push_back(f.name);
    }
  }
  return names;
}

const run_figure* find_figure(const bench_run& run, const std::string& name) {
  for (const auto& f : run.figures) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

/// The run letters A, B, ..., Z, then R27, R28, ...
std::string letter(std::size_t i) { return i < 26 ? std::string(1, static_cast<char>('A' + i)) : "R" + std::to_string(i + 1); }

std::string text_of(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

/// The machine line of a run: "AMD EPYC 7B13, 2 cores, SIMD AVX2; NVIDIA H100 80GB HBM3".
std::string machine_line(const nlohmann::json& m) {
  if (!m.is_object()) return "unknown machine";
  std::string line = text_of(m, "cpu");
  if (line.empty()) line = "unknown CPU";
  if (m.contains("cores") && m["cores"].is_number_unsigned()) line += ", " + std::to_string(m["cores"].get<unsigned>()) + " cores";
  if (const std::string simd = text_of(m, "simd_target"); !simd.empty()) line += ", SIMD " + simd;
  if (m.contains("gpus") && m["gpus"].is_array()) {
    for (const auto& g : m["gpus"]) {
      if (g.is_object() && !text_of(g, "name").empty()) line += "; " + text_of(g, "name");
    }
  }
  return line;
}

}  // namespace

result<bench_run, int> read_bench_run(const std::filesystem::path& file) {
  const std::string where = file.string() + ": ";
  std::ifstream in(file, std::ios::binary);
  if (!in) return err{0, "cannot read " + file.string()};
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bench_file_bytes) return err{0, where + "larger than 16 MiB: not a ciro bench --json file"};
  }
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("results") || !j["results"].is_array()) {
    return err{0, where + "not a ciro bench --json file (a JSON object with \"machine\" and \"results\")"};
  }
  bench_run run;
  run.label = file.stem().string();
  run.machine = machine_line(j.contains("machine") ? j["machine"] : nlohmann::json());
  for (const auto& r : j["results"]) {
    if (!r.is_object() || text_of(r, "name").empty() || text_of(r, "unit").empty() || !r.contains("median_s") ||
        !r["median_s"].is_number() || !r.contains("throughput") || !r["throughput"].is_number()) {
      return err{0, where + "a result needs \"name\", \"unit\", \"median_s\" and \"throughput\""};
    }
    run.figures.push_back({text_of(r, "name"), text_of(r, "unit"), r["median_s"].get<double>(), r["throughput"].get<double>()});
  }
  return run;
}

std::string comparison_table(const std::vector<bench_run>& runs) {
  std::string out;
  for (std::size_t i = 0; i < runs.size(); ++i) out += letter(i) + "  " + runs[i].label + "  " + runs[i].machine + "\n";
  const auto names = workload_names(runs);
  std::size_t width = 8;
  for (const auto& n : names) width = std::max(width, n.size());
  const auto pad = [](std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    return s;
  };
  out += "\n" + pad("workload", width) + "  " + pad("unit", 12);
  for (std::size_t i = 0; i < runs.size(); ++i) out += "  " + pad(letter(i), i == 0 ? 10 : 19);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  for (const auto& name : names) {
    const run_figure* first = find_figure(runs[0], name);
    std::string unit;
    for (const auto& run : runs) {
      if (const auto* f = find_figure(run, name); f && unit.empty()) unit = f->unit;
    }
    out += pad(name, width) + "  " + pad(unit, 12);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const run_figure* f = find_figure(runs[i], name);
      std::string cell = f ? number(f->throughput) : "-";
      if (f && i > 0 && first && first->throughput > 0) cell += " (" + ratio_text(f->throughput / first->throughput) + ")";
      out += "  " + pad(cell, i == 0 ? 10 : 19);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

std::string comparison_html(const std::vector<bench_run>& runs) {
  const auto names = workload_names(runs);
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>ciro bench comparison</title>\n"
      "<style>\nbody { font-family: sans-serif; margin: 2em; color: #222; }\n"
      "table.runs td, table.runs th { padding: 0.2em 0.8em; text-align: left; }\n"
      "section { margin: 1.5em 0; }\nh2 { font-size: 1em; font-family: monospace; margin-bottom: 0.3em; }\n"
      ".bar { fill: #4a7bb7; }\n.missing { fill: #999; font-style: italic; }\ntext { font-size: 12px; }\n</style>\n"
      "</head>\n<body>\n<h1>ciro bench comparison</h1>\n<table class=\"runs\">\n<tr><th>run</th><th>file</th><th>machine</th></tr>\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    h += "<tr><td>" + letter(i) + "</td><td>" + html_escape(runs[i].label) + "</td><td>" + html_escape(runs[i].machine) + "</td></tr>\n";
  }
  h += "</table>\n<p>Throughput per workload (longer is faster); ratios are to run A.</p>\n";
  constexpr int label_w = 40, bar_w = 420, row_h = 22;
  for (const auto& name : names) {
    double top = 0;
    std::string unit;
    for (const auto& run : runs) {
      if (const auto* f = find_figure(run, name)) {
        top = std::max(top, f->throughput);
        if (unit.empty()) unit = f->unit;
      }
    }
    const run_figure* first = find_figure(runs[0], name);
    const int height = static_cast<int>(runs.size()) * row_h + 4;
    h += "<section>\n<h2>" + html_escape(name) + " (" + html_escape(unit) + ")</h2>\n<svg class=\"chart\" width=\"" +
         std::to_string(label_w + bar_w + 200) + "\" height=\"" + std::to_string(height) + "\" role=\"img\">\n";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const int y = static_cast<int>(i) * row_h + 2;
      h += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">" + letter(i) + "</text>\n";
      const run_figure* f = find_figure(runs[i], name);
      if (!f) {
        h += "<text class=\"missing\" x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 15) + "\">not run</text>\n";
        continue;
      }
      const int w = top > 0 ? std::max(1, static_cast<int>(bar_w * f->throughput / top)) : 1;
      std::string label = number(f->throughput);
      if (i > 0 && first && first->throughput > 0) label += " (" + ratio_text(f->throughput / first->throughput) + ")";
      h += "<rect class=\"bar\" x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(w) +
           "\" height=\"" + std::to_string(row_h - 6) + "\"><title>" + html_escape(runs[i].label) + ": " + label + "</title></rect>\n";
      h += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 15) + "\">" + label + "</text>\n";
    }
    h += "</svg>\n</section>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace ciro::bench
