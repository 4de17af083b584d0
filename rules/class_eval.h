// SPDX-License-Identifier: GPL-2.0-or-later
// A rule table compiled for one gfp class and order: every rule's residual (its
// expression with the gfp and order atoms fixed) becomes a truth table over the few
// struct bits it reads. From that the checker gets a fast per-struct evaluation and
// bitsets over all 2^16 struct indices (matrix counts, contradictions, diffs) without
// evaluating every rule on every input. expect() in rules.h is the slow reference the
// tests hold this against.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "rules/rules.h"

namespace buddycheck::rules {

inline constexpr size_t kWords = kCtxIndexCount / 64;
// One bit per struct index.
using Bits = std::vector<uint64_t>;

inline bool test_bit(const Bits& b, uint64_t s) { return (b[s >> 6] >> (s & 63)) & 1; }
uint64_t popcount(const Bits& b);

class ClassEval {
 public:
  ClassEval(const RuleTable& t, gfp_t gfp, unsigned order, unsigned max_order);

  // expect() for struct index s in this class, without walking every rule.
  Expected expected(uint64_t s) const;
  bool fires(size_t rule, uint64_t s) const;
  // Whether rule `rule` fires for no struct in this class.
  bool never(size_t rule) const { return rules_[rule].never; }
  // The struct indices for which the rule fires.
  void fire_bits(size_t rule, Bits* out) const;

  // Equal signatures: every rule fires for exactly the same struct indices, so the
  // class's counts (and diff groups) are the same; the checker reuses them.
  std::string signature() const;

  const RuleTable& table() const { return t_; }
  gfp_t gfp() const { return gfp_; }
  unsigned order() const { return order_; }

 private:
  struct Compiled {
    uint64_t mask = 0;           // struct bits read (subject included)
    std::vector<uint8_t> truth;  // indexed by the mask's bits gathered in ascending order
    bool never = false;
  };
  const RuleTable& t_;
  gfp_t gfp_;
  unsigned order_;
  std::vector<Compiled> rules_;
  // Fast path: rules that fire exactly when one struct bit is set, folded into masks.
  Verdict const_verdict_ = Verdict::ACCEPT;
  std::array<uint64_t, 5> verdict_mask_{};  // by Verdict
  uint64_t ignore_mask_ = 0, clear_mask_ = 0;
  std::vector<size_t> general_;  // the other rules that can fire
};

// The bitsets of one class: which rules fire, the table's final verdict, and which
// fields are dropped, for every struct index.
struct ClassBits {
  std::vector<Bits> fired;             // per rule
  std::vector<bool> fired_any;         // per rule: some bit set
  std::array<Bits, 5> final_verdict;   // by Verdict
  std::vector<Bits> ignored, cleared;  // per field (cleared wins over ignored)
  void build(const ClassEval& ce);
};

// gather/scatter of struct bits by a mask (ascending bit order).
uint64_t gather_bits(uint64_t s, uint64_t mask);
uint64_t scatter_bits(uint64_t idx, uint64_t mask);

}  // namespace buddycheck::rules
