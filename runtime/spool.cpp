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

/// Flushes a directory's entries (a rename or an unlink in it) to the disk.
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

bool write_file_atomically(const fs::path& path, std::string_view bytes) {
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp";
  const fs::path tmp = path.parent_path() / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    ok = w > 0;
    if (ok) done += static_cast<std::size_t>(w);
  }
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  std::error_code ec;
  if (ok) fs::rename(tmp, path, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    return false;
  }
  sync_directory(path.parent_path());
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
  sync_directory(dir_ / "in");
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
  const int fd = ::open((dir_ / "work").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::syncfs(fd);
  ::close(fd);
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
  const fs::path dest = dir_ / (ok ? "out" : "failed");
  const auto write_proof = [&] {
    const fs::path path = dest / (id + ".proof");
    if (!last_proof_path_.empty() && proof == last_proof_) {
      // A link under a temporary name renamed into place: atomic, like a write.
      const fs::path tmp = dest / ("." + id + ".proof.link");
      std::error_code ec;
      fs::remove(tmp, ec);
      if (::link(last_proof_path_.c_str(), tmp.c_str()) == 0) {
        fs::rename(tmp, path, ec);
        if (!ec) return true;  // the result's write below syncs dest/, with this rename in it
        fs::remove(tmp, ec);
      }
    }
    if (!write_file_atomically(path, proof)) return false;
    last_proof_.assign(proof);
    last_proof_path_ = path;
    return true;
  };
  const bool written = (!ok || proof.empty() || write_proof()) && write_file_atomically(dest / (id + ".json"), result_text);
  if (!written) return false;  // left in work/: the next start runs it again
  // Not synced: a job whose removal from work/ is lost to a crash has its result, and recover()
  // removes it then.
  std::error_code ec;
  fs::remove(dir_ / "work" / (id + ".json"), ec);
  fs::remove(dir_ / "work" / (id + ".attempts"), ec);
  return true;
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
  if (!write_file_atomically(dir_ / "in" / (id + ".json"), text)) return false;
  sync_directory(dir_ / "in");
  return true;
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
