// SPDX-License-Identifier: GPL-2.0-or-later
// The rule file parser (docs/rules.md). Line-oriented like the trace format: '#'
// comments, a version header, one `field`, `rule` or `grant` per line. Any text gives
// either a table or one "file:line: message"; nothing here may crash or recurse
// without bound (the parser may be fuzzed).
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "alloc/message.h"
#include "rules/rules.h"

namespace buddycheck::rules {

namespace {

constexpr unsigned kMaxDepth = 64;      // nesting of ( and !
constexpr size_t kMaxLineBytes = 4096;  // a rule is one readable line

struct Token {
  enum Kind : uint8_t { Word, String, KeyString, Op };
  Kind kind = Word;
  std::string text;  // word, string value, operator
  std::string key;   // KeyString: the key before ="..."
  size_t col = 1;    // 1-based column of its first byte, for messages
};

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == ':';
}

// Splits one line into tokens; strips a trailing comment. Returns an error message (and
// its 1-based column in *col) or "".
std::string tokenize(std::string_view line, std::vector<Token>* out, size_t* col) {
  size_t i = 0;
  auto read_string = [&](std::string* s) -> bool {
    i++;  // opening quote
    while (i < line.size() && line[i] != '"') {
      if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
        i++;
      *s += line[i++];
    }
    if (i >= line.size()) return false;
    i++;  // closing quote
    return true;
  };
  while (i < line.size()) {
    char c = line[i];
    if (c == '#') break;
    if (c == ' ' || c == '\t' || c == '\r') {
      i++;
      continue;
    }
    Token t;
    t.col = i + 1;
    *col = i + 1;
    if (c == '"') {
      t.kind = Token::String;
      if (!read_string(&t.text)) return "unterminated string";
    } else if (c == '(' || c == ')' || c == '!') {
      t.kind = Token::Op;
      t.text = std::string(1, c);
      i++;
    } else if ((c == '&' || c == '|') && i + 1 < line.size() && line[i + 1] == c) {
      t.kind = Token::Op;
      t.text = std::string(2, c);
      i += 2;
    } else if (word_char(c)) {
      size_t b = i;
      while (i < line.size() && word_char(line[i])) i++;
      t.text = std::string(line.substr(b, i - b));
      if (i + 1 < line.size() && line[i] == '=' && line[i + 1] == '"') {
        t.kind = Token::KeyString;
        t.key = std::move(t.text);
        t.text.clear();
        i++;
        if (!read_string(&t.text)) return "unterminated string";
      }
    } else {
      return fmt::format("unexpected character {}", quote(line.substr(i, 1)));
    }
    out->push_back(std::move(t));
  }
  return "";
}

std::optional<Verdict> verdict_word(std::string_view w) { return parse_verdict(w); }

// "__GFP_DIRECT_RECLAIM" -> "direct_reclaim": the atom spelling of a gfp bit.
std::optional<gfp_t> gfp_atom_mask(std::string_view name) {
  size_t n = 0;
  const GfpName* names = gfp_names(&n);
  for (size_t i = 0; i < n; i++) {
    if (names[i].composite) continue;
    std::string_view k = names[i].name;
    if (k.substr(0, 6) != "__GFP_") continue;
    k.remove_prefix(6);
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t j = 0; j < k.size() && same; j++)
      same = std::tolower(static_cast<unsigned char>(k[j])) == name[j];
    if (same) return names[i].value;
  }
  return std::nullopt;
}

class ExprParser {
 public:
  ExprParser(const std::vector<Token>& toks, size_t begin, size_t end, Expr* e)
      : toks_(toks), pos_(begin), end_(end), e_(e) {}

  std::string parse() {
    if (pos_ == end_) return "empty expression after 'when'";
    int root = parse_or(0);
    if (!error_.empty()) return error_;
    if (pos_ != end_) return fmt::format("unexpected {} in expression", quote(toks_[pos_].text));
    e_->root = root;
    return "";
  }

