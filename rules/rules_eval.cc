// SPDX-License-Identifier: GPL-2.0-or-later
// Evaluation of rule tables: the reference expect(), the input space, the per-class
// compilation used by the exhaustive checker, and how an input is written back out as
// a request and a trace.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "drive/trace.h"
#include "rules/class_eval.h"

namespace buddycheck::rules {

namespace {

// GFP_ZONE_BAD (include/linux/gfp.h): the eight illegal zone-modifier combinations,
// written out again from the kernel's table rather than taken from alloc/gfp.
constexpr uint16_t kZoneBad = (1u << 0x3) | (1u << 0x5) | (1u << 0x6) | (1u << 0x7) | (1u << 0xB) |
                              (1u << 0xD) | (1u << 0xE) | (1u << 0xF);

bool atom_value(const Atom& a, const Input& in, unsigned max_order) {
  const bool mov = in.gfp & __GFP_MOVABLE, rec = in.gfp & __GFP_RECLAIMABLE;
  switch (a.kind) {
    case Atom::Ctx:
      return (in.ctx >> a.arg) & 1;
    case Atom::Unknown:
      return (in.ctx >> kUnknownBit) != 0;
    case Atom::Gfp:
      return (in.gfp & a.arg) != 0;
    case Atom::ZoneBad:
      return (kZoneBad >> (in.gfp & 0xF)) & 1;
    case Atom::MtUnmovable:
      return !mov && !rec;
    case Atom::MtMovable:
      return mov && !rec;
    case Atom::MtReclaimable:
      return rec && !mov;
    case Atom::MtBad:
      return mov && rec;
    case Atom::OrderGt:
      return in.order > a.arg;
    case Atom::OrderOverMax:
      return in.order > max_order;
  }
  return false;
}

bool eval_node(const Expr& e, int n, const Input& in, unsigned max_order) {
  // Iterative over the right spine would not help much; depth is bounded by the parser
  // (64 levels of ( and !, and && / || chains are built left-deep).
  const Expr::Node& node = e.nodes[n];
  switch (node.op) {
    case Expr::Node::Leaf:
      return atom_value(node.atom, in, max_order);
    case Expr::Node::Not:
      return !eval_node(e, node.a, in, max_order);
    case Expr::Node::And:
      return eval_node(e, node.a, in, max_order) && eval_node(e, node.b, in, max_order);
    case Expr::Node::Or:
      return eval_node(e, node.a, in, max_order) || eval_node(e, node.b, in, max_order);
  }
  return false;
}

bool rule_fires(const Rule& r, const Input& in, unsigned max_order) {
  if (r.subject >= 0 && !((in.ctx >> r.subject) & 1)) return false;
  return eval_expr(r.when, in, max_order);
}

constexpr gfp_t kBase = __GFP_IO | __GFP_FS | __GFP_KSWAPD_RECLAIM;
// The implementation distinguishes these (check_request(): zone, mobility, NOFAIL;
// sanitize_alloc_flags(): mobility, DIRECT_RECLAIM, ZERO).
constexpr gfp_t kVerdictVary = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE |
                               __GFP_RECLAIMABLE | __GFP_DIRECT_RECLAIM | __GFP_ZERO | __GFP_NOFAIL;

}  // namespace

bool eval_expr(const Expr& e, const Input& in, unsigned max_order) {
  return e.root < 0 || eval_node(e, e.root, in, max_order);
}

void expr_reads(const Expr& e, uint64_t* ctx_bits, gfp_t* gfp_bits, std::vector<unsigned>* orders,
                unsigned max_order) {
  for (const Expr::Node& n : e.nodes) {
    if (n.op != Expr::Node::Leaf) continue;
    const Atom& a = n.atom;
    switch (a.kind) {
      case Atom::Ctx:
        *ctx_bits |= uint64_t{1} << a.arg;
        break;
      case Atom::Unknown:
        *ctx_bits |= uint64_t{1} << kUnknownBit;
        break;
      case Atom::Gfp:
        *gfp_bits |= a.arg;
        break;
      case Atom::ZoneBad:
        *gfp_bits |= GFP_ZONEMASK;
        break;
      case Atom::MtUnmovable:
      case Atom::MtMovable:
      case Atom::MtReclaimable:
      case Atom::MtBad:
        *gfp_bits |= __GFP_MOVABLE | __GFP_RECLAIMABLE;
        break;
      case Atom::OrderGt:
        orders->push_back(static_cast<unsigned>(a.arg));
        orders->push_back(static_cast<unsigned>(a.arg) + 1);
        break;
      case Atom::OrderOverMax:
        orders->push_back(max_order);
        orders->push_back(max_order + 1);
        break;
    }
  }
}

Expected expect(const RuleTable& t, const Input& in, unsigned max_order, std::vector<int>* fired) {
  Expected e;
  for (size_t i = 0; i < t.rules.size(); i++) {
    const Rule& r = t.rules[i];
    if (!rule_fires(r, in, max_order)) continue;
    if (fired) fired->push_back(static_cast<int>(i));
    e.verdict = std::max(e.verdict, r.verdict);
    if (!r.drops()) continue;  // drop rules always have a subject
    const uint64_t bit = uint64_t{1} << r.subject;
    if (r.verdict == Verdict::IGNORE) e.ignored |= bit;
    if (r.verdict == Verdict::CLEAR) e.cleared |= bit;
  }
  if (e.verdict == Verdict::REJECT) {
    e.ignored = e.cleared = 0;
    e.out = in.ctx;
    return e;
  }
  e.ignored &= ~e.cleared;
  e.out = in.ctx & ~(e.ignored | e.cleared);
  return e;
}

bool grant_holds(const Grant& g, const Input& sanitized, unsigned max_order) {
  return eval_expr(g.when, sanitized, max_order);
}

// ---- space ------------------------------------------------------------------------

std::optional<Space> make_space(const std::vector<const RuleTable*>& tables, const Config& machine,
                                bool with_grants, std::string* error) {
  Space sp;
  sp.max_order = machine.max_page_order;
  sp.vary = kVerdictVary;
  if (with_grants) sp.vary |= __GFP_PRIVATE;
  std::vector<unsigned> orders = {0, 1, 2, sp.max_order, sp.max_order + 1};
  uint64_t ctx = 0;
  for (const RuleTable* t : tables) {
    for (const Rule& r : t->rules) expr_reads(r.when, &ctx, &sp.vary, &orders, sp.max_order);
    if (with_grants)
      for (const Grant& g : t->grants) expr_reads(g.when, &ctx, &sp.vary, &orders, sp.max_order);
  }
  if (unsigned n = static_cast<unsigned>(__builtin_popcountll(sp.vary)); n > kMaxVaryBits) {
    if (error) *error = fmt::format("the rules vary {} gfp bits; at most {}", n, kMaxVaryBits);
    return std::nullopt;
  }
  sp.base = kBase & ~sp.vary;
  // Every subset of `vary`, ascending.
  gfp_t sub = 0;
  do {
    sp.gfps.push_back(sp.base | sub);
    sub = (sub - sp.vary) & sp.vary;
  } while (sub != 0);
  std::sort(orders.begin(), orders.end());
  orders.erase(std::unique(orders.begin(), orders.end()), orders.end());
  sp.orders = std::move(orders);
  return sp;
}

std::string Space::describe() const {
  return fmt::format(
      "struct 2^{} ({} fields + unknown bits) x gfp {} ({} with every combination of {}) x order "
      "{{{}}} = {} inputs",
      kCtxIndexBits, unsigned{NR_CTX_FIELDS}, gfps.size(), gfp_names_string(base),
      gfp_names_string(vary), fmt::join(orders, ","), size());
}

InputKey input_key(const Input& in, const Space& s) {
  return {
      static_cast<unsigned>(__builtin_popcountll(in.ctx) + __builtin_popcountll(in.gfp & s.vary)),
      in.order, in.ctx, in.gfp};
}

namespace {
Op input_op(const Input& in) {
  Op op;
  op.kind = OpKind::Alloc;
  op.order = in.order;
  op.gfp = in.gfp;
  op.ctx = AllocFlags{in.ctx};
  return op;
}
}  // namespace

std::string input_op_line(const Input& in) { return print_op(input_op(in)); }

std::string input_trace(const Input& in, const Config& machine) {
  Trace t;
  t.config = machine;
  t.ops = {input_op(in)};
  return print_trace(t);
}

Config rules_machine() {
  Config c;
  c.max_page_order = 4;
  c.pageblock_order = 2;
  c.page_bytes = 16;
  NodeConfig n0;
  n0.zones = {ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 256},
              ZoneConfig{.type = ZONE_DMA32, .start_pfn = 256, .pages = 512},
              ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 768, .pages = 1024}};
  NodeConfig n1;
  n1.memory_private = true;
  n1.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 2048, .pages = 512}};
  c.nodes = {n0, n1};
  c.cpu_node = {0, 1};
  c.cma = {{1024, 1040}};
  return c;
}

