// SPDX-License-Identifier: GPL-2.0-only
#include "programs/explore/world.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <map>

#include <boost/container/small_vector.hpp>
#include <fmt/format.h>

#include "models/aio/aio.hpp"
#include "models/designs/make_design.hpp"
#include "models/devices/async_cancel_device.hpp"
#include "models/devices/block_device.hpp"
#include "models/devices/buffered_block_file.hpp"
#include "models/devices/usb_gadget.hpp"
#include "models/devices/value_names.hpp"
#include "sim/arena.hpp"
#include "sim/machine.hpp"
#include "sim/mc/step_footprint.hpp"
#include "sim/observer.hpp"
#include "sim/presets.hpp"
#include "sim/spinlock.hpp"
#include "sim/step_driver.hpp"
#include "sim/violation.hpp"

namespace programs::explore {

using namespace models;  // the kernel objects this program runs

namespace {

using sim::Context;
using sim::ContextState;
using sim::StepKind;

// The pending step a context is given before it runs, so that a context
// that suspends without taking a step (a timed sleep) is recognised by the
// object it names.
const char* const kNoStepWhat = "(no step)";
const int kNoStepObject = 0;

constexpr std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr ObjKey mix(std::uint64_t a, std::uint64_t b) { return splitmix(splitmix(a) ^ (b * 0x100000001b3ull)); }

ObjKey name_key(const char* what) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char* p = what ? what : "?"; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ull;
  return mix(0xAAAA, h);
}

// Synthetic objects. (Numbered as they were when RCU was a synthetic
// object too: the keys, and so the exploration order, stay the same.)
enum Synthetic : std::uint64_t { kPreempt = 1, kIrqPend, kSlab = 5, kLedger, kBlkHeld, kWait, kAcdevHw };
ObjKey synth(Synthetic s, std::uint64_t i = 0) { return mix(0x5157 + s, i); }

enum class Pend { Start, NoStep, Step };

Pend pend_of(const Context& c) {
  if (c.pending.object == &kNoStepObject) return Pend::NoStep;
  if (c.pending.kind == StepKind::Start) return Pend::Start;
  return Pend::Step;
}

// The steps of one transition: the one it was chosen for (or none: a start,
// a delivery) and the annotation steps of its private work (RCU).
class StepLog final : public sim::Observer {
 public:
  struct Annotation {
    sim::Step step;
    std::int64_t b, a;
  };
  void on_step(const Context& c, const sim::Step& s, sim::Time, sim::Time, std::int64_t before,
               std::int64_t after) override {
    if (sim::is_annotation(s.kind)) {
      notes.push_back({s, before, after});
      return;
    }
    ++steps;
    step = s;
    fn = c.function();
    b = before;
    a = after;
  }
  void on_irq(const sim::Cpu&, sim::IrqEvent e, const char* name, sim::Time) override {
    if (e == sim::IrqEvent::Started) irq_name = name;
  }
  void reset() {
    steps = 0;
    irq_name = nullptr;
    notes.clear();
  }
  int steps = 0;
  sim::Step step{};
  const char* fn = "?";
  std::int64_t b = 0, a = 0;
  const char* irq_name = nullptr;
  std::vector<Annotation> notes;
};

struct Region {
  const char* base;
  std::size_t size;
  std::uint64_t id;
  std::string label;
  enum Kind { Ctx, Kiocb, Cpu, Slot, Other } kind;
};

class World final : public System {
 public:
  World(std::shared_ptr<const Scenario> sc, bool tracing);
  ~World() override;

  int processes() const override { return static_cast<int>(procs_.size()); }
  std::string process_name(int p) const override;
  bool has_next(int p) const override;
  bool enabled(int p) const override;
  Footprint next_footprint(int p) const override;
  std::uint64_t next_signature(int p) const override;
  Footprint execute(int p) override {
    Footprint f;
    ViolationInfo v;
    if (!execute_or_report(p, f, v)) throw ViolationError{std::move(v)};
    return f;
  }
  void replay_step(int p) override {
    ViolationInfo v;
    if (!replay_step_or_report(p, v)) throw ViolationError{std::move(v)};
  }
  bool execute_or_report(int p, Footprint& f, ViolationInfo& violated) override;
  bool replay_step_or_report(int p, ViolationInfo& violated) override {
    fast_ = true;
    struct Reset {
      bool& fast;
      ~Reset() { fast = false; }
    } reset{fast_};
    Footprint unused;
    return execute_or_report(p, unused, violated);
  }
  std::optional<ViolationInfo> at_end() override;
  std::string end_state() const override;
  std::vector<std::string> trace() const override { return trace_; }
  bool snapshot_safe() const override { return true; }

 private:
  enum class PKind { Task, Irq, Hw };
  struct Proc {
    PKind kind;
    int cpu;
    int context;  // scenario context index (Task, Hw), -1 for Irq
  };

  static sim::Task<void> run_action(World& w, const Action& a, int slot);

  Context& ctx_of(const Proc& pr) const {
    return pr.kind == PKind::Task ? m_.cpu(pr.cpu).task() : m_.cpu(pr.cpu).irq();
  }
  bool runnable(const Context& c) const {
    const auto& r = d_.runnable();
    return std::find(r.begin(), r.end(), &c) != r.end();
  }
  bool self_deadlock(const Context& c) const;
  bool ctx_enabled(const Context& c) const;
  bool hw_pending(const Proc& pr) const;
  void fire_hw(const Action& a);
  ObjKey key_of(const void* obj, const char* what) const;
  ObjKey irq_flag_key(int cpu) const { return key_of(&m_.cpu(cpu), "irq flag"); }
  const Region* region_of(const void* obj) const;
  std::string label_of(const void* obj, const char* what) const;
  std::string value_of(const char* what, StepKind kind, std::int64_t v) const;
  int wait_index(const Context& c) const { return c.cpu().id() * 2 + (c.in_irq() ? 1 : 0); }
  void add_step(Footprint& f, const Context& c, const sim::Step& s) const;
  void add_annotation(Footprint& f, const StepLog::Annotation& n) const;
  // Compared around every transition: inline, no allocation (10 entries and
  // 2 per CPU; up to 4 CPUs).
  using Hidden = boost::container::small_vector<std::uint64_t, 18>;
  Hidden hidden() const;
  Hidden hidden_keys() const;
  std::string ledger_note(const models::Ledger::Counts& before) const;
  bool report(const sim::Violation& v, const models::Ledger::Counts& counts_before, ViolationInfo& violated);
  void row(const std::string& who, const std::string& fn, const std::string& op, const std::string& obj,
           const std::string& val);
  std::string request_name(std::uint64_t id) const;
  std::string name_requests(std::string text) const;
  void run_to_idle(Context& c);
  void run_setup();
  void add_region(const void* base, std::size_t size, std::string label, Region::Kind kind);

