// SPDX-License-Identifier: GPL-2.0-only
// DIR/results.sqlite: the merged results as tidy tables (docs/sweeps.md,
// "results.sqlite"), every metric included, for SQL and for pandas'
// read_sql. Built in memory and serialized, so that the caller writes it
// atomically like the CSVs, and the same runs give the same bytes.
#include <sqlite3.h>

#include <charconv>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "app/sweep/results.hpp"

namespace sweep {

namespace {

using json = nlohmann::ordered_json;

class Db {
 public:
  Db() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
      throw std::runtime_error("results.sqlite: cannot open an in-memory database");
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("results.sqlite: " + msg);
    }
  }
  sqlite3* get() const { return db_; }
  [[noreturn]] void fail() const { throw std::runtime_error(std::string("results.sqlite: ") + sqlite3_errmsg(db_)); }

  std::string serialize() const {
    sqlite3_int64 size = 0;
    unsigned char* data = sqlite3_serialize(db_, "main", &size, 0);
    if (!data) fail();
    std::string out(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    sqlite3_free(data);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared INSERT, bound by position and stepped once per row.
class Insert {
 public:
  Insert(Db& db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st_, nullptr) != SQLITE_OK) db.fail();
  }
  ~Insert() { sqlite3_finalize(st_); }
  Insert(const Insert&) = delete;
  Insert& operator=(const Insert&) = delete;

  Insert& null() { return check(sqlite3_bind_null(st_, ++at_)); }
  Insert& integer(std::int64_t v) { return check(sqlite3_bind_int64(st_, ++at_, v)); }
  Insert& real(double v) { return check(sqlite3_bind_double(st_, ++at_, v)); }
  Insert& text(const std::string& v) { return check(sqlite3_bind_text(st_, ++at_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT)); }
  // A metric's CSV text as its SQL type: integers, reals, booleans as 0/1.
  Insert& value(const std::string& v) {
    if (v == "true" || v == "false") return integer(v == "true");
    std::int64_t i = 0;
    if (auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), i); ec == std::errc{} && end == v.data() + v.size()) return integer(i);
    double d = 0;
    if (auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d); ec == std::errc{} && end == v.data() + v.size()) return real(d);
    return text(v);
  }
  // A parameter as its JSON type.
  Insert& param(const json& v) {
    if (v.is_string()) return text(v.get<std::string>());
    if (v.is_boolean()) return integer(v.get<bool>());
    if (v.is_number_integer()) return integer(v.get<std::int64_t>());
    if (v.is_number()) return real(v.get<double>());
    return text(v.dump());
  }
  void row() {
    if (sqlite3_step(st_) != SQLITE_DONE) db_.fail();
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
    at_ = 0;
  }

 private:
  Insert& check(int rc) {
    if (rc != SQLITE_OK) db_.fail();
    return *this;
  }
  Db& db_;
  sqlite3_stmt* st_ = nullptr;
  int at_ = 0;
};

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

// "cpus.3.spin_ns" -> (3, "spin_ns"); "locks.ctx_lock.wait_ns.p99" -> ("ctx_lock", "wait_ns.p99").
bool split2(const std::string& name, const char* prefix, std::string& first, std::string& rest) {
  const std::string p = prefix;
  if (name.rfind(p, 0) != 0) return false;
  const auto dot = name.find('.', p.size());
  if (dot == std::string::npos) return false;
  first = name.substr(p.size(), dot - p.size());
  rest = name.substr(dot + 1);
  return true;
}

}  // namespace

