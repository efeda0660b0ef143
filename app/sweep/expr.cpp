// SPDX-License-Identifier: GPL-2.0-only
#include "app/sweep/expr.hpp"

#include <charconv>
#include <cmath>

namespace sweep {

namespace {

enum class Tok { Number, String, Name, True, False, And, Or, Not, Plus, Minus, Star, Slash, Lt, Le, Gt, Ge, Eq, Ne, LParen, RParen, End };

struct Token {
  Tok kind;
  std::size_t column;  // 1-based
  std::string text;
  double number = 0;
};

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const std::size_t col = i + 1;
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::size_t j = i;
      while (j < s.size() && (is_digit(s[j]) || s[j] == '.')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && is_digit(s[k])) {
          j = k;
          while (j < s.size() && is_digit(s[j])) ++j;
        }
      }
      double v = 0;
      auto [end, ec] = std::from_chars(s.data() + i, s.data() + j, v);
      if (ec != std::errc{} || end != s.data() + j) throw ExprError(col, "bad number \"" + std::string(s.substr(i, j - i)) + "\"");
      if (j < s.size() && is_name_start(s[j])) throw ExprError(col, "bad number \"" + std::string(s.substr(i, j + 1 - i)) + "\"");
      out.push_back({Tok::Number, col, std::string(s.substr(i, j - i)), v});
      i = j;
      continue;
    }
    if (is_name_start(c)) {
      // A dotted config key: components of letters, digits and '_'.
      std::size_t j = i;
      for (;;) {
        while (j < s.size() && is_name_char(s[j])) ++j;
        if (j + 1 < s.size() && s[j] == '.' && is_name_char(s[j + 1])) {
          ++j;
          continue;
        }
        break;
      }
      std::string w(s.substr(i, j - i));
      Tok k = Tok::Name;
      if (w == "and") k = Tok::And;
      else if (w == "or") k = Tok::Or;
      else if (w == "not") k = Tok::Not;
      else if (w == "true") k = Tok::True;
      else if (w == "false") k = Tok::False;
      out.push_back({k, col, std::move(w)});
      i = j;
      continue;
    }
    if (c == '"' || c == '\'') {
      const std::size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) throw ExprError(col, "unterminated string");
      out.push_back({Tok::String, col, std::string(s.substr(i + 1, close - i - 1))});
      i = close + 1;
      continue;
    }
    auto two = [&](char next) { return i + 1 < s.size() && s[i + 1] == next; };
    Tok k;
    std::size_t len = 1;
    switch (c) {
      case '+': k = Tok::Plus; break;
      case '-': k = Tok::Minus; break;
      case '*': k = Tok::Star; break;
      case '/': k = Tok::Slash; break;
      case '(': k = Tok::LParen; break;
      case ')': k = Tok::RParen; break;
      case '<': k = two('=') ? (len = 2, Tok::Le) : Tok::Lt; break;
      case '>': k = two('=') ? (len = 2, Tok::Ge) : Tok::Gt; break;
      case '=':
        if (!two('=')) throw ExprError(col, "unexpected \"=\" (comparison is \"==\")");
        k = Tok::Eq, len = 2;
        break;
      case '!':
        if (!two('=')) throw ExprError(col, "unexpected \"!\" (use \"not\" or \"!=\")");
        k = Tok::Ne, len = 2;
        break;
      case '&':
      case '|': throw ExprError(col, std::string("unexpected \"") + c + "\" (use \"and\" / \"or\")");
      default: throw ExprError(col, std::string("unexpected character \"") + c + "\"");
    }
    out.push_back({k, col, std::string(s.substr(i, len))});
    i += len;
  }
  out.push_back({Tok::End, s.size() + 1, ""});
  return out;
}

}  // namespace

// Limits: a constraint of at most kMaxChars characters and kMaxDepth levels
// of nesting (parentheses, not, unary minus: the parser recurses once per
// level). Chains ("a + b + ...", "x and y and ...") are parsed by loops, and
// the expression is compiled to a flat postfix program evaluated with an
// explicit stack: no recursion in evaluation, none in teardown.
constexpr std::size_t kMaxChars = 4096;
constexpr std::size_t kMaxDepth = 64;

struct Expr::Instr {
  Tok op;  // Number/String/True/False: push value; Name: push lookup(name); Not/Neg: unary; the rest binary
  std::size_t column;
  ExprValue value;
  std::string name;
  bool unary = false;
  // And/Or: the short-circuit test of the left operand, which jumps to
  // `jump` (leaving false/true) or falls through to the right operand.
  bool short_circuit = false;
  std::size_t jump = 0;
};