  std::shared_ptr<const Scenario> keep_;
  const Scenario& sc_;
  bool tracing_;
  mutable sim::Machine m_;
  sim::StepDriver d_;
  BuiltDesign design_;  // [kioctx] and [costs], as `aiosim run` builds them; aio_ takes its design
  models::kioctx ctx_;
  models::KiocbSlab slab_;
  models::Ledger ledger_;
  std::unique_ptr<AioDesign> aio_;
  std::unique_ptr<BlockDevice> blk_;
  std::unique_ptr<UsbGadget> usb_;
  std::unique_ptr<AsyncCancelDevice> acdev_;
  std::unique_ptr<BufferedBlockFile> buffered_;
  std::vector<kiocb*> kiocbs_;
  sim::CacheLine marker_line_{"syscall"};
  std::deque<sim::Shared<int>> markers_;
  std::vector<UserIocb> reqs_;
  std::map<std::uint64_t, int> req_index_;

  // Per action slot (set-up actions first, then contexts): result, reaped events.
  std::deque<long> ret_;
  std::deque<bool> ret_set_;
  std::deque<std::vector<io_event>> reaped_;

  std::vector<Proc> procs_;
  std::vector<bool> hw_fired_;
  std::vector<Region> regions_;
  StepLog log_;
  std::optional<ViolationInfo> setup_violation_;
  std::vector<std::string> trace_;
  int rows_ = 0;
  bool fast_ = false;  // replay_step: no footprint
  // key_of's last answer. A pending step's object is looked up for its
  // signature, then for its footprint, then again when it runs: one
  // search of the regions serves all three. The key is a function of
  // (obj, what) alone (the regions never change), so a remembered one is
  // right whatever state is restored.
  mutable const void* key_obj_ = nullptr;
  mutable const char* key_what_ = nullptr;
  mutable ObjKey key_ = 0;
};

const sim::CoherenceCosts& zero_costs() {
  static const sim::CoherenceCosts c = [] {
    const sim::MachinePreset* p = sim::find_preset("zero");
    if (!p) throw std::logic_error("the \"zero\" machine preset is missing");
    return p->costs;
  }();
  return c;
}

World::World(std::shared_ptr<const Scenario> scp, bool tracing)
    : keep_(std::move(scp)),
      sc_(*keep_),
      tracing_(tracing),
      m_(sim::Topology{1, sc_.cpus, 1}, zero_costs()),
      d_(m_),
      design_(make_design(*sc_.design_config, sc_.custom_design)),
      ctx_(m_, design_.aio->ioctx_nr_events(design_.nr_events, sc_.cpus), design_.lock, packed_layout()),
      ledger_(sc_.count_kernel_races ? LostPolicy::Count : LostPolicy::Stop),
      aio_(std::move(design_.aio)) {
  const Scenario& sc = sc_;
  ledger_.untimed();
  install_kernel_value_names();
  // costs.synchronize_rcu defaults to 20 us here: DesignKeyDefaults::explorer().
  aio_->attach(m_, ctx_, slab_, ledger_, design_.costs);
  // The devices of `aiosim run` with their declared defaults, except that
  // the scenario's contexts, not a clock, finish each request.
  // The defaults are parsed from their declarations (a schema and a TOML
  // document) on the ordinary heap: in the explorer's arena that garbage
  // left 5 KiB of free blocks below the world's live ones, copied with
  // every saved state. The configs themselves are copied into the devices.
  BlockDevice::Config bc = [&] {
    sim::OutsideArena parse_on_heap;
    return BlockDevice::default_config({0}, design_.costs.submit_io);
  }();
  bc.service = sim::Distribution::constant(1000);
  bc.manual_hardware = true;
  blk_ = std::make_unique<BlockDevice>(m_, *aio_, bc, 1);
  UsbGadget::Config uc = [&] {
    sim::OutsideArena parse_on_heap;
    return UsbGadget::default_config(sc.usb_irq_cpu);
  }();
  uc.manual_hardware = true;
  usb_ = std::make_unique<UsbGadget>(m_, *aio_, uc,
                                     sc.count_kernel_races ? UsbGadget::RacePolicy::Count : UsbGadget::RacePolicy::Stop);
  acdev_ = std::make_unique<AsyncCancelDevice>(m_, *aio_);
  buffered_ = std::make_unique<BufferedBlockFile>();

  // A warm kiocb cache: every object the scenario can use exists from the
  // start (so each has a stable identity), freed so that slot 0 comes first.
  const std::size_t nk = sc.requests.size() + 2;
  for (std::size_t i = 0; i < nk; ++i) kiocbs_.push_back(&slab_.alloc());
  for (std::size_t i = nk; i-- > 0;) slab_.free(*kiocbs_[i]);

  for (int c = 0; c < sc.cpus; ++c) markers_.emplace_back(marker_line_, "syscall entry", 0);

  {
    // Object identities. They never change once built, so they live on the
    // ordinary heap even when the world is built in the explorer's arena: a
    // saved state then does not copy them (about 30 KiB with the vector's
    // earlier, freed buffers, of a 150 KiB state on usb-cancel-destroy). The
    // world's own bytes (the vector's pointers) are the same in every saved
    // state, and deleting them frees heap memory (sim/heap.cpp routes a
    // delete by address).
    sim::OutsideArena immutable_on_heap;
    regions_.reserve(8 + ctx_.slots.size() + 2 * static_cast<std::size_t>(sc.cpus) + kiocbs_.size());
    add_region(&ctx_, sizeof(kioctx), "ctx", Region::Ctx);
    for (std::size_t i = 0; i < ctx_.slots.size(); ++i)
      add_region(&ctx_.slots[i], sizeof(sim::Shared<io_event>), fmt::format("ring event[{}]", i), Region::Slot);
    for (int c = 0; c < sc.cpus; ++c) add_region(&m_.cpu(c), sizeof(sim::Cpu), fmt::format("cpu{}", c), Region::Cpu);
    for (kiocb* k : kiocbs_) add_region(k, sizeof(kiocb), fmt::format("kiocb{}", k->slot), Region::Kiocb);
    add_region(usb_.get(), sizeof(UsbGadget), "ep1in", Region::Other);
    add_region(blk_.get(), sizeof(BlockDevice), "blockdev", Region::Other);
    add_region(acdev_.get(), sizeof(AsyncCancelDevice), "acdev", Region::Other);
    add_region(buffered_.get(), sizeof(BufferedBlockFile), "blockdev-buffered", Region::Other);
    add_region(&aio_->rcu(), sizeof(sim::Rcu), "rcu", Region::Other);
    for (int c = 0; c < sc.cpus; ++c) add_region(&markers_[c], sizeof(sim::Shared<int>), fmt::format("cpu{}", c), Region::Other);
    std::sort(regions_.begin(), regions_.end(), [](const Region& a, const Region& b) { return a.base < b.base; });
  }

  for (Device dev : sc.requests) {
    UserIocb u;
    u.id = ledger_.submit(0);
    u.filp = dev == Device::Usb     ? static_cast<file*>(usb_.get())
             : dev == Device::Block    ? static_cast<file*>(blk_.get())
             : dev == Device::Buffered ? static_cast<file*>(buffered_.get())
                                       : static_cast<file*>(acdev_.get());
    req_index_[u.id] = static_cast<int>(reqs_.size());
    reqs_.push_back(u);
  }
  for (std::size_t i = 0; i < sc.setup.size() + sc.contexts.size(); ++i) {
    ret_.push_back(0);
    ret_set_.push_back(false);
    reaped_.emplace_back();
  }

  m_.observer = &log_;
  try {
    run_setup();
  } catch (const sim::Violation& v) {
    setup_violation_ = ViolationInfo{"invariant", std::string("during set-up: ") + v.what(), v.details()};
    return;
  }

  for (std::size_t i = 0; i < sc.contexts.size(); ++i)
    if (!sc.contexts[i].irq) procs_.push_back({PKind::Task, sc.contexts[i].cpu, static_cast<int>(i)});
  for (int c = 0; c < sc.cpus; ++c) procs_.push_back({PKind::Irq, c, -1});
  for (std::size_t i = 0; i < sc.contexts.size(); ++i)
    if (sc.contexts[i].irq) procs_.push_back({PKind::Hw, sc.contexts[i].cpu, static_cast<int>(i)});
  hw_fired_.assign(procs_.size(), false);
  for (std::size_t i = 0; i < sc.contexts.size(); ++i)
    if (!sc.contexts[i].irq)
      m_.cpu(sc.contexts[i].cpu).task().start(run_action(*this, sc.contexts[i].action, static_cast<int>(sc.setup.size() + i)), 0);
}

World::~World() {
  // The coroutine frames refer to the kioctx, the slab and the devices:
  // destroy them first.
  for (int c = 0; c < m_.cpus(); ++c) {
    m_.cpu(c).task().root = {};
    m_.cpu(c).irq().root = {};
  }
  m_.observer = nullptr;
  sim::current_context = nullptr;
}

void World::add_region(const void* base, std::size_t size, std::string label, Region::Kind kind) {
  regions_.push_back({static_cast<const char*>(base), size, regions_.size(), std::move(label), kind});
}

const Region* World::region_of(const void* obj) const {
  const char* p = static_cast<const char*>(obj);
  auto it = std::upper_bound(regions_.begin(), regions_.end(), p, [](const char* x, const Region& r) { return x < r.base; });
  if (it == regions_.begin()) return nullptr;
  --it;
  // Regions may nest (a marker inside nothing, slots outside ctx): take the
  // innermost that contains it.
  for (;; --it) {
    if (p >= it->base && p < it->base + it->size) return &*it;
    if (it == regions_.begin()) return nullptr;
  }
}

ObjKey World::key_of(const void* obj, const char* what) const {
  if (obj == key_obj_ && what == key_what_ && obj) return key_;
  const Region* r = region_of(obj);
  const ObjKey k = r ? mix(r->id + 1, static_cast<std::uint64_t>(static_cast<const char*>(obj) - r->base)) : name_key(what);
  key_obj_ = obj;
  key_what_ = what;
  key_ = k;
  return k;
}

std::string World::label_of(const void* obj, const char* what) const {
  const std::string w = what ? what : "?";
  const Region* r = obj ? region_of(obj) : nullptr;
  if (!r) return w;
  switch (r->kind) {
    case Region::Ctx: return w.find("->") != std::string::npos ? w : "ctx->" + w;
    case Region::Kiocb: return r->label + "->" + w;
    case Region::Cpu: return r->label + " IRQ flag";
    case Region::Slot: return r->label;
    case Region::Other: return w == "f_count" || w == "syscall entry" ? r->label + " " + w : w;
  }
  return w;
}

std::string World::request_name(std::uint64_t id) const {
  auto it = req_index_.find(id);
  return it == req_index_.end() ? fmt::format("{}", id) : fmt::format("req{}", it->second);
}

// The ledger's messages name requests by their ledger ids: use req<i>.
std::string World::name_requests(std::string text) const {
  for (const auto& [id, i] : req_index_) {
    const std::string from = fmt::format("{}", id), to = fmt::format("req{}", i);
    for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos;) {
      const bool left = pos == 0 || !std::isdigit(static_cast<unsigned char>(text[pos - 1]));
      const bool right = pos + from.size() >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos + from.size()]));
      if (left && right) {
        text.replace(pos, from.size(), to);
        pos += to.size();
      } else {
        pos += from.size();
      }
    }
  }
  return text;
}

