// SPDX-License-Identifier: GPL-2.0-only
#include "programs/aio/profile_result.hpp"

#include <algorithm>

namespace programs::aio {

const std::set<std::string>& fs_aio_functions() {
  // Every KernelFunction of models/aio/fs_aio.cpp.
  static const std::set<std::string> fns = {
      "io_submit",     "io_submit_one", "__aio_get_req",       "kiocb_batch_refill", "kiocb_batch_free",
      "kiocb_free",    "aio_put_req",   "aio_complete",        "kiocb_set_cancel_fn", "kiocb_cancel",
      "lookup_kiocb",  "io_cancel",     "aio_read_events_ring", "read_events",       "io_getevents",
      "lookup_ioctx",  "put_ioctx",     "kill_ioctx",          "free_ioctx",         "io_destroy"};
  return fns;
}

std::vector<std::string> cpu_roles(int ncpus, const std::vector<RoleCpus>& roles) {
  std::vector<std::string> out(static_cast<std::size_t>(ncpus));
  for (const RoleCpus& r : roles)
    for (int c : r.cpus) {
      std::string& s = out[static_cast<std::size_t>(c)];
      if (s.find(r.role) != std::string::npos) continue;
      s += s.empty() ? r.role : std::string("+") + r.role;
    }
  for (std::string& s : out)
    if (s.empty()) s = "other";
  return out;
}

namespace {
double share(sim::Time part, sim::Time whole) { return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0; }
constexpr std::size_t kTop = 30;
}  // namespace

nlohmann::ordered_json profile_json(const sim::profile::Folded& by_context, const sim::profile::Folded& by_role,
                                    const std::vector<std::string>& roles) {
  using nlohmann::ordered_json;
  namespace pr = sim::profile;
  const pr::Summary s = pr::summarize(by_context, fs_aio_functions());
  ordered_json j;
  j["busy_ns"] = sim::to_ns(s.busy);
  j["aio_share"] = share(s.group, s.busy);
  j["aio_spin_share"] = share(s.group_spin, s.busy);
  j["aio_children_share"] = share(s.group_children, s.busy);
  j["user_share"] = share(s.user, s.busy);
  j["by_context"] = {{"task_share", share(s.by_context[0], s.busy)}, {"hardirq_share", share(s.by_context[1], s.busy)}};
  j["by_kind"] = {{"work_share", share(s.by_kind[0], s.busy)},
                  {"spin_share", share(s.by_kind[1], s.busy)},
                  {"stall_share", share(s.by_kind[2], s.busy)}};
  ordered_json locks = ordered_json::object();
  for (const auto& [lock, t] : s.spin_by_lock) locks[lock] = {{"spin_ns", sim::to_ns(t)}, {"spin_share", share(t, s.busy)}};
  j["locks"] = std::move(locks);
  // One fixed set of columns: every fs/aio.c function, present or not.
  ordered_json fns = ordered_json::object();
  for (const std::string& f : fs_aio_functions()) {
    auto it = std::find_if(s.symbols.begin(), s.symbols.end(), [&](const pr::Symbol& x) { return x.name == f; });
    const sim::Time self = it == s.symbols.end() ? 0 : it->self;
    const sim::Time total = it == s.symbols.end() ? 0 : it->total;
    fns[f] = {{"self_share", share(self, s.busy)}, {"total_share", share(total, s.busy)}};
  }
  j["aio_functions"] = std::move(fns);
  std::set<std::string> role_set(roles.begin(), roles.end());
  ordered_json rj = ordered_json::object();
  for (const std::string& role : role_set) {
    const pr::Summary r = pr::summarize(by_role, fs_aio_functions(), 1, {role});
    rj[role] = {{"busy_ns", sim::to_ns(r.busy)},
                {"aio_share", share(r.group, r.busy)},
                {"aio_spin_share", share(r.group_spin, r.busy)},
                {"aio_children_share", share(r.group_children, r.busy)},
                {"user_share", share(r.user, r.busy)},
                {"hardirq_share", share(r.by_context[1], r.busy)}};
  }
  j["roles"] = std::move(rj);
  ordered_json top = ordered_json::array();
  for (std::size_t i = 0; i < s.symbols.size() && i < kTop; ++i) {
    const pr::Symbol& x = s.symbols[i];
    top.push_back({{"symbol", x.name},
                   {"self_ns", sim::to_ns(x.self)},
                   {"total_ns", sim::to_ns(x.total)},
                   {"self_share", share(x.self, s.busy)},
                   {"total_share", share(x.total, s.busy)},
                   {"spin_ns", sim::to_ns(x.spin)},
                   {"stall_ns", sim::to_ns(x.stall)},
                   {"task_total_ns", sim::to_ns(x.total_by_context[0])},
                   {"hardirq_total_ns", sim::to_ns(x.total_by_context[1])}});
  }
  j["top"] = std::move(top);
  return j;
}

}  // namespace programs::aio
