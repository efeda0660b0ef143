// SPDX-License-Identifier: GPL-2.0-only
// The constraint language: precedence, types, short-circuit, and errors that
// say where (the column) and what.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "app/sweep/expr.hpp"

using sweep::Expr;
using sweep::ExprError;
using sweep::ExprValue;

namespace {

const std::set<std::string, std::less<>> kNames = {"workload.batch", "workload.queue_depth", "kioctx.design", "usb.cancel_fraction",
                                                   "workload.submitters"};

ExprValue eval(const std::string& text, std::map<std::string, ExprValue> vals = {}) {
  vals.emplace("workload.batch", 8.0);
  vals.emplace("workload.queue_depth", 32.0);
  vals.emplace("kioctx.design", std::string("mm-parent"));
  vals.emplace("usb.cancel_fraction", 0.25);
  vals.emplace("workload.submitters", ExprValue{});  // an array: not usable
  const Expr e = Expr::parse(text, kNames);
  return e.eval([&](const std::string& n) -> const ExprValue& { return vals.at(n); });
}

double num(const std::string& text) { return std::get<double>(eval(text)); }
bool truth(const std::string& text) { return std::get<bool>(eval(text)); }

// The column an error is reported at (0 if there is no error).
std::size_t error_column(const std::string& text, std::string* message = nullptr) {
  try {
    eval(text);
  } catch (const ExprError& e) {
    if (message) *message = e.message;
    return e.column;
  }
  return 0;
}

}  // namespace

TEST_CASE("arithmetic follows the usual precedence", "[expr]") {
  CHECK(num("1 + 2 * 3") == 7);
  CHECK(num("(1 + 2) * 3") == 9);
  CHECK(num("10 - 4 - 3") == 3);  // left-associative
  CHECK(num("10 / 4") == 2.5);
  CHECK(num("-2 * -3") == 6);
  CHECK(num("2e3 + .5") == 2000.5);
  CHECK(num("4 * workload.batch") == 32);
}

TEST_CASE("comparisons over axis values decide a constraint", "[expr]") {
  CHECK(truth("workload.queue_depth <= 4 * workload.batch"));
  CHECK_FALSE(truth("workload.queue_depth < 4 * workload.batch"));
  CHECK(truth("workload.queue_depth >= 32"));
  CHECK_FALSE(truth("workload.queue_depth > 32"));
  CHECK(truth("usb.cancel_fraction == 0.25"));
  CHECK(truth("usb.cancel_fraction != 0.5"));
  CHECK(truth("kioctx.design == \"mm-parent\""));
  CHECK(truth("kioctx.design != 'lazy-cancel'"));
}

TEST_CASE("and binds tighter than or, not tighter than and", "[expr]") {
  CHECK(truth("true or false and false"));             // true or (false and false)
  CHECK_FALSE(truth("(true or false) and false"));
  CHECK_FALSE(truth("not workload.batch == 8"));       // not (batch == 8)
  CHECK(truth("not workload.batch == 4 and workload.queue_depth == 32"));
  CHECK(truth("not not true"));
}

TEST_CASE("and/or short-circuit: the right side is not evaluated", "[expr]") {
  CHECK_FALSE(truth("false and 1 / 0 == 1"));
  CHECK(truth("true or 1 / 0 == 1"));
  CHECK(error_column("true and 1 / 0 == 1") == 12);  // it is when it matters
}

TEST_CASE("syntax errors name the column", "[expr]") {
  std::string msg;
  CHECK(error_column("workload.batch <= (4 * workload.batch", &msg) == 38);
  CHECK(msg == "missing \")\"");
  CHECK(error_column("workload.batch = 4", &msg) == 16);
  CHECK(msg.find("\"==\"") != std::string::npos);
  CHECK(error_column("workload.batch > 1 && true", &msg) == 20);
  CHECK(msg.find("and") != std::string::npos);
  CHECK(error_column("1 < workload.batch < 9", &msg) == 20);
  CHECK(msg.find("chained") != std::string::npos);
  CHECK(error_column("workload.batch +", &msg) == 17);
  CHECK(msg == "unexpected end of expression");
  CHECK(error_column("3 4") == 3);
  CHECK(error_column("\"open") == 1);
  CHECK(error_column("workload.batch ^ 2") == 16);
}

