// DESCRIPTION: The SQLite results store (one file, WAL, one committed transaction per put) and
// the merge of shard stores by key and fidelity.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/store.h"

#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "mpsim/base/error.h"

namespace mpsim::dse {
namespace {

namespace fs = std::filesystem;

constexpr int kSchemaVersion = 1;
/// PRAGMA application_id of every store ("mpsd"): lets `file` and us tell a store from any
/// other SQLite database without reading its tables.
constexpr int kApplicationId = 0x6d707364;

// Durability: synchronous=NORMAL. In WAL mode a commit then appends to the WAL with write() but
// fsyncs only at checkpoints, so a committed point survives any crash of the process (the case a
// killed sweep is about: the OS still holds the written pages) while a power loss may roll back
// the last points, never corrupt the file. Those points are simply recomputed on resume, whereas
// FULL would pay an fsync for every point of every sweep (see the report for the measured cost).
constexpr const char* kSynchronous = "PRAGMA synchronous=NORMAL";

constexpr const char* kSchema = R"sql(
CREATE TABLE mpsim_schema(version INTEGER NOT NULL);
CREATE TABLE meta(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  spec_hash TEXT NOT NULL,
  spec_yaml TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  git_hash TEXT NOT NULL,
  cost_table TEXT NOT NULL,
  seed INTEGER NOT NULL
);
-- seq keeps insertion order explicitly: VACUUM may renumber the rowids of a TEXT-keyed table.
-- Metrics are REAL columns (queryable with plain SQL); NULL stands for NaN, which SQLite cannot
-- store. The verified (cycle-level) evaluation is the v_* group, NULL v_status = not verified.
CREATE TABLE points(
  key TEXT PRIMARY KEY NOT NULL,
  seq INTEGER NOT NULL UNIQUE,
  point TEXT NOT NULL,
  knobs TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'infeasible', 'failed')),
  reason TEXT NOT NULL,
  latency_s REAL,
  energy_j REAL,
  area_mm2 REAL,
  accuracy_sqnr_db REAL,
  extra TEXT NOT NULL,
  fidelity TEXT NOT NULL,
  eval_seconds REAL,
  layers_csv TEXT NOT NULL,
  v_status TEXT CHECK (v_status IS NULL OR v_status IN ('ok', 'infeasible', 'failed')),
  v_reason TEXT,
  v_latency_s REAL,
  v_energy_j REAL,
  v_area_mm2 REAL,
  v_accuracy_sqnr_db REAL,
  v_extra TEXT,
  v_fidelity TEXT,
  v_eval_seconds REAL
);
)sql";

constexpr const char* kColumns =
    "key, point, knobs, status, reason, latency_s, energy_j, area_mm2, accuracy_sqnr_db, extra, "
    "fidelity, eval_seconds, layers_csv, v_status, v_reason, v_latency_s, v_energy_j, v_area_mm2, "
    "v_accuracy_sqnr_db, v_extra, v_fidelity, v_eval_seconds";

constexpr const char* kUpsert = R"sql(
INSERT INTO points(key, seq, point, knobs, status, reason, latency_s, energy_j, area_mm2,
                   accuracy_sqnr_db, extra, fidelity, eval_seconds, layers_csv, v_status, v_reason,
                   v_latency_s, v_energy_j, v_area_mm2, v_accuracy_sqnr_db, v_extra, v_fidelity,
                   v_eval_seconds)
VALUES(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM points), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
       ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
ON CONFLICT(key) DO UPDATE SET
  point = excluded.point, knobs = excluded.knobs, status = excluded.status,
  reason = excluded.reason, latency_s = excluded.latency_s, energy_j = excluded.energy_j,
  area_mm2 = excluded.area_mm2, accuracy_sqnr_db = excluded.accuracy_sqnr_db,
  extra = excluded.extra, fidelity = excluded.fidelity, eval_seconds = excluded.eval_seconds,
  layers_csv = excluded.layers_csv, v_status = excluded.v_status, v_reason = excluded.v_reason,
  v_latency_s = excluded.v_latency_s, v_energy_j = excluded.v_energy_j,
  v_area_mm2 = excluded.v_area_mm2, v_accuracy_sqnr_db = excluded.v_accuracy_sqnr_db,
  v_extra = excluded.v_extra, v_fidelity = excluded.v_fidelity,
  v_eval_seconds = excluded.v_eval_seconds
)sql";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