std::string World::value_of(const char* what, StepKind kind, std::int64_t v) const {
  const std::string w = what ? what : "";
  if (kind == StepKind::LockAcquire || kind == StepKind::LockRelease) return v ? "held" : "free";
  if (kind == StepKind::IrqOff || kind == StepKind::IrqOn) return v ? "on" : "off";
  if (w == "ki_obj.user") return v ? request_name(static_cast<std::uint64_t>(v)) : "0";
  if (std::string sym = kernel_value_name(what, v); !sym.empty()) return sym;  // ki_cancel, ki_list.next
  if (w == "io_event") return "(event)";
  if (w == "private" || w.find("->") != std::string::npos || w.find("iocb") != std::string::npos) {
    if (w == "info->tail" || w == "info->nr" || w == "ring->tail" || w == "ring->head" || w == "epdata->count")
      return fmt::format("{}", v);
    return v ? "(ptr)" : "NULL";
  }
  return fmt::format("{}", v);
}

void World::row(const std::string& who, const std::string& fn, const std::string& op, const std::string& obj,
                const std::string& val) {
  if (!tracing_) return;
  trace_.push_back(fmt::format("{:>4}  {:<10} {:<22} {:<8} {:<24} {}", ++rows_, who, fn, op, obj, val));
}

bool World::self_deadlock(const Context& c) const {
  if (c.pending.kind != StepKind::LockAcquire || !c.gate || c.gate->can_pass(c)) return false;
  const auto* lock = static_cast<const sim::LockBase*>(c.pending.object);
  const Context* h = lock->holder();
  return h == &c || (c.in_irq() && h && &h->cpu() == &c.cpu());
}

