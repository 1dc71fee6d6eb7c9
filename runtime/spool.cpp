#include "runtime/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

namespace ciro::runtime {

namespace fs = std::filesystem;

namespace {

/// Flushes a file's bytes, or a directory's entries (a rename or an unlink in it), to the disk;
/// false when it could not.
bool sync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Flushes every file of the file system holding `dir` to the disk; false when it could not.
bool sync_file_system(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::syncfs(fd) == 0;
  ::close(fd);
  return ok;
}

/// Writes `bytes` to `path` (created or truncated), flushed to the disk when `flush`.
bool write_file(const fs::path& path, std::string_view bytes, bool flush) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    ok = w > 0;
    if (ok) done += static_cast<std::size_t>(w);
  }
  if (flush) ok = ::fsync(fd) == 0 && ok;
  return ::close(fd) == 0 && ok;
}

}  // namespace

bool write_file_atomically(const fs::path& path, std::string_view bytes) {
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp";
  const fs::path tmp = path.parent_path() / name;
  const bool ok = write_file(tmp, bytes, true);
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return false;
  }
  (void)sync_path(path.parent_path());
  return true;
}

result<spool, int> spool::open(const fs::path& dir) {
  std::error_code ec;
  for (const char* sub : {"in", "work", "out", "failed", "blobs"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return error<int>{0, "cannot create " + (dir / sub).string() + ": " + ec.message()};
  }
  return spool(dir);
}

namespace {

/// The number in work/<id>.attempts (0 when there is none or it does not read).
unsigned attempts_of(const fs::path& file) {
  std::ifstream f(file);
  unsigned n = 0;
  return f >> n ? std::min(n, 1000u) : 0u;
}

}  // namespace

spool::recovery spool::recover() {
  recovery r;
  std::error_code ec;
  // Results a stopped node was writing (finish_many): their temporary files, never renamed.
  for (const char* sub : {"out", "failed"}) {
    std::vector<fs::path> temporaries;
    for (const auto& e : fs::directory_iterator(dir_ / sub, ec)) {
      const std::string name = e.path().filename().string();
      if (name.front() == '.' && (e.path().extension() == ".tmp" || e.path().extension() == ".link"))
        temporaries.push_back(e.path());
    }
    for (const auto& t : temporaries) fs::remove(t, ec);
  }
  std::vector<fs::path> jobs;
  for (const auto& e : fs::directory_iterator(dir_ / "work", ec)) {
    if (e.path().extension() == ".json") jobs.push_back(e.path());
  }
  for (const auto& path : jobs) {
    const std::string id = path.stem().string();
    if (fs::exists(dir_ / "out" / (id + ".json"), ec) || fs::exists(dir_ / "failed" / (id + ".json"), ec)) {
      fs::remove(path, ec);  // finished: finish() does not wait for its removal from work/ to reach the disk
      fs::remove(dir_ / "work" / (id + ".attempts"), ec);
      continue;
    }
    const unsigned attempts = attempts_of(dir_ / "work" / (id + ".attempts"));
    if (attempts >= max_attempts) {
      job_result failed;
      failed.id = id;
      failed.reason = "the node stopped " + std::to_string(attempts) +
                      " times while proving this job (a crash or the kernel's OOM killer?); not run again";
      if (finish(failed, {})) r.given_up.push_back(id);
      continue;
    }
    fs::rename(path, dir_ / "in" / path.filename(), ec);
    if (!ec) ++r.requeued;
  }
  (void)sync_path(dir_ / "in");
  return r;
}

unsigned spool::begin_attempt(const std::string& id) {
  const fs::path file = dir_ / "work" / (id + ".attempts");
  const unsigned n = attempts_of(file) + 1;
  write_file_atomically(file, std::to_string(n) + "\n");
  return n;
}

void spool::end_attempt(const std::string& id) {
  std::error_code ec;
  fs::remove(dir_ / "work" / (id + ".attempts"), ec);
}

void spool::begin_attempts(const std::vector<std::string>& ids) {
  std::error_code ec;
  for (const auto& id : ids) {
    const fs::path file = dir_ / "work" / (id + ".attempts"), tmp = dir_ / "work" / ("." + id + ".attempts.tmp");
    std::ofstream(tmp, std::ios::trunc) << attempts_of(file) + 1 << "\n";
    fs::rename(tmp, file, ec);
  }
  // One sync of the file system holding work/: every file and rename above reaches the disk.
  (void)sync_file_system(dir_ / "work");
}

std::size_t spool::waiting() const {
  std::error_code ec;
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "in", ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name.front() != '.' && e.is_regular_file(ec)) ++n;  // what take() takes
  }
  return n;
}

