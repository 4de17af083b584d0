// SPDX-License-Identifier: GPL-2.0-or-later
// Flag-sanitization rules (rules/, docs/rules.md): the rule file parser and its
// errors, the fast per-class evaluation against the reference expect(), the exhaustive
// check of the committed table against alloc/, the checker catching implementations
// that disagree with exactly one rule, table problems (contradictions, dead rules,
// internal bits surviving), the rule diff on the committed proposals, and the semantic
// link: every accepted kind of request runs once through a Runner, whose shadow judges
// the allocation.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "drive/runner.h"
#include "drive/trace.h"
#include "rules/class_eval.h"
#include "rules/sanitize_check.h"

namespace {

using namespace buddycheck;
using namespace buddycheck::rules;

std::string source_file(const std::string& rel) {
  std::ifstream in(std::filesystem::path(BUDDYCHECK_SOURCE_DIR) / rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parsed under its repository-relative name, so outputs do not depend on the checkout.
RuleTable load(const std::string& rel) {
  RulesParse p = parse_rules(source_file(rel), rel);
  if (!p.ok()) ADD_FAILURE() << p.error->to_string();
  return p.ok() ? *p.table : RuleTable{};
}

const RuleTable& committed() {
  static const RuleTable t = load("rules/alloc_flags.rules");
  return t;
}

std::string parse_error(const std::string& text) {
  RulesParse p = parse_rules(text, "t.rules");
  return p.ok() ? "(parsed)" : p.error->to_string();
}

// The committed fields with one rule line appended.
std::string with_rule(const std::string& line) {
  std::string s = "buddycheck-rules 1\n";
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++)
    s += std::string("field ") + std::string(ctx_field_info(i).name) +
         " internal clear \"x\" source=\"y\"\n";
  return s + line + "\n";
}

// ---- parsing ----------------------------------------------------------------------

// rules-parse-1: Expect the committed table to parse with every struct field, the
// external class for exactly cma|unmapped|managed_node, and its cross rules and grants.
TEST(rules, parse_committed) {
  const RuleTable& t = committed();
  ASSERT_EQ(t.fields.size(), NR_CTX_FIELDS);
  EXPECT_EQ(ctx_flags_to_string(AllocFlags{t.external_mask()}), "cma|unmapped|managed_node");
  for (const char* id :
       {"CTX-UNKNOWN-BITS", "CTX-CMA-MOVABLE", "CTX-UNMAPPED-UNMOVABLE", "CTX-UNMAPPED-BLOCKING",
        "CTX-UNMAPPED-ZERO", "GFP-ZONE-BAD", "GFP-MOVABLE-RECLAIMABLE", "ORDER-OVER-MAX",
        "NOFAIL-COSTLY", "NOFAIL-NO-RECLAIM", "field:nolock"})
    EXPECT_NE(t.rule_by_id(id), nullptr) << id;
  EXPECT_EQ(t.rule_by_id("CTX-CMA-MOVABLE")->verdict, Verdict::CLEAR);
  EXPECT_EQ(t.rule_by_id("CTX-CMA-MOVABLE")->when.text, "!mt.movable");
  EXPECT_EQ(t.grants.size(), 3u);
}

// rules-parse-2: Expect every malformed file to give "file:line:col: what is wrong".
TEST(rules, parse_errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "t.rules:1:1: missing header"},
      {"# only a comment\n", "t.rules:1:1: missing header"},
      {"buddycheck-trace 1\n", "t.rules:1:1: expected the header"},
      {"buddycheck-rules 2\n", "t.rules:1:18: unsupported rules version"},
      {"buddycheck-rules 1\nfoo bar\n", "t.rules:2:1: unknown line 'foo'"},
      {"buddycheck-rules 1\nfield nosuch internal clear \"x\" source=\"y\"\n",
       "t.rules:2:7: unknown struct alloc_flags field"},
      {"buddycheck-rules 1\nfield cma outer clear \"x\" source=\"y\"\n",
       "t.rules:2:11: bad class 'outer'"},
      {"buddycheck-rules 1\nfield cma external warn \"x\" source=\"y\"\n",
       "t.rules:2:20: bad field verdict 'warn'"},
      {"buddycheck-rules 1\nfield cma external accept \"x\"\n", "t.rules:2:27: expected source="},
      {"buddycheck-rules 1\nfield cma external accept \"x\" source=\"y\" more\n",
       "t.rules:2:42: unexpected 'more'"},
      {"buddycheck-rules 1\nfield cma external accept \"x\nsource\n",
       "t.rules:2:27: unterminated string"},
      {"buddycheck-rules 1\nfield cma external accept \"\" source=\"y\"\n",
       "t.rules:2:27: empty statement"},
      {"buddycheck-rules 1\nfield cma external accept \"x\" source=\"y\"\nfield cma external "
       "accept \"x\" source=\"y\"\n",
       "t.rules:3:7: field 'cma' declared twice"},
      {"buddycheck-rules 1\nfield cma external accept \"x\" source=\"y\"\n",
       "t.rules:2:1: field 'wmark_min' is not declared"},
      {"buddycheck-rules 1\n\x01\n", "t.rules:2:1: unexpected character '\\x01'"},
  };
  for (const auto& [text, want] : cases)
    EXPECT_EQ(parse_error(text).rfind(want, 0), 0u) << text << "\n-> " << parse_error(text);
  const size_t last = NR_CTX_FIELDS + 2;  // the appended line
  const std::pair<std::string, std::string> rule_cases[] = {
      {"rule X clear when gfp.zero \"s\" source=\"y\"", "a clear rule names the field it drops"},
      {"rule X maybe when gfp.zero \"s\" source=\"y\"", "bad verdict 'maybe'"},
      {"rule 9X reject when gfp.zero \"s\" source=\"y\"", "bad ID '9X'"},
      {"rule X reject when gfp.zeroo \"s\" source=\"y\"", "unknown gfp flag 'zeroo'"},
      {"rule X reject when ctx.nosuch \"s\" source=\"y\"",
       "unknown struct alloc_flags field 'nosuch'"},
      {"rule X reject when order.gt99 \"s\" source=\"y\"", "unknown atom 'order.gt99'"},
      {"rule X reject when (gfp.zero \"s\" source=\"y\"", "missing ')'"},
      {"rule X reject when gfp.zero && \"s\" source=\"y\"", "expression ends early"},
      {"rule X reject when gfp.zero gfp.high \"s\" source=\"y\"",
       "unexpected 'gfp.high' in expression"},
      {"rule X reject when \"s\" source=\"y\"", "empty expression after 'when'"},
      {"rule X reject when gfp.zero", "expected the one-line statement"},
      {"rule X reject gfp.zero \"s\" source=\"y\"", "unknown struct alloc_flags field 'gfp.zero'"},
      {"rule X reject when " + std::string(100, '(') + "gfp.zero" + std::string(100, ')') +
           " \"s\" source=\"y\"",
       "expression nested deeper than 64"},
      {"rule X reject when " + std::string(10000, '!') + "gfp.zero \"s\" source=\"y\"",
       "line longer than"},
      {"rule X reject when gfp.high || gfp.io || gfp.fs || gfp.write \"s\" source=\"y\"",
       "the rules read 13 gfp bits"},
      {"grant G nodes when gfp.private \"s\" source=\"y\"", "bad resource 'nodes'"},
      {"rule field:x reject when gfp.zero \"s\" source=\"y\"", "bad ID 'field:x'"},
  };
  for (const auto& [line, want] : rule_cases) {
    std::string err = parse_error(with_rule(line));
    EXPECT_EQ(err.rfind("t.rules:" + std::to_string(last) + ":", 0), 0u) << line;
    EXPECT_EQ(err.find(": "), err.find_first_not_of("0123456789", err.find(':', 8) + 1)) << err;
    EXPECT_NE(err.find(want), std::string::npos) << line << "\n-> " << err;
  }
  EXPECT_NE(parse_error(with_rule("rule A reject when gfp.zero \"s\" source=\"y\"\nrule A warn "
                                  "when gfp.zero \"s\" source=\"y\""))
                .find(":18:6: duplicate ID 'A'"),
            std::string::npos);
  RulesParse missing = load_rules_file("/nonexistent/x.rules");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error->to_string(),
            "/nonexistent/x.rules: cannot read the rule file: No such file or directory");
}