ConfigError store_error(const fs::path& path, const std::string& message) {
  return ConfigError(Diagnostic{path.string(), "", message});
}

/// Turns an SQLite failure into the right exception: a file that is not a (readable) database is
/// the user's input problem (ConfigError naming the file); anything else (disk full, I/O error,
/// lock timeout) is an environment failure (runtime_error).
[[noreturn]] void throw_sqlite(sqlite3* db, const fs::path& path, int rc, std::string_view what) {
  const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      throw store_error(path, "not an mpsim results store or corrupt (" + detail + ")");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      throw store_error(path, "cannot open the results store (" + detail + ")");
    default:
      throw std::runtime_error(path.string() + ": results store: " + std::string(what) + ": " +
                               detail);
  }
}

// NaN cannot be stored as REAL (SQLite binds it as NULL), so NULL is read back as NaN.
double column_double(sqlite3_stmt* s, int col) {
  if (sqlite3_column_type(s, col) == SQLITE_NULL) return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(s, col);
}

std::string column_text(sqlite3_stmt* s, int col) {
  const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
  if (!t) return {};
  return std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
}

// JSON has no NaN/inf: non-finite extra metrics are written as the strings "nan", "inf", "-inf".
nlohmann::json extra_to_json(const std::map<std::string, double>& extra) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, v] : extra) {
    if (std::isfinite(v)) {
      j[name] = v;
    } else {
      j[name] = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    }
  }
  return j;
}

std::map<std::string, double> extra_from_json(const std::string& text) {
  std::map<std::string, double> out;
  const auto j = nlohmann::json::parse(text);
  for (const auto& [name, v] : j.items()) {
    if (v.is_number()) {
      out[name] = v.get<double>();
    } else {
      const auto s = v.get<std::string>();
      out[name] = s == "nan"   ? std::numeric_limits<double>::quiet_NaN()
                  : s == "inf" ? std::numeric_limits<double>::infinity()
                               : -std::numeric_limits<double>::infinity();
    }
  }
  return out;
}

Status status_from_text(const std::string& s) {
  Status st = Status::kFailed;
  const bool known = parse_status(s, st);
  MPSIM_CHECK(known, "results store: unknown status '" + s + "' passed the schema's CHECK");
  return st;
}

/// Orders the results of one key for merge: a usable result beats a failed one, then a verified
/// one an unverified one, then a cycle-level (systemc) one an analytical one.
int fidelity_rank(const StoredPoint& p) {
  int rank = 0;
  if (p.eval.status != Status::kFailed) rank += 4;
  if (p.verified) rank += 2;
  if (p.eval.fidelity == "systemc") rank += 1;
  return rank;
}

class SqliteStore final : public ResultStore {
 public:
  /// Opens (read-write, creating when absent or empty) and checks the spec hash.
  static std::unique_ptr<SqliteStore> open_rw(const fs::path& path, const StoreMeta& meta) {
    std::unique_ptr<SqliteStore> s(new SqliteStore(path));
    s->connect(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    s->exec("PRAGMA busy_timeout=10000", "set busy timeout");
    if (s->is_empty_database()) s->create(meta);
    s->check_is_store();
    s->exec("PRAGMA journal_mode=WAL", "enable WAL");
    s->exec(kSynchronous, "set synchronous");
    s->load_meta();
    if (s->meta_.spec_hash != meta.spec_hash) {
      throw store_error(path, "holds results of a different study: its spec hash is " +
                                  s->meta_.spec_hash + ", this study's is " + meta.spec_hash +
                                  " (use a new store file, or the spec it was created with)");
    }
    return s;
  }

  static std::unique_ptr<SqliteStore> open_ro(const fs::path& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      throw store_error(path, "no such results store (file not found)");
    }
    std::unique_ptr<SqliteStore> s(new SqliteStore(path));
    s->connect(SQLITE_OPEN_READONLY);
    s->exec("PRAGMA busy_timeout=10000", "set busy timeout");
    if (s->is_empty_database()) throw store_error(path, "not an mpsim results store (empty)");
    s->check_is_store();
    s->load_meta();
    return s;
  }

