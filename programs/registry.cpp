// SPDX-License-Identifier: GPL-2.0-only
#include "programs/registry.hpp"

#include "programs/aio/schema.hpp"
#include "programs/lockbench/lockbench.hpp"
#include "programs/lockbench/schema.hpp"

namespace programs {

namespace {

void check_aio(const sim::config::Config& cfg) {
  programs::aio::RunHooks hooks;
  hooks.check_only = true;
  (void)programs::aio::run_simulation(cfg, "", hooks);
}

programs::aio::RunReport run_aio(const sim::config::Config& cfg, const std::string& version) {
  return programs::aio::run_simulation(cfg, version);
}

void check_lockbench(const sim::config::Config& cfg) { (void)programs::lockbench::params_from(cfg); }

}  // namespace

const std::vector<Program>& all() {
  static const std::vector<Program> programs = {
      {"aio", "an AIO workload on a kioctx design: submitters, devices, reapers, cancellers (programs/aio)",
       &programs::aio::run_schema, &check_aio, &run_aio, true, true},
      {"lockbench", "one spinlock hammered by N CPUs, against the ticket-lock collapse model (programs/lockbench)",
       &programs::lockbench::schema, &check_lockbench, &programs::lockbench::run, false, false},
  };
  return programs;
}

const Program* find(std::string_view name) {
  for (const Program& p : all())
    if (p.name == name) return &p;
  return nullptr;
}

std::string names() {
  std::string out;
  for (const Program& p : all()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

}  // namespace programs