 private:
  bool at_op(const char* op) const {
    return pos_ < end_ && toks_[pos_].kind == Token::Op && toks_[pos_].text == op;
  }
  int add(Expr::Node n) {
    e_->nodes.push_back(n);
    return static_cast<int>(e_->nodes.size()) - 1;
  }
  int fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
    return -1;
  }
  int parse_or(unsigned depth) {
    int l = parse_and(depth);
    while (error_.empty() && at_op("||")) {
      pos_++;
      int r = parse_and(depth);
      l = add({Expr::Node::Or, {}, l, r});
    }
    return l;
  }
  int parse_and(unsigned depth) {
    int l = parse_unary(depth);
    while (error_.empty() && at_op("&&")) {
      pos_++;
      int r = parse_unary(depth);
      l = add({Expr::Node::And, {}, l, r});
    }
    return l;
  }
  int parse_unary(unsigned depth) {
    if (!error_.empty()) return -1;
    if (depth >= kMaxDepth) return fail(fmt::format("expression nested deeper than {}", kMaxDepth));
    if (pos_ >= end_) return fail("expression ends early (an atom is missing)");
    const Token& t = toks_[pos_];
    if (at_op("!")) {
      pos_++;
      int a = parse_unary(depth + 1);
      return add({Expr::Node::Not, {}, a, -1});
    }
    if (at_op("(")) {
      pos_++;
      int a = parse_or(depth + 1);
      if (!error_.empty()) return -1;
      if (!at_op(")")) return fail("missing ')'");
      pos_++;
      return a;
    }
    if (t.kind != Token::Word) return fail(fmt::format("expected an atom, got {}", quote(t.text)));
    pos_++;
    std::optional<Atom> a = atom(t.text);
    if (!a) return -1;
    return add({Expr::Node::Leaf, *a, -1, -1});
  }
  std::optional<Atom> atom(const std::string& w) {
    std::string_view s = w;
    if (s == "unknown_bits") return Atom{Atom::Unknown, 0};
    if (s.substr(0, 4) == "ctx.") {
      if (auto f = ctx_field_by_name(s.substr(4))) return Atom{Atom::Ctx, *f};
      fail(fmt::format("unknown struct alloc_flags field {}", quote(s.substr(4))));
      return std::nullopt;
    }
    if (s == "gfp.zone_bad") return Atom{Atom::ZoneBad, 0};
    if (s.substr(0, 4) == "gfp.") {
      if (auto m = gfp_atom_mask(s.substr(4))) return Atom{Atom::Gfp, *m};
      fail(fmt::format("unknown gfp flag {} (spell __GFP_ZERO as gfp.zero)", quote(s.substr(4))));
      return std::nullopt;
    }
    if (s == "mt.unmovable") return Atom{Atom::MtUnmovable, 0};
    if (s == "mt.movable") return Atom{Atom::MtMovable, 0};
    if (s == "mt.reclaimable") return Atom{Atom::MtReclaimable, 0};
    if (s == "mt.bad") return Atom{Atom::MtBad, 0};
    if (s == "order.over_max") return Atom{Atom::OrderOverMax, 0};
    if (s.substr(0, 8) == "order.gt" && s.size() > 8 && s.size() <= 10) {
      unsigned n = 0;
      for (char c : s.substr(8)) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
          n = ~0u;
          break;
        }
        n = n * 10 + static_cast<unsigned>(c - '0');
      }
      if (n <= 62) return Atom{Atom::OrderGt, n};
    }
    fail(
        fmt::format("unknown atom {} (ctx.FIELD, unknown_bits, gfp.FLAG, gfp.zone_bad, "
                    "mt.unmovable|movable|reclaimable|bad, order.gtN (N <= 62), order.over_max)",
                    quote(s)));
    return std::nullopt;
  }

 public:
  // The token the parse stopped at (for the error's column).
  size_t pos() const { return pos_ < end_ ? pos_ : (end_ > 0 ? end_ - 1 : 0); }

 private:
  const std::vector<Token>& toks_;
  size_t pos_, end_;
  Expr* e_;
  std::string error_;
};

std::string expr_text(const std::vector<Token>& toks, size_t b, size_t e) {
  std::string s;
  for (size_t i = b; i < e; i++) {
    bool glue =
        toks[i].text == ")" || (i > b && (toks[i - 1].text == "(" || toks[i - 1].text == "!"));
    if (i > b && !glue) s += ' ';
    s += toks[i].text;
  }
  return s;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::isalpha(static_cast<unsigned char>(id[0])))
    return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// The bits the implementation distinguishes, always varied (see Space).
constexpr gfp_t kFixedVary = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE |
                             __GFP_RECLAIMABLE | __GFP_DIRECT_RECLAIM | __GFP_ZERO | __GFP_NOFAIL |
                             __GFP_PRIVATE;

}  // namespace

const char* field_class_name(FieldClass c) {
  switch (c) {
    case FieldClass::INTERNAL:
      return "internal";
    case FieldClass::EXTERNAL:
      return "external";
    case FieldClass::DERIVED:
      return "derived";
  }
  return "?";
}

const char* resource_name(Resource r) {
  switch (r) {
    case Resource::PRIVATE_NODE:
      return "private_node";
    case Resource::CMA_BLOCKS:
      return "cma_blocks";
    case Resource::UNMAPPED_PAGES:
      return "unmapped_pages";
  }
  return "?";
}

std::string RulesError::to_string() const {
  return line ? fmt::format("{}:{}:{}: {}", file, line, col ? col : 1, message)
              : fmt::format("{}: {}", file, message);
}