// A context waiting at a gate (a lock, schedule(), synchronize_rcu()'s
// grace period) is enabled when the gate would let it pass.
bool World::ctx_enabled(const Context& c) const {
  if (!runnable(c)) return false;
  if (!c.gate || c.gate->can_pass(c)) return true;
  return self_deadlock(c);  // it will spin forever: let it, to get the report
}

bool World::hw_pending(const Proc& pr) const {
  const Action& a = sc_.contexts[pr.context].action;
  switch (a.device) {
    case Device::Usb: return usb_->hardware_pending();
    case Device::Block: return blk_->hardware_pending(reqs_[a.request].id);
    case Device::Async: return acdev_->hardware_pending(reqs_[a.request].id);
    case Device::Buffered: return false;  // no hardware completion (the scenario rejects one)
  }
  return false;
}

void World::fire_hw(const Action& a) {
  bool ok = true;
  switch (a.device) {
    case Device::Usb:
      ok = usb_->hardware_pending();
      usb_->hardware_done();
      break;
    case Device::Block: ok = blk_->hardware_done(reqs_[a.request].id, a.cpu); break;
    case Device::Async: ok = acdev_->hardware_done(reqs_[a.request].id, a.cpu); break;
    case Device::Buffered: ok = false; break;
  }
  if (!ok) throw std::logic_error("scenario: " + a.describe() + ": the device holds no such request");
}

std::string World::process_name(int p) const {
  const Proc& pr = procs_[p];
  switch (pr.kind) {
    case PKind::Task: return fmt::format("cpu{}/task", pr.cpu);
    case PKind::Irq: return fmt::format("cpu{}/irq", pr.cpu);
    // The device of a scenario context: "hw" alone when the context is named so.
    case PKind::Hw: return sc_.contexts[pr.context].name == "hw" ? "hw" : "hw(" + sc_.contexts[pr.context].name + ")";
  }
  return "?";
}

bool World::has_next(int p) const {
  const Proc& pr = procs_[p];
  switch (pr.kind) {
    case PKind::Task: return runnable(ctx_of(pr));
    case PKind::Irq: {
      const sim::Cpu& cpu = m_.cpu(pr.cpu);
      return runnable(ctx_of(pr)) || (cpu.irq_pending() && !cpu.in_irq_handler());
    }
    case PKind::Hw: return !hw_fired_[p];  // disabled until the device holds the request
  }
  return false;
}

bool World::enabled(int p) const {
  const Proc& pr = procs_[p];
  switch (pr.kind) {
    case PKind::Task: return ctx_enabled(ctx_of(pr));
    case PKind::Irq: {
      const Context& c = ctx_of(pr);
      if (runnable(c)) return ctx_enabled(c);
      const sim::Cpu& cpu = m_.cpu(pr.cpu);
      return cpu.irq_pending() && !cpu.in_irq_handler() && cpu.irqs_enabled();
    }
    case PKind::Hw: return !hw_fired_[p] && hw_pending(pr);
  }
  return false;
}

// What a step touches: sim::mc::add_step_access decides from its kind, on
// the key of its object (schedule(): the sleeper's task state).
void World::add_step(Footprint& f, const Context& c, const sim::Step& s) const {
  if (s.kind == StepKind::Schedule) {
    sim::mc::add_step_access(f, s.kind, synth(kWait, wait_index(c)));
    return;
  }
  if (!s.object) {
    f.global = true;  // a step that names no object: dependent with everything
    return;
  }
  // local_irq_disable/save/enable/restore: only a change of the CPU's IRQ
  // state is seen by anyone (the delivery waits for IRQs on), and that is
  // added as an acquire or release of the flag where the state changes
  // (next_footprint, execute). One that leaves the state as it was (a
  // local_irq_disable with IRQs already off, as in ep_aio_cancel under
  // io_cancel's spin_lock_irq) touches nothing: with IRQs off no delivery can
  // run before or after it, with IRQs on it is enabled both ways.
  if (s.kind == StepKind::IrqOff || s.kind == StepKind::IrqOn) return;
  sim::mc::add_step_access(f, s.kind, key_of(s.object, s.what));
}