void parse_anything(const std::string& text) {
  RulesParse p = parse_rules(text, "f");
  RC_ASSERT(p.ok() != p.error.has_value());
  if (p.error)
    RC_ASSERT(p.error->line <= static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
}

// rules-parse-3: Expect no text to crash the parser: garbage, and the committed table
// with a byte changed, inserted or deleted.
RC_GTEST_PROP(rules, parse_never_crashes, (const std::string& garbage)) { parse_anything(garbage); }
RC_GTEST_PROP(rules, parse_mutated_committed, ()) {
  std::string text = source_file("rules/alloc_flags.rules");
  const size_t n = *rc::gen::inRange<size_t>(1, 4);
  for (size_t i = 0; i < n && !text.empty(); i++) {
    const size_t at = *rc::gen::inRange<size_t>(0, text.size());
    const char c = *rc::gen::elementOf(std::string("()!&|\"= \n#.xc_-9"));
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.insert(text.begin() + static_cast<long>(at), c);
        break;
      default:
        text.erase(at, 1);
        break;
    }
  }
  parse_anything(text);
}

// ---- evaluation -------------------------------------------------------------------

// rules-eval-1: Expect the compiled per-class evaluation, its bitsets and deciding
// rule to agree with the reference expect() on random inputs of every committed table.
RC_GTEST_PROP(rules, class_eval_matches_reference, ()) {
  static const RuleTable tables[] = {committed(), load("rules/proposals/cma_reject.rules"),
                                     load("rules/proposals/unmapped_zero_v2.rules")};
  const RuleTable& t = tables[*rc::gen::inRange(0, 3)];
  const std::optional<Space> sp = make_space({&t}, rules_machine(), true, nullptr);
  RC_ASSERT(sp.has_value());
  const gfp_t gfp = *rc::gen::elementOf(sp->gfps);
  const unsigned order = *rc::gen::elementOf(sp->orders);
  ClassEval ce(t, gfp, order, sp->max_order);
  ClassBits bits;
  bits.build(ce);
  for (int i = 0; i < 64; i++) {
    const uint64_t s = *rc::gen::inRange<uint64_t>(0, kCtxIndexCount);
    std::vector<int> fired;
    const Expected ref = expect(t, {s, gfp, order}, sp->max_order, &fired);
    RC_ASSERT(ce.expected(s) == ref);
    RC_ASSERT(test_bit(bits.final_verdict[static_cast<unsigned>(ref.verdict)], s));
    for (size_t r = 0; r < t.rules.size(); r++)
      RC_ASSERT(test_bit(bits.fired[r], s) ==
                (std::find(fired.begin(), fired.end(), static_cast<int>(r)) != fired.end()));
    for (unsigned f = 0; f < NR_CTX_FIELDS; f++) {
      RC_ASSERT(test_bit(bits.ignored[f], s) == bool((ref.ignored >> f) & 1));
      RC_ASSERT(test_bit(bits.cleared[f], s) == bool((ref.cleared >> f) & 1));
    }
  }
}

