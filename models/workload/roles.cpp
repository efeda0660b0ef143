// SPDX-License-Identifier: GPL-2.0-only
#include "models/workload/roles.hpp"

#include <cmath>
#include <cstdint>
#include <set>

#include <fmt/format.h>

namespace models {

using sim::config::Config;
using sim::config::CpuSetSpec;

namespace {

struct Role {
  const char* key;
  std::vector<int>* out;
  CpuSetSpec spec;
};

}  // namespace

RoleAssignment resolve_roles(const Config& cfg, int ncpus, bool cancels) {
  RoleAssignment a;
  CpuSetSpec cancellers = cfg.get_cpu_set("usb.cancellers");
  // A count or share of cancellers is for runs that cancel; an explicit list
  // runs its (idle) threads regardless, as it always did.
  if (!cancels && cancellers.kind != CpuSetSpec::Kind::List) cancellers = CpuSetSpec{};
  std::vector<Role> roles = {{"workload.submitters", &a.submitters, cfg.get_cpu_set("workload.submitters")},
                             {"workload.reapers", &a.reapers, cfg.get_cpu_set("workload.reapers")},
                             {"usb.cancellers", &a.cancellers, cancellers},
                             {"block.irq_cpus", &a.irq_cpus, cfg.get_cpu_set("block.irq_cpus")}};

  // 1. Explicit lists.
  std::set<int> named;
  for (Role& r : roles) {
    if (r.spec.kind != CpuSetSpec::Kind::List) continue;
    for (int c : r.spec.cpus) {
      if (c >= ncpus)
        throw cfg.error_at(r.key, fmt::format("CPU {} does not exist: the machine has CPUs 0-{}", c, ncpus - 1));
      named.insert(c);
    }
    *r.out = r.spec.cpus;
  }
  std::vector<int> free;
  for (int c = 0; c < ncpus; ++c)
    if (!named.count(c)) free.push_back(c);

  // 3. Sizes: counts and shares first, then the rest.
  std::vector<std::int64_t> size(roles.size(), 0);
  std::int64_t taken = 0;
  const Role* rest = nullptr;
  std::size_t rest_index = 0;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const Role& r = roles[i];
    switch (r.spec.kind) {
      case CpuSetSpec::Kind::List: continue;
      case CpuSetSpec::Kind::Count: size[i] = r.spec.count; break;
      case CpuSetSpec::Kind::Share:
        size[i] = r.spec.percent > 0 ? std::max<std::int64_t>(1, std::llround(r.spec.percent / 100.0 * ncpus)) : 0;
        break;
      case CpuSetSpec::Kind::Rest:
        if (rest)
          throw cfg.error_at(r.key, fmt::format("\"rest\" is already taken by {}: one role at most takes the rest", rest->key));
        rest = &r;
        rest_index = i;
        continue;
    }
    if (taken + size[i] > static_cast<std::int64_t>(free.size()))
      throw cfg.error_at(r.key, fmt::format("{} needs {} CPU{}, but only {} of the machine's {} are left for it "
                                            "(explicit lists and the roles before it take the others)",
                                            r.spec.text(), size[i], size[i] == 1 ? "" : "s",
                                            static_cast<std::int64_t>(free.size()) - taken, ncpus));
    taken += size[i];
  }
  if (rest) {
    size[rest_index] = static_cast<std::int64_t>(free.size()) - taken;
    if (size[rest_index] == 0)
      throw cfg.error_at(rest->key, fmt::format("\"rest\" gets no CPU: the other roles take all {} CPUs", ncpus));
  }

  // 2. Blocks of free CPUs, in role order.
  std::size_t next = 0;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    if (roles[i].spec.kind == CpuSetSpec::Kind::List) continue;
    roles[i].out->assign(free.begin() + static_cast<std::ptrdiff_t>(next),
                         free.begin() + static_cast<std::ptrdiff_t>(next + static_cast<std::size_t>(size[i])));
    next += static_cast<std::size_t>(size[i]);
  }
  return a;
}

}  // namespace models