// ---- per-class compilation ----------------------------------------------------------

uint64_t popcount(const Bits& b) {
  uint64_t n = 0;
  for (uint64_t w : b) n += static_cast<uint64_t>(__builtin_popcountll(w));
  return n;
}

uint64_t gather_bits(uint64_t s, uint64_t mask) {
  uint64_t idx = 0;
  unsigned k = 0;
  for (uint64_t m = mask; m; m &= m - 1, k++)
    if (s & (m & -m)) idx |= uint64_t{1} << k;
  return idx;
}

uint64_t scatter_bits(uint64_t idx, uint64_t mask) {
  uint64_t s = 0;
  unsigned k = 0;
  for (uint64_t m = mask; m; m &= m - 1, k++)
    if ((idx >> k) & 1) s |= m & -m;
  return s;
}

ClassEval::ClassEval(const RuleTable& t, gfp_t gfp, unsigned order, unsigned max_order)
    : t_(t), gfp_(gfp), order_(order) {
  rules_.resize(t.rules.size());
  for (size_t i = 0; i < t.rules.size(); i++) {
    const Rule& r = t.rules[i];
    Compiled& c = rules_[i];
    gfp_t g = 0;
    std::vector<unsigned> o;
    expr_reads(r.when, &c.mask, &g, &o, max_order);
    if (r.subject >= 0) c.mask |= uint64_t{1} << r.subject;
    const uint64_t n = uint64_t{1} << __builtin_popcountll(c.mask);
    c.truth.resize(n);
    bool any = false;
    for (uint64_t idx = 0; idx < n; idx++) {
      Input in{scatter_bits(idx, c.mask), gfp, order};
      c.truth[idx] = rule_fires(r, in, max_order);
      any |= c.truth[idx] != 0;
    }
    c.never = !any;
    if (c.never) continue;
    if (c.mask == 0) {  // fires for every struct in this class
      const_verdict_ = std::max(const_verdict_, r.verdict);
      continue;
    }
    // Fires exactly when its one bit is set (every `field` line, most subject rules).
    if ((c.mask & (c.mask - 1)) == 0 && !c.truth[0] && c.truth[1]) {
      verdict_mask_[static_cast<unsigned>(r.verdict)] |= c.mask;
      if (r.verdict == Verdict::IGNORE) ignore_mask_ |= c.mask & (uint64_t{1} << r.subject);
      if (r.verdict == Verdict::CLEAR) clear_mask_ |= c.mask & (uint64_t{1} << r.subject);
      continue;
    }
    general_.push_back(i);
  }
}