uint64_t RuleTable::external_mask() const {
  uint64_t m = 0;
  for (size_t i = 0; i < fields.size(); i++)
    if (fields[i].klass == FieldClass::EXTERNAL) m |= uint64_t{1} << i;
  return m;
}

const Rule* RuleTable::rule_by_id(std::string_view id) const {
  for (const Rule& r : rules)
    if (r.id == id) return &r;
  return nullptr;
}

RulesParse parse_rules(std::string_view text, std::string_view filename) {
  RulesParse res;
  RuleTable t;
  t.file = std::string(filename);
  t.fields.resize(NR_CTX_FIELDS);
  std::vector<bool> declared(NR_CTX_FIELDS, false);
  std::vector<Rule> cross;
  std::set<std::string> ids;
  gfp_t gfp_read = kFixedVary;
  bool header = false;
  size_t lineno = 0, pos = 0;
  std::vector<Token> toks;
  size_t at = 0;  // the token a message is about: the last one looked at
  size_t err_col = 1;

  auto error = [&](size_t line, std::string msg) {
    const size_t col = err_col        ? err_col
                       : toks.empty() ? 1
                                      : toks[std::min(at, toks.size() - 1)].col;
    res.error = RulesError{t.file, line, col, std::move(msg)};
    return res;
  };

  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    lineno++;
    toks.clear();
    at = 0;
    err_col = 1;
    if (line.size() > kMaxLineBytes)
      return error(lineno, fmt::format("line longer than {} bytes", kMaxLineBytes));
    if (std::string e = tokenize(line, &toks, &err_col); !e.empty()) {
      // Not even tokens before the header: most likely not a rule file at all.
      if (!header)
        e = fmt::format("expected the header 'buddycheck-rules {}' ({})", kRulesVersion, e);
      return error(lineno, e);
    }
    if (toks.empty()) continue;
    err_col = 0;  // from here on: the column of toks[at]
    auto word = [&](size_t i) -> std::string_view {
      at = i;
      return i < toks.size() && toks[i].kind == Token::Word ? std::string_view(toks[i].text)
                                                            : std::string_view();
    };
    if (!header) {
      if (word(0) != "buddycheck-rules")
        return error(lineno,
                     fmt::format("expected the header 'buddycheck-rules {}'", kRulesVersion));
      if (toks.size() != 2 || word(1) != std::to_string(kRulesVersion))
        return error(
            lineno,
            fmt::format("unsupported rules version (this buddycheck reads 'buddycheck-rules {}')",
                        kRulesVersion));
      header = true;
      continue;
    }
    // Every line ends with: "statement" source="..."
    auto tail = [&](size_t i, std::string* statement, std::string* source) -> std::string {
      at = i;
      if (i >= toks.size() || toks[i].kind != Token::String)
        return "expected the one-line statement in quotes";
      if (toks[i].text.empty()) return "empty statement";
      *statement = toks[i].text;
      at = i + 1;
      if (i + 1 >= toks.size() || toks[i + 1].kind != Token::KeyString ||
          toks[i + 1].key != "source")
        return "expected source=\"...\" after the statement";
      if (toks[i + 1].text.empty()) return "empty source";
      *source = toks[i + 1].text;
      at = i + 2;
      if (i + 2 < toks.size())
        return fmt::format("unexpected {} after source=", quote(toks[i + 2].text));
      return "";
    };
    // `when EXPR` up to the statement string.
    auto when = [&](size_t i, Expr* e, size_t* after) -> std::string {
      if (i < toks.size() && toks[i].kind == Token::String) {  // no `when`: always
        *after = i;
        return "";
      }
      if (word(i) != "when") return "expected 'when' or the statement";
      size_t j = i + 1;
      while (j < toks.size() && toks[j].kind != Token::String && toks[j].kind != Token::KeyString)
        j++;
      ExprParser p(toks, i + 1, j, e);
      if (std::string err = p.parse(); !err.empty()) {
        at = p.pos();
        return err;
      }
      e->text = expr_text(toks, i + 1, j);
      uint64_t cb = 0;
      gfp_t gb = 0;
      std::vector<unsigned> ords;
      expr_reads(*e, &cb, &gb, &ords, 0);
      gfp_read |= gb;
      if (unsigned n = static_cast<unsigned>(__builtin_popcountll(gfp_read)); n > kMaxVaryBits)
        return fmt::format("the rules read {} gfp bits; the space varies at most {}", n,
                           kMaxVaryBits);
      *after = j;
      return "";
    };
    auto new_id = [&](std::string_view id) -> std::string {
      if (!valid_id(id))
        return fmt::format("bad ID {} (a letter, then letters, digits, '-' or '_')", quote(id));
      if (!ids.insert(std::string(id)).second) return fmt::format("duplicate ID {}", quote(id));
      return "";
    };

    std::string_view kw = word(0);
    if (kw == "field") {
      auto f = ctx_field_by_name(word(1));
      if (!f)
        return error(lineno, fmt::format("unknown struct alloc_flags field {}",
                                         quote(toks.size() > 1 ? toks[1].text : "")));
      if (declared[*f]) return error(lineno, fmt::format("field '{}' declared twice", word(1)));
      FieldLine fl;
      fl.name = std::string(word(1));
      fl.line = lineno;
      std::string_view k = word(2);
      if (k == "internal") fl.klass = FieldClass::INTERNAL;
      else if (k == "external") fl.klass = FieldClass::EXTERNAL;
      else if (k == "derived") fl.klass = FieldClass::DERIVED;
      else
        return error(lineno, fmt::format("bad class {} (internal, external or derived)", quote(k)));
      auto v = verdict_word(word(3));
      if (!v || *v == Verdict::WARN)
        return error(lineno, fmt::format("bad field verdict {} (accept, ignore, clear or reject)",
                                         quote(word(3))));
      fl.verdict = *v;
      if (std::string e = tail(4, &fl.statement, &fl.source); !e.empty()) return error(lineno, e);
      declared[*f] = true;
      t.fields[*f] = std::move(fl);
    } else if (kw == "rule") {
      Rule r;
      r.line = lineno;
      if (std::string e = new_id(word(1)); !e.empty()) return error(lineno, e);
      r.id = std::string(word(1));
      auto v = verdict_word(word(2));
      if (!v)
        return error(lineno, fmt::format("bad verdict {} (accept, ignore, clear, warn or reject)",
                                         quote(word(2))));
      r.verdict = *v;
      size_t i = 3;
      if (!word(i).empty() && word(i) != "when") {
        auto f = ctx_field_by_name(word(i));
        if (!f)
          return error(lineno, fmt::format("unknown struct alloc_flags field {}", quote(word(i))));
        r.subject = static_cast<int>(*f);
        i++;
      }
      if (r.drops() && r.subject < 0)
        return error(lineno,
                     fmt::format("a {} rule names the field it drops: rule {} {} FIELD when ...",
                                 verdict_name(r.verdict), r.id, verdict_name(r.verdict)));
      size_t after = 0;
      if (std::string e = when(i, &r.when, &after); !e.empty()) return error(lineno, e);
      if (std::string e = tail(after, &r.statement, &r.source); !e.empty()) return error(lineno, e);
      cross.push_back(std::move(r));
    } else if (kw == "grant") {
      Grant g;
      g.line = lineno;
      if (std::string e = new_id(word(1)); !e.empty()) return error(lineno, e);
      g.id = std::string(word(1));
      std::string_view rs = word(2);
      if (rs == "private_node") g.resource = Resource::PRIVATE_NODE;
      else if (rs == "cma_blocks") g.resource = Resource::CMA_BLOCKS;
      else if (rs == "unmapped_pages") g.resource = Resource::UNMAPPED_PAGES;
      else
        return error(
            lineno,
            fmt::format("bad resource {} (private_node, cma_blocks or unmapped_pages)", quote(rs)));
      for (const Grant& o : t.grants)
        if (o.resource == g.resource)
          return error(
              lineno, fmt::format("resource {} already granted by {} (line {})", rs, o.id, o.line));
      size_t after = 0;
      if (std::string e = when(3, &g.when, &after); !e.empty()) return error(lineno, e);
      if (std::string e = tail(after, &g.statement, &g.source); !e.empty()) return error(lineno, e);
      t.grants.push_back(std::move(g));
    } else {
      at = 0;
      return error(lineno,
                   fmt::format("unknown line {} (field, rule or grant)", quote(toks[0].text)));
    }
  }
  err_col = 1;  // what follows is about the file as a whole
  if (!header)
    return error(lineno ? lineno : 1,
                 fmt::format("missing header 'buddycheck-rules {}'", kRulesVersion));
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++)
    if (!declared[i])
      return error(
          lineno,
          fmt::format("field '{}' is not declared (every struct alloc_flags field needs a line)",
                      ctx_field_info(i).name));
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++) {
    Rule r;
    r.id = "field:" + t.fields[i].name;
    r.verdict = t.fields[i].verdict;
    r.subject = static_cast<int>(i);
    r.from_field = true;
    r.statement = t.fields[i].statement;
    r.source = t.fields[i].source;
    r.line = t.fields[i].line;
    t.rules.push_back(std::move(r));
  }
  for (Rule& r : cross) t.rules.push_back(std::move(r));
  res.table = std::move(t);
  return res;
}

RulesParse load_rules_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    RulesParse r;
    r.error =
        RulesError{path, 0, 0, fmt::format("cannot read the rule file: {}", std::strerror(errno))};
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_rules(ss.str(), path);
}

}  // namespace buddycheck::rules
