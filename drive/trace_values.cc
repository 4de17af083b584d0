// SPDX-License-Identifier: GPL-2.0-or-later
// The trace parser's value spellings: numbers, names, lists, ranges, masks. Each
// records a positioned error and returns false on bad input; none can overflow.
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "alloc/gfp.h"
#include "drive/trace_parser.h"

namespace buddycheck::trace_detail {

namespace {

// Byte classes as tables: one load per byte instead of a chain of compares, each of
// which the fuzzer would trace.
struct ByteTable {
  std::array<uint8_t, 256> v{};
  uint8_t operator[](char c) const { return v[static_cast<unsigned char>(c)]; }
};
constexpr ByteTable kBlank = [] {
  ByteTable t;
  for (char c : {' ', '\t', '\r', '\v', '\f'}) t.v[static_cast<unsigned char>(c)] = 1;
  return t;
}();
constexpr ByteTable kEndsWord = [] {
  ByteTable t = kBlank;
  t.v['#'] = 1;
  return t;
}();
constexpr uint8_t kNotDigit = 0xff;
constexpr ByteTable kDigit = [] {
  ByteTable t;
  t.v.fill(kNotDigit);
  for (int i = 0; i < 10; i++) t.v['0' + i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 6; i++) t.v['a' + i] = t.v['A' + i] = static_cast<uint8_t>(10 + i);
  return t;
}();

}  // namespace

void tokenize(std::string_view line, std::vector<Token>* toks) {
  toks->clear();
  // Pointer walks: libFuzzer does not trace pointer compares.
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  const char* p = begin;
  while (true) {
    while (p != end && kBlank[*p]) p++;
    if (p == end || *p == '#') return;  // everything after '#' is comment
    const char* start = p;
    while (p != end && !kEndsWord[*p]) p++;
    toks->push_back({std::string_view(start, static_cast<size_t>(p - start)),
                     static_cast<size_t>(start - begin) + 1});
  }
}

std::string hint(std::string_view word, Names names) {
  pagealloc::Closest near(word);
  for (std::string_view n : names.words()) near.offer(n);
  return near.hint();
}

std::string join_names(Names names) {
  std::string out;
  for (size_t i = 0; i < names.size(); i++) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

Num parse_uint(std::string_view s, uint64_t max, uint64_t* out) {
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s = s.substr(2);
  }
  if (s.empty()) return Num::junk;
  uint64_t v = 0;
  bool over = false;
  for (const char* p = s.data(); p != s.data() + s.size(); p++) {
    const unsigned d = kDigit[*p];
    if (d >= base) return Num::junk;
    if (over || d > max || v > (max - d) / base) over = true;
    else v = v * base + d;
  }
  if (over) return Num::range;
  *out = v;
  return Num::ok;
}

bool Parser::split(const Token& t, KeyValue* kv) {
  size_t eq = t.text.find('=');
  if (eq == std::string_view::npos)
    return fail(t.col, fmt::format("expected key=value, got {}", quote(t.text)));
  if (eq == 0) return fail(t.col, fmt::format("missing key before '=' in {}", quote(t.text)));
  kv->key = {t.text.substr(0, eq), t.col};
  kv->value = {t.text.substr(eq + 1), t.col + eq + 1};
  return true;
}

bool Parser::uint_value(const Token& v, std::string_view what, uint64_t max, uint64_t* out) {
  switch (parse_uint(v.text, max, out)) {
    case Num::ok:
      return true;
    case Num::junk:
      return fail(v.col, fmt::format("expected a number (decimal or 0x-hex) for '{}', got {}", what,
                                     quote(v.text)));
    case Num::range:
      return fail(v.col,
                  fmt::format("'{}' value {} is out of range (max {})", what, quote(v.text), max));
  }
  return false;
}

bool Parser::u32(const Token& v, std::string_view what, unsigned* out) {
  uint64_t x = 0;
  if (!uint_value(v, what, UINT32_MAX, &x)) return false;
  *out = static_cast<unsigned>(x);
  return true;
}

bool Parser::int_value(const Token& v, std::string_view what, int* out) {
  const bool neg = !v.text.empty() && v.text[0] == '-';
  uint64_t mag = 0;
  switch (parse_uint(v.text.substr(neg ? 1 : 0), neg ? uint64_t{INT_MAX} + 1 : INT_MAX, &mag)) {
    case Num::ok:
      *out = neg ? static_cast<int>(-static_cast<int64_t>(mag)) : static_cast<int>(mag);
      return true;
    case Num::junk:
      return fail(v.col, fmt::format("expected a number (decimal or 0x-hex) for '{}', got {}", what,
                                     quote(v.text)));
    case Num::range:
      return fail(v.col, fmt::format("'{}' value {} is out of range ({}..{})", what, quote(v.text),
                                     INT_MIN, INT_MAX));
  }
  return false;
}

bool Parser::name_value(const Token& v, std::string_view what, Names names, int* out) {
  *out = names.find(v.text);
  if (*out >= 0) return true;
  if (v.text.empty())
    return fail(v.col, fmt::format("missing value for '{}' (expected one of: {})", what,
                                   join_names(names)));
  return fail(v.col, fmt::format("unknown {} {}{} (expected one of: {})", what, quote(v.text),
                                 hint(v.text, names), join_names(names)));
}

bool Parser::bool_value(const Token& v, std::string_view what, bool* out) {
  int i = 0;
  if (!name_value(v, what, kYesNo, &i)) return false;
  *out = i == 1;
  return true;
}

bool Parser::ratio_value(const Token& v, std::string_view what,
                         std::array<unsigned, MAX_NR_ZONES>* out) {
  size_t pos = 0;
  for (unsigned i = 0; i < MAX_NR_ZONES; i++) {
    size_t comma = v.text.find(',', pos);
    bool last = i + 1 == MAX_NR_ZONES;
    if (comma == std::string_view::npos && !last)
      return fail(
          v.col,
          fmt::format("'{}' needs {} comma-separated ratios (one per zone type, like 256,256,32,0)",
                      what, unsigned{MAX_NR_ZONES}));
    if (last && comma != std::string_view::npos)
      return fail(v.col + comma,
                  fmt::format("'{}' has more than {} ratios", what, unsigned{MAX_NR_ZONES}));
    size_t end = last ? v.text.size() : comma;
    if (!u32({v.text.substr(pos, end - pos), v.col + pos}, what, &(*out)[i])) return false;
    pos = end + 1;
  }
  return true;
}

bool Parser::ranges_value(const Token& v, std::string_view what, std::vector<PfnRange>* out) {
  size_t pos = 0;
  while (pos <= v.text.size()) {
    size_t comma = v.text.find(',', pos);
    if (comma == std::string_view::npos) comma = v.text.size();
    std::string_view r = v.text.substr(pos, comma - pos);
    size_t dash = r.find('-');
    if (dash == std::string_view::npos)
      return fail(v.col + pos,
                  fmt::format("expected a PFN range START-END (like 0x100-0x200) in '{}', got {}",
                              what, quote(r)));
    PfnRange pr;
    if (!uint_value({r.substr(0, dash), v.col + pos}, what, UINT64_MAX, &pr.start) ||
        !uint_value({r.substr(dash + 1), v.col + pos + dash + 1}, what, UINT64_MAX, &pr.end))
      return false;
    out->push_back(pr);
    pos = comma + 1;
  }
  return true;
}

bool Parser::cpus_value(const Token& v, int node) {
  const std::string_view s = v.text;
  size_t pos = 0;
  auto number = [&](unsigned* out) {
    size_t start = pos;
    uint64_t x = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (x <= kMaxCpus) x = x * 10 + static_cast<unsigned>(s[pos] - '0');
      pos++;
    }
    if (pos == start)
      return fail(v.col + start, "expected a CPU number in 'cpus' (a list like 0-3,6)");
    if (x >= kMaxCpus)
      return fail(v.col + start,
                  fmt::format("CPU {} is out of range (the model has at most {} CPUs)",
                              quote(s.substr(start, pos - start)), kMaxCpus));
    *out = static_cast<unsigned>(x);
    return true;
  };
  while (true) {
    size_t at = pos;
    unsigned a = 0, b = 0;
    if (!number(&a)) return false;
    b = a;
    if (pos < s.size() && s[pos] == '-') {
      pos++;
      if (!number(&b)) return false;
      if (b < a) return fail(v.col + at, fmt::format("CPU range {}-{} runs backwards", a, b));
    }
    for (unsigned c = a; c <= b; c++) {
      if (cpu_node_[c] >= 0)
        return fail(v.col + at, fmt::format("CPU {} is already on node {}", c, int{cpu_node_[c]}));
      cpu_node_[c] = static_cast<int8_t>(node);
      if (static_cast<int>(c) > max_cpu_) {
        max_cpu_ = static_cast<int>(c);
        max_cpu_pos_ = {line_, v.col + at};
      }
    }
    if (pos == s.size()) return true;
    if (s[pos] != ',')
      return fail(v.col + pos, fmt::format("unexpected {} in 'cpus' (expected ',' or '-')",
                                           quote(s.substr(pos, 1))));
    pos++;
  }
}