// RCU's annotation steps, run inside the transition (sim/mc/step_footprint.hpp).
void World::add_annotation(Footprint& f, const StepLog::Annotation& n) const {
  sim::mc::add_step_access(f, n.step.kind, key_of(n.step.object, n.step.what), n.a);
}

Footprint World::next_footprint(int p) const {
  Footprint f;
  const Proc& pr = procs_[p];
  if (pr.kind == PKind::Hw) {
    f.add(synth(kIrqPend, pr.cpu), true);
    const Action& a = sc_.contexts[pr.context].action;
    if (a.device == Device::Usb) f.add(key_of(&usb_->udc_lock(), "udc_lock"), true);
    else if (a.device == Device::Async) f.add(key_of(&acdev_->lock(), "acdev_lock"), true);
    else {
      f.add(synth(kBlkHeld), true);
      const auto& cq = blk_->cq_tail(a.cpu);  // the handler's drain loop polls it
      f.add(key_of(&cq, cq.name()), true);
    }
    return f;
  }
  const Context& c = ctx_of(pr);
  if (pr.kind == PKind::Irq && !runnable(c)) {  // delivering the interrupt
    f.add(synth(kPreempt, pr.cpu), true);
    f.add(synth(kIrqPend, pr.cpu), true);
    // It waits for the task's IRQs-on, as an acquire waits for a release.
    f.add(irq_flag_key(pr.cpu), true, sim::mc::LockOp::Acquire);
    return f;
  }
  switch (pend_of(c)) {
    case Pend::Start:
      if (c.in_irq()) f.add(synth(kIrqPend, pr.cpu), true);
      break;
    case Pend::NoStep: break;  // the end of a timed sleep: it touches nothing
    case Pend::Step: add_step(f, c, c.pending); break;
  }
  // A task step can be preempted only with IRQs on: inside a region with
  // IRQs off no delivery comes between its steps.
  const bool irqs_on = m_.cpu(pr.cpu).irqs_enabled();
  if (!c.in_irq() && irqs_on) f.add(synth(kPreempt, pr.cpu), false);
  if (!c.in_irq() && irqs_on && pend_of(c) == Pend::Step && c.pending.kind == StepKind::IrqOff)
    f.add(irq_flag_key(pr.cpu), true, sim::mc::LockOp::Acquire);
  if (c.in_irq()) f.exclusive_handler = pr.cpu;
  else f.exclusive_task = pr.cpu;
  return f;
}

std::uint64_t World::next_signature(int p) const {
  const Proc& pr = procs_[p];
  if (pr.kind == PKind::Hw) return 11;
  const Context& c = ctx_of(pr);
  if (pr.kind == PKind::Irq && !runnable(c)) return 13;
  const Pend k = pend_of(c);
  return mix(static_cast<std::uint64_t>(k) + 17,
             k == Pend::Step && c.pending.object ? key_of(c.pending.object, c.pending.what) * 31 + static_cast<int>(c.pending.kind)
                                                 : 0);
}

// hidden() and hidden_keys(): the entries before the tasks' states: the
// slab, the ledger's eight counts (one object, kLedger: a change of any is
// a write of it) and the block device.
constexpr std::size_t kLedgerCounts = 8;
constexpr std::size_t kFirstTaskState = 1 + kLedgerCounts + 1;

World::Hidden World::hidden() const {
  // Sized once and filled in place: hidden() runs twice per transition.
  const int cpus = m_.cpus();
  Hidden v(kFirstTaskState + 2 * static_cast<std::size_t>(cpus), boost::container::default_init);
  std::size_t i = 0;
  v[i++] = slab_.in_use();
  // The counts themselves, not a hash of them: comparing eight words costs
  // less than mixing them.
  const Ledger::Counts& n = ledger_.counts();
  for (std::uint64_t x : {n.submitted, n.results, n.ring_events, n.cancel_results, n.reaped, n.duplicates, n.lost,
                          n.teardown_dropped})
    v[i++] = x;
  // The block device's hidden state (kBlkHeld): what it holds and what its
  // completion queues hold; one entry, as hidden_keys() lists one key.
  std::uint64_t queued = 0;
  for (int c = 0; c < cpus; ++c) queued = queued * 31 + blk_->queued(c);
  v[i++] = mix(blk_->held(), queued);
  for (int c = 0; c < cpus; ++c)
    for (const Context* x : {&m_.cpu(c).task(), &m_.cpu(c).irq()})
      v[i++] = (x->interruptible ? 1u : 0u) | (x->in_schedule ? 2u : 0u) |
               static_cast<std::uint64_t>(x->task_state_accesses) << 2;
  return v;
}

// A task's state as hidden() records it: TASK_INTERRUPTIBLE, asleep in
// schedule(), and the count of accesses to it. Setting TASK_RUNNING
// (finish_wait, or try_to_wake_up finding the task not yet asleep) commutes
// with itself: either order ends with the task running and not asleep, the
// second setting a no-op. So such an access is a read; it is still
// dependent with prepare_to_wait's TASK_INTERRUPTIBLE, with schedule()'s
// test (a write: add_step) and with going to sleep or being woken from it.
bool task_state_write(std::uint64_t before, std::uint64_t after) {
  const bool becomes_interruptible = !(before & 1) && (after & 1);
  const bool sleep_changes = ((before ^ after) & 2) != 0;
  return becomes_interruptible || sleep_changes;
}

World::Hidden World::hidden_keys() const {
  Hidden k = {synth(kSlab)};
  k.insert(k.end(), kLedgerCounts, synth(kLedger));
  k.push_back(synth(kBlkHeld));
  for (int c = 0; c < m_.cpus(); ++c)
    for (int irq = 0; irq < 2; ++irq) k.push_back(synth(kWait, c * 2 + irq));
  return k;
}