// rules-space-1: Expect the committed space: 2^16 structs x 256 gfp classes x orders
// {0,1,2,MAX,MAX+1}; a rule reading gfp.high or order.gt3 widens it.
TEST(rules, space) {
  std::optional<Space> sp = make_space({&committed()}, rules_machine(), false, nullptr);
  ASSERT_TRUE(sp);
  EXPECT_EQ(sp->gfps.size(), 256u);
  EXPECT_EQ(sp->orders, (std::vector<unsigned>{0, 1, 2, 4, 5}));
  EXPECT_EQ(sp->size(), 83886080u);
  std::optional<Space> grants = make_space({&committed()}, rules_machine(), true, nullptr);
  EXPECT_EQ(grants->gfps.size(), 512u);  // + __GFP_PRIVATE
  RulesParse p =
      parse_rules(with_rule("rule H warn when gfp.high && order.gt3 \"s\" source=\"y\""), "h");
  ASSERT_TRUE(p.ok());
  std::optional<Space> wide = make_space({&*p.table}, rules_machine(), false, nullptr);
  EXPECT_EQ(wide->gfps.size(), 512u);
  EXPECT_EQ(wide->orders, (std::vector<unsigned>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(representative_structs(committed()).size(), 8u * 14u);
}

// ---- the exhaustive check ---------------------------------------------------------

// rules-check-1: Expect alloc/ to obey the committed table on every input: no mismatch,
// no table problem, every input counted once, every rule firing.
TEST(rules, committed_table_holds) {
  const CheckResult r = sanitize_check(committed(), machine_implementation());
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.exit_code(), 0) << format_check(committed(), machine_implementation(), r);
  uint64_t total = 0;
  for (uint64_t n : r.totals) total += n;
  EXPECT_EQ(total, r.space.size());
  for (const MatrixRow& row : r.matrix) EXPECT_GT(row.fired, 0u) << row.rule;
  EXPECT_GT(r.entry_requests, 0u);
  EXPECT_GT(r.grant_checks, 0u);
}

// A sanitizer with UNMAP v2 semantics: it forgets CTX-UNMAPPED-ZERO and nothing else.
SanitizeResult sanitize_zeroing_unmapped(AllocFlags* f, gfp_t gfp, unsigned order, bool grouping) {
  return sanitize_alloc_flags(f, gfp & ~__GFP_ZERO, order, grouping);
}

// rules-check-2: Expect the checker to blame exactly CTX-UNMAPPED-ZERO for a sanitizer
// that accepts unmapped with __GFP_ZERO, on exactly the inputs the v2 proposal changes,
// with "alloc order=0 gfp=GFP_KERNEL|__GFP_ZERO ctx=unmapped" as the smallest
// counterexample and a trace that parses back to it.
TEST(rules, catches_one_rule_sanitizer) {
  Implementation impl = machine_implementation();
  impl.name = "v2-sanitizer";
  impl.sanitize = &sanitize_zeroing_unmapped;
  impl.context_entry = false;  // check_request() would still use the real sanitizer
  CheckOptions o;
  o.grants = false;
  const CheckResult r = sanitize_check(committed(), impl, o);
  EXPECT_EQ(r.exit_code(), 1);
  ASSERT_FALSE(r.mismatches.empty());
  uint64_t total = 0;
  for (const Mismatch& m : r.mismatches) {
    EXPECT_EQ(m.rule, "CTX-UNMAPPED-ZERO") << m.kind << " " << m.expected << " " << m.actual;
    EXPECT_EQ(m.expected, "reject");
    EXPECT_FALSE(input_key(m.smallest.input, r.space) <
                 input_key(r.mismatches.front().smallest.input, r.space));
    total += m.count;
  }
  EXPECT_EQ(total, 65536u);
  const Mismatch* smallest = &r.mismatches.front();
  EXPECT_EQ(smallest->actual, "accept");
  EXPECT_EQ(smallest->smallest.op_line, "alloc order=0 gfp=GFP_KERNEL|__GFP_ZERO ctx=unmapped");
  ParseResult pr = parse_trace(smallest->smallest.trace);
  ASSERT_TRUE(pr.ok()) << pr.error->to_string();
  EXPECT_EQ(print_op(pr.trace->ops.at(0)), smallest->smallest.op_line);
  EXPECT_EQ(pr.trace->config, rules_machine());
  const std::string text = format_check(committed(), impl, r);
  EXPECT_NE(text.find("MISMATCH [verdict] CTX-UNMAPPED-ZERO"), std::string::npos) << text;
  EXPECT_NE(text.find("sanitize-check: FAILED"), std::string::npos);
}

// rules-check-3: Expect an entry point that forgets the order > 1 __GFP_NOFAIL warning
// to be blamed on NOFAIL-COSTLY alone, smallest at order 2.
TEST(rules, catches_one_rule_entry) {
  Implementation impl = machine_implementation();
  const EntryFn real = impl.entry;
  impl.entry = [real](const Machine& m, const AllocRequest& req) {
    EntryVerdict v = real(m, req);
    v.warned = (req.gfp & __GFP_NOFAIL) && !(req.gfp & __GFP_DIRECT_RECLAIM);
    return v;
  };
  impl.context_entry = false;
  CheckOptions o;
  o.grants = false;
  const CheckResult r = sanitize_check(committed(), impl, o);
  ASSERT_FALSE(r.mismatches.empty());
  for (const Mismatch& m : r.mismatches) EXPECT_EQ(m.rule, "NOFAIL-COSTLY");
  EXPECT_EQ(r.mismatches.front().smallest.input.order, 2u);
  EXPECT_TRUE(r.problems.empty());
}

// rules-check-4: Expect the context entry point itself (check_request(req, &flags)) to
// be asked, and to agree with the composed sanitizer on the committed table.
TEST(rules, context_entry_agrees) {
  Machine m(rules_machine());
  AllocRequest req;
  req.gfp = GFP_KERNEL | __GFP_ZERO;
  AllocFlags f;
  f.set(CTX_unmapped);
  EXPECT_EQ(m.check_request(req, &f).status, AllocStatus::Error);
  EXPECT_EQ(deciding_rule(committed(), {f.bits, req.gfp, 0}, 4), "CTX-UNMAPPED-ZERO");
  req.gfp = GFP_KERNEL;
  f = AllocFlags{};
  f.set(CTX_cma);
  AllocResult r = m.check_request(req, &f);
  EXPECT_EQ(r.status, AllocStatus::Ok);
  EXPECT_EQ(r.sanitize.cleared, uint64_t{1} << CTX_cma);
  EXPECT_EQ(deciding_rule(committed(), {f.bits, req.gfp, 0}, 4), "CTX-CMA-MOVABLE");
}

// ---- table problems ---------------------------------------------------------------

std::vector<Problem> problems_of(const std::string& extra) {
  RulesParse p = parse_rules(source_file("rules/alloc_flags.rules") + extra, "p.rules");
  EXPECT_TRUE(p.ok()) << p.error->to_string();
  return rules_diff(committed(), *p.table).problems;
}

// rules-problems-1: Expect a rule that clears what another promises to keep to be a
// contradiction, a rule no input satisfies to be dead, and a table that lets an
// internal bit through to be told so.
TEST(rules, table_problems) {
  EXPECT_TRUE(problems_of("").empty());
  auto has = [](const std::vector<Problem>& ps, const std::string& kind, const std::string& text) {
    for (const Problem& p : ps)
      if (p.kind == kind && p.message.find(text) != std::string::npos) return true;
    return false;
  };
  std::vector<Problem> c =
      problems_of("rule NO-PRIVATE-DMA clear managed_node when gfp.dma \"s\" source=\"y\"\n");
  EXPECT_TRUE(has(c, "CONTRADICTION",
                  "CTX-MANAGED-NODE-OK keeps managed_node but NO-PRIVATE-DMA clears it"));
  ASSERT_TRUE(c.front().example);
  EXPECT_EQ(c.front().example->op_line,
            "alloc order=0 gfp=GFP_DMA|__GFP_IO|__GFP_FS|__GFP_KSWAPD_RECLAIM ctx=managed_node");
  EXPECT_TRUE(
      has(problems_of("rule NEVER warn when mt.movable && mt.unmovable \"s\" source=\"y\"\n"),
          "DEAD-RULE", "NEVER (line"));
  std::string t = source_file("rules/alloc_flags.rules");
  const std::string from = "field kswapd        derived  clear ";
  t.replace(t.find(from), from.size(), "field kswapd        derived  accept");
  RulesParse p = parse_rules(t, "leak.rules");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(
      has(rules_diff(committed(), *p.table).problems, "INTERNAL-SURVIVES", "derived field kswapd"));
}

// ---- the rule diff ----------------------------------------------------------------

// rules-diff-1: Expect the cma proposal's diff to read exactly as committed in
// proposals/cma_reject.diff: only CTX-CMA-MOVABLE changes, clear -> reject.
TEST(rules, diff_cma_reject_golden) {
  const RuleTable to = load("rules/proposals/cma_reject.rules");
  const DiffResult d = rules_diff(committed(), to);
  EXPECT_EQ(d.exit_code(), 0);
  EXPECT_EQ(format_diff(committed(), to, d, false), source_file("rules/proposals/cma_reject.diff"));
}

// rules-diff-2: Expect the UNMAP v2 proposal to change exactly the 65536 inputs where
// CTX-UNMAPPED-ZERO alone rejected, 48 of them now decided by CTX-UNMAPPED-OK (accept).
TEST(rules, diff_unmapped_v2) {
  const RuleTable to = load("rules/proposals/unmapped_zero_v2.rules");
  const DiffResult d = rules_diff(committed(), to);
  EXPECT_EQ(d.exit_code(), 0);
  EXPECT_EQ(d.changed, 65536u);
  ASSERT_EQ(d.by_rule.size(), 2u);
  EXPECT_EQ(d.by_rule[0].rule, "CTX-UNMAPPED-ZERO");
  EXPECT_EQ(d.by_rule[0].count, 65536u);
  EXPECT_EQ(d.by_rule[0].smallest.op_line, "alloc order=0 gfp=GFP_KERNEL|__GFP_ZERO ctx=unmapped");
  // CTX-UNMAPPED-OK no longer excludes __GFP_ZERO: it fires on every changed input.
  EXPECT_EQ(d.by_rule[1].rule, "CTX-UNMAPPED-OK");
  EXPECT_EQ(d.by_rule[1].count, 65536u);
  uint64_t kept = 0;
  for (const DiffGroup& g : d.groups)
    if (g.to_rule == "CTX-UNMAPPED-OK") kept += g.count;
  EXPECT_EQ(kept, 48u);
  const DiffResult same = rules_diff(committed(), committed());
  EXPECT_EQ(same.changed, 0u);
  EXPECT_TRUE(same.line_changes.empty());
}

// ---- the semantic link ------------------------------------------------------------

// rules-link-1: Expect every accepted kind of request (one per gfp class, order and
// sanitized struct) to run through a Runner on the checker's machine without a finding,
// preferring node 0 (cpu 0's, as the check asks) and the private node 1: the shadow
// checks SHADOW-PRIVATE, SHADOW-CMA and SHADOW-UNMAPPED on each allocation.
TEST(rules, accepted_requests_run_clean) {
  const std::vector<Input> reps = accepted_representatives(committed(), rules_machine());
  ASSERT_GT(reps.size(), 1000u);
  Runner run(rules_machine());
  const Pfn private_start = rules_machine().nodes[1].zones[0].start_pfn;
  unsigned tried = 0, allocated = 0, unmapped = 0, priv = 0, priv_granted = 0;
  for (const Input& in : reps)
    for (int nid : {NUMA_NO_NODE, 1}) {
      Op op = ops::alloc(in.order, in.gfp, nid);
      op.ctx = AllocFlags{in.ctx};
      const uint32_t id = run.next_id();
      StepResult s = run.step(op);
      tried++;
      ASSERT_TRUE(s.ok()) << print_op(op) << "\n"
                          << (s.finding ? run.report(*s.finding) : *s.error);
      if (run.next_id() == id) continue;  // failed or looped: judged by the liveness oracle
      allocated++;
      const AllocRecord& rec = run.record(id);
      unmapped += rec.unmapped;
      if (rec.pfn >= private_start) {
        priv++;
        priv_granted += (in.ctx >> CTX_managed_node & 1) || (in.gfp & __GFP_PRIVATE);
      }
      ASSERT_TRUE(run.step(ops::free(id)).ok()) << print_op(op);
    }
  EXPECT_GT(allocated, tried / 2);
  EXPECT_GT(unmapped, 0u);
  EXPECT_GT(priv, 0u);
  EXPECT_EQ(priv_granted, priv);  // the shadow already failed the step otherwise
}

}  // namespace