std::string ClassEval::signature() const {
  std::string sig;
  for (const Compiled& c : rules_) {
    // A tag per rule keeps the encoding unambiguous (the truth length follows the mask).
    if (c.never) {
      sig += 'n';
      continue;
    }
    sig += 'r';
    sig.append(reinterpret_cast<const char*>(&c.mask), sizeof c.mask);
    sig.append(c.truth.begin(), c.truth.end());
  }
  return sig;
}

bool ClassEval::fires(size_t rule, uint64_t s) const {
  const Compiled& c = rules_[rule];
  return !c.never && c.truth[gather_bits(s, c.mask)];
}

Expected ClassEval::expected(uint64_t s) const {
  Expected e;
  Verdict v = const_verdict_;
  for (unsigned k = static_cast<unsigned>(Verdict::REJECT); k > static_cast<unsigned>(v); k--)
    if (s & verdict_mask_[k]) {
      v = static_cast<Verdict>(k);
      break;
    }
  uint64_t ign = s & ignore_mask_, clr = s & clear_mask_;
  for (size_t i : general_) {
    if (!fires(i, s)) continue;
    const Rule& r = t_.rules[i];
    v = std::max(v, r.verdict);
    if (r.verdict == Verdict::IGNORE) ign |= uint64_t{1} << r.subject;
    if (r.verdict == Verdict::CLEAR) clr |= uint64_t{1} << r.subject;
  }
  e.verdict = v;
  if (v == Verdict::REJECT) {
    e.out = s;
    return e;
  }
  e.cleared = clr;
  e.ignored = ign & ~clr;
  e.out = s & ~(e.ignored | e.cleared);
  return e;
}

