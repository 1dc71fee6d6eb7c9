#include "runtime/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ciro::runtime {

namespace fs = std::filesystem;

bool write_file_atomically(const fs::path& path, std::string_view bytes) {
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp";
  const fs::path tmp = path.parent_path() / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (synced) fs::rename(tmp, path, ec);
  return synced && !ec;
}

result<spool, int> spool::open(const fs::path& dir) {
  std::error_code ec;
  for (const char* sub : {"in", "work", "out", "failed"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return error<int>{0, "cannot create " + (dir / sub).string() + ": " + ec.message()};
  }
  return spool(dir);
}

std::size_t spool::recover() {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_ / "work", ec)) {
    if (e.path().extension() != ".json") continue;
    fs::rename(e.path(), dir_ / "in" / e.path().filename(), ec);
    if (!ec) ++n;
  }
  return n;
}

std::size_t spool::waiting() const {
  std::error_code ec;
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "in", ec))
    if (e.path().extension() == ".json" && e.path().filename().string().front() != '.') ++n;
  return n;
}

std::vector<spool::taken_job> spool::take(std::size_t n) {
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  for (const auto& e : fs::directory_iterator(dir_ / "in", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.front() == '.' || !e.is_regular_file(ec)) continue;  // temporaries
    files.emplace_back(e.last_write_time(ec), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<taken_job> out;
  for (const auto& [time, path] : files) {
    if (out.size() >= n) break;
    const std::string id = path.stem().string();
    if (path.extension() != ".json" || !valid_job_id(id)) {
      // Not a job file: set aside in failed/ with the reason beside it.
      fs::rename(path, dir_ / "failed" / path.filename(), ec);
      write_file_atomically(dir_ / "failed" / (path.filename().string() + ".reason"),
                            "the file's name is not <id>.json with an id of [A-Za-z0-9._-]\n");
      continue;
    }
    if (fs::exists(dir_ / "out" / (id + ".json"), ec) || fs::exists(dir_ / "failed" / (id + ".json"), ec)) {
      fs::remove(path, ec);  // a duplicate of a finished job: its result stands
      continue;
    }
    const fs::path work = dir_ / "work" / path.filename();
    fs::rename(path, work, ec);
    if (ec) continue;  // taken by another node sharing the directory
    std::ifstream f(work, std::ios::binary);
    std::ostringstream text;
    text << f.rdbuf();
    out.push_back({id, text.str()});
  }
  return out;
}

void spool::finish(const job_result& r, const std::vector<std::uint8_t>& proof) {
  const fs::path dest = dir_ / (r.ok ? "out" : "failed");
  if (r.ok && !proof.empty()) {
    write_file_atomically(dest / (r.id + ".proof"),
                          std::string_view(reinterpret_cast<const char*>(proof.data()), proof.size()));
  }
  write_file_atomically(dest / (r.id + ".json"), result_json(r).dump(2) + "\n");
  std::error_code ec;
  fs::remove(dir_ / "work" / (r.id + ".json"), ec);
}

void spool::put_back(const std::string& id) {
  std::error_code ec;
  fs::rename(dir_ / "work" / (id + ".json"), dir_ / "in" / (id + ".json"), ec);
}

}  // namespace ciro::runtime
