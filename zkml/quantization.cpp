#include "zkml/quantization.hpp"

#include <algorithm>
#include <cmath>

#include "zkml/fixed_point.hpp"

namespace ciro::zkml {

namespace {

void record(calibration& cal, const std::string& name, const tensor& t) {
  if (t.is_integer()) return;
  double m = 0;
  for (double v : t.data) m = std::max(m, std::fabs(v));
  auto [it, fresh] = cal.max_abs.emplace(name, m);
  if (!fresh) it->second = std::max(it->second, m);
}

}  // namespace

result<calibration, run_error_code> calibrate(const model& m, const std::vector<tensor_map>& input_sets) {
  if (input_sets.empty()) return error<run_error_code>{run_error_code::missing_input, "no calibration inputs"};
  calibration cal;
  for (const tensor_map& inputs : input_sets) {
    tensor_map all;
    auto run = run_reference(m, inputs, &all);
    if (!run) return run.error();
    for (const auto& [name, t] : inputs) record(cal, name, t);
    for (const auto& [name, t] : all) record(cal, name, t);
  }
  return cal;
}

int activation_frac(double max_abs, const quantization_config& config) {
  return fixed::frac_for(max_abs * config.headroom, static_cast<double>(config.activation_limit()), config.min_frac,
                         config.max_frac);
}

std::map<std::string, int> tensor_fracs(const calibration& cal, const quantization_config& config) {
  std::map<std::string, int> out = cal.fracs;
  for (const auto& [name, m] : cal.max_abs) out.emplace(name, activation_frac(m, config));
  return out;
}

}  // namespace ciro::zkml
