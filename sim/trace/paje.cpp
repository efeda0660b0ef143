// SPDX-License-Identifier: GPL-2.0-only
#include "sim/trace/paje.hpp"

#include <stdexcept>

#include <simgrid/instr.h>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>

namespace sim::trace {

namespace {

double seconds(Time t) { return static_cast<double>(t) * 1e-12; }

const char* var_of(Activity a) { return to_string(a); }

const std::string& host_name(const Cpu& c) {
  static const std::string none;
  return c.host ? c.host->get_name() : none;
}

}  // namespace

std::vector<std::string> paje_simgrid_args(const std::string& file, const std::string& comment) {
  for (const std::string* p : {&file, &comment})
    if (p->find_first_of(" \t\n,") != std::string::npos)
      throw std::invalid_argument("SimGrid cannot take a value with spaces or commas: \"" + *p + "\"");
  std::vector<std::string> args = {
      "--cfg=tracing:yes",
      "--cfg=tracing/platform:yes",  // user host variables need the platform traced
      "--cfg=tracing/filename:" + file,
      "--cfg=tracing/precision:12",  // seconds with ps digits (the default, 6, is 1 us)
      "--cfg=tracing/disable-destroy:yes",
      "--log=xbt_cfg.thres:warning",
  };
  if (!comment.empty()) args.push_back("--cfg=tracing/comment:" + comment);
  return args;
}

void PajeSink::set(const std::string& host, const std::string& var, double v, Time at) {
  if (host.empty()) return;
  simgrid::instr::set_host_variable(host, var, v, seconds(at));
  ++events_;
}

std::string PajeSink::declare_lock(const std::string& lock) {
  // A Paje type name is one unquoted token: keep [A-Za-z0-9_].
  std::string var = "holds_";
  for (char c : lock) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok) var += c;
    else if (var.back() != '_') var += '_';
  }
  if (lock_vars_.insert(var).second) simgrid::instr::declare_host_variable(var, "0.5 0.5 0.5");
  return var;
}

void PajeSink::window_opened(Time from) {
  if (!declared_) {
    declared_ = true;
    simgrid::instr::declare_host_variable("task", "0.2 0.5 0.9");
    simgrid::instr::declare_host_variable("spin", "0.9 0.2 0.2");
    simgrid::instr::declare_host_variable("irq", "1 0.6 0");
    simgrid::instr::declare_host_variable("idle", "0.8 0.8 0.8");
  }
  // Every CPU idle at the window's start; the recorder then sets what each
  // one really does (same time, later, so it wins).
  for (const auto* h : simgrid::s4u::Engine::get_instance()->get_all_hosts()) {
    for (const char* v : {"task", "spin", "irq"}) set(h->get_name(), v, 0, from);
    set(h->get_name(), "idle", 1, from);
    activity_[h->get_name()] = "idle";
  }
}

// One-hot: switching to `a` clears whatever was at 1.
void PajeSink::activity(const Cpu& c, Activity a, bool on, Time at) {
  if (!on) return;
  const std::string& host = host_name(c);
  std::string& cur = activity_[host];
  if (cur == var_of(a)) return;
  if (!cur.empty()) set(host, cur, 0, at);
  cur = var_of(a);
  set(host, cur, 1, at);
}

void PajeSink::held(const Cpu& c, const std::string& lock, bool on, Time at) {
  const std::string var = declare_lock(lock);
  int& n = holds_[{host_name(c), var}];
  n += on ? 1 : -1;
  if (n < 0) n = 0;
  set(host_name(c), var, n, at);
}

}  // namespace sim::trace
