// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// The run stops at the first broken invariant, the way a kernel BUG() or a
// lockdep splat would, with a report instead of a hang or a wrong number.
#include <stdexcept>
#include <string>

namespace sim {

enum class ViolationKind { Invariant, Deadlock, LockOwnership };

class Violation : public std::runtime_error {
 public:
  Violation(ViolationKind kind, std::string headline, std::string details = {})
      : std::runtime_error(headline), kind_(kind), details_(std::move(details)) {}
  ViolationKind kind() const { return kind_; }
  const std::string& details() const { return details_; }
  void append(const std::string& more) { details_ += more; }

 private:
  ViolationKind kind_;
  std::string details_;
};

}  // namespace sim
