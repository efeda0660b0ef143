// SPDX-License-Identifier: GPL-2.0-only
#include "models/aio/kioctx.hpp"

#include <stdexcept>

namespace models {

const std::vector<std::string>& kioctx_fields() {
  static const std::vector<std::string> f = {"users",       "dead",     "wait",     "ctx_lock",
                                             "reqs_active", "active_reqs", "max_reqs", "ring_lock",
                                             "nr",          "tail",     "completion_lock", "ring_pages"};
  return f;
}

Layout packed_layout() {
  return {{"users", "kioctx+0"},       {"dead", "kioctx+0"},     {"wait", "kioctx+0"},
          {"ctx_lock", "kioctx+0"},    {"reqs_active", "kioctx+0"}, {"active_reqs", "kioctx+64"},
          {"max_reqs", "kioctx+64"},   {"ring_lock", "kioctx+64"}, {"nr", "kioctx+128"},
          {"tail", "kioctx+128"},      {"completion_lock", "kioctx+192"},
          // ring_info.ring_pages: offset 104, after mmap_base and mmap_size,
          // right before ring_lock (seed's parent struct kioctx).
          {"ring_pages", "kioctx+64"}};
}

Layout cacheline_aligned_layout() {
  return {{"users", "kioctx.refs"},         {"dead", "kioctx.refs"},
          {"max_reqs", "kioctx.refs"},      {"nr", "kioctx.refs"},
          {"reqs_active", "kioctx.reqs"},   {"ctx_lock", "kioctx.ctx_lock"},
          {"active_reqs", "kioctx.ctx_lock"}, {"ring_lock", "kioctx.ring_lock"},
          {"wait", "kioctx.ring_lock"},     {"tail", "kioctx.completion"},
          {"completion_lock", "kioctx.completion"},
          {"ring_pages", "kioctx.refs"}};  // v3.10: before the aligned groups
}

Layout layout_preset(const std::string& name) {
  if (name == "packed") return packed_layout();
  if (name == "cacheline-aligned") return cacheline_aligned_layout();
  throw std::invalid_argument("no kioctx layout preset named " + name);
}

RingGeometry RingGeometry::for_max_reqs(unsigned max_reqs) {
  // aio_setup_ring(): 1 is required, 2 for good luck; fill whole pages.
  unsigned long nr_events = max_reqs + 2ul;
  unsigned long size = 32 + 32 * nr_events;
  RingGeometry g;
  g.nr_pages = static_cast<unsigned>((size + 4095) / 4096);
  g.nr = static_cast<unsigned>((4096ul * g.nr_pages - 32) / 32);
  return g;
}

CacheLine& kioctx::place(const Layout& layout, const char* field) {
  for (const auto& [f, l] : layout)
    if (f == field) return line(l);
  throw std::invalid_argument(std::string("layout places no line for kioctx field ") + field);
}

CacheLine& kioctx::line(const std::string& name) {
  auto& slot = lines_[name];
  if (!slot) slot = std::make_unique<CacheLine>(name);
  return *slot;
}

std::vector<const CacheLine*> kioctx::lines() const {
  std::vector<const CacheLine*> out;
  for (const auto& [n, l] : lines_) out.push_back(l.get());
  return out;
}

kioctx::kioctx(sim::Machine& m, unsigned max_reqs_, sim::LockKind kind, const Layout& layout)
    : users(place(layout, "users"), "users", 1),
      dead(place(layout, "dead"), "dead", 0),
      wait("ctx->wait", place(layout, "wait"), kind, m),
      ctx_lock("ctx_lock", place(layout, "ctx_lock"), kind, m),
      reqs_active(place(layout, "reqs_active"), "reqs_active", 0),
      active_reqs_head(place(layout, "active_reqs"), "active_reqs", 0),
      max_reqs(max_reqs_),
      ring_pages(place(layout, "ring_pages"), "ring_pages", 0),
      ring_lock("ring_lock", place(layout, "ring_lock"), m),
      nr(place(layout, "nr"), "info->nr", 0),
      tail(place(layout, "tail"), "info->tail", 0),
      completion_lock("completion_lock", place(layout, "completion_lock"), kind, m),
      ring_header("aio_ring"),
      ring_head(ring_header, "ring->head", 0),
      ring_tail(ring_header, "ring->tail", 0) {
  RingGeometry g = RingGeometry::for_max_reqs(max_reqs_);
  nr.raw() = g.nr;
  // Slot pos shares a line with pos^1; pos 0 is the header's line.
  const unsigned positions = g.nr + AIO_EVENTS_OFFSET;
  for (unsigned l = 0; l <= positions / 2; ++l) slot_lines.emplace_back("aio_ring.events");
  for (unsigned i = 0; i < g.nr; ++i) {
    unsigned pos = i + AIO_EVENTS_OFFSET;
    CacheLine& l = pos / 2 == 0 ? ring_header : slot_lines[pos / 2];
    slots.emplace_back(l, "io_event");
  }
  unread.assign(g.nr, 0);
}

}  // namespace models
