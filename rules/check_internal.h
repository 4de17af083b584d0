// SPDX-License-Identifier: GPL-2.0-or-later
// Pieces the checker (sanitize_check.cc) and the diff (rules_report.cc) share: the
// per-table statistics gathered class by class (matrix, contradictions, internal bits
// surviving, dead rules) and the grouping of failing inputs with their smallest
// example.
#pragma once

#include <functional>
#include <map>
#include <tuple>

#include "rules/class_eval.h"
#include "rules/sanitize_check.h"

namespace buddycheck::rules::detail {

Counterexample make_counterexample(const Input& in, const Config& machine, std::string expected,
                                   std::string actual);
// "reject" / "clear -> none" / "accept -> cma|unmapped".
std::string describe(const Expected& e);
// The deciding rule, with the class compiled (same answer as deciding_rule()).
std::string decider(const ClassEval& ce, uint64_t s, Verdict v);

// Groups of inputs with the same key; keeps the smallest input of each group and builds
// its counterexample text only when the smallest improves.
class Groups {
 public:
  using Key = std::tuple<std::string, std::string, std::string,
                         std::string>;  // rule, kind, expected, actual
  void add(const Key& k, const Input& in, const Space& sp,
           const std::function<std::pair<std::string, std::string>()>& details,
           const Config& machine);
  std::vector<Mismatch> take();  // largest count first, then by rule
 private:
  struct Entry {
    Mismatch m;
    InputKey best;
  };
  std::map<Key, Entry> groups_;
};

// Bits of struct field f (or the unknown bit) over all struct indices.
const Bits& field_pattern(unsigned bit);

// One class's contribution to the matrix.
struct ClassSummary {
  std::vector<uint64_t> fired;                    // per rule
  std::vector<std::array<uint64_t, 5>> by_final;  // per rule, by final verdict
  uint64_t none = 0;                              // no rule fired
  std::array<uint64_t, 5> totals{};               // by final verdict
};
ClassSummary summarize(const RuleTable& t, const ClassBits& b);

class TableStats {
 public:
  explicit TableStats(const RuleTable& t);
  void add(const ClassSummary& s);
  // Contradictions and internal bits surviving in one class, each with its count and
  // smallest struct index; the same for every class with the same signature.
  struct Found {
    std::string kind, message;
    uint64_t count = 0;
    uint64_t best = 0;
  };
  std::vector<Found> find_problems(const ClassBits& b) const;
  void add_problems(const std::vector<Found>& found, gfp_t gfp, unsigned order, const Space& sp,
                    const Config& machine);
  // Matrix rows (rules in table order, then the no-rule row) and totals.
  std::vector<MatrixRow> matrix() const;
  const std::array<uint64_t, 5>& totals() const { return totals_; }
  // Contradictions, internal bits surviving, dead rules.
  std::vector<Problem> problems() const;

 private:
  // The smallest struct index of a bitset (fewest bits, then lowest); false if empty.
  static bool smallest(const Bits& b, uint64_t* out);

  const RuleTable& t_;
  std::vector<MatrixRow> rows_;
  MatrixRow none_;
  std::array<uint64_t, 5> totals_{};
  struct P {
    Problem p;
    InputKey best;
  };
  std::map<std::string, P> problems_;
};

}  // namespace buddycheck::rules::detail
