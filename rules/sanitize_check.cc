// SPDX-License-Identifier: GPL-2.0-or-later
// The exhaustive check (docs/rules.md): every (struct, gfp class, order) input against
// the table, class by class. Per class the table is compiled once (class_eval.h); the
// implementation is asked per input only when its entry point lets the class through,
// since validate_request() refuses a bad gfp/order before it looks at the struct.
#include <algorithm>
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "oracles/eligibility.h"
#include "rules/check_internal.h"

namespace buddycheck::rules {

namespace detail {

Counterexample make_counterexample(const Input& in, const Config& machine, std::string expected,
                                   std::string actual) {
  Counterexample c;
  c.input = in;
  c.op_line = input_op_line(in);
  c.trace = input_trace(in, machine);
  c.expected = std::move(expected);
  c.actual = std::move(actual);
  return c;
}

std::string describe(const Expected& e) {
  if (e.verdict == Verdict::REJECT) return "reject";
  return fmt::format("{} -> {}", verdict_name(e.verdict), ctx_flags_to_string(AllocFlags{e.out}));
}

std::string decider(const ClassEval& ce, uint64_t s, Verdict v) {
  const RuleTable& t = ce.table();
  // Cross rules first (they say why), then field lines.
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < t.rules.size(); i++) {
      if (t.rules[i].from_field != (pass == 1)) continue;
      if (t.rules[i].verdict == v && ce.fires(i, s)) return t.rules[i].id;
    }
  return "(no rule)";
}

void Groups::add(const Key& k, const Input& in, const Space& sp,
                 const std::function<std::pair<std::string, std::string>()>& details,
                 const Config& machine) {
  const InputKey key = input_key(in, sp);
  auto [it, fresh] = groups_.try_emplace(k);
  Entry& e = it->second;
  e.m.count++;
  if (!fresh && !(key < e.best)) return;
  e.best = key;
  e.m.rule = std::get<0>(k);
  e.m.kind = std::get<1>(k);
  e.m.expected = std::get<2>(k);
  e.m.actual = std::get<3>(k);
  auto [exp, act] = details();
  e.m.smallest = make_counterexample(in, machine, std::move(exp), std::move(act));
}

std::vector<Mismatch> Groups::take() {
  // The group holding the smallest counterexample first, then larger ones.
  std::vector<Entry*> order;
  for (auto& [k, e] : groups_) order.push_back(&e);
  auto rank = [](const std::string& kind) {
    return kind == "verdict" || kind == "struct" ? 0
           : kind == "context-entry"             ? 1
           : kind == "grant"                     ? 2
                                                 : 3;
  };
  std::stable_sort(order.begin(), order.end(), [&](const Entry* a, const Entry* b) {
    if (a->best != b->best) return a->best < b->best;
    if (rank(a->m.kind) != rank(b->m.kind)) return rank(a->m.kind) < rank(b->m.kind);
    return a->m.count > b->m.count;
  });
  std::vector<Mismatch> out;
  for (Entry* e : order) out.push_back(std::move(e->m));
  groups_.clear();
  return out;
}

const Bits& field_pattern(unsigned bit) {
  // Built once per bit; immutable afterwards (function-local statics, no shared state).
  static const std::vector<Bits> patterns = [] {
    std::vector<Bits> p(kCtxIndexBits, Bits(kWords, 0));
    for (unsigned b = 0; b < kCtxIndexBits; b++)
      for (uint64_t s = 0; s < kCtxIndexCount; s++)
        if ((s >> b) & 1) p[b][s >> 6] |= uint64_t{1} << (s & 63);
    return p;
  }();
  return patterns[bit];
}

TableStats::TableStats(const RuleTable& t) : t_(t), rows_(t.rules.size()) {
  for (size_t i = 0; i < t.rules.size(); i++) {
    rows_[i].rule = t.rules[i].id;
    rows_[i].verdict = verdict_name(t.rules[i].verdict);
  }
  none_.rule = "(no rule)";
  none_.verdict = "accept";
}

bool TableStats::smallest(const Bits& b, uint64_t* out) {
  bool found = false;
  for (size_t w = 0; w < kWords; w++)
    for (uint64_t word = b[w]; word; word &= word - 1) {
      const uint64_t s = (w << 6) | static_cast<uint64_t>(__builtin_ctzll(word));
      const int ps = __builtin_popcountll(s), po = __builtin_popcountll(*out);
      if (!found || ps < po || (ps == po && s < *out)) *out = s;
      found = true;
    }
  return found;
}

void TableStats::add_problems(const std::vector<Found>& found, gfp_t gfp, unsigned order,
                              const Space& sp, const Config& machine) {
  for (const Found& f : found) {
    auto [it, fresh] = problems_.try_emplace(f.kind + ": " + f.message);
    P& p = it->second;
    p.p.kind = f.kind;
    p.p.message = f.message;
    p.p.count += f.count;
    const Input in{f.best, gfp, order};
    const InputKey k = input_key(in, sp);
    if (!fresh && !(k < p.best)) continue;
    p.best = k;
    p.p.example = make_counterexample(in, machine, describe(expect(t_, in, sp.max_order)), "");
  }
}

ClassSummary summarize(const RuleTable& t, const ClassBits& b) {
  ClassSummary cs;
  cs.fired.assign(t.rules.size(), 0);
  cs.by_final.assign(t.rules.size(), {});
  const Bits& rej = b.final_verdict[static_cast<unsigned>(Verdict::REJECT)];
  const bool all_reject = popcount(rej) == kCtxIndexCount;  // common: a refused gfp/order
  Bits any(kWords, 0);
  for (size_t r = 0; r < t.rules.size(); r++) {
    if (!b.fired_any[r]) continue;
    const Bits& f = b.fired[r];
    for (size_t w = 0; w < kWords; w++) {
      any[w] |= f[w];
      cs.fired[r] += static_cast<uint64_t>(__builtin_popcountll(f[w]));
    }
    if (all_reject) {
      cs.by_final[r][static_cast<unsigned>(Verdict::REJECT)] = cs.fired[r];
      continue;
    }
    for (size_t w = 0; w < kWords; w++)
      for (unsigned v = 0; v < 5; v++)
        cs.by_final[r][v] +=
            static_cast<uint64_t>(__builtin_popcountll(f[w] & b.final_verdict[v][w]));
  }
  cs.none = kCtxIndexCount - popcount(any);
  for (unsigned v = 0; v < 5; v++) cs.totals[v] = popcount(b.final_verdict[v]);
  return cs;
}

void TableStats::add(const ClassSummary& cs) {
  for (size_t r = 0; r < rows_.size(); r++) {
    rows_[r].fired += cs.fired[r];
    for (unsigned v = 0; v < 5; v++) rows_[r].by_final[v] += cs.by_final[r][v];
  }
  none_.fired += cs.none;
  none_.by_final[0] = none_.decided = none_.fired;
  for (unsigned v = 0; v < 5; v++) totals_[v] += cs.totals[v];
}

std::vector<TableStats::Found> TableStats::find_problems(const ClassBits& b) const {
  std::vector<Found> found;
  Bits both(kWords);
  uint64_t best = 0;
  // Contradictions: a rule that keeps field f and one that drops or rejects because of
  // f both fire on an input.
  for (size_t k = 0; k < t_.rules.size(); k++) {
    const Rule& keep = t_.rules[k];
    if (!keep.keeps() || !b.fired_any[k]) continue;
    for (size_t x = 0; x < t_.rules.size(); x++) {
      const Rule& other = t_.rules[x];
      if (other.subject != keep.subject || !b.fired_any[x]) continue;
      if (!other.drops() && other.verdict != Verdict::REJECT) continue;
      for (size_t w = 0; w < kWords; w++) both[w] = b.fired[k][w] & b.fired[x][w];
      if (smallest(both, &best))
        found.push_back(
            {"CONTRADICTION",
             fmt::format("{} keeps {} but {} {}s it", keep.id, t_.fields[keep.subject].name,
                         other.id, verdict_name(other.verdict)),
             popcount(both), best});
    }
  }
  // No internal or derived bit survives an accepted input.
  const Bits& rej = b.final_verdict[static_cast<unsigned>(Verdict::REJECT)];
  for (unsigned f = 0; f < NR_CTX_FIELDS; f++) {
    if (t_.fields[f].klass == FieldClass::EXTERNAL) continue;
    const Bits& p = field_pattern(f);
    for (size_t w = 0; w < kWords; w++)
      both[w] = p[w] & ~rej[w] & ~b.ignored[f][w] & ~b.cleared[f][w];
    if (smallest(both, &best))
      found.push_back({"INTERNAL-SURVIVES",
                       fmt::format("{} field {} survives sanitizing",
                                   field_class_name(t_.fields[f].klass), t_.fields[f].name),
                       popcount(both), best});
  }
  return found;
}

std::vector<MatrixRow> TableStats::matrix() const {
  std::vector<MatrixRow> m = rows_;
  for (size_t i = 0; i < m.size(); i++)
    m[i].decided = m[i].by_final[static_cast<unsigned>(t_.rules[i].verdict)];
  m.push_back(none_);
  return m;
}

std::vector<Problem> TableStats::problems() const {
  std::vector<Problem> out;
  for (const auto& [k, p] : problems_) out.push_back(p.p);
  for (size_t i = 0; i < rows_.size(); i++)
    if (rows_[i].fired == 0)
      out.push_back(
          {"DEAD-RULE",
           fmt::format("{} (line {}) fires for no input", t_.rules[i].id, t_.rules[i].line),
           0,
           {}});
  return out;
}

}  // namespace detail