  ~SqliteStore() override {
    // Statements must be finalized before the connection closes for the WAL to be checkpointed.
    put_stmt_.reset();
    find_stmt_.reset();
  }

  const StoreMeta& meta() const override { return meta_; }

  std::optional<StoredPoint> find(const std::string& key) const override {
    auto p = find_any(key);
    if (p && p->eval.status == Status::kFailed) return std::nullopt;
    return p;
  }

  /// Like find() but also returns failed results (merge must see them to rank them).
  std::optional<StoredPoint> find_any(const std::string& key) const {
    std::lock_guard lock(mu_);
    return find_any_locked(key);
  }

  /// find_any() for use inside in_transaction (the lock is already held).
  std::optional<StoredPoint> find_any_locked(const std::string& key) const {
    if (!find_stmt_) {
      find_stmt_ = prepare(std::string("SELECT ") + kColumns + " FROM points WHERE key = ?1");
    }
    sqlite3_stmt* s = find_stmt_.get();
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    const int rc = sqlite3_step(s);
    std::optional<StoredPoint> out;
    if (rc == SQLITE_ROW) {
      out = read_row(s);
    } else if (rc != SQLITE_DONE) {
      sqlite3_reset(s);
      throw_sqlite(db_.get(), path_, rc, "find");
    }
    sqlite3_reset(s);
    return out;
  }

  void put(const StoredPoint& p) override {
    std::lock_guard lock(mu_);
    put_locked(p);
  }

  std::vector<StoredPoint> all() const override {
    std::lock_guard lock(mu_);
    StmtPtr s = prepare(std::string("SELECT ") + kColumns + " FROM points ORDER BY seq");
    std::vector<StoredPoint> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back(read_row(s.get()));
    if (rc != SQLITE_DONE) throw_sqlite(db_.get(), path_, rc, "read all points");
    return out;
  }