TEST_CASE("an unknown name is an error naming the axes", "[expr]") {
  std::string msg;
  CHECK(error_column("workload.batchh > 1", &msg) == 1);
  CHECK(msg.find("unknown name \"workload.batchh\"") != std::string::npos);
  CHECK(msg.find("workload.batch,") != std::string::npos);
}

TEST_CASE("type errors and division by zero are errors, not values", "[expr]") {
  std::string msg;
  CHECK(error_column("kioctx.design < 3", &msg) == 15);
  CHECK(msg.find("needs numbers, got string \"mm-parent\"") != std::string::npos);
  CHECK(error_column("kioctx.design == 3", &msg) == 15);
  CHECK(msg.find("compares string") != std::string::npos);
  CHECK(error_column("workload.batch and true", &msg) == 16);
  CHECK(msg.find("needs booleans") != std::string::npos);
  CHECK(error_column("workload.batch / (workload.queue_depth - 32) > 1", &msg) == 16);
  CHECK(msg == "division by zero");
  CHECK(error_column("workload.submitters == \"0-3\"", &msg) == 1);
  CHECK(msg.find("array") != std::string::npos);
}

TEST_CASE("a constraint must give a boolean", "[expr]") {
  const Expr e = Expr::parse("workload.batch * 2", kNames);
  const ExprValue eight = 8.0;
  CHECK_THROWS_AS(e.test([&](const std::string&) -> const ExprValue& { return eight; }), ExprError);
  CHECK(e.names() == std::vector<std::string>{"workload.batch"});
}

TEST_CASE("constraints are bounded: 64 levels of nesting, 4096 characters", "[expr]") {
  const std::set<std::string, std::less<>> names = {"a"};
  const auto nested = [](int n) { return std::string(n, '(') + "a > 1" + std::string(n, ')'); };
  CHECK_NOTHROW(Expr::parse(nested(63), names));
  CHECK_THROWS_WITH(Expr::parse(nested(65), names), Catch::Matchers::Contains("nested more than 64 levels"));
  std::string nots;
  for (int i = 0; i < 65; ++i) nots += "not ";
  CHECK_THROWS_AS(Expr::parse(nots + "true", names), ExprError);
  std::string negs(65, '-');
  CHECK_THROWS_AS(Expr::parse(negs + "1 > 0", names), ExprError);
  // 15,000 parentheses, 100k "not", a 500k-term sum: refused, not a stack overflow.
  CHECK_THROWS_AS(Expr::parse(nested(15000), names), ExprError);
  std::string sum;
  for (int i = 0; i < 500000; ++i) sum += "1+";
  CHECK_THROWS_WITH(Expr::parse(sum + "1 > 0", names), Catch::Matchers::Contains("longer than 4096"));
  // The longest accepted chains evaluate (2000 operators, evaluated by a
  // loop over a flat program), and each link of an and/or chain short-circuits.
  std::string ands, ors;
  for (int i = 0; i < 400; ++i) ands += "true and ", ors += "false or ";
  CHECK(Expr::parse(ands + "false and 1 / 0 == 1", names).test([](const std::string&) -> const ExprValue& { throw 0; }) == false);
  CHECK(Expr::parse(ors + "true or 1 / 0 == 1", names).test([](const std::string&) -> const ExprValue& { throw 0; }) == true);
  CHECK_THROWS_WITH(Expr::parse(ands + "true and 1 / 0 == 1", names).eval([](const std::string&) -> const ExprValue& { throw 0; }),
                    "column 3612: division by zero");
  std::string chain;
  for (int i = 0; i < 2000; ++i) chain += "1+";
  const Expr e = Expr::parse(chain + "1 > 2000", names);
  const ExprValue one = 1.0;
  CHECK(e.test([&](const std::string&) -> const ExprValue& { return one; }) == true);
}