using namespace detail;

namespace {

constexpr uint32_t kNofailWarnings =
    WARN_NOFAIL_COSTLY | WARN_NOFAIL_NO_RECLAIM | WARN_NOFAIL_MEMALLOC;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

AllocRequest request_for(gfp_t gfp, unsigned order) {
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.nid = NUMA_NO_NODE;
  req.cpu = 0;
  return req;
}

// What the implementation did with one input, in the table's terms.
struct Actual {
  Expected e;
  std::string reason;  // the implementation's own name for its worst verdict
};

std::string describe_actual(const Actual& a) {
  return a.reason.empty() ? describe(a.e) : fmt::format("{} ({})", describe(a.e), a.reason);
}

// Attributes a failing input to a table rule (or to the implementation) and files it.
void file_mismatch(Groups& g, const ClassEval& ce, const Space& sp, const Config& machine,
                   const std::string& kind, uint64_t s, const Expected& e, const Actual& a) {
  const RuleTable& t = ce.table();
  const Input in{s, ce.gfp(), ce.order()};
  std::string rule, exp = verdict_name(e.verdict), act = verdict_name(a.e.verdict), k = kind;
  if (e.verdict > a.e.verdict) {
    rule = decider(ce, s, e.verdict);
  } else if (e.verdict < a.e.verdict) {
    rule =
        "implementation:" + (a.reason.empty() ? std::string(verdict_name(a.e.verdict)) : a.reason);
  } else {
    if (k == "verdict") k = "struct";
    const uint64_t d = (e.out ^ a.e.out) | (e.ignored ^ a.e.ignored) | (e.cleared ^ a.e.cleared);
    const unsigned f = static_cast<unsigned>(__builtin_ctzll(d));
    const uint64_t bit = uint64_t{1} << f;
    exp = (e.cleared & bit) ? "clear" : (e.ignored & bit) ? "ignore" : "keep";
    act = (a.e.cleared & bit)   ? "clear"
          : (a.e.ignored & bit) ? "ignore"
          : (a.e.out & bit)     ? "keep"
                                : "drop";
    if (f >= NR_CTX_FIELDS) {
      rule = a.reason.empty() ? "implementation" : "implementation:" + a.reason;
    } else {
      exp += " " + t.fields[f].name;
      act += " " + t.fields[f].name;
      rule = "field:" + t.fields[f].name;
      for (size_t i = NR_CTX_FIELDS; i < t.rules.size(); i++) {
        const Rule& r = t.rules[i];
        const bool relevant = (e.ignored | e.cleared) & bit ? r.drops() : r.keeps();
        if (r.subject == static_cast<int>(f) && relevant && ce.fires(i, s)) {
          rule = r.id;
          break;
        }
      }
    }
  }
  g.add(
      {rule, k, exp, act}, in, sp, [&] { return std::pair{describe(e), describe_actual(a)}; },
      machine);
}

Actual compose(const SanitizeResult& r, uint64_t s, uint64_t out, bool warned) {
  Actual a;
  if (r.verdict == Verdict::REJECT) {
    a.e = {Verdict::REJECT, s, 0, 0};
    a.reason = std::string(r.rule);
    return a;
  }
  Verdict v = std::max(r.verdict, warned ? Verdict::WARN : Verdict::ACCEPT);
  if (r.cleared) v = std::max(v, Verdict::CLEAR);
  if (r.ignored) v = std::max(v, Verdict::IGNORE);
  a.e = {v, out, r.ignored, r.cleared};
  a.reason = v == Verdict::WARN ? "__GFP_NOFAIL warning" : std::string(r.rule);
  return a;
}

}  // namespace