void ClassEval::fire_bits(size_t rule, Bits* out) const {
  out->assign(kWords, 0);
  const Compiled& c = rules_[rule];
  if (c.never) return;
  // Struct index s = w * 64 + i: bits >= 6 are fixed per word, bits < 6 vary inside it.
  const uint64_t lo = c.mask & 63, hi = c.mask & ~uint64_t{63};
  const unsigned nlo = static_cast<unsigned>(__builtin_popcountll(lo));
  std::vector<uint64_t> pattern(uint64_t{1} << nlo);  // positions i in a word per low assignment
  for (unsigned i = 0; i < 64; i++) pattern[gather_bits(i, lo)] |= uint64_t{1} << i;
  for (size_t w = 0; w < kWords; w++) {
    const uint64_t hidx = gather_bits(static_cast<uint64_t>(w) << 6, hi) << nlo;
    uint64_t word = 0;
    for (uint64_t a = 0; a < pattern.size(); a++)
      if (c.truth[hidx | a]) word |= pattern[a];
    (*out)[w] = word;
  }
}

void ClassBits::build(const ClassEval& ce) {
  const RuleTable& t = ce.table();
  const size_t nr = t.rules.size();
  fired.resize(nr);
  fired_any.assign(nr, false);
  std::array<Bits, 5> any;
  for (Bits& b : any) b.assign(kWords, 0);
  ignored.assign(NR_CTX_FIELDS, Bits(kWords, 0));
  cleared.assign(NR_CTX_FIELDS, Bits(kWords, 0));
  for (size_t r = 0; r < nr; r++) {
    ce.fire_bits(r, &fired[r]);
    if (ce.never(r)) continue;
    const Rule& rule = t.rules[r];
    Bits& acc = any[static_cast<unsigned>(rule.verdict)];
    Bits* drop = rule.verdict == Verdict::IGNORE  ? &ignored[rule.subject]
                 : rule.verdict == Verdict::CLEAR ? &cleared[rule.subject]
                                                  : nullptr;
    uint64_t orall = 0;
    for (size_t w = 0; w < kWords; w++) {
      const uint64_t f = fired[r][w];
      orall |= f;
      acc[w] |= f;
      if (drop) (*drop)[w] |= f;
    }
    fired_any[r] = orall != 0;
  }
  for (Bits& b : final_verdict) b.assign(kWords, 0);
  for (size_t w = 0; w < kWords; w++) {
    uint64_t taken = 0;
    for (unsigned v = static_cast<unsigned>(Verdict::REJECT); v > 0; v--) {
      final_verdict[v][w] = any[v][w] & ~taken;
      taken |= any[v][w];
    }
    final_verdict[0][w] = ~taken;
  }
  // On reject nothing is dropped; a bit both ignored and cleared counts as cleared.
  const Bits& rej = final_verdict[static_cast<unsigned>(Verdict::REJECT)];
  for (unsigned f = 0; f < NR_CTX_FIELDS; f++)
    for (size_t w = 0; w < kWords; w++) {
      cleared[f][w] &= ~rej[w];
      ignored[f][w] &= ~rej[w] & ~cleared[f][w];
    }
}

}  // namespace buddycheck::rules