bool Parser::gfp_value(const Token& v, gfp_t* out) {
  std::string e;
  size_t ec = 0;
  if (auto g = parse_gfp(v.text, &e, &ec)) {
    *out = *g;
    return true;
  }
  // Bits outside __GFP_BITS_MASK (a deliberately bad request) print as a hex leftover
  // that parse_gfp refuses; accept them here so such ops round-trip.
  gfp_t mask = 0;
  size_t pos = 0;
  while (pos <= v.text.size()) {
    size_t bar = v.text.find('|', pos);
    if (bar == std::string_view::npos) bar = v.text.size();
    std::string_view tok = v.text.substr(pos, bar - pos);
    uint64_t n = 0;
    std::optional<gfp_t> named;
    if (parse_uint(tok, UINT32_MAX, &n) == Num::ok) mask |= static_cast<gfp_t>(n);
    else if (!tok.empty() && tok.find('(') == std::string_view::npos && (named = parse_gfp(tok)))
      mask |= *named;
    else return fail(v.col + ec, e);
    pos = bar + 1;
  }
  *out = mask;
  return true;
}

bool Parser::mask_value(const Token& v, std::string_view what, std::optional<Nodemask>* out) {
  if (v.text == "none") {
    *out = Nodemask{};
    return true;
  }
  std::string e;
  size_t ec = 0;
  *out = parse_nodemask(v.text, &e, &ec);
  if (*out) return true;
  return fail(v.col + ec,
              fmt::format("bad '{}': {} (expected a node list like 0-1,3, or none)", what, e));
}