Implementation machine_implementation() {
  Implementation impl;
  impl.entry = [](const Machine& m, const AllocRequest& req) {
    AllocResult r = m.check_request(req, nullptr);
    EntryVerdict v;
    v.rejected = r.status == AllocStatus::Error;
    v.warned = (r.warnings & kNofailWarnings) != 0;
    if (v.rejected) v.reason = alloc_error_name(r.error);
    return v;
  };
  return impl;
}

std::vector<uint64_t> representative_structs(const RuleTable& t) {
  const uint64_t ext = t.external_mask();
  std::vector<uint64_t> reps;
  uint64_t sub = 0;
  do {
    reps.push_back(sub);
    for (unsigned b = 0; b < kCtxIndexBits; b++)
      if (!((ext >> b) & 1)) reps.push_back(sub | (uint64_t{1} << b));
    sub = (sub - ext) & ext;
  } while (sub != 0);
  std::sort(reps.begin(), reps.end());
  return reps;
}

std::string deciding_rule(const RuleTable& t, const Input& in, unsigned max_order) {
  ClassEval ce(t, in.gfp, in.order, max_order);
  return decider(ce, in.ctx, ce.expected(in.ctx).verdict);
}

std::vector<Input> accepted_representatives(const RuleTable& t, const Config& machine) {
  std::vector<Input> out;
  std::optional<Space> sp = make_space({&t}, machine, true, nullptr);
  if (!sp) return out;
  const std::vector<uint64_t> reps = representative_structs(t);
  for (gfp_t gfp : sp->gfps)
    for (unsigned order : sp->orders) {
      ClassEval ce(t, gfp, order, sp->max_order);
      std::vector<uint64_t> seen;
      for (uint64_t s : reps) {
        Expected e = ce.expected(s);
        if (e.verdict == Verdict::REJECT ||
            std::find(seen.begin(), seen.end(), e.out) != seen.end())
          continue;
        seen.push_back(e.out);
        out.push_back({s, gfp, order});
      }
    }
  return out;
}