std::string World::ledger_note(const Ledger::Counts& b) const {
  const Ledger::Counts& a = ledger_.counts();
  std::string s;
  if (a.ring_events > b.ring_events) s += "  => io_event written to the ring";
  if (a.cancel_results > b.cancel_results) s += "  => io_cancel returns the result";
  if (a.lost > b.lost) s += "  => RESULT LOST";
  if (a.teardown_dropped > b.teardown_dropped) s += "  => dropped by teardown";
  if (a.reaped > b.reaped) s += "  => reaped";
  return s;
}

bool World::execute_or_report(int p, Footprint& f, ViolationInfo& violated) {
  const Hidden before = fast_ ? Hidden{} : hidden();
  const Ledger::Counts counts = ledger_.counts();
  f = fast_ ? Footprint{} : next_footprint(p);
  const Proc& pr = procs_[p];
  const bool irqs_on_before = m_.cpu(pr.cpu).irqs_enabled();
  log_.reset();
  try {
    if (pr.kind == PKind::Hw) {
      const Action& a = sc_.contexts[pr.context].action;
      fire_hw(a);
      hw_fired_[p] = true;
      if (tracing_)
        row("hardware", "-", "finish", a.device == Device::Usb ? "ep1in head transfer" : fmt::format("req{} ({})", a.request, to_string(a.device)),
          fmt::format("raises the {} IRQ on cpu{}", a.device == Device::Usb ? "UDC" : to_string(a.device), a.cpu));
    } else {
      Context& c = ctx_of(pr);
      if (pr.kind == PKind::Irq && !runnable(c)) {
        const bool task_busy = m_.cpu(pr.cpu).task().state() != ContextState::Idle;
        const std::string in = task_busy && tracing_ ? m_.cpu(pr.cpu).task().function() : "";
        d_.deliver_irq(m_.cpu(pr.cpu));
        if (tracing_)
          row(c.name(), "-", "deliver", fmt::format("IRQ {}", log_.irq_name ? log_.irq_name : "?"),
            task_busy ? fmt::format("preempts cpu{}/task in {}", pr.cpu, in) : std::string("(cpu idle)"));
      } else {
        const Pend k = pend_of(c);
        const sim::Step pending = c.pending;
        c.pending = sim::Step{StepKind::Load, &kNoStepObject, nullptr, kNoStepWhat};
        std::string fn_before = k == Pend::NoStep ? c.function() : "";
        auto step_row = [&] {
          if (!fast_) add_step(f, c, log_.step);
          if (!tracing_) return;  // the row's strings cost more than the step
          if (log_.step.kind == StepKind::GracePeriodEnd) {
            row(c.name(), log_.fn, "resume", "", "synchronize_rcu() returns");
            return;
          }
          // Display only: a step outside every kernel function is user space's.
          row(c.name(), std::strcmp(log_.fn, "?") == 0 ? "(user)" : log_.fn, sim::to_string(log_.step.kind),
              label_of(log_.step.object, log_.step.what),
              log_.step.kind == StepKind::Load
                  ? value_of(log_.step.what, log_.step.kind, log_.b)
                  : value_of(log_.step.what, log_.step.kind, log_.b) + " -> " +
                        value_of(log_.step.what, log_.step.kind, log_.a));
        };
        auto notes = [&] {
          if (!fast_)
            for (const StepLog::Annotation& n : log_.notes) add_annotation(f, n);
        };
        auto aborted = [&] {
          notes();
          if (log_.steps) step_row();
          else if (k == Pend::Step && tracing_) row(c.name(), c.function(), sim::to_string(pending.kind), label_of(pending.object, pending.what), "");
        };
        try {
          d_.step(c);
        } catch (const sim::Violation& v) {
          // Reported here rather than rethrown to the handler below: a
          // rethrow costs about what the throw did, on many schedules.
          aborted();
          return report(v, counts, violated);
        } catch (...) {
          aborted();
          throw;
        }
        notes();
        if (log_.steps) {
          step_row();
        } else if (k == Pend::Start && tracing_) {
          const std::string what = c.in_irq() ? std::string("handler starts")
                                              : sc_.contexts[pr.context].action.describe();
          // Display only: outside every kernel function is user space.
          const bool user = c.state() == ContextState::Idle || std::strcmp(c.function(), "?") == 0;
          row(c.name(), user ? "(user)" : c.function(), "start", "", what);
        } else if (k == Pend::NoStep && tracing_) {
          row(c.name(), fn_before, "resume", "", "sleep ends");
        }
        if (c.state() == ContextState::Idle && c.in_irq()) {
          f.add(synth(kPreempt, pr.cpu), true);
          f.add(synth(kIrqPend, pr.cpu), true);
          if (tracing_ && !trace_.empty()) trace_.back() += "  => handler returns";
        }
      }
    }
  } catch (const sim::Violation& v) {
    return report(v, counts, violated);
  }
  if (fast_) return true;
  // The task turning its CPU's IRQs off (local_irq_disable, spin_lock_irq)
  // or back on: like a lock's acquire and release for the delivery, which
  // waits for IRQs on (sim::mc::LockOp).
  if (pr.kind == PKind::Task && irqs_on_before != m_.cpu(pr.cpu).irqs_enabled())
    f.add(irq_flag_key(pr.cpu), true, irqs_on_before ? sim::mc::LockOp::Acquire : sim::mc::LockOp::Release);
  const Hidden after = hidden();
  Hidden keys;  // built only when something hidden changed
  for (std::size_t i = 0; i < before.size(); ++i)
    if (before[i] != after[i]) {
      if (keys.empty()) keys = hidden_keys();
      f.add(keys[i], i < kFirstTaskState || task_state_write(before[i], after[i]));
    }
  if (tracing_) {
    std::string n = ledger_note(counts);
    if (!n.empty() && !trace_.empty()) trace_.back() += n;
  }
  return true;
}

