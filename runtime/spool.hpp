#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "runtime/job.hpp"

/// The durable spool directory of a node (docs/runtime.md, "Spool"): a job file in/<id>.json moves
/// to work/ when the node takes it and ends as out/<id>.json (with out/<id>.proof) or
/// failed/<id>.json. Every move is a rename within one file system and every written file is
/// written to a temporary name, flushed and renamed, so a node killed at any point leaves each job
/// in exactly one place: in in/ (not taken), in work/ (taken; recover() puts it back) or with its
/// result.
namespace ciro::runtime {

class spool {
 public:
  /// Opens DIR, creating in/, work/, out/, failed/ and blobs/ where missing. Fails with a one-line reason.
  static result<spool, int> open(const std::filesystem::path& dir);

  /// The most times a job may start proving without finishing (the node killed while it ran: a
  /// crash, the kernel's OOM killer) before recover() fails it instead of running it again.
  static constexpr unsigned max_attempts = 3;

  /// What recover() did.
  struct recovery {
    std::size_t requeued = 0;  ///< jobs put back into in/
    std::vector<std::string> given_up;  ///< jobs that started max_attempts times: failed
  };
  /// Puts the jobs a stopped node left in work/ back into in/, except those that started proving
  /// max_attempts times without finishing: they end in failed/ with that reason. A job in work/
  /// whose id already has a result (its removal from work/ had not reached the disk) is removed.
  recovery recover();

  /// Records that the job <id> (in work/) starts proving: work/<id>.attempts counts the starts,
  /// written durably before the proof begins. Returns this attempt's number (1 for the first).
  unsigned begin_attempt(const std::string& id);
  /// begin_attempt for every job of a batch, made durable together (one sync of the file system
  /// instead of two fsyncs a job).
  void begin_attempts(const std::vector<std::string>& ids);
  /// The job <id> finished proving and waits for its result to be published (its validators'
  /// agreement): a restart from now on is not its proof's doing, so its count of starts goes.
  void end_attempt(const std::string& id);

  /// A job taken from in/: its id (the file's stem) and its file's text.
  struct taken_job {
    std::string id;
    std::string text;
  };
  /// Takes up to `n` job files from in/, oldest first (by modification time, then name; in/ is
  /// listed again only when the previous listing is used up, so files added meanwhile wait
  /// behind it), each
  /// moved to work/ (at most max_job_file_bytes + 1 of it read). A file whose id already has a
  /// result (out/ or failed/) or is running (work/) is removed unread: one result per id. A file whose name is not <valid id>.json is moved to failed/ with its reason.
  std::vector<taken_job> take(std::size_t n);

  /// Writes the result of a taken job (and its proof, when it has one) and removes it from work/.
  /// False, the job left in work/, when the result cannot be written.
  bool finish(const job_result& r, const std::vector<std::uint8_t>& proof);
  /// The same with the result file's text already made (`ok` picks out/ or failed/). A proof
  /// byte-equal to the one this spool wrote last (a batch's jobs share one proof) is hard-linked
  /// to that file instead of written again.
  bool finish(const std::string& id, bool ok, std::string_view result_text, std::string_view proof);

  /// A result to write (finish_many).
  struct finishing {
    std::string_view id;
    bool ok = false;
    std::string_view result_text, proof;
  };
  /// finish() for many results with two syncs of the file system in all instead of two fsyncs a
  /// file: every file is written under a temporary name, one sync makes their bytes durable, then
  /// each is renamed into place and a second sync makes the names durable (a single result syncs
  /// its own files and directory instead). A crash before the
  /// renames leaves only temporary files (removed at the next start); after them, only complete
  /// files. Returns, per result, whether it was written (a result not written stays in work/).
  std::vector<bool> finish_many(std::span<const finishing> results);

  /// Moves a taken job back to in/ (a node that stops before running it).
  void put_back(const std::string& id);

  /// Adds the job file in/<id>.json (written atomically). False when it cannot be written.
  bool add(const std::string& id, std::string_view text);
  /// Takes the job <id> from in/ (moved to work/) when it is there; false otherwise.
  bool take_one(const std::string& id);

  /// Where the job <id> is.
  enum class place : std::uint8_t { none, in, work, out, failed };
  [[nodiscard]] place locate(const std::string& id) const;
  /// The result file of a finished job and, when asked, its proof (empty when it has none).
  struct stored_result {
    std::string text, proof;
  };
  [[nodiscard]] std::optional<stored_result> result_of(const std::string& id, bool with_proof) const;

  /// The folder of the model and input files that arrive with RPC jobs: blobs/<id>.onnx and
  /// blobs/<id>.input, removed with remove_blobs once the job has its result.
  [[nodiscard]] std::filesystem::path blobs() const { return dir_ / "blobs"; }
  void remove_blobs(const std::string& id);

  /// The number of job files waiting in in/.
  [[nodiscard]] std::size_t waiting() const;

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit spool(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  /// The last proof written by finish() and its file (the link target of an equal proof).
  std::string last_proof_;
  std::filesystem::path last_proof_path_;
  /// The files of the last listing of in/ not taken yet, oldest first.
  std::deque<std::filesystem::path> backlog_;
};

/// Writes `bytes` to `path` through a temporary file in the same directory, flushed (fsync)
/// before the rename. Returns false when it cannot.
bool write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace ciro::runtime
