// SPDX-License-Identifier: GPL-2.0-only
// `aiosim sweep SPEC`: a parameter sweep (axes, zipped axes, constraints,
// replications) run by a local pool of `aiosim run` processes or a Slurm job
// array, merged into DIR/runs.csv, DIR/summary.csv and DIR/results.sqlite. See app/sweep/.
#include "app/cmd_sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <xbt/base.h>  // SG_BEGIN_DECL, which simgrid/version.h needs
#include <simgrid/version.h>

#include "app/commands.hpp"
#include "app/errors.hpp"
#include "app/scenario.hpp"
#include "sim/atomic_file.hpp"
#include "app/sweep/grow.hpp"
#include "app/sweep/results.hpp"
#include "app/sweep/runner.hpp"
#include "app/sweep/slurm.hpp"
#include "app/sweep/spec.hpp"
#include "version.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace app {

inline constexpr int kExitIncomplete = 5;  // aiosim collect: some runs have not run yet

namespace {

sweep::RunEnv make_env(const fs::path& dir, const std::string& self, const std::string& backend) {
  sweep::RunEnv env;
  env.dir = fs::absolute(dir).lexically_normal();
  env.self = self;
  env.build.version = AIOSIM_VERSION;
  env.build.git_commit = AIOSIM_GIT_COMMIT;
  env.build.git_dirty = AIOSIM_GIT_DIRTY;
  env.build.simgrid_version = fmt::format("{}.{}.{}", SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR, SIMGRID_VERSION_PATCH);
  env.backend = backend;
  env.schema_for = schema_for;
  // Each run is `aiosim run config.toml --out . --quiet`, called in the
  // forked child: no exec, no second dynamic link of SimGrid per run.
  env.run_in_child = [] {
    app::RunArgs a;
    a.config = "config.toml";
    a.out = ".";
    a.quiet = true;
    try {
      return app::cmd_run(a);
    } catch (...) {
      return app::report_current_exception();
    }
  };
  return env;
}

bool read_sweep_json(const fs::path& dir, json& out) {
  std::ifstream in(dir / "sweep.json", std::ios::binary);
  if (!in) return false;
  // sweep.json is only ever written atomically; a corrupt one was edited or damaged by hand.
  out = json::parse(in, nullptr, false);
  if (out.is_discarded() || !out.is_object())
    throw InputError((dir / "sweep.json").string() + ": not a valid sweep file (corrupt JSON)");
  return true;
}

sweep::Plan plan_of(const fs::path& dir, const json& stored) {
  try {
    return sweep::Plan::from_json(stored);
  } catch (const nlohmann::json::exception&) {
    throw InputError((dir / "sweep.json").string() + ": not a valid sweep file (fields missing or of the wrong type)");
  } catch (const std::invalid_argument& e) {
    throw InputError((dir / "sweep.json").string() + ": not a valid sweep file (" + e.what() + ")");
  }
}

// Writes runs.csv, summary.csv and results.sqlite (each atomically), prints the outcome; returns the exit code.
int finish(const sweep::RunEnv& env, const sweep::Plan& plan, bool quiet) {
  const sweep::Merged m = sweep::merge(env.dir, plan);
  sim::write_file_atomically(env.dir / "runs.csv", m.runs_csv);
  sim::write_file_atomically(env.dir / "summary.csv", m.summary_csv);
  sim::write_file_atomically(env.dir / "results.sqlite", m.results_sqlite);
  if (!quiet) {
    fmt::print("sweep: {} runs: {} ok, {} failed{}{} -> {}, {}, {}\n", plan.runs.size(), m.ok, m.failed,
               m.error ? fmt::format(", {} errors", m.error) : "", m.missing ? fmt::format(", {} not run yet", m.missing) : "",
               (env.dir / "runs.csv").string(), (env.dir / "summary.csv").string(), (env.dir / "results.sqlite").string());
    std::size_t shown = 0;
    for (const auto& [run, err] : m.failures) {
      if (shown++ == 10) {
        fmt::print("  ... and {} more (the error column of runs.csv)\n", m.failures.size() - 10);
        break;
      }
      fmt::print("  run {} ({}): {}\n", run, plan.runs[run].dir, err);
    }
  }
  if (m.missing) return kExitIncomplete;
  if (m.error) return kExitIo;
  return m.failed ? kExitViolation : kExitOk;
}

// out/<spec stem>, when the stem is a plain name ("...toml" has the stem "..").
fs::path default_out(const std::string& spec) {
  const std::string stem = fs::path(spec).stem().string();
  if (stem.empty() || stem == "." || stem == ".." || stem.find_first_of("/\\") != std::string::npos)
    throw InputError(spec + ": the spec's name gives no usable directory name; choose one with --out");
  return fs::path("out") / stem;
}

// The directory goes into generated shell and Slurm options (slurm/job.sh,
// sbatch --output): no control characters (a newline would end a quoted
// word's line) and no '%' (Slurm expands it in --output).
void check_sweep_dir(const fs::path& dir) {
  for (const char ch : dir.string()) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '%')
      throw InputError("the sweep directory " + sim::config::printable(dir.string(), 80) +
                       " holds a control character or '%'; choose another with --out");
  }
}