// A violation thrown by a transition, as the explorer reports it (and as
// the trace's last line).
bool World::report(const sim::Violation& v, const Ledger::Counts& counts_before, ViolationInfo& violated) {
  const char* kind = v.kind() == sim::ViolationKind::Deadlock       ? "deadlock"
                     : v.kind() == sim::ViolationKind::LockOwnership ? "lock-ownership"
                                                                     : "invariant";
  const std::string headline = name_requests(v.what()), details = name_requests(v.details());
  if (tracing_) {
    std::string n = ledger_note(counts_before);
    if (!n.empty() && !trace_.empty()) trace_.back() += n;
    trace_.push_back(fmt::format("   X  VIOLATION ({}): {}", kind, headline));
  }
  violated = ViolationInfo{kind, headline, details};
  return false;
}

std::optional<ViolationInfo> World::at_end() {
  if (setup_violation_) return setup_violation_;
  auto fail = [&](const char* kind, std::string headline, std::string details) {
    if (tracing_) trace_.push_back(fmt::format("   X  VIOLATION ({}): {}", kind, headline));
    return ViolationInfo{kind, std::move(headline), std::move(details)};
  };
  // Global deadlock: nothing can run, something has not finished.
  std::string stuck, names;
  for (int c = 0; c < m_.cpus(); ++c)
    for (const Context* x : {&m_.cpu(c).task(), &m_.cpu(c).irq()}) {
      if (x->root.done()) continue;
      names += (names.empty() ? "" : ", ") + x->name();
      std::string why;
      if (x->preempted) why = "preempted by its CPU's interrupt handler";
      else if (x->pending.kind == StepKind::LockAcquire && x->pending.object) {
        const auto* l = static_cast<const sim::LockBase*>(x->pending.object);
        why = fmt::format("waits for {} held by {}", l->name(), l->holder() ? l->holder()->name() : "nobody");
      } else if (x->pending.kind == StepKind::Schedule) {
        why = "asleep in schedule(), never woken";
      } else {
        why = fmt::format("waits at {}", x->pending.what ? x->pending.what : "?");
      }
      stuck += fmt::format("  {} in {}: {}\n", x->name(), x->call_chain(), why);
    }
  if (!stuck.empty()) return fail("global-deadlock", "deadlock: no context can run, but " + names + " has not finished", stuck);
  for (int c = 0; c < m_.cpus(); ++c)
    if (m_.cpu(c).irq_pending())
      return fail("irq-state", fmt::format("an interrupt pending on cpu{} is never delivered: IRQs were left disabled", c), "");
  for (const ContextSpec& cs : sc_.contexts)
    if (!cs.irq && !m_.cpu(cs.cpu).irqs_enabled())
      return fail("irq-state",
                  fmt::format("cpu{}/task returns to user space with IRQs disabled (after {})", cs.cpu, cs.action.describe()), "");
  std::vector<const sim::LockBase*> locks = {&ctx_.ctx_lock, &ctx_.completion_lock, &ctx_.ring_lock, &ctx_.wait.lock,
                                             &usb_->dev_lock(), &usb_->udc_lock(), &acdev_->lock()};
  for (const sim::LockBase* l : locks)
    if (l->holder())
      return fail("lock-ownership", fmt::format("{} is still held by {} after every context finished", l->name(), l->holder()->name()), "");
  for (std::size_t i = 0; i < reqs_.size(); ++i) {
    const std::uint64_t id = reqs_[i].id;
    if (!ledger_.tracked(id) || ledger_.has_result(id)) continue;
    const bool alive = std::any_of(kiocbs_.begin(), kiocbs_.end(),
                                   [&](const kiocb* k) { return k->allocated && k->ki_user_data == id; });
    if (!alive)
      return fail("invariant", fmt::format("request req{} is lost: its kiocb was freed, user space never got a result", i),
                  "  (aio_complete dropped its event as cancelled, and no io_cancel returned it)\n");
  }
  if (std::string bad = aio_->check_at_end(); !bad.empty()) return fail("invariant", bad, "");
  // What is in flight plus what waits in the ring must never exceed the
  // nr - 1 slots, or completions overflow it: kiocb_batch_refill (fs/aio.c,
  // mm-parent and v3.9) admits a request only while aio_ring_avail() - reqs_active > 0,
  // v3.10's aio_get_req while reqs_active (which then also counts unreaped
  // events) stays below nr_events. In flight, whatever a design's
  // reqs_active counts: the kiocbs still allocated once every context has
  // finished (a completed request's kiocb is freed by its last aio_put_req).
  const unsigned nr = ctx_.nr.raw(), head = ctx_.ring_head.raw(), tail = ctx_.ring_tail.raw();
  const long events = static_cast<long>((tail + nr - head) % nr);
  const long active = std::count_if(kiocbs_.begin(), kiocbs_.end(), [](const kiocb* k) { return k->allocated; });
  if (ctx_.hashed && active + events > static_cast<long>(nr) - 1)
    return fail("invariant",
                fmt::format("ring overcommitted: {} requests in flight and {} event{} in the ring, {} slots", active, events,
                            events == 1 ? "" : "s", nr - 1),
                "  (io_submit admitted more requests than the ring has free slots: their completions overflow it)\n");
  return std::nullopt;
}

