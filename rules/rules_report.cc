// SPDX-License-Identifier: GPL-2.0-or-later
// What `buddycheck sanitize-check` prints (docs/rules.md "Reading the output"), and the
// rule diff: which inputs a proposed table decides differently, grouped by the rules
// that decide them in each table.
#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "rules/check_internal.h"

namespace buddycheck::rules {

using namespace detail;

namespace {

void indent_trace(std::string* out, const std::string& trace) {
  size_t pos = 0;
  while (pos < trace.size()) {
    size_t nl = trace.find('\n', pos);
    if (nl == std::string::npos) nl = trace.size();
    *out += "    | " + trace.substr(pos, nl - pos) + "\n";
    pos = nl + 1;
  }
}

std::string problems_text(const std::vector<Problem>& ps) {
  std::string out;
  for (const Problem& p : ps) {
    out += fmt::format("PROBLEM {}: {}", p.kind, p.message);
    if (p.count) out += fmt::format(" ({} inputs)", p.count);
    out += "\n";
    if (p.example)
      out += fmt::format("  e.g. {}   [table: {}]\n", p.example->op_line, p.example->expected);
  }
  return out;
}

std::string machine_line(const Config& c) {
  std::string priv, cma;
  for (size_t i = 0; i < c.nodes.size(); i++)
    if (c.nodes[i].memory_private) priv += fmt::format("{}{}", priv.empty() ? "" : ",", i);
  for (const PfnRange& r : c.cma)
    cma += fmt::format("{}{:#x}-{:#x}", cma.empty() ? "" : ",", r.start, r.end);
  return fmt::format(
      "machine: {} nodes (private: {}), CMA {}, MAX_PAGE_ORDER {}, mobility grouping {}; "
      "requests nid=NUMA_NO_NODE cpu=0, task context",
      c.nodes.size(), priv.empty() ? "none" : priv, cma.empty() ? "none" : cma, c.max_page_order,
      c.mobility_grouping ? "on" : "off");
}

}  // namespace

std::string format_check(const RuleTable& t, const Implementation& impl, const CheckResult& r) {
  std::string out;
  if (r.error) return fmt::format("buddycheck sanitize-check: {}: {}\n", t.file, *r.error);
  const size_t cross = t.rules.size() - NR_CTX_FIELDS;
  out += fmt::format("buddycheck sanitize-check: {} ({} fields, {} rules, {} grants) against {}\n",
                     t.file, unsigned{NR_CTX_FIELDS}, cross, t.grants.size(), impl.name);
  out += machine_line(r.machine) + "\n";
  out += fmt::format("space: {}\n\n", r.space.describe());

  size_t w = 9;
  for (const MatrixRow& m : r.matrix) w = std::max(w, m.rule.size());
  out +=
      fmt::format("{:<{}}  {:<7} {:>10} {:>10} | {:>10} {:>10} {:>10} {:>10} {:>10}\n", "rule", w,
                  "verdict", "fired", "decided", "accept", "ignore", "clear", "warn", "reject");
  for (const MatrixRow& m : r.matrix)
    out += fmt::format("{:<{}}  {:<7} {:>10} {:>10} | {:>10} {:>10} {:>10} {:>10} {:>10}\n", m.rule,
                       w, m.verdict, m.fired, m.decided, m.by_final[0], m.by_final[1],
                       m.by_final[2], m.by_final[3], m.by_final[4]);
  uint64_t total = 0;
  for (uint64_t n : r.totals) total += n;
  out += fmt::format("{:<{}}  {:<7} {:>10} {:>10} | {:>10} {:>10} {:>10} {:>10} {:>10}\n\n",
                     "inputs", w, "", total, "", r.totals[0], r.totals[1], r.totals[2], r.totals[3],
                     r.totals[4]);

  if (impl.context_entry)
    out += fmt::format(
        "context entry point: {} requests through Machine::check_request(req, &flags) "
        "({} representative structs x the grant space)\n",
        r.entry_requests, representative_structs(t).size());
  out +=
      fmt::format("grants: {} accepted request kinds against eligibility() (the shadow's oracle)\n",
                  r.grant_checks);

  const size_t kShown = 20;
  for (size_t i = 0; i < r.mismatches.size() && i < kShown; i++) {
    const Mismatch& m = r.mismatches[i];
    out += fmt::format("\nMISMATCH [{}] {}: {} inputs: table {}, {} {}\n", m.kind, m.rule, m.count,
                       m.expected, impl.name, m.actual);
    out += fmt::format("  smallest: {}\n", m.smallest.op_line);
    out += fmt::format("  table:  {}\n  {:<7} {}\n", m.smallest.expected, impl.name + ":",
                       m.smallest.actual);
    if (i > 0) continue;  // the first group holds the smallest counterexample of all
    out += "  trace (buddycheck run replays it):\n";
    indent_trace(&out, m.smallest.trace);
  }
  if (r.mismatches.size() > kShown)
    out += fmt::format("... {} more mismatch groups\n", r.mismatches.size() - kShown);
  if (!r.problems.empty()) out += "\n" + problems_text(r.problems);

  out += fmt::format("\nmismatches: {}; table problems: {}\n",
                     r.mismatches.empty() ? "none" : fmt::format("{} groups", r.mismatches.size()),
                     r.problems.empty()
                         ? "none (no contradiction, no dead rule, no internal bit survives)"
                         : fmt::format("{}", r.problems.size()));
  const double ns = r.space.size() ? r.cpu_seconds * 1e9 / static_cast<double>(r.space.size()) : 0;
  out += fmt::format(
      "time: exhaustive check {:.2f} s ({:.2f} s CPU; {} inputs, {:.1f} ns/input); entry point "
      "{:.2f} s; grants {:.2f} s\n",
      r.seconds, r.cpu_seconds, r.space.size(), ns, r.entry_seconds, r.grant_seconds);
  out += r.exit_code() == 0 ? "sanitize-check: OK\n" : "sanitize-check: FAILED\n";
  return out;
}

// ---- diff ----------------------------------------------------------------------------

namespace {

std::string expr_or_none(const Expr& e) { return e.root < 0 ? "(always)" : e.text; }

void compare_lines(const RuleTable& a, const RuleTable& b, std::vector<std::string>* out) {
  for (unsigned f = 0; f < NR_CTX_FIELDS; f++) {
    const FieldLine &x = a.fields[f], &y = b.fields[f];
    std::vector<std::string> d;
    if (x.klass != y.klass)
      d.push_back(
          fmt::format("class {} -> {}", field_class_name(x.klass), field_class_name(y.klass)));
    if (x.verdict != y.verdict)
      d.push_back(
          fmt::format("verdict {} -> {}", verdict_name(x.verdict), verdict_name(y.verdict)));
    if (x.statement != y.statement) d.push_back("statement");
    if (x.source != y.source) d.push_back("source");
    if (!d.empty()) out->push_back(fmt::format("~ field {}: {}", x.name, fmt::join(d, "; ")));
  }
  auto subject = [](const RuleTable& t, const Rule& r) {
    return r.subject < 0 ? std::string("-") : t.fields[r.subject].name;
  };
  for (const Rule& x : a.rules) {
    if (x.from_field) continue;
    const Rule* y = b.rule_by_id(x.id);
    if (!y) {
      out->push_back(
          fmt::format("- rule {} {} when {}", x.id, verdict_name(x.verdict), expr_or_none(x.when)));
      continue;
    }
    std::vector<std::string> d;
    if (x.verdict != y->verdict)
      d.push_back(
          fmt::format("verdict {} -> {}", verdict_name(x.verdict), verdict_name(y->verdict)));
    if (x.subject != y->subject)
      d.push_back(fmt::format("field {} -> {}", subject(a, x), subject(b, *y)));
    if (x.when.text != y->when.text)
      d.push_back(fmt::format("when '{}' -> '{}'", expr_or_none(x.when), expr_or_none(y->when)));
    if (x.statement != y->statement) d.push_back("statement");
    if (x.source != y->source) d.push_back("source");
    if (!d.empty()) out->push_back(fmt::format("~ rule {}: {}", x.id, fmt::join(d, "; ")));
  }
  for (const Rule& y : b.rules)
    if (!y.from_field && !a.rule_by_id(y.id))
      out->push_back(
          fmt::format("+ rule {} {} when {}", y.id, verdict_name(y.verdict), expr_or_none(y.when)));
  auto grant = [](const RuleTable& t, std::string_view id) -> const Grant* {
    for (const Grant& g : t.grants)
      if (g.id == id) return &g;
    return nullptr;
  };
  for (const Grant& x : a.grants) {
    const Grant* y = grant(b, x.id);
    if (!y)
      out->push_back(
          fmt::format("- grant {} {} when {}", x.id, resource_name(x.resource), x.when.text));
    else if (x.resource != y->resource || x.when.text != y->when.text ||
             x.statement != y->statement || x.source != y->source)
      out->push_back(fmt::format("~ grant {}: {} when '{}' -> {} when '{}'", x.id,
                                 resource_name(x.resource), x.when.text, resource_name(y->resource),
                                 y->when.text));
  }
  for (const Grant& y : b.grants)
    if (!grant(a, y.id))
      out->push_back(
          fmt::format("+ grant {} {} when {}", y.id, resource_name(y.resource), y.when.text));
}

}  // namespace

DiffResult rules_diff(const RuleTable& a, const RuleTable& b, const CheckOptions& o) {
  DiffResult d;
  std::string err;
  std::optional<Space> sp = make_space({&a, &b}, o.machine, false, &err);
  if (!sp) {
    d.error = err;
    return d;
  }
  d.space = *sp;
  compare_lines(a, b, &d.line_changes);
  const auto t0 = std::chrono::steady_clock::now();

  // The rules to compare input by input: every ID in either table.
  struct Pair {
    std::string id;
    int ia = -1, ib = -1;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < a.rules.size(); i++) {
    const Rule* y = b.rule_by_id(a.rules[i].id);
    pairs.push_back(
        {a.rules[i].id, static_cast<int>(i), y ? static_cast<int>(y - b.rules.data()) : -1});
  }
  for (size_t j = 0; j < b.rules.size(); j++)
    if (!a.rule_by_id(b.rules[j].id)) pairs.push_back({b.rules[j].id, -1, static_cast<int>(j)});

  // Per class: the changed inputs grouped (by deciding rules, and by differing rule),
  // each group with its count and smallest struct index. Classes that compile alike in
  // both tables change alike, so the grouping is kept per signature pair.
  using GroupKey = std::tuple<std::string, std::string, std::string, std::string, bool>;
  struct Tally {
    uint64_t count = 0;
    uint64_t best =
        0;  // smallest struct index (within a class the key orders by popcount, then value)
  };
  struct Memo {
    std::map<GroupKey, Tally> groups;
    std::vector<Tally> rules;  // per pair
    ClassSummary summary;      // of the proposal (dead rules)
    std::vector<TableStats::Found> problems;
  };
  auto better = [](uint64_t x, uint64_t y) {
    int px = __builtin_popcountll(x), py = __builtin_popcountll(y);
    return px != py ? px < py : x < y;
  };
  auto tally = [&](Tally& t, uint64_t s) {
    if (t.count++ == 0 || better(s, t.best)) t.best = s;
  };
  std::map<std::string, Memo> memo;
  std::map<GroupKey, DiffGroup> groups;
  std::vector<RuleChange> by_rule(pairs.size());
  std::vector<InputKey> best_rule_key(pairs.size());
  std::map<GroupKey, InputKey> group_best;
  TableStats stats(b);
  ClassBits ba, bb;
  for (gfp_t gfp : sp->gfps)
    for (unsigned order : sp->orders) {
      ClassEval ca(a, gfp, order, sp->max_order), cb(b, gfp, order, sp->max_order);
      std::string sa = ca.signature(), sb = cb.signature();
      const std::string sig = std::to_string(sa.size()) + ":" + sa + sb;
      auto it = memo.find(sig);
      if (it == memo.end()) {
        Memo m;
        ba.build(ca);
        bb.build(cb);
        m.problems = stats.find_problems(bb);
        m.summary = summarize(b, bb);
        m.rules.resize(pairs.size());
        for (size_t w = 0; w < kWords; w++) {
          uint64_t c = 0;
          for (unsigned v = 0; v < 5; v++) c |= ba.final_verdict[v][w] ^ bb.final_verdict[v][w];
          for (unsigned f = 0; f < NR_CTX_FIELDS; f++)
            c |= (ba.ignored[f][w] ^ bb.ignored[f][w]) | (ba.cleared[f][w] ^ bb.cleared[f][w]);
          for (; c; c &= c - 1) {
            const uint64_t s = (w << 6) | static_cast<uint64_t>(__builtin_ctzll(c));
            const Expected ea = ca.expected(s), eb = cb.expected(s);
            if (ea == eb) continue;
            tally(m.groups[{decider(ca, s, ea.verdict), verdict_name(ea.verdict),
                            decider(cb, s, eb.verdict), verdict_name(eb.verdict),
                            ea.verdict == eb.verdict}],
                  s);
            for (size_t p = 0; p < pairs.size(); p++) {
              const Pair& q = pairs[p];
              const bool fa = q.ia >= 0 && ca.fires(q.ia, s), fb = q.ib >= 0 && cb.fires(q.ib, s);
              bool differs = fa != fb;
              if (fa && fb)
                differs = a.rules[q.ia].verdict != b.rules[q.ib].verdict ||
                          a.rules[q.ia].subject != b.rules[q.ib].subject;
              if (differs) tally(m.rules[p], s);
            }
          }
        }
        it = memo.insert_or_assign(sig, std::move(m)).first;
      }
      // Fold this class in; examples are rebuilt only when the smallest improves.
      const Memo& m = it->second;
      stats.add(m.summary);
      stats.add_problems(m.problems, gfp, order, *sp, o.machine);
      for (const auto& [k, t] : m.groups) {
        d.changed += t.count;
        DiffGroup& g = groups[k];
        g.count += t.count;
        const Input in{t.best, gfp, order};
        const InputKey key = input_key(in, *sp);
        auto [bi, fresh] = group_best.try_emplace(k, key);
        if (!fresh && !(key < bi->second)) continue;
        bi->second = key;
        std::tie(g.from_rule, g.from, g.to_rule, g.to, g.struct_only) = k;
        g.smallest = make_counterexample(in, o.machine, describe(ca.expected(t.best)),
                                         describe(cb.expected(t.best)));
      }
      for (size_t p = 0; p < pairs.size(); p++) {
        const Tally& t = m.rules[p];
        if (!t.count) continue;
        RuleChange& rc = by_rule[p];
        const Input in{t.best, gfp, order};
        const InputKey key = input_key(in, *sp);
        const bool first = rc.count == 0;
        rc.count += t.count;
        if (!first && !(key < best_rule_key[p])) continue;
        best_rule_key[p] = key;
        rc.rule = pairs[p].id;
        rc.smallest = make_counterexample(in, o.machine, describe(ca.expected(t.best)),
                                          describe(cb.expected(t.best)));
      }
    }
  for (auto& [k, g] : groups) d.groups.push_back(std::move(g));
  std::stable_sort(d.groups.begin(), d.groups.end(),
                   [](const DiffGroup& x, const DiffGroup& y) { return x.count > y.count; });
  for (RuleChange& rc : by_rule)
    if (rc.count) d.by_rule.push_back(std::move(rc));
  d.problems = stats.problems();
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

std::string format_diff(const RuleTable& a, const RuleTable& b, const DiffResult& d, bool timing) {
  if (d.error) return fmt::format("buddycheck sanitize-check --diff: {}\n", *d.error);
  std::string out = fmt::format("rules diff: {} -> {}\n", a.file, b.file);
  out += fmt::format("space: {}\n", d.space.describe());
  out += fmt::format("changed: {} of {} inputs\n", d.changed, d.space.size());
  out += "by rule (changed inputs on which the rule fires differently, or with another verdict):\n";
  for (const RuleChange& rc : d.by_rule)
    out += fmt::format("  {}: {} inputs, e.g. {}\n", rc.rule, rc.count, rc.smallest.op_line);
  out += "by decision (deciding rule and verdict before -> after):\n";
  for (const DiffGroup& g : d.groups) {
    out += fmt::format("  {} {} -> {} {}{}: {} inputs\n", g.from_rule, g.from, g.to_rule, g.to,
                       g.struct_only ? " (sanitized struct differs)" : "", g.count);
    out += fmt::format("      e.g. {}\n", g.smallest.op_line);
    out += fmt::format("      before: {}; after: {}\n", g.smallest.expected, g.smallest.actual);
  }
  out += "table changes:\n";
  if (d.line_changes.empty()) out += "  none\n";
  for (const std::string& l : d.line_changes) out += "  " + l + "\n";
  out += d.problems.empty() ? "proposal: no contradiction, no dead rule, no internal bit survives\n"
                            : "proposal:\n" + problems_text(d.problems);
  if (timing) out += fmt::format("time: {:.2f} s\n", d.seconds);
  return out;
}

}  // namespace buddycheck::rules