// Temporaries of writers killed mid-write (".<name>.tmp.<pid>.<n>", sim/atomic_file.hpp),
// in the sweep directory and in each run directory.
void clear_temporaries(const fs::path& dir) {
  const auto clear = [](const fs::path& d) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string name = e.path().filename().string();
      std::error_code ec2;
      if (name.size() > 1 && name[0] == '.' && name.find(".tmp.") != std::string::npos && e.is_regular_file(ec2))
        fs::remove(e.path(), ec2);
    }
  };
  clear(dir);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "runs", ec)) {
    std::error_code ec2;
    if (e.is_directory(ec2)) clear(e.path());
  }
}

}  // namespace

int run_plan(const std::string& spec_file, const fs::path& base, const sweep::Plan& plan, const PlanRunOptions& o,
             const std::string& self) {
  const sweep::RunEnv env = make_env(o.out, self, o.backend);
  check_sweep_dir(env.dir);

  json stored;
  const bool exists = read_sweep_json(env.dir, stored);
  if (o.resume && !exists) {
    fmt::print(stderr, "aiosim: --resume: {} holds no sweep (no sweep.json)\n", env.dir.string());
    return kExitBadInput;
  }
  // A campaign may grow: same runs plus new ones (sweep/grow.hpp).
  const bool grows = exists && !plan.same_as(stored);
  std::optional<sweep::Plan> old;
  if (exists) old = plan_of(env.dir, stored);
  if (grows) {
    if (const auto why = sweep::growth_refusal(*old, plan, env.dir)) {
      print_error_line(fmt::format("{} holds a different sweep: {}; a sweep directory can only grow (more axis values or "
                                   "replications, looser constraints): choose another --out or remove it",
                                   env.dir.string(), *why));
      return kExitBadInput;
    }
  }
  if (o.dry_run) {
    fmt::print("{}", sweep::dry_run_text(env.dir, plan, old ? &*old : nullptr));
    return kExitOk;
  }
  sim::OutputDir::ensure(env.dir);

  // One local sweep at a time per directory (the lock goes with the process, SIGKILL included).
  const int lock = ::open((env.dir / ".sweep.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    fmt::print(stderr, "aiosim: {}: another sweep is running in this directory\n", env.dir.string());
    return kExitIo;
  }
  clear_temporaries(env.dir);
  if (grows || (exists && sweep::has_pending_moves(env.dir))) {
    sweep::move_runs_into_place(env.dir, plan);
    if (!o.quiet && grows)
      fmt::print(stderr, "sweep: {} grows from {} to {} runs\n", env.dir.string(), old->runs.size(), plan.runs.size());
  }
  // The grown sweep's record is the one a fresh sweep of this spec writes.
  if (!exists || grows) sim::write_file_atomically(env.dir / "sweep.json", plan.to_json(spec_file, base.string()).dump(2) + "\n");

  if (o.backend == "slurm") {
    sweep::SlurmOptions opt;
    opt.chunk = o.chunk;
    opt.sbatch_args = o.sbatch_args;
    std::size_t tasks = 0;
    const std::string job = sweep::submit(env, plan, opt, &tasks);
    if (job.empty()) {
      if (!o.quiet) fmt::print(stderr, "sweep: every run is complete: nothing to submit\n");
    } else {
      if (!o.quiet)
        fmt::print(stderr, "sweep: submitted job array {} ({} task{} of up to {} run{}); merge with: aiosim collect {}\n", job, tasks,
                   tasks == 1 ? "" : "s", o.chunk, o.chunk == 1 ? "" : "s", env.dir.string());
      fmt::print("{}\n", job);
      if (!o.wait) return kExitOk;
      sweep::wait_for_job(env, plan, job, o.quiet);
    }
    return finish(env, plan, o.quiet);
  }

  const int jobs = o.jobs > 0 ? o.jobs : std::max(1, static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
  const sweep::PoolStats st = sweep::run_local(env, plan, jobs, o.quiet);
  if (st.interrupted) {
    // What completed is merged; the rest runs on resume.
    (void)finish(env, plan, true);
    print_error_line(fmt::format("sweep interrupted by {}: {} of {} runs complete (runs.csv, summary.csv and results.sqlite hold them); "
                                 "resume with: aiosim sweep {} --out {}",
                                 sigabbrev_np(st.interrupted) ? std::string("SIG") + sigabbrev_np(st.interrupted) : "a signal",
                                 st.skipped + st.ok + st.failed, plan.runs.size(), spec_file, env.dir.string()));
    return 128 + st.interrupted;
  }
  return finish(env, plan, o.quiet);
}

SweepCommands::SweepCommands(CLI::App& cli) {
  sweep_ = cli.add_subcommand("sweep", "run a parameter sweep (axes, constraints, replications) locally or on Slurm");
  sweep_->add_option("spec", spec_, "sweep spec (TOML)")->required();
  sweep_->add_option("--out", out_,
                     "sweep directory (default: out/<spec name>); re-running into it resumes, and a spec with more "
                     "axis values or replications grows it");
  sweep_->add_option("-j,--jobs", jobs_, "local backend: runs in parallel (default: the number of CPUs)")->check(CLI::Range(1, 1024));
  sweep_->add_flag("--list", list_, "print the runs (index, parameters, seed) and exit");
  sweep_->add_flag("--dry-run", dry_run_,
                   "say what the sweep would do in --out (each run: complete, failed, new, rerun) and write nothing");
  sweep_->add_flag("--resume", resume_, "continue the sweep in --out (it must exist), skipping complete runs");
  sweep_->add_option("--set", sets_, "override a fixed config key for every run: section.key=value (repeatable)");
  sweep_->add_option("--replications", replications_, "override sweep.replications")->check(CLI::Range(1, 100000));
  sweep_->add_option("--backend", backend_, "local: a pool of processes here; slurm: a job array (sbatch)")
      ->check(CLI::IsMember({"local", "slurm"}));
  sweep_->add_option("--chunk", chunk_, "slurm: runs per array task")->check(CLI::Range(1, 1000000));
  sweep_->add_option("--sbatch-arg", sbatch_args_, "slurm: pass an option to sbatch (repeatable), e.g. --sbatch-arg=--partition=short");
  sweep_->add_flag("--wait", wait_, "slurm: wait for the job array, then collect");
  sweep_->add_flag("--quiet", quiet_, "no progress, no summary");

  collect_ = cli.add_subcommand("collect", "merge a sweep directory's runs into runs.csv, summary.csv and results.sqlite");
  collect_->add_option("dir", dir_, "sweep directory")->required();
  collect_->add_flag("--quiet", quiet_, "no summary");

  task_ = cli.add_subcommand("sweep-task", "run one Slurm array task of a sweep (used by the job script)");
  task_->group("");  // internal: not listed in --help
  task_->add_option("dir", dir_, "sweep directory")->required();
  task_->add_option("--task", task_index_, "array task index")->required();
  task_->add_option("--chunk", chunk_, "runs per task")->check(CLI::Range(1, 1000000));
}

bool SweepCommands::chosen() const { return sweep_->parsed() || collect_->parsed() || task_->parsed(); }

int SweepCommands::run(const std::string& self) const {
  try {
    if (sweep_->parsed()) return sweep(self);
    if (collect_->parsed()) return collect();
    return task(self);
  } catch (...) {
    return report_current_exception();
  }
}

int SweepCommands::sweep(const std::string& self) const {
  std::optional<int> reps;
  if (replications_ > 0) reps = replications_;
  require_kind(spec_, FileKind::Sweep);
  const sweep::Spec spec = sweep::load_spec(spec_, sets_, reps);
  const sweep::Plan plan = sweep::make_plan(spec, schema_for, check_config);
  if (list_) {
    fmt::print("{}", sweep::list_text(plan));
    return kExitOk;
  }
  if (plan.runs.empty()) {
    fmt::print(stderr, "aiosim: {}: every grid point is dropped by the constraints: nothing to run\n", spec_);
    return kExitBadInput;
  }
  PlanRunOptions o;
  o.out = out_.empty() ? default_out(spec_) : fs::path(out_);
  o.backend = backend_;
  o.jobs = jobs_;
  o.resume = resume_;
  o.dry_run = dry_run_;
  o.wait = wait_;
  o.quiet = quiet_;
  o.chunk = chunk_;
  o.sbatch_args = sbatch_args_;
  return run_plan(spec_, spec.base, plan, o, self);
}

int SweepCommands::collect() const {
  const sweep::RunEnv env = make_env(dir_, "", "local");
  json stored;
  if (!read_sweep_json(env.dir, stored)) {
    fmt::print(stderr, "aiosim: {}: not a sweep directory (no sweep.json)\n", env.dir.string());
    return kExitBadInput;
  }
  const sweep::Plan plan = plan_of(env.dir, stored);
  clear_temporaries(env.dir);
  // A sweep killed while growing the directory: every complete run to its place in sweep.json's plan.
  if (sweep::has_pending_moves(env.dir)) sweep::move_runs_into_place(env.dir, plan);
  return finish(env, plan, quiet_);
}

int SweepCommands::task(const std::string& self) const {
  const sweep::RunEnv env = make_env(dir_, self, "slurm");
  check_sweep_dir(env.dir);
  json stored;
  if (!read_sweep_json(env.dir, stored)) {
    fmt::print(stderr, "aiosim: {}: not a sweep directory (no sweep.json)\n", env.dir.string());
    return kExitBadInput;
  }
  const sweep::Plan plan = plan_of(env.dir, stored);
  if (task_index_ * chunk_ >= plan.runs.size()) {
    fmt::print(stderr, "aiosim: task {} (chunk {}) is past the sweep's {} runs\n", task_index_, chunk_, plan.runs.size());
    return kExitBadInput;
  }
  return sweep::run_task(env, plan, task_index_, chunk_) == 0 ? kExitOk : kExitIo;
}

}  // namespace app
