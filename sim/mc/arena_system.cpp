// SPDX-License-Identifier: GPL-2.0-only
#include "sim/mc/arena_system.hpp"

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace sim::mc {
namespace {

// An exception thrown inside the arena owns arena memory (its message): it
// is replaced by a copy made outside before it leaves.
struct Escaped {
  enum Kind { None, Violation, Logic, Runtime } kind = None;
  ViolationInfo violation;
  std::string what;
};

[[noreturn]] void rethrow_outside(const Escaped& e) {
  if (e.kind == Escaped::Violation) throw ViolationError{ViolationInfo(e.violation)};
  if (e.kind == Escaped::Logic) throw std::logic_error(std::string(e.what));
  throw std::runtime_error(std::string(e.what));
}

}  // namespace

// The system is asked several things at every node of the exploration, so
// the common path (nothing thrown) keeps nothing else on the stack: no
// std::optional of the result or of the escaped exception (GCC zeroes an
// empty one's whole storage, 168 and 144 bytes, on every call). The result
// is copied to the ordinary heap before the arena's copy is freed; what
// escapes is copied there in the handler.
template <class F>
auto ArenaSystem::inside(F&& f) const {
  using R = decltype(f());
  std::unique_ptr<Escaped> esc;
  {
    Arena::Scope scope(arena_);
    try {
      const R in_arena = f();
      OutsideArena heap;
      return R(in_arena);
    } catch (const ViolationError& e) {
      OutsideArena heap;
      esc = std::make_unique<Escaped>(Escaped{Escaped::Violation, e.info, {}});
    } catch (const std::logic_error& e) {
      OutsideArena heap;
      esc = std::make_unique<Escaped>(Escaped{Escaped::Logic, {}, e.what()});
    } catch (const std::exception& e) {
      OutsideArena heap;
      esc = std::make_unique<Escaped>(Escaped{Escaped::Runtime, {}, e.what()});
    }
  }
  rethrow_outside(*esc);
}

// inside() for the *_or_report calls: f returns false with a violation in
// its ViolationInfo, which inside() copies out with the flag; f copies out
// its other results itself.
template <class F>
bool ArenaSystem::inside_reporting(F&& f, ViolationInfo& violated) {
  struct Reported {
    bool ok = true;
    ViolationInfo violation;
  };
  Reported r = inside([&] {
    Reported in_arena;
    in_arena.ok = f(in_arena.violation);
    return in_arena;
  });
  if (!r.ok) violated = std::move(r.violation);
  return r.ok;
}

ArenaSystem::ArenaSystem(const SystemFactory& make) {
  inside([&] {
    inner_ = make(false).release();
    return 0;
  });
}

ArenaSystem::~ArenaSystem() {
  Arena::Scope scope(arena_);
  delete inner_;
}

int ArenaSystem::processes() const {
  return inside([&] { return inner_->processes(); });
}
std::string ArenaSystem::process_name(int p) const {
  return inside([&] { return inner_->process_name(p); });
}
bool ArenaSystem::has_next(int p) const {
  return inside([&] { return inner_->has_next(p); });
}
bool ArenaSystem::enabled(int p) const {
  return inside([&] { return inner_->enabled(p); });
}
Footprint ArenaSystem::next_footprint(int p) const {
  return inside([&] { return inner_->next_footprint(p); });
}
std::uint64_t ArenaSystem::next_signature(int p) const {
  return inside([&] { return inner_->next_signature(p); });
}
System::Next ArenaSystem::next(int p) const {
  return inside([&] { return inner_->next(p); });
}
Footprint ArenaSystem::execute(int p) {
  return inside([&] { return inner_->execute(p); });
}
void ArenaSystem::replay_step(int p) {
  inside([&] {
    inner_->replay_step(p);
    return 0;
  });
}
bool ArenaSystem::execute_or_report(int p, Footprint& fp, ViolationInfo& violated) {
  return inside_reporting(
      [&](ViolationInfo& v) {
        Footprint in_arena;
        if (!inner_->execute_or_report(p, in_arena, v)) return false;
        OutsideArena heap;
        fp = in_arena;
        return true;
      },
      violated);
}
bool ArenaSystem::replay_step_or_report(int p, ViolationInfo& violated) {
  return inside_reporting([&](ViolationInfo& v) { return inner_->replay_step_or_report(p, v); }, violated);
}
std::optional<ViolationInfo> ArenaSystem::at_end() {
  return inside([&] { return inner_->at_end(); });
}
std::string ArenaSystem::end_state() const {
  return inside([&] { return inner_->end_state(); });
}
std::vector<std::string> ArenaSystem::trace() const {
  return inside([&] { return inner_->trace(); });
}

}  // namespace sim::mc