namespace {

using Instr = Expr::Instr;

class Parser {
 public:
  Parser(std::vector<Token> toks, const std::set<std::string, std::less<>>& names, std::vector<std::string>& used,
         std::vector<Instr>& code)
      : t_(std::move(toks)), names_(names), used_(used), code_(code) {}

  void parse() {
    parse_or();
    if (peek().kind != Tok::End) throw ExprError(peek().column, "unexpected \"" + peek().text + "\"");
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& take() { return t_[i_++]; }
  void emit(Tok op, std::size_t col, bool unary = false) {
    Instr& in = code_.emplace_back();
    in.op = op;
    in.column = col;
    in.unary = unary;
  }
  // `left and right` / `left or right`, short-circuit: test, right, check.
  template <class Operand>
  void parse_chain(Tok op, Operand operand) {
    (this->*operand)();
    while (peek().kind == op) {
      const std::size_t col = take().column;
      const std::size_t test = code_.size();
      emit(op, col);
      code_.back().short_circuit = true;
      (this->*operand)();
      emit(op, col);  // checks that the right operand is a boolean
      code_[test].jump = code_.size();
    }
  }
  void parse_or() { parse_chain(Tok::Or, &Parser::parse_and); }
  void parse_and() { parse_chain(Tok::And, &Parser::parse_not); }

  struct Deeper {
    Deeper(Parser& p, std::size_t column) : p_(p) {
      if (++p_.depth_ > kMaxDepth) throw ExprError(column, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    ~Deeper() { --p_.depth_; }
    Parser& p_;
  };

  void parse_not() {
    if (peek().kind == Tok::Not) {
      const std::size_t col = take().column;
      const Deeper d(*this, col);
      parse_not();
      emit(Tok::Not, col, true);
      return;
    }
    parse_cmp();
  }
  static bool is_cmp(Tok k) { return k == Tok::Lt || k == Tok::Le || k == Tok::Gt || k == Tok::Ge || k == Tok::Eq || k == Tok::Ne; }
  void parse_cmp() {
    parse_sum();
    if (is_cmp(peek().kind)) {
      const Token& op = take();
      const Tok kind = op.kind;
      const std::size_t col = op.column;
      parse_sum();
      emit(kind, col);
      if (is_cmp(peek().kind)) throw ExprError(peek().column, "chained comparison: write \"a < b and b < c\"");
    }
  }
  void parse_sum() {
    parse_prod();
    while (peek().kind == Tok::Plus || peek().kind == Tok::Minus) {
      const Tok kind = peek().kind;
      const std::size_t col = take().column;
      parse_prod();
      emit(kind, col);
    }
  }
  void parse_prod() {
    parse_unary();
    while (peek().kind == Tok::Star || peek().kind == Tok::Slash) {
      const Tok kind = peek().kind;
      const std::size_t col = take().column;
      parse_unary();
      emit(kind, col);
    }
  }
  void parse_unary() {
    if (peek().kind == Tok::Minus) {
      const std::size_t col = take().column;
      const Deeper d(*this, col);
      parse_unary();
      emit(Tok::Minus, col, true);
      return;
    }
    parse_primary();
  }
  void parse_primary() {
    const Token& t = take();
    switch (t.kind) {
      case Tok::Number:
      case Tok::String:
      case Tok::True:
      case Tok::False: {
        emit(t.kind, t.column);
        ExprValue& v = code_.back().value;
        if (t.kind == Tok::Number) v = t.number;
        else if (t.kind == Tok::String) v = t.text;
        else v = t.kind == Tok::True;
        return;
      }
      case Tok::Name: {
        if (!names_.count(t.text)) {
          std::string known;
          for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
          throw ExprError(t.column, "unknown name \"" + t.text + "\" (the axes are: " + (known.empty() ? "none" : known) + ")");
        }
        emit(Tok::Name, t.column);
        code_.back().name = t.text;
        bool seen = false;
        for (const auto& u : used_) seen = seen || u == t.text;
        if (!seen) used_.push_back(t.text);
        return;
      }
      case Tok::LParen: {
        const Deeper d(*this, t.column);
        parse_or();
        if (peek().kind != Tok::RParen)
          throw ExprError(peek().column, peek().kind == Tok::End ? "missing \")\"" : "expected \")\", got \"" + peek().text + "\"");
        take();
        return;
      }
      case Tok::End: throw ExprError(t.column, "unexpected end of expression");
      default: throw ExprError(t.column, "unexpected \"" + t.text + "\"");
    }
  }

  std::vector<Token> t_;
  std::size_t i_ = 0;
  std::size_t depth_ = 0;
  const std::set<std::string, std::less<>>& names_;
  std::vector<std::string>& used_;
  std::vector<Instr>& code_;
};

const char* op_text(Tok k) {
  switch (k) {
    case Tok::Plus: return "+";
    case Tok::Minus: return "-";
    case Tok::Star: return "*";
    case Tok::Slash: return "/";
    case Tok::Lt: return "<";
    case Tok::Le: return "<=";
    case Tok::Gt: return ">";
    case Tok::Ge: return ">=";
    case Tok::Eq: return "==";
    case Tok::Ne: return "!=";
    case Tok::And: return "and";
    case Tok::Or: return "or";
    case Tok::Not: return "not";
    default: return "?";
  }
}

ExprValue run(const std::vector<Instr>& code, const Expr::Lookup& look) {
  std::vector<ExprValue> st;
  const auto pop = [&st] {
    ExprValue v = std::move(st.back());
    st.pop_back();
    return v;
  };
  for (std::size_t pc = 0; pc < code.size(); ++pc) {
    const Instr& n = code[pc];
    auto num = [&](const ExprValue& v) {
      if (const double* d = std::get_if<double>(&v)) return *d;
      throw ExprError(n.column, std::string("\"") + op_text(n.op) + "\" needs numbers, got " + describe(v));
    };
    auto boolean = [&](const ExprValue& v) {
      if (const bool* b = std::get_if<bool>(&v)) return *b;
      throw ExprError(n.column, std::string("\"") + op_text(n.op) + "\" needs booleans, got " + describe(v));
    };
    switch (n.op) {
      case Tok::Number:
      case Tok::String:
      case Tok::True:
      case Tok::False: st.push_back(n.value); break;
      case Tok::Name: {
        const ExprValue& v = look(n.name);
        if (std::holds_alternative<std::monostate>(v))
          throw ExprError(n.column, "\"" + n.name + "\" has a value expressions cannot use (an array)");
        st.push_back(v);
        break;
      }
      case Tok::Not: st.push_back(!boolean(pop())); break;
      case Tok::And:
      case Tok::Or: {
        const bool b = boolean(pop());
        // The left operand decides (false for and, true for or): skip the right one.
        if (n.short_circuit && b == (n.op == Tok::Or)) {
          st.push_back(b);
          pc = n.jump - 1;
        } else if (!n.short_circuit) {
          st.push_back(b);
        }
        break;
      }
      case Tok::Eq:
      case Tok::Ne: {
        const ExprValue b = pop(), a = pop();
        if (a.index() != b.index())
          throw ExprError(n.column, std::string("\"") + op_text(n.op) + "\" compares " + describe(a) + " with " + describe(b));
        st.push_back(n.op == Tok::Eq ? a == b : a != b);
        break;
      }
      default: {
        if (n.unary) {  // unary minus
          st.push_back(-num(pop()));
          break;
        }
        // Operands are checked left first, as written.
        const ExprValue bv = pop(), av = pop();
        const double a = num(av), b = num(bv);
        switch (n.op) {
          case Tok::Plus: st.push_back(a + b); break;
          case Tok::Minus: st.push_back(a - b); break;
          case Tok::Star: st.push_back(a * b); break;
          case Tok::Slash:
            if (b == 0) throw ExprError(n.column, "division by zero");
            st.push_back(a / b);
            break;
          case Tok::Lt: st.push_back(a < b); break;
          case Tok::Le: st.push_back(a <= b); break;
          case Tok::Gt: st.push_back(a > b); break;
          case Tok::Ge: st.push_back(a >= b); break;
          default: throw ExprError(n.column, "internal error: bad instruction");
        }
      }
    }
  }
  if (st.size() != 1) throw ExprError(1, "internal error: unbalanced expression");
  return st.back();
}

}  // namespace

std::string describe(const ExprValue& v) {
  if (const double* d = std::get_if<double>(&v)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    return "number " + std::string(buf, end);
  }
  if (const std::string* s = std::get_if<std::string>(&v)) return "string \"" + *s + "\"";
  if (const bool* b = std::get_if<bool>(&v)) return std::string("boolean ") + (*b ? "true" : "false");
  return "an array";
}

Expr Expr::parse(std::string_view text, const std::set<std::string, std::less<>>& names) {
  if (text.size() > kMaxChars)
    throw ExprError(kMaxChars + 1, "the expression is longer than " + std::to_string(kMaxChars) + " characters");
  Expr e;
  e.text_ = std::string(text);
  std::vector<Instr> code;
  Parser(lex(text), names, e.names_, code).parse();
  e.code_ = std::make_shared<const std::vector<Instr>>(std::move(code));
  return e;
}

ExprValue Expr::eval(const Lookup& lookup) const { return run(*code_, lookup); }

bool Expr::test(const Lookup& lookup) const {
  const ExprValue v = eval(lookup);
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  throw ExprError(1, "a constraint must be true or false, this one gives " + describe(v));
}

}  // namespace sweep
