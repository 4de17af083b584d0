// SPDX-License-Identifier: GPL-2.0-or-later
// Flag-sanitization rules as data (docs/rules.md): a rule table for the proposed
// exported `struct alloc_flags` (AFLAGS, 2026-05-14; docs/glossary.md),
// its parser, an evaluator, and the exhaustive checker behind `buddycheck
// sanitize-check`. The table is written independently of alloc/alloc_flags.def: the
// checker asks the implementation (Machine::check_request, sanitize_alloc_flags) for
// its verdict on every input of a finite space and compares.
//
//   buddycheck-rules 1
//   field cma external accept "allows access to CMA regions" source="AFLAGS"
//   rule CTX-CMA-MOVABLE clear cma when !mt.movable "..." source="gfp_to_alloc_flags_cma()"
//   grant GRANT-CMA cma_blocks when mt.movable "..." source="gfp_to_alloc_flags_cma()"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/alloc_flags.h"
#include "alloc/config.h"

namespace buddycheck::rules {

using namespace pagealloc;

inline constexpr int kRulesVersion = 1;
// The struct index enumerated by the checker: bits 0..NR_CTX_FIELDS-1 are the named
// fields, bit NR_CTX_FIELDS stands for "bits beyond the known fields" (a caller built
// against a newer header). AllocFlags{index} is the struct itself.
inline constexpr unsigned kUnknownBit = NR_CTX_FIELDS;
inline constexpr unsigned kCtxIndexBits = NR_CTX_FIELDS + 1;
inline constexpr uint64_t kCtxIndexCount = uint64_t{1} << kCtxIndexBits;

enum class FieldClass : uint8_t { INTERNAL, EXTERNAL, DERIVED };  // DERIVED: from the gfp mask
const char* field_class_name(FieldClass c);

// What a grant promises the allocation (checked against oracles/eligibility.h, which
// the shadow oracle applies to every allocation).
enum class Resource : uint8_t { PRIVATE_NODE, CMA_BLOCKS, UNMAPPED_PAGES };
const char* resource_name(Resource r);

// ---- expressions ---------------------------------------------------------------------

struct Atom {
  enum Kind : uint8_t {
    Ctx,            // ctx.FIELD: bit `arg` of the struct
    Unknown,        // unknown_bits
    Gfp,            // gfp.NAME: the mask `arg` is set
    ZoneBad,        // gfp.zone_bad: a GFP_ZONE_BAD combination (include/linux/gfp.h)
    MtUnmovable,    // mt.unmovable: neither MOVABLE nor RECLAIMABLE (grouping on)
    MtMovable,      // mt.movable: MOVABLE only
    MtReclaimable,  // mt.reclaimable: RECLAIMABLE only
    MtBad,          // mt.bad: both (VM_WARN_ON in gfp_migratetype)
    OrderGt,        // order.gtN: order > arg
    OrderOverMax,   // order.over_max: order > MAX_PAGE_ORDER of the machine
  };
  Kind kind = Ctx;
  uint64_t arg = 0;
};

struct Expr {
  struct Node {
    enum Op : uint8_t { Leaf, Not, And, Or };
    Op op = Leaf;
    Atom atom;
    int a = -1, b = -1;
  };
  std::vector<Node> nodes;
  int root = -1;  // -1: always true (no `when`)
  std::string text;
};

// Everything an input says: the struct index, the gfp mask, the order.
struct Input {
  uint64_t ctx = 0;
  gfp_t gfp = 0;
  unsigned order = 0;
};

bool eval_expr(const Expr& e, const Input& in, unsigned max_order);
// The struct bits (index positions) and gfp bits an expression reads; order atoms
// append their boundaries (N, N+1) to *orders.
void expr_reads(const Expr& e, uint64_t* ctx_bits, gfp_t* gfp_bits, std::vector<unsigned>* orders,
                unsigned max_order);

// ---- the table -----------------------------------------------------------------------

struct FieldLine {
  std::string name;
  FieldClass klass = FieldClass::INTERNAL;
  Verdict verdict = Verdict::ACCEPT;
  std::string statement, source;
  size_t line = 0;
};

// One rule as the checker uses it. A `field` line becomes the rule "field:NAME VERDICT
// NAME" (fires whenever the field is set). A rule with a subject field fires only when
// that field is set; ignore/clear drop the subject, reject/warn blame it, accept keeps
// it (a promise other rules must not contradict, docs/rules.md).
struct Rule {
  std::string id;
  Verdict verdict = Verdict::ACCEPT;
  int subject = -1;  // struct bit, -1: none
  bool from_field = false;
  Expr when;
  std::string statement, source;
  size_t line = 0;
  bool drops() const { return verdict == Verdict::IGNORE || verdict == Verdict::CLEAR; }
  bool keeps() const { return verdict == Verdict::ACCEPT && subject >= 0 && !from_field; }
};

struct Grant {
  std::string id;
  Resource resource = Resource::PRIVATE_NODE;
  Expr when;  // over the struct as the table sanitizes it
  std::string statement, source;
  size_t line = 0;
};

struct RuleTable {
  std::string file;
  std::vector<FieldLine> fields;  // index = struct bit, NR_CTX_FIELDS entries
  std::vector<Rule> rules;        // field rules first (bit order), then `rule` lines in file order
  std::vector<Grant> grants;
  // Fields that may survive sanitization (class external).
  uint64_t external_mask() const;
  const Rule* rule_by_id(std::string_view id) const;
};

struct RulesError {
  std::string file;
  size_t line = 0;  // 1-based; 0: the file itself (unreadable)
  size_t col = 0;   // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:col: message" ("file: message" for line 0)
};

struct RulesParse {
  std::optional<RuleTable> table;
  std::optional<RulesError> error;
  bool ok() const { return table.has_value(); }
};

// Never throws and never crashes, whatever the text.
RulesParse parse_rules(std::string_view text, std::string_view filename = "<rules>");
RulesParse load_rules_file(const std::string& path);

// ---- what the table says about one input ---------------------------------------------

struct Expected {
  Verdict verdict = Verdict::ACCEPT;
  uint64_t out = 0;      // the struct after sanitizing (== input on reject)
  uint64_t ignored = 0;  // bits dropped silently
  uint64_t cleared = 0;  // bits dropped with a warning (a bit both rules drop is cleared)
  bool operator==(const Expected&) const = default;
};

// The reference evaluation, rule by rule (slow; the checker's fast path is tested
// against it). `fired` gets the indices of the rules that fired.
Expected expect(const RuleTable& t, const Input& in, unsigned max_order,
                std::vector<int>* fired = nullptr);
bool grant_holds(const Grant& g, const Input& sanitized, unsigned max_order);

// ---- the input space -----------------------------------------------------------------

// (struct index) x (gfp class) x (order class). gfp classes: `base` with every
// combination of the `vary` bits. The bits always varied are the ones the
// implementation distinguishes (zone modifiers, mobility, DIRECT_RECLAIM, ZERO,
// NOFAIL); the rules' gfp atoms add theirs. Orders: 0, the boundaries of every order
// atom and of the implementation's checks (NOFAIL order > 1, MAX_PAGE_ORDER).
struct Space {
  gfp_t base = 0;
  gfp_t vary = 0;
  std::vector<gfp_t> gfps;
  std::vector<unsigned> orders;
  unsigned max_order = 0;
  uint64_t size() const { return kCtxIndexCount * gfps.size() * orders.size(); }
  std::string describe() const;
};
inline constexpr unsigned kMaxVaryBits = 12;

// nullopt (and *error) when the tables vary more than kMaxVaryBits gfp bits.
// `with_grants`: also the bits grants read and __GFP_PRIVATE (entry/grant sweeps).
std::optional<Space> make_space(const std::vector<const RuleTable*>& tables, const Config& machine,
                                bool with_grants, std::string* error);

// Fewest bits set first, then the lowest order: the "smallest" counterexample.
struct InputKey {
  unsigned bits = 0;
  unsigned order = 0;
  uint64_t ctx = 0;
  gfp_t gfp = 0;
  auto operator<=>(const InputKey&) const = default;
};
InputKey input_key(const Input& in, const Space& s);

// One-line request in trace op spelling: "alloc order=0 gfp=GFP_KERNEL ctx=unmapped".
std::string input_op_line(const Input& in);
// A complete trace (the machine's config and the request) that `buddycheck run` replays.
std::string input_trace(const Input& in, const Config& machine);

// The fixed machine the checker asks (same shape as the alloc_flags fuzzer's: node 0
// with DMA/DMA32/Normal and a CMA block, node 1 private; MAX_PAGE_ORDER 4).
Config rules_machine();

}  // namespace buddycheck::rules