  std::uint64_t count() const override {
    std::lock_guard lock(mu_);
    StmtPtr s = prepare("SELECT count(*) FROM points");
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) throw_sqlite(db_.get(), path_, rc, "count points");
    return static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
  }

  /// Runs `fn` inside one write transaction (merge: all of a merge lands, or none of it).
  template <typename Fn>
  void in_transaction(Fn&& fn) {
    std::lock_guard lock(mu_);
    exec("BEGIN IMMEDIATE", "begin transaction");
    try {
      fn();
    } catch (...) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    exec("COMMIT", "commit");
  }
  /// put() for use inside in_transaction (the lock is already held).
  void put_in_transaction(const StoredPoint& p) { put_locked(p); }

  const fs::path& path() const { return path_; }

 private:
  explicit SqliteStore(fs::path path) : path_(std::move(path)) {}

  void connect(int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path_.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // sqlite3_open_v2 returns a handle even on failure; it must be closed
    if (rc != SQLITE_OK) throw_sqlite(db_.get(), path_, rc, "open");
    sqlite3_extended_result_codes(db_.get(), 1);
  }

  void exec(const char* sql, std::string_view what) const {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db_.get(), path_, rc, what);
  }

  StmtPtr prepare(const std::string& sql) const {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr);
    StmtPtr s(raw);
    if (rc != SQLITE_OK) throw_sqlite(db_.get(), path_, rc, "prepare '" + sql + "'");
    return s;
  }

  std::int64_t query_int(const std::string& sql, std::string_view what) const {
    StmtPtr s = prepare(sql);
    const int rc = sqlite3_step(s.get());
    if (rc != SQLITE_ROW) throw_sqlite(db_.get(), path_, rc, what);
    return sqlite3_column_int64(s.get(), 0);
  }

  /// True for a zero-length file or an SQLite database with nothing in it (also what a creation
  /// that crashed before its commit leaves behind). Reading the schema is also where a file that
  /// is not a database at all is detected (SQLITE_NOTADB).
  bool is_empty_database() const {
    return query_int("SELECT count(*) FROM sqlite_master", "read the schema") == 0;
  }

  void check_is_store() const {
    const bool has_table =
        query_int(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
            "('mpsim_schema', 'meta', 'points')",
            "read the schema") == 3;
    const auto app = query_int("PRAGMA application_id", "read the application id");
    if (!has_table || app != kApplicationId) {
      throw store_error(path_,
                        "is an SQLite database but not an mpsim results store (no mpsim tables or "
                        "application id); refusing to touch it");
    }
    const auto version = query_int("SELECT max(version) FROM mpsim_schema", "read schema version");
    if (version != kSchemaVersion) {
      throw store_error(path_, "results store schema version " + std::to_string(version) +
                                   ", this mpsim reads version " + std::to_string(kSchemaVersion));
    }
  }

  void create(const StoreMeta& meta) {
    // WAL must be chosen outside a transaction; it is persistent in the file.
    exec("PRAGMA journal_mode=WAL", "enable WAL");
    exec("BEGIN IMMEDIATE", "begin creation");
    try {
      // Another process may have created the store while we waited for the write lock.
      if (is_empty_database()) {
        exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str(),
             "set application id");
        exec(kSchema, "create schema");
        exec(("INSERT INTO mpsim_schema(version) VALUES(" + std::to_string(kSchemaVersion) + ")")
                 .c_str(),
             "write schema version");
        StmtPtr s = prepare(
            "INSERT INTO meta(id, spec_hash, spec_yaml, tool_version, git_hash, cost_table, seed) "
            "VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6)");
        bind_text(s.get(), 1, meta.spec_hash);
        bind_text(s.get(), 2, meta.spec_yaml);
        bind_text(s.get(), 3, meta.tool_version);
        bind_text(s.get(), 4, meta.git_hash);
        bind_text(s.get(), 5, meta.cost_table);
        // SQLite integers are signed: the seed's bits are kept and converted back in load_meta.
        sqlite3_bind_int64(s.get(), 6, static_cast<std::int64_t>(meta.seed));
        const int rc = sqlite3_step(s.get());
        if (rc != SQLITE_DONE) throw_sqlite(db_.get(), path_, rc, "write meta");
      }
      exec("COMMIT", "commit creation");
    } catch (...) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void load_meta() {
    StmtPtr s = prepare(
        "SELECT spec_hash, spec_yaml, tool_version, git_hash, cost_table, seed FROM meta WHERE "
        "id = 1");
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) throw store_error(path_, "results store has no meta row (damaged)");
    if (rc != SQLITE_ROW) throw_sqlite(db_.get(), path_, rc, "read meta");
    meta_.spec_hash = column_text(s.get(), 0);
    meta_.spec_yaml = column_text(s.get(), 1);
    meta_.tool_version = column_text(s.get(), 2);
    meta_.git_hash = column_text(s.get(), 3);
    meta_.cost_table = column_text(s.get(), 4);
    meta_.seed = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 5));
  }

  static void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }

  static void bind_eval(sqlite3_stmt* s, int first, const Evaluation& e) {
    bind_text(s, first, std::string(to_string(e.status)));
    bind_text(s, first + 1, e.reason);
    sqlite3_bind_double(s, first + 2, e.metrics.latency_s);
    sqlite3_bind_double(s, first + 3, e.metrics.energy_j);
    sqlite3_bind_double(s, first + 4, e.metrics.area_mm2);
    sqlite3_bind_double(s, first + 5, e.metrics.accuracy_sqnr_db);
    bind_text(s, first + 6, extra_to_json(e.metrics.extra).dump());
    bind_text(s, first + 7, e.fidelity);
    sqlite3_bind_double(s, first + 8, e.eval_seconds);
  }

  void put_locked(const StoredPoint& p) {
    MPSIM_CHECK(!p.key.empty(), "results store: a point needs a key");
    if (!put_stmt_) put_stmt_ = prepare(kUpsert);
    sqlite3_stmt* s = put_stmt_.get();
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    bind_text(s, 1, p.key);
    bind_text(s, 2, nlohmann::json(p.point).dump());
    bind_text(s, 3, nlohmann::json(p.knobs).dump());
    bind_eval(s, 4, p.eval);  // ?4..?12
    bind_text(s, 13, p.layers_csv);
    if (p.verified) {
      bind_eval(s, 14, *p.verified);
    }  // else ?14..?22 stay NULL (cleared bindings): not verified
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) throw_sqlite(db_.get(), path_, rc, "put point " + p.key);
  }

  static Evaluation read_eval(sqlite3_stmt* s, int first) {
    Evaluation e;
    e.status = status_from_text(column_text(s, first));
    e.reason = column_text(s, first + 1);
    e.metrics.latency_s = column_double(s, first + 2);
    e.metrics.energy_j = column_double(s, first + 3);
    e.metrics.area_mm2 = column_double(s, first + 4);
    e.metrics.accuracy_sqnr_db = column_double(s, first + 5);
    e.metrics.extra = extra_from_json(column_text(s, first + 6));
    e.fidelity = column_text(s, first + 7);
    e.eval_seconds = column_double(s, first + 8);
    return e;
  }

  StoredPoint read_row(sqlite3_stmt* s) const {
    // Column order is kColumns: key, point, knobs, then the evaluation's 9 columns with
    // layers_csv between the primary group (3..11) and the verified group (13..21).
    StoredPoint p;
    p.key = column_text(s, 0);
    try {
      p.point = nlohmann::json::parse(column_text(s, 1)).get<Point>();
      p.knobs = nlohmann::json::parse(column_text(s, 2)).get<std::map<std::string, std::string>>();
      p.eval = read_eval(s, 3);
      p.layers_csv = column_text(s, 12);
      if (sqlite3_column_type(s, 13) != SQLITE_NULL) p.verified = read_eval(s, 13);
    } catch (const nlohmann::json::exception& e) {
      throw store_error(path_, "point " + p.key + " is damaged (" + e.what() + ")");
    }
    return p;
  }

  fs::path path_;
  DbPtr db_;
  StoreMeta meta_;
  mutable std::mutex mu_;
  mutable StmtPtr find_stmt_;
  StmtPtr put_stmt_;
};

}  // namespace

