// SPDX-License-Identifier: GPL-2.0-only
#pragma once
// A tiny, safe expression language for sweep constraints:
//
//   workload.queue_depth <= 4 * workload.batch and not (kioctx.design == "mm-parent")
//
// Numbers (123, 1.5, 2e3), strings ("mm-parent" or 'mm-parent'), true/false, axis names
// (dotted config keys), + - * / and unary minus on numbers, the comparisons
// < <= > >= on numbers and == != on any two values of the same type, and the
// boolean operators and, or, not (short-circuit). Precedence, loosest first:
// or, and, not, comparison, + -, * /, unary -. Nothing else: no calls, no
// assignment, no side effects, so a spec cannot do anything but filter.
//
// Errors (syntax, an unknown name, a type mismatch, division by zero) are an
// ExprError with the 1-based column in the expression text.
#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sweep {

// An axis value as the expression sees it. monostate: a value the language
// cannot use (an array); referring to it is an error.
using ExprValue = std::variant<std::monostate, double, std::string, bool>;

struct ExprError : std::runtime_error {
  ExprError(std::size_t column, const std::string& message)
      : std::runtime_error("column " + std::to_string(column) + ": " + message), column(column), message(message) {}
  std::size_t column;
  std::string message;
};

class Expr {
 public:
  // Parses `text`. Every name must be in `names` (the sweep's axes).
  static Expr parse(std::string_view text, const std::set<std::string, std::less<>>& names);

  using Lookup = std::function<const ExprValue&(const std::string& name)>;
  ExprValue eval(const Lookup& lookup) const;
  // eval(), which must give a boolean.
  bool test(const Lookup& lookup) const;

  const std::string& text() const { return text_; }
  const std::vector<std::string>& names() const { return names_; }  // referenced, in order of first use

  struct Instr;  // one step of the compiled postfix program

 private:
  std::string text_;
  std::vector<std::string> names_;
  std::shared_ptr<const std::vector<Instr>> code_;
};

std::string describe(const ExprValue& v);  // "number 4", "string \"mm-parent\"", "boolean true"

}  // namespace sweep