bool Parser::task_value(const Token& v, uint32_t* out) {
  *out = 0;
  if (v.text == "none") return true;
  size_t pos = 0;
  while (pos <= v.text.size()) {
    size_t bar = v.text.find('|', pos);
    if (bar == std::string_view::npos) bar = v.text.size();
    std::string_view tok = v.text.substr(pos, bar - pos);
    int i = kTaskNames.find(tok);
    uint64_t n = 0;
    if (i >= 0) *out |= 1u << i;
    else if (tok.size() > 2 && tok[1] == 'x' && parse_uint(tok, UINT32_MAX, &n) == Num::ok)
      *out |= static_cast<uint32_t>(n);
    else
      return fail(v.col + pos,
                  fmt::format("unknown task bit {}{} (expected names joined by '|': {})",
                              quote(tok), hint(tok, kTaskNames), join_names(kTaskNames)));
    pos = bar + 1;
  }
  return true;
}

bool Parser::zone_value(const Token& v, int* out) {
  size_t colon = v.text.find(':');
  if (colon == std::string_view::npos) {
    // A raw zone id; canonical output uses node:Type except for negative ids.
    if (!v.text.empty() && (v.text[0] == '-' || (v.text[0] >= '0' && v.text[0] <= '9')))
      return int_value(v, "zone", out);
    return fail(v.col,
                fmt::format("expected a zone as NODE:TYPE (like 0:Normal), got {}", quote(v.text)));
  }
  uint64_t node = 0;
  if (!uint_value({v.text.substr(0, colon), v.col}, "zone node", INT_MAX / MAX_NR_ZONES - 1, &node))
    return false;
  int type = 0;
  if (!name_value({v.text.substr(colon + 1), v.col + colon + 1}, "zone type", kZoneTypes, &type))
    return false;
  *out = static_cast<int>(node) * MAX_NR_ZONES + type;
  return true;
}

}  // namespace buddycheck::trace_detail