std::vector<spool::taken_job> spool::take(std::size_t n) {
  std::error_code ec;
  std::vector<taken_job> out;
  bool listed = false;
  while (out.size() < n) {
    if (backlog_.empty()) {
      // One listing, sorted once, serves many takes: a large in/ is not listed again for each job.
      if (listed) break;
      listed = true;
      std::vector<std::pair<fs::file_time_type, fs::path>> files;
      for (const auto& e : fs::directory_iterator(dir_ / "in", ec)) {
        const std::string name = e.path().filename().string();
        if (name.empty() || name.front() == '.' || !e.is_regular_file(ec)) continue;  // temporaries
        files.emplace_back(e.last_write_time(ec), e.path());
      }
      std::sort(files.begin(), files.end());
      for (auto& f : files) backlog_.push_back(std::move(f.second));
      if (backlog_.empty()) break;
    }
    const fs::path path = std::move(backlog_.front());
    backlog_.pop_front();
    const std::string id = path.stem().string();
    if (path.extension() != ".json" || !valid_job_id(id)) {
      // Not a job file: set aside in failed/ with the reason beside it.
      fs::rename(path, dir_ / "failed" / path.filename(), ec);
      write_file_atomically(dir_ / "failed" / (path.filename().string() + ".reason"),
                            "the file's name is not <id>.json with an id of [A-Za-z0-9._-]\n");
      continue;
    }
    if (fs::exists(dir_ / "out" / (id + ".json"), ec) || fs::exists(dir_ / "failed" / (id + ".json"), ec) ||
        fs::exists(dir_ / "work" / (id + ".json"), ec)) {
      fs::remove(path, ec);  // a duplicate of a finished or running job: its result stands
      continue;
    }
    const fs::path work = dir_ / "work" / path.filename();
    fs::rename(path, work, ec);
    if (ec) continue;  // taken by another node sharing the directory
    // At most 64 KiB + 1 bytes are read: parse_job refuses anything longer.
    std::ifstream f(work, std::ios::binary);
    std::string text(max_job_file_bytes + 1, '\0');
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(f.gcount()));
    out.push_back({id, std::move(text)});
  }
  return out;
}

bool spool::finish(const std::string& id, bool ok, std::string_view result_text, std::string_view proof) {
  const finishing one{id, ok, result_text, proof};
  return finish_many(std::span(&one, 1))[0];
}

