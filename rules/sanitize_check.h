// SPDX-License-Identifier: GPL-2.0-or-later
// The exhaustive checker behind `buddycheck sanitize-check` and its rule diff
// (docs/rules.md). For every input of the space (rules.h Space) it compares what the
// table says with what the implementation does, checks that sanitizing is idempotent
// and leaks no internal bit, that every rule fires for some input and that no two
// rules contradict each other; it ties the table's grants to the eligibility oracle
// the shadow applies to every allocation. A diff shows which inputs a proposed table
// changes, grouped by the rules that decide them.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "oracles/flags_check.h"
#include "rules/rules.h"

namespace buddycheck::rules {

// What the implementation says about the request alone, before any struct: the entry
// point's gfp/order checks (refusal) and the slow path's __GFP_NOFAIL warnings.
struct EntryVerdict {
  bool rejected = false;
  bool warned = false;
  std::string reason;  // why it was rejected (an AllocError name)
};
using EntryFn = std::function<EntryVerdict(const Machine&, const AllocRequest&)>;

// The implementation under test. An input's verdict is REJECT if the entry rejects,
// else the worst of: the sanitizer's (REJECT, or CLEAR/IGNORE for bits it cleared or
// ignored) and WARN for an entry warning - exactly how Machine::check_request()
// composes validate_request() and sanitize_alloc_flags(). With `context_entry`,
// check_request(req, &flags) itself is also asked, on representative structs.
struct Implementation {
  std::string name = "alloc/";
  EntryFn entry;
  SanitizeFn sanitize = &sanitize_alloc_flags;
  bool context_entry = true;
};
// alloc/ as it is: entry = Machine::check_request(req, nullptr).
Implementation machine_implementation();

struct Counterexample {
  Input input;
  std::string op_line;  // "alloc order=0 gfp=GFP_KERNEL ctx=unmapped"
  std::string trace;    // a complete trace `buddycheck run` replays
  std::string expected, actual;
};

// A group of failing inputs with the same cause.
struct Mismatch {
  std::string rule;      // the rule it is attributed to, or "implementation:<reason>"
  std::string kind;      // verdict | struct | context-entry | grant | SANITIZE-IDEMPOTENT | ...
  std::string expected;  // "reject", "granted", ...
  std::string actual;
  uint64_t count = 0;
  Counterexample smallest;
};

// A problem of the table itself: a contradiction, a dead rule, an internal bit the
// table lets survive.
struct Problem {
  std::string kind;  // CONTRADICTION | DEAD-RULE | DEAD-GRANT | INTERNAL-SURVIVES
  std::string message;
  uint64_t count = 0;
  std::optional<Counterexample> example;
};

struct MatrixRow {
  std::string rule;
  std::string verdict;  // the rule's own verdict ("accept" for the no-rule row)
  uint64_t fired = 0;
  uint64_t decided = 0;                // fired and its verdict is the input's final verdict
  std::array<uint64_t, 5> by_final{};  // fired, by the input's final verdict
};

struct CheckOptions {
  Config machine = rules_machine();
  bool grants = true;
  // Called now and then with the gfp classes done of all (the three sweeps in turn):
  // for a progress meter.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct CheckResult {
  std::optional<std::string> error;  // the check could not run (exit 2)
  Space space;
  Config machine;
  std::vector<MatrixRow> matrix;     // rules in table order, then "(no rule)"
  std::array<uint64_t, 5> totals{};  // inputs by final verdict
  std::vector<Mismatch> mismatches;
  std::vector<Problem> problems;
  uint64_t entry_requests = 0;                               // check_request(req, &flags) calls
  uint64_t grant_checks = 0;                                 // eligibility() calls
  double seconds = 0, entry_seconds = 0, grant_seconds = 0;  // wall clock
  double cpu_seconds = 0;  // process CPU time of the exhaustive part (other load does not count)
  int exit_code() const { return error ? 2 : (mismatches.empty() && problems.empty() ? 0 : 1); }
};

CheckResult sanitize_check(const RuleTable& t, const Implementation& impl,
                           const CheckOptions& options = {});
std::string format_check(const RuleTable& t, const Implementation& impl, const CheckResult& r);

// ---- diff ----------------------------------------------------------------------------

struct DiffGroup {
  std::string from_rule, to_rule;  // the deciding rule in each table ("(no rule)")
  std::string from, to;            // verdicts
  bool struct_only = false;        // same verdict, different sanitized struct
  uint64_t count = 0;
  Counterexample smallest;
};

// A rule that fires differently (or with another verdict or field) in the proposal.
struct RuleChange {
  std::string rule;
  uint64_t count = 0;  // changed inputs on which it differs
  Counterexample smallest;
};

struct DiffResult {
  std::optional<std::string> error;
  Space space;
  uint64_t changed = 0;
  std::vector<RuleChange> by_rule;        // table order (the proposal's new rules last)
  std::vector<DiffGroup> groups;          // by count, largest first
  std::vector<std::string> line_changes;  // "~ rule X: verdict clear -> reject"
  std::vector<Problem> problems;          // of the proposed table
  double seconds = 0;
  int exit_code() const { return error ? 2 : (problems.empty() ? 0 : 1); }
};

DiffResult rules_diff(const RuleTable& from, const RuleTable& to, const CheckOptions& options = {});
// `timing` false leaves the time line out (for golden outputs).
std::string format_diff(const RuleTable& from, const RuleTable& to, const DiffResult& d,
                        bool timing = true);

// ---- the semantic link ---------------------------------------------------------------

// One accepted input per (gfp class, order, sanitized struct) over the representative
// structs: for running every accepted kind of request through a Runner once.
std::vector<Input> accepted_representatives(const RuleTable& t, const Config& machine);
// Every external-bit combination, alone and with one other bit (internal, derived or
// unknown) set: the structs the entry-point and grant sweeps use.
std::vector<uint64_t> representative_structs(const RuleTable& t);

// The rule that decides an input's verdict: the first firing cross rule (file order)
// with that verdict, else the first such field line, else "(no rule)".
std::string deciding_rule(const RuleTable& t, const Input& in, unsigned max_order);

}  // namespace buddycheck::rules
