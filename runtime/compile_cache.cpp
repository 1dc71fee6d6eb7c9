#include "runtime/compile_cache.hpp"

#include <algorithm>
#include <chrono>

#include "hash/sha256.hpp"
#include "kernels/backend.hpp"
#include "stark/examples.hpp"
#include "stark/params.hpp"
#include "zkml/input_file.hpp"
#include "zkml/model_input.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::runtime {

namespace {

std::string air_cache_key(const job_spec& job) {
  return job.air + "|" + std::to_string(job.log_rows) + "|" + std::to_string(job.instances) + "|" + job.profile;
}

std::string path_in(const std::filesystem::path& base, const std::string& p) {
  return std::filesystem::path(p).is_absolute() ? p : (base / p).string();
}

bool has_free_dimension(const zkml::model& m) {
  return std::any_of(m.inputs.begin(), m.inputs.end(), [](const zkml::value_info& v) {
    return std::any_of(v.shape.begin(), v.shape.end(), [](std::int64_t d) { return d < 0; });
  });
}

}  // namespace

template <class V>
std::shared_ptr<const V> compile_cache::find(lru<V>& entries, const std::string& key) {
  std::lock_guard lock(mutex_);
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first != key) continue;
    entries.splice(entries.begin(), entries, it);  // most recently used first
    ++hits_;
    return entries.front().second;
  }
  return nullptr;
}

template <class V>
void compile_cache::put(lru<V>& entries, const std::string& key, std::shared_ptr<const V> value) {
  std::lock_guard lock(mutex_);
  ++misses_;
  entries.remove_if([&](const auto& e) { return e.first == key; });
  entries.emplace_front(key, std::move(value));
  while (entries.size() > capacity_) entries.pop_back();
}

template <class E>
result<std::shared_ptr<const stark::proving_key<E>>, int> compile_cache::air_key(const job_spec& job, bool* made) {
  using err = error<int>;
  const std::string key = air_cache_key(job);
  auto& entries = [this]() -> auto& {
    if constexpr (std::is_same_v<E, field::babybear5>) {
      return keys5_;
    } else {
      return keys4_;
    }
  }();
  if (auto found = find(entries, key)) return found;
  const auto params = stark::profile(job.profile);
  if (!params) return err{0, "unknown profile '" + job.profile + "'"};
  auto shape = stark::make_example<E>(job.air, job.log_rows, job.instances, false);
  if (!shape) return err{0, shape.error().message};
  auto backend = kernels::make_cpu_backend();
  auto pk = stark::setup<E>(std::move(shape.value().tables), *params, *backend, backend->merkle());
  if (!pk) return err{0, pk.error().message};
  put(entries, key, pk.value());
  if (made) *made = true;
  return pk.value();
}

template result<std::shared_ptr<const stark::proving_key<field::babybear4>>, int> compile_cache::air_key<field::babybear4>(
    const job_spec&, bool*);
template result<std::shared_ptr<const stark::proving_key<field::babybear5>>, int> compile_cache::air_key<field::babybear5>(
    const job_spec&, bool*);

result<model_job_input, int> compile_cache::model_input(const job_spec& job, const std::filesystem::path& base, bool* made) {
  using err = error<int>;
  const std::string model_path = path_in(base, job.model);
  auto bytes = zkml::read_file(model_path, std::size_t{1} << 30);
  if (!bytes) return bytes.error();
  const std::string content = hash::sha256::hex_digest(bytes.value());
  const std::string_view text(reinterpret_cast<const char*>(bytes.value().data()), bytes.value().size());
  // The model as the input file reads it (free dimensions kept), then, where it has free
  // dimensions, parsed again with the input's shapes.
  auto reading = find(models_, content);
  if (!reading) {
    auto m = zkml::parse_model(text, {}, zkml::dynamic_inputs::keep);
    if (!m) return err{0, model_path + ": " + m.error().message};
    reading = std::make_shared<const parsed_model>(parsed_model{bytes.value(), std::move(m.value())});
    put(models_, content, reading);
    if (made) *made = true;
  }
  auto input = zkml::load_input_file(path_in(base, job.input), reading->m);
  if (!input) return err{0, input.error().message};
  if (!has_free_dimension(reading->m)) return model_job_input{reading, std::move(input.value())};
  std::map<std::string, zkml::shape_t> shapes;
  std::string key = content;
  for (const auto& [name, t] : input.value()) {
    shapes[name] = t.shape;
    key += '|';
    key += name;
    for (const auto d : t.shape) {
      key += ':';
      key += std::to_string(d);
    }
  }
  auto fixed = find(models_, key);
  if (!fixed) {
    auto m = zkml::parse_model(text, shapes);
    if (!m) return err{0, model_path + ": " + m.error().message};
    fixed = std::make_shared<const parsed_model>(parsed_model{std::move(bytes.value()), std::move(m.value())});
    put(models_, key, fixed);
    if (made) *made = true;
  }
  return model_job_input{fixed, std::move(input.value())};
}

result<compile_outcome, int> compile_cache::compile(const job_spec& job, const std::filesystem::path& base) {
  using err = error<int>;
  const auto t0 = std::chrono::steady_clock::now();
  bool made = false;
  compile_outcome out;
  if (job.what == job_spec::kind::model) {
    auto loaded = model_input(job, base, &made);
    if (!loaded) return loaded.error();
    zkml::prove_model_options options;
    options.profile = job.profile;
    auto compiled = zkml::compile_model(loaded.value().model->bytes, loaded.value().model->m, loaded.value().input, options);
    if (!compiled) return err{0, compiled.error().message};
    out.cached = compiled.value() && !made;
  } else {
    const auto params = stark::profile(job.profile);
    if (!params) return err{0, "unknown profile '" + job.profile + "'"};
    if (params->extension_degree == 5) {
      auto k = air_key<field::babybear5>(job, &made);
      if (!k) return k.error();
    } else {
      auto k = air_key<field::babybear4>(job, &made);
      if (!k) return k.error();
    }
    out.cached = !made;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::pair<std::uint64_t, std::uint64_t> compile_cache::hits_and_misses() const {
  std::lock_guard lock(mutex_);
  return {hits_, misses_};
}

}  // namespace ciro::runtime