std::string World::end_state() const {
  std::string s;
  for (std::size_t i = 0; i < sc_.contexts.size(); ++i) {
    const std::size_t slot = sc_.setup.size() + i;
    const Action& a = sc_.contexts[i].action;
    if (sc_.contexts[i].irq || !ret_set_[slot]) continue;
    s += fmt::format("{} = {}; ", a.describe(), ret_[slot]);
  }
  // Each request's results, as user space sees them.
  std::vector<std::string> got(reqs_.size());
  auto note = [&](std::uint64_t id, const std::string& what) {
    auto it = req_index_.find(id);
    if (it == req_index_.end()) return;
    std::string& g = got[it->second];
    g += (g.empty() ? "" : " + ") + what;
  };
  for (std::size_t slot = 0; slot < ret_.size(); ++slot)
    for (const io_event& e : reaped_[slot]) note(e.data, fmt::format("reaped event(res={})", e.res));
  std::string ring;
  for (const io_event& e : aio_->readable_events()) {
    note(e.data, fmt::format("event(res={})", e.res));
    ring += (ring.empty() ? "" : " ") + request_name(e.data);
  }
  // io_cancel returning 0 handed the result over (fs/aio.c); io_uring's
  // ASYNC_CANCEL returning 0 did not: the target's CQE carries it, and the
  // ledger counts no result given by a cancel.
  auto cancel_ok = [&](const Action& a, std::size_t slot) {
    if (a.kind == ActionKind::Cancel && ret_set_[slot] && ret_[slot] == 0 && ledger_.counts().cancel_results > 0)
      note(reqs_[a.request].id, "io_cancel");
  };
  for (std::size_t i = 0; i < sc_.setup.size(); ++i) cancel_ok(sc_.setup[i], i);
  for (std::size_t i = 0; i < sc_.contexts.size(); ++i) cancel_ok(sc_.contexts[i].action, sc_.setup.size() + i);
  for (std::size_t i = 0; i < reqs_.size(); ++i)
    if (got[i].empty()) got[i] = ledger_.tracked(reqs_[i].id) ? "in flight" : "no result";
  // Three or more consecutive requests with one fate are one range
  // ("req1-req124: in flight"), as a set-up may fill a ring.
  for (std::size_t i = 0, j; i < reqs_.size(); i = j) {
    for (j = i + 1; j < reqs_.size() && got[j] == got[i];) ++j;
    if (j - i >= 3) s += fmt::format("req{}-req{}: {}; ", i, j - 1, got[i]);
    else
      for (std::size_t k = i; k < j; ++k) s += fmt::format("req{}: {}; ", k, got[k]);
  }
  const Ledger::Counts& n = ledger_.counts();
  s += fmt::format("ring [{}]", ring);
  if (n.lost) s += fmt::format("; lost {}", n.lost);
  if (n.teardown_dropped) s += fmt::format("; dropped by teardown {}", n.teardown_dropped);
  if (const auto races = usb_->races())
    s += fmt::format("; kernel races {} (oops {}, use-after-free {})", races, usb_->null_derefs(), usb_->use_after_frees());
  return s;
}

void World::run_to_idle(Context& c) {
  for (int guard = 0; c.state() != ContextState::Idle; ++guard) {
    if (guard > 100000) throw std::logic_error("scenario set-up: " + c.name() + " does not finish");
    if (!runnable(c) || !ctx_enabled(c))
      throw std::logic_error("scenario set-up: " + c.name() + " blocks in " + c.call_chain() +
                             " (set-up actions run alone and must not wait)");
    d_.step(c);
  }
}

void World::run_setup() {
  for (std::size_t i = 0; i < sc_.setup.size(); ++i) {
    const Action& a = sc_.setup[i];
    if (a.kind == ActionKind::Complete) {
      fire_hw(a);
      sim::Cpu& cpu = m_.cpu(a.cpu);
      while (cpu.irq_pending()) {
        if (!cpu.irqs_enabled() || cpu.in_irq_handler()) throw std::logic_error("scenario set-up: cannot deliver the IRQ");
        d_.deliver_irq(cpu);
        run_to_idle(cpu.irq());
      }
    } else {
      Context& t = m_.cpu(a.cpu).task();
      t.start(run_action(*this, a, static_cast<int>(i)), 0);
      run_to_idle(t);
    }
  }
}

sim::Task<void> World::run_action(World& w, const Action& a, int slot) {
  sim::Shared<int>& entry = w.markers_[sim::current().cpu().id()];
  long ret = 0;
  switch (a.kind) {
    case ActionKind::Submit: {
      std::vector<UserIocb> iocbs;
      for (int r : a.requests) iocbs.push_back(w.reqs_[r]);
      co_await sim::READ_ONCE(entry);
      ret = co_await w.aio_->do_io_submit(w.ctx_, iocbs);
      for (long k = std::max(ret, 0L); k < static_cast<long>(iocbs.size()); ++k) w.ledger_.not_submitted(iocbs[k].id);
      break;
    }
    case ActionKind::Cancel: {
      io_event res{};
      co_await sim::READ_ONCE(entry);
      ret = co_await w.aio_->sys_io_cancel(w.ctx_, w.reqs_[a.request].id, res);
      break;
    }
    case ActionKind::Destroy:
      co_await sim::READ_ONCE(entry);
      ret = co_await w.aio_->sys_io_destroy(w.ctx_);
      break;
    case ActionKind::GetEvents: {
      std::vector<io_event> buf(static_cast<std::size_t>(a.nr));
      co_await sim::READ_ONCE(entry);
      ret = co_await w.aio_->sys_io_getevents(w.ctx_, a.min_nr, a.nr, buf.data());
      for (long k = 0; k < ret; ++k) {
        w.reaped_[slot].push_back(buf[k]);
        w.ledger_.reaped(buf[k].data);
      }
      break;
    }
    case ActionKind::IoWqWorker:
      co_await sim::READ_ONCE(entry);
      co_await w.aio_->io_wq_worker();
      break;
    case ActionKind::Complete: break;
  }
  w.ret_[slot] = ret;
  w.ret_set_[slot] = true;
}

}  // namespace

SystemFactory world_factory(const Scenario& sc) {
  auto shared = std::make_shared<const Scenario>(sc);
  return [shared](bool tracing) -> std::unique_ptr<System> { return std::make_unique<World>(shared, tracing); };
}

std::vector<std::string> describe_processes(const Scenario& sc) {
  std::vector<std::string> out;
  for (const ContextSpec& c : sc.contexts)
    out.push_back(c.irq ? fmt::format("{:<9} {:<12} {}", "hardware", "(" + c.name + ")", c.action.describe())
                        : fmt::format("cpu{}/task {:<12} {}", c.cpu, "(" + c.name + ")", c.action.describe()));
  return out;
}

std::string describe_design(const Scenario& sc) {
  return models::describe_design(make_design(*sc.design_config, sc.custom_design));
}

}  // namespace programs::explore