CheckResult sanitize_check(const RuleTable& t, const Implementation& impl, const CheckOptions& o) {
  CheckResult res;
  std::string err;
  std::optional<Space> sp = make_space({&t}, o.machine, false, &err);
  std::optional<Space> spe = make_space({&t}, o.machine, true, &err);
  if (!sp || !spe) {
    res.error = err;
    return res;
  }
  res.space = *sp;
  res.machine = o.machine;
  std::unique_ptr<Machine> m = Machine::create(o.machine, &err);
  if (!m) {
    res.error = "the checker's machine: " + err;
    return res;
  }
  const bool grouping = o.machine.mobility_grouping;
  const uint64_t external = t.external_mask();
  Groups groups;
  TableStats stats(t);
  ClassBits bits;
  struct Memo {
    ClassSummary summary;
    std::vector<TableStats::Found> problems;
  };
  std::map<std::string, Memo> memo;

  // 1. The whole space through the composed implementation.
  auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  const uint64_t classes = sp->gfps.size() * sp->orders.size(),
                 sweep_classes = spe->gfps.size() * spe->orders.size();
  uint64_t classes_done = 0;
  auto tick = [&] {
    if (o.progress) o.progress(++classes_done, classes + 2 * sweep_classes);
  };
  for (gfp_t gfp : sp->gfps)
    for (unsigned order : sp->orders) {
      tick();
      ClassEval ce(t, gfp, order, sp->max_order);
      // Classes whose rules compile alike have the same counts: build their bitsets once.
      const std::string sig = ce.signature();
      auto it = memo.find(sig);
      bool built = false;
      if (it == memo.end()) {
        bits.build(ce);
        built = true;
        it = memo.emplace(sig, Memo{summarize(t, bits), stats.find_problems(bits)}).first;
      }
      stats.add(it->second.summary);
      stats.add_problems(it->second.problems, gfp, order, *sp, o.machine);
      const EntryVerdict ev = impl.entry(*m, request_for(gfp, order));
      if (ev.rejected) {
        // Refused before the struct is looked at: every input of the class is REJECT.
        if (it->second.summary.totals[static_cast<unsigned>(Verdict::REJECT)] == kCtxIndexCount)
          continue;
        if (!built) bits.build(ce);
        const Bits& rej = bits.final_verdict[static_cast<unsigned>(Verdict::REJECT)];
        for (size_t w = 0; w < kWords; w++)
          for (uint64_t word = ~rej[w]; word; word &= word - 1) {
            const uint64_t s = (w << 6) | static_cast<uint64_t>(__builtin_ctzll(word));
            file_mismatch(groups, ce, *sp, o.machine, "verdict", s, ce.expected(s),
                          Actual{{Verdict::REJECT, s, 0, 0}, ev.reason});
          }
        continue;
      }
      std::vector<uint64_t> seen;  // sanitized structs already checked for idempotence
      bool idem_done = false;
      for (uint64_t s = 0; s < kCtxIndexCount; s++) {
        AllocFlags f{s};
        const SanitizeResult r = impl.sanitize(&f, gfp, order, grouping);
        const Actual a = compose(r, s, f.bits, ev.warned);
        const Expected e = ce.expected(s);
        if (a.e.verdict != e.verdict || (e.verdict != Verdict::REJECT && !(a.e == e))) {
          file_mismatch(groups, ce, *sp, o.machine, "verdict", s, e, a);
          continue;
        }
        if (a.e.verdict == Verdict::REJECT) continue;
        if (uint64_t leak = a.e.out & ~external) {
          const unsigned b = static_cast<unsigned>(__builtin_ctzll(leak));
          const std::string field =
              b < NR_CTX_FIELDS ? "field:" + t.fields[b].name : "unknown bits";
          groups.add(
              {field, "internal-leak", "dropped", "kept"}, {s, gfp, order}, *sp,
              [&] { return std::pair{describe(e), describe_actual(a)}; }, o.machine);
        }
        if (idem_done || std::find(seen.begin(), seen.end(), a.e.out) != seen.end()) continue;
        seen.push_back(a.e.out);
        idem_done = seen.size() > 64;  // a sanitizer with that many outputs has failed already
        if (auto fnd = check_sanitizer(AllocFlags{s}, gfp, order, grouping, impl.sanitize))
          groups.add(
              {"implementation", fnd->id, fnd->expected, fnd->actual}, {s, gfp, order}, *sp,
              [&] { return std::pair{fnd->expected, fnd->summary + ": " + fnd->actual}; },
              o.machine);
      }
    }
  res.seconds = since(t0);
  res.cpu_seconds = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;

  // 2. The context entry point itself, on representative structs.
  const std::vector<uint64_t> reps = representative_structs(t);
  t0 = std::chrono::steady_clock::now();
  if (impl.context_entry)
    for (gfp_t gfp : spe->gfps)
      for (unsigned order : spe->orders) {
        tick();
        ClassEval ce(t, gfp, order, spe->max_order);
        AllocRequest req = request_for(gfp, order);
        for (uint64_t s : reps) {
          AllocFlags f{s};
          AllocResult r = m->check_request(req, &f);
          res.entry_requests++;
          Actual a;
          if (r.status == AllocStatus::Error) {
            a.e = {Verdict::REJECT, s, 0, 0};
            a.reason = r.error == AllocError::ContextRejected ? std::string(r.sanitize.rule)
                                                              : alloc_error_name(r.error);
          } else {
            a = compose(r.sanitize, s, s & ~(r.sanitize.ignored | r.sanitize.cleared),
                        (r.warnings & kNofailWarnings) != 0);
          }
          const Expected e = ce.expected(s);
          if (a.e.verdict != e.verdict || (e.verdict != Verdict::REJECT && !(a.e == e)))
            file_mismatch(groups, ce, *spe, o.machine, "context-entry", s, e, a);
        }
      }
  res.entry_seconds = since(t0);

  // 3. The grants against the eligibility oracle (what the shadow judges allocations by).
  t0 = std::chrono::steady_clock::now();
  std::vector<bool> granted(t.grants.size(), false);
  if (o.grants && !t.grants.empty()) {
    for (gfp_t gfp : spe->gfps)
      for (unsigned order : spe->orders) {
        tick();
        ClassEval ce(t, gfp, order, spe->max_order);
        AllocRequest req = request_for(gfp, order);
        std::vector<uint64_t> seen;
        for (uint64_t s : reps) {
          const Expected e = ce.expected(s);
          if (e.verdict == Verdict::REJECT ||
              std::find(seen.begin(), seen.end(), e.out) != seen.end())
            continue;
          seen.push_back(e.out);
          AllocFlags f{s};
          std::string why;
          std::optional<Eligibility> el = eligibility(*m, req, &f, &why);
          res.grant_checks++;
          const Input in{s, gfp, order};
          if (!el) {
            groups.add(
                {"implementation:eligibility", "grant", "valid", "invalid"}, in, *spe,
                [&] { return std::pair{describe(e), "eligibility(): " + why}; }, o.machine);
            continue;
          }
          for (size_t i = 0; i < t.grants.size(); i++) {
            const Grant& g = t.grants[i];
            const bool want = grant_holds(g, {e.out, gfp, order}, spe->max_order);
            const bool got = g.resource == Resource::PRIVATE_NODE ? el->private_ok
                             : g.resource == Resource::CMA_BLOCKS ? el->cma_ok
                                                                  : el->unmapped;
            granted[i] = granted[i] || want;
            if (want != got)
              groups.add(
                  {g.id, "grant", want ? "granted" : "denied", got ? "granted" : "denied"}, in,
                  *spe,
                  [&] {
                    return std::pair{
                        fmt::format("{}: {} {}", describe(e), resource_name(g.resource),
                                    want ? "granted" : "denied"),
                        fmt::format("eligibility(): {} {}", resource_name(g.resource),
                                    got ? "granted" : "denied")};
                  },
                  o.machine);
          }
        }
      }
  }
  res.grant_seconds = since(t0);

  res.matrix = stats.matrix();
  res.totals = stats.totals();
  res.problems = stats.problems();
  if (o.grants)
    for (size_t i = 0; i < t.grants.size(); i++)
      if (!granted[i])
        res.problems.push_back({"DEAD-GRANT",
                                fmt::format("{} (line {}) holds for no accepted input",
                                            t.grants[i].id, t.grants[i].line),
                                0,
                                {}});
  res.mismatches = groups.take();
  return res;
}

}  // namespace buddycheck::rules