std::string results_sqlite(const Plan& plan, const Tidy& t) {
  Db db;
  std::string param_cols;
  for (const auto& p : plan.parameters) param_cols += ", " + ident(p);
  db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;");
  db.exec("CREATE TABLE points (point INTEGER PRIMARY KEY" + param_cols + ");");
  db.exec("CREATE TABLE runs (run INTEGER PRIMARY KEY, point INTEGER NOT NULL REFERENCES points, replication INTEGER NOT NULL, "
          "seed INTEGER NOT NULL" + param_cols + ", status TEXT NOT NULL, exit_code INTEGER, error TEXT);");
  db.exec("CREATE TABLE metrics (run INTEGER NOT NULL REFERENCES runs, name TEXT NOT NULL, value, PRIMARY KEY (run, name));");
  db.exec("CREATE TABLE cpus (run INTEGER NOT NULL REFERENCES runs, cpu INTEGER NOT NULL, task_ns REAL, spin_ns REAL, "
          "irq_ns REAL, idle_ns REAL, PRIMARY KEY (run, cpu));");
  db.exec("CREATE TABLE locks (run INTEGER NOT NULL REFERENCES runs, lock TEXT NOT NULL, metric TEXT NOT NULL, value, "
          "PRIMARY KEY (run, lock, metric));");
  db.exec("CREATE TABLE summary (point INTEGER NOT NULL REFERENCES points, metric TEXT NOT NULL, n INTEGER NOT NULL, "
          "mean REAL, ci95 REAL, PRIMARY KEY (point, metric));");

  {
    Insert ins(db, "INSERT INTO points VALUES (" + placeholders(1 + plan.parameters.size()) + ")");
    for (std::size_t p = 0; p < plan.points.size(); ++p) {
      ins.integer(static_cast<std::int64_t>(p));
      for (const auto& k : plan.parameters) ins.param(plan.points[p].at(k));
      ins.row();
    }
  }
  {
    Insert ins(db, "INSERT INTO runs VALUES (" + placeholders(7 + plan.parameters.size()) + ")");
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const PlannedRun& r = plan.runs[i];
      const RunRecord& rec = t.records[i];
      ins.integer(static_cast<std::int64_t>(r.run)).integer(static_cast<std::int64_t>(r.point));
      ins.integer(static_cast<std::int64_t>(r.replication)).integer(static_cast<std::int64_t>(r.seed));
      for (const auto& k : plan.parameters) ins.param(plan.points[r.point].at(k));
      ins.text(state_name(rec.state));
      if (rec.state == RunState::Missing) ins.null();
      else ins.integer(rec.exit_code);
      if (rec.error.empty()) ins.null();
      else ins.text(rec.error);
      ins.row();
    }
  }
  {
    Insert metric(db, "INSERT INTO metrics VALUES (?, ?, ?)");
    Insert lock(db, "INSERT INTO locks VALUES (?, ?, ?, ?)");
    Insert cpu(db, "INSERT INTO cpus VALUES (?, ?, ?, ?, ?, ?)");
    static const char* const kCpuCols[] = {"task_ns", "spin_ns", "irq_ns", "idle_ns"};
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
      const auto run = static_cast<std::int64_t>(plan.runs[i].run);
      // cpus: one row per CPU, in the order the result lists them.
      std::vector<std::string> cpu_order;
      std::map<std::string, std::map<std::string, const std::string*>> cpus;
      for (const auto& [k, v] : t.rows[i]) {
        metric.integer(run).text(k).value(v).row();
        std::string first, rest;
        if (split2(k, "locks.", first, rest)) lock.integer(run).text(first).text(rest).value(v).row();
        if (split2(k, "cpus.", first, rest)) {
          if (!cpus.count(first)) cpu_order.push_back(first);
          cpus[first][rest] = &v;
        }
      }
      for (const std::string& c : cpu_order) {
        std::int64_t index = 0;
        (void)std::from_chars(c.data(), c.data() + c.size(), index);
        cpu.integer(run).integer(index);
        for (const char* col : kCpuCols) {
          const auto it = cpus[c].find(col);
          if (it == cpus[c].end()) cpu.null();
          else cpu.value(*it->second);
        }
        cpu.row();
      }
    }
  }
  {
    Insert ins(db, "INSERT INTO summary VALUES (?, ?, ?, ?, ?)");
    for (std::size_t p = 0; p < plan.points.size(); ++p)
      for (std::size_t c = 0; c < t.numeric.size(); ++c) {
        const MeanCi& mc = t.stats[p][c];
        if (!mc.n) continue;
        ins.integer(static_cast<std::int64_t>(p)).text(t.numeric[c]).integer(static_cast<std::int64_t>(mc.n)).real(mc.mean);
        if (mc.has_ci) ins.real(mc.ci95);
        else ins.null();
        ins.row();
      }
  }
  db.exec("CREATE INDEX metrics_by_name ON metrics (name, run);");
  db.exec("COMMIT;");
  return db.serialize();
}

}  // namespace sweep