std::unique_ptr<ResultStore> ResultStore::open(const std::filesystem::path& path,
                                               const StoreMeta& meta) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);  // open reports the failure, naming the file
  }
  return SqliteStore::open_rw(path, meta);
}

std::unique_ptr<ResultStore> ResultStore::open_existing(const std::filesystem::path& path) {
  return SqliteStore::open_ro(path);
}

std::uint64_t merge_stores(const std::filesystem::path& dest,
                           const std::vector<std::filesystem::path>& shards) {
  std::error_code ec;
  const bool dest_exists = fs::exists(dest, ec);
  // Open every shard first and report every unreadable shard and hash mismatch at once.
  std::vector<Diagnostic> problems;
  std::vector<std::unique_ptr<SqliteStore>> sources;
  for (const auto& shard : shards) {
    // Merging a shard into itself (dest is one of the shards) adds nothing.
    if (dest_exists && fs::equivalent(dest, shard, ec)) continue;
    try {
      sources.push_back(SqliteStore::open_ro(shard));
    } catch (const ConfigError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  if (shards.empty() && !dest_exists) {
    problems.push_back(Diagnostic{dest.string(), "", "nothing to merge: no shard stores given"});
  }
  std::unique_ptr<SqliteStore> out;
  if (problems.empty() && dest_exists) {
    try {
      out = SqliteStore::open_ro(dest);  // read its hash only; reopened read-write below
    } catch (const ConfigError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  }
  const std::string expected = out                ? out->meta().spec_hash
                               : !sources.empty() ? sources.front()->meta().spec_hash
                                                  : std::string();
  for (const auto& s : sources) {
    if (s->meta().spec_hash != expected) {
      problems.push_back(Diagnostic{s->path().string(), "",
                                    "spec hash " + s->meta().spec_hash + " differs from " +
                                        expected + " of " +
                                        (out ? dest.string() : sources.front()->path().string()) +
                                        ": shards of different studies cannot be merged"});
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  if (out) {
    const StoreMeta meta = out->meta();
    out.reset();
    out = SqliteStore::open_rw(dest, meta);
  } else {
    if (dest.has_parent_path()) fs::create_directories(dest.parent_path(), ec);
    out = SqliteStore::open_rw(dest, sources.front()->meta());
  }
  out->in_transaction([&] {
    for (const auto& src : sources) {
      for (const StoredPoint& p : src->all()) {
        const auto existing = out->find_any_locked(p.key);
        if (!existing || fidelity_rank(p) > fidelity_rank(*existing)) out->put_in_transaction(p);
      }
    }
  });
  return out->count();
}

}  // namespace mpsim::dse
