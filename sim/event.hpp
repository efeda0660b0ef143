// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// Something that happens at a simulated time: a context resuming, a device
// timer firing. Events live inside the objects they belong to (contexts,
// device requests), so scheduling one allocates nothing.
#include <cstdint>

#include "sim/time.hpp"

namespace sim {

class Event {
 public:
  virtual ~Event() = default;
  virtual void fire() = 0;
  // Bumped to invalidate an entry already in the queue (preemption, cancel).
  std::uint32_t generation_ = 0;
  Time due_ = 0;
};

// An event that calls a member function of its owner: `Timer<Dev, &Dev::done>`.
template <class Owner, void (Owner::*Fn)()>
class MemberEvent final : public Event {
 public:
  explicit MemberEvent(Owner& o) : owner_(&o) {}
  void fire() override { (owner_->*Fn)(); }

 private:
  Owner* owner_;
};

}  // namespace sim