std::vector<bool> spool::finish_many(std::span<const finishing> results) {
  struct staged {
    fs::path proof_tmp, proof, json_tmp, json;
  };
  std::vector<bool> written(results.size(), false);
  std::vector<staged> files(results.size());
  std::error_code ec;
  // 1. Every file under a temporary name; a proof equal to the last one written is a hard link to it.
  for (std::size_t k = 0; k < results.size(); ++k) {
    const finishing& r = results[k];
    const std::string id(r.id);
    const fs::path dest = dir_ / (r.ok ? "out" : "failed");
    staged& f = files[k];
    bool ok = true;
    if (r.ok && !r.proof.empty()) {
      f.proof = dest / (id + ".proof");
      f.proof_tmp = dest / ("." + id + ".proof.tmp");
      fs::remove(f.proof_tmp, ec);
      const bool linked = !last_proof_path_.empty() && r.proof == last_proof_ &&
                          ::link(last_proof_path_.c_str(), f.proof_tmp.c_str()) == 0;
      if (!linked) {
        ok = write_file(f.proof_tmp, r.proof, false);
        if (ok) {
          last_proof_.assign(r.proof);
          last_proof_path_ = f.proof_tmp;  // renamed below: the link target until then
        }
      }
    }
    f.json = dest / (id + ".json");
    f.json_tmp = dest / ("." + id + ".json.tmp");
    ok = ok && write_file(f.json_tmp, r.result_text, false);
    if (!ok) {
      fs::remove(f.proof_tmp, ec);
      fs::remove(f.json_tmp, ec);
      continue;
    }
    written[k] = true;
  }
  // 2. Their bytes on the disk (if that fails, nothing is renamed: the jobs stay in work/); 3. each
  // renamed into place (the proof first); 4. the names on the disk.
  // One result (a job alone) syncs its own files: on a shared disk a file system's sync can cost
  // far more than two fsyncs.
  bool synced = true;
  if (results.size() == 1) {
    const staged& f = files[0];
    synced = !written[0] || (sync_path(f.json_tmp) && (f.proof_tmp.empty() || sync_path(f.proof_tmp)));
  } else {
    synced = sync_file_system(dir_);
  }
  if (!synced) {
    for (std::size_t k = 0; k < results.size(); ++k) {
      if (!written[k]) continue;
      fs::remove(files[k].proof_tmp, ec);
      fs::remove(files[k].json_tmp, ec);
      written[k] = false;
    }
    last_proof_path_.clear();
    return written;
  }
  for (std::size_t k = 0; k < results.size(); ++k) {
    if (!written[k]) continue;
    staged& f = files[k];
    if (!f.proof_tmp.empty()) {
      fs::rename(f.proof_tmp, f.proof, ec);
      if (ec) {
        written[k] = false;
        fs::remove(f.json_tmp, ec);
        continue;
      }
      if (last_proof_path_ == f.proof_tmp) last_proof_path_ = f.proof;
    }
    fs::rename(f.json_tmp, f.json, ec);
    if (ec) {
      written[k] = false;
      fs::remove(f.json_tmp, ec);
    }
  }
  // A failure here leaves complete files in place whose names may not survive a power loss: their
  // jobs, still in work/ then, run again.
  if (results.size() == 1) {
    if (written[0]) (void)sync_path(files[0].json.parent_path());
  } else {
    (void)sync_file_system(dir_);
  }
  // Not synced: a job whose removal from work/ is lost to a crash has its result, and recover()
  // removes it then.
  for (std::size_t k = 0; k < results.size(); ++k) {
    if (!written[k]) continue;  // left in work/: the next start runs it again
    const std::string id(results[k].id);
    fs::remove(dir_ / "work" / (id + ".json"), ec);
    fs::remove(dir_ / "work" / (id + ".attempts"), ec);
  }
  return written;
}

bool spool::finish(const job_result& r, const std::vector<std::uint8_t>& proof) {
  return finish(r.id, r.ok, json_text(result_json(r)),
                std::string_view(reinterpret_cast<const char*>(proof.data()), proof.size()));
}

void spool::put_back(const std::string& id) {
  std::error_code ec;
  fs::rename(dir_ / "work" / (id + ".json"), dir_ / "in" / (id + ".json"), ec);
}

bool spool::add(const std::string& id, std::string_view text) {
  return write_file_atomically(dir_ / "in" / (id + ".json"), text);  // which syncs in/ too
}

bool spool::take_one(const std::string& id) {
  std::error_code ec;
  fs::rename(dir_ / "in" / (id + ".json"), dir_ / "work" / (id + ".json"), ec);
  return !ec;
}

spool::place spool::locate(const std::string& id) const {
  std::error_code ec;
  const std::string name = id + ".json";
  if (fs::exists(dir_ / "out" / name, ec)) return place::out;
  if (fs::exists(dir_ / "failed" / name, ec)) return place::failed;
  if (fs::exists(dir_ / "work" / name, ec)) return place::work;
  if (fs::exists(dir_ / "in" / name, ec)) return place::in;
  return place::none;
}

std::optional<spool::stored_result> spool::result_of(const std::string& id, bool with_proof) const {
  const auto read = [](const fs::path& path) -> std::optional<std::string> {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  };
  for (const char* sub : {"out", "failed"}) {
    auto text = read(dir_ / sub / (id + ".json"));
    if (!text) continue;
    stored_result r{std::move(*text), {}};
    if (with_proof && std::string(sub) == "out") r.proof = read(dir_ / sub / (id + ".proof")).value_or("");
    return r;
  }
  return std::nullopt;
}

void spool::remove_blobs(const std::string& id) {
  std::error_code ec;
  fs::remove(blobs() / (id + ".onnx"), ec);
  fs::remove(blobs() / (id + ".input"), ec);
}

}  // namespace ciro::runtime
