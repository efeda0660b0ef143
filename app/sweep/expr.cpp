// SPDX-License-Identifier: GPL-2.0-only
#include "sweep/expr.hpp"

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

// Limits: a constraint of at most kMaxChars characters (so at most about
// kMaxChars / 2 terms: a chain "a+b+..." is a tree that deep) and kMaxDepth
// levels of nesting.
constexpr std::size_t kMaxChars = 4096;
constexpr std::size_t kMaxDepth = 64;

struct Expr::Node {
  Tok op;  // Number/String/True/False/Name: a leaf; Not/Minus with one child: unary
  std::size_t column;
  ExprValue value;  // leaves
  std::string name;
  std::shared_ptr<const Node> a, b;
};

namespace {

using NodeP = std::shared_ptr<const Expr::Node>;

class Parser {
 public:
  Parser(std::vector<Token> toks, const std::set<std::string, std::less<>>& names, std::vector<std::string>& used)
      : t_(std::move(toks)), names_(names), used_(used) {}

  NodeP parse() {
    NodeP n = parse_or();
    if (peek().kind != Tok::End) throw ExprError(peek().column, "unexpected \"" + peek().text + "\"");
    return n;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& take() { return t_[i_++]; }
  static NodeP make(Tok op, std::size_t col, NodeP a, NodeP b = nullptr) {
    auto n = std::make_shared<Expr::Node>();
    n->op = op;
    n->column = col;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }

  NodeP parse_or() {
    NodeP l = parse_and();
    while (peek().kind == Tok::Or) {
      const Token& op = take();
      l = make(Tok::Or, op.column, l, parse_and());
    }
    return l;
  }
  NodeP parse_and() {
    NodeP l = parse_not();
    while (peek().kind == Tok::And) {
      const Token& op = take();
      l = make(Tok::And, op.column, l, parse_not());
    }
    return l;
  }
  // Nesting (parentheses, not, unary minus) at most kMaxDepth deep: the
  // parser and the evaluator recurse once per level.
  struct Deeper {
    Deeper(Parser& p, std::size_t column) : p_(p) {
      if (++p_.depth_ > kMaxDepth) throw ExprError(column, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    }
    ~Deeper() { --p_.depth_; }
    Parser& p_;
  };

  NodeP parse_not() {
    if (peek().kind == Tok::Not) {
      const Token& op = take();
      const Deeper d(*this, op.column);
      return make(Tok::Not, op.column, parse_not());
    }
    return parse_cmp();
  }
  NodeP parse_cmp() {
    NodeP l = parse_sum();
    const Tok k = peek().kind;
    if (k == Tok::Lt || k == Tok::Le || k == Tok::Gt || k == Tok::Ge || k == Tok::Eq || k == Tok::Ne) {
      const Token& op = take();
      l = make(op.kind, op.column, l, parse_sum());
      const Tok k2 = peek().kind;
      if (k2 == Tok::Lt || k2 == Tok::Le || k2 == Tok::Gt || k2 == Tok::Ge || k2 == Tok::Eq || k2 == Tok::Ne)
        throw ExprError(peek().column, "chained comparison: write \"a < b and b < c\"");
    }
    return l;
  }
  NodeP parse_sum() {
    NodeP l = parse_prod();
    while (peek().kind == Tok::Plus || peek().kind == Tok::Minus) {
      const Token& op = take();
      l = make(op.kind, op.column, l, parse_prod());
    }
    return l;
  }
  NodeP parse_prod() {
    NodeP l = parse_unary();
    while (peek().kind == Tok::Star || peek().kind == Tok::Slash) {
      const Token& op = take();
      l = make(op.kind, op.column, l, parse_unary());
    }
    return l;
  }
  NodeP parse_unary() {
    if (peek().kind == Tok::Minus) {
      const Token& op = take();
      const Deeper d(*this, op.column);
      return make(Tok::Minus, op.column, parse_unary());
    }
    return parse_primary();
  }
  NodeP parse_primary() {
    const Token& t = take();
    auto leaf = std::make_shared<Expr::Node>();
    leaf->op = t.kind;
    leaf->column = t.column;
    switch (t.kind) {
      case Tok::Number: leaf->value = t.number; return leaf;
      case Tok::String: leaf->value = t.text; return leaf;
      case Tok::True: leaf->value = true; return leaf;
      case Tok::False: leaf->value = false; return leaf;
      case Tok::Name: {
        if (!names_.count(t.text)) {
          std::string known;
          for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
          throw ExprError(t.column, "unknown name \"" + t.text + "\" (the axes are: " + (known.empty() ? "none" : known) + ")");
        }
        leaf->name = t.text;
        bool seen = false;
        for (const auto& u : used_) seen = seen || u == t.text;
        if (!seen) used_.push_back(t.text);
        return leaf;
      }
      case Tok::LParen: {
        const Deeper d(*this, t.column);
        NodeP inner = parse_or();
        if (peek().kind != Tok::RParen)
          throw ExprError(peek().column, peek().kind == Tok::End ? "missing \")\"" : "expected \")\", got \"" + peek().text + "\"");
        take();
        return inner;
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

ExprValue eval_node(const Expr::Node& n, const Expr::Lookup& look) {
  auto num = [&](const ExprValue& v, const Expr::Node& where) {
    if (const double* d = std::get_if<double>(&v)) return *d;
    throw ExprError(where.column, std::string("\"") + op_text(n.op) + "\" needs numbers, got " + describe(v));
  };
  auto boolean = [&](const ExprValue& v) {
    if (const bool* b = std::get_if<bool>(&v)) return *b;
    throw ExprError(n.column, std::string("\"") + op_text(n.op) + "\" needs booleans, got " + describe(v));
  };
  switch (n.op) {
    case Tok::Number:
    case Tok::String:
    case Tok::True:
    case Tok::False: return n.value;
    case Tok::Name: {
      const ExprValue& v = look(n.name);
      if (std::holds_alternative<std::monostate>(v))
        throw ExprError(n.column, "\"" + n.name + "\" has a value expressions cannot use (an array)");
      return v;
    }
    case Tok::Not: return !boolean(eval_node(*n.a, look));
    case Tok::And: return boolean(eval_node(*n.a, look)) ? boolean(eval_node(*n.b, look)) : false;
    case Tok::Or: return boolean(eval_node(*n.a, look)) ? true : boolean(eval_node(*n.b, look));
    case Tok::Minus:
      if (!n.b) return -num(eval_node(*n.a, look), n);
      [[fallthrough]];
    case Tok::Plus:
    case Tok::Star:
    case Tok::Slash:
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge: {
      const double a = num(eval_node(*n.a, look), n), b = num(eval_node(*n.b, look), n);
      switch (n.op) {
        case Tok::Plus: return a + b;
        case Tok::Minus: return a - b;
        case Tok::Star: return a * b;
        case Tok::Slash:
          if (b == 0) throw ExprError(n.column, "division by zero");
          return a / b;
        case Tok::Lt: return a < b;
        case Tok::Le: return a <= b;
        case Tok::Gt: return a > b;
        default: return a >= b;
      }
    }
    case Tok::Eq:
    case Tok::Ne: {
      const ExprValue a = eval_node(*n.a, look), b = eval_node(*n.b, look);
      if (a.index() != b.index())
        throw ExprError(n.column, std::string("\"") + op_text(n.op) + "\" compares " + describe(a) + " with " + describe(b));
      return n.op == Tok::Eq ? a == b : a != b;
    }
    default: throw ExprError(n.column, "internal error: bad node");
  }
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
  Parser p(lex(text), names, e.names_);
  e.root_ = p.parse();
  return e;
}

ExprValue Expr::eval(const Lookup& lookup) const { return eval_node(*root_, lookup); }

bool Expr::test(const Lookup& lookup) const {
  const ExprValue v = eval(lookup);
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  throw ExprError(1, "a constraint must be true or false, this one gives " + describe(v));
}

}  // namespace sweep
