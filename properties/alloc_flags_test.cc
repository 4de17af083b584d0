// SPDX-License-Identifier: GPL-2.0-or-later
// alloc_flags (ALLOC_* of mm/internal.h; AFLAGS's struct): the slow path's gfp_to_alloc_flags(),
// reserve escalation (__gfp_pfmemalloc_flags), current_gfp_context(), the proposed exported struct
// alloc_flags with sanitize_alloc_flags(), and the printers/parsers. Values are worked out by hand
// from mm/page_alloc.c of Linux 6.12 and the field table in alloc/alloc_flags.def (the table is
// restated here so a change to it is noticed).
#include <gtest/gtest.h>

#include <string>

#include "alloc/alloc_flags.h"

namespace {

using namespace pagealloc;

constexpr bool kGroup = true;  // mobility grouping on

// ---- gfp_to_alloc_flags -------------------------------------------------------------

// alloc-flags-slow-1: Expect GFP_KERNEL to start at WMARK_MIN|CPUSET and add only
// KSWAPD (it can block, so no NON_BLOCK; not movable, so no CMA): 0x40|0x800.
TEST(alloc_flags, slow_1) {
  TaskContext t;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 0, t, kGroup), ALLOC_CPUSET | ALLOC_KSWAPD);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 0, t, kGroup), 0x840u);
  // Order does not matter for a blocking request.
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 5, t, kGroup), 0x840u);
  // GFP_NOFS/GFP_NOIO the same: IO/FS are not alloc_flags.
  EXPECT_EQ(gfp_to_alloc_flags(GFP_NOFS, 0, t, kGroup), 0x840u);
}

// alloc-flags-slow-2: Expect a movable request to add ALLOC_CMA (0x80), and not to when
// mobility grouping is off (gfp_migratetype is then UNMOVABLE).
TEST(alloc_flags, slow_2) {
  TaskContext t;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_HIGHUSER_MOVABLE, 0, t, kGroup), 0x8c0u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_HIGHUSER_MOVABLE, 0, t, false), 0x840u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL | __GFP_RECLAIMABLE, 0, t, kGroup), 0x840u);
  EXPECT_EQ(gfp_to_alloc_flags_cma(GFP_HIGHUSER_MOVABLE, ALLOC_WMARK_LOW, kGroup), 0x81u);
  EXPECT_EQ(gfp_to_alloc_flags_cma(GFP_KERNEL, ALLOC_WMARK_LOW, kGroup), 0x01u);
}

// alloc-flags-slow-3: Expect order-0 GFP_ATOMIC to get MIN_RESERVE (__GFP_HIGH),
// KSWAPD, NON_BLOCK (cannot sleep) and to lose CPUSET: 0x20|0x800|0x10 = 0x830.
TEST(alloc_flags, slow_3) {
  TaskContext t;
  unsigned f = gfp_to_alloc_flags(GFP_ATOMIC, 0, t, kGroup);
  EXPECT_EQ(f, ALLOC_MIN_RESERVE | ALLOC_KSWAPD | ALLOC_NON_BLOCK);
  EXPECT_EQ(f, 0x830u);
  EXPECT_FALSE(f & ALLOC_CPUSET);
  EXPECT_FALSE(f & ALLOC_HIGHATOMIC);
}

// alloc-flags-slow-4: Expect high-order GFP_ATOMIC to add HIGHATOMIC as well: 0xa30.
TEST(alloc_flags, slow_4) {
  TaskContext t;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_ATOMIC, 1, t, kGroup), 0xa30u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_ATOMIC, 10, t, kGroup), 0xa30u);
  // A movable atomic request also gets CMA.
  EXPECT_EQ(gfp_to_alloc_flags(GFP_ATOMIC | __GFP_MOVABLE, 3, t, kGroup), 0xab0u);
}

// alloc-flags-slow-5: Expect GFP_NOWAIT (no __GFP_HIGH) to be NON_BLOCK but keep CPUSET
// and get neither MIN_RESERVE nor HIGHATOMIC at any order: 0x40|0x10|0x800 = 0x850.
TEST(alloc_flags, slow_5) {
  TaskContext t;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_NOWAIT, 0, t, kGroup), 0x850u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_NOWAIT, 4, t, kGroup), 0x850u);
  // Neither reclaim bit: no KSWAPD either.
  EXPECT_EQ(gfp_to_alloc_flags(0, 0, t, kGroup), 0x50u);
}

// alloc-flags-slow-6: Expect __GFP_NOMEMALLOC to suppress NON_BLOCK and HIGHATOMIC of a
// non-blocking request, while __GFP_HIGH still removes CPUSET: GFP_ATOMIC|NOMEMALLOC
// order 3 is MIN_RESERVE|KSWAPD = 0x820.
TEST(alloc_flags, slow_6) {
  TaskContext t;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_ATOMIC | __GFP_NOMEMALLOC, 3, t, kGroup), 0x820u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_NOWAIT | __GFP_NOMEMALLOC, 0, t, kGroup), 0x840u);
}

// alloc-flags-slow-7: Expect an rt/deadline task in task context to get MIN_RESERVE for
// a blocking request (0x860), but not from interrupt context, and not through the
// non-blocking branch (GFP_NOWAIT stays 0x850).
TEST(alloc_flags, slow_7) {
  TaskContext rt;
  rt.rt_task = true;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 0, rt, kGroup), 0x860u);
  EXPECT_EQ(gfp_to_alloc_flags(GFP_NOWAIT, 0, rt, kGroup), 0x850u);
  TaskContext rt_irq = rt;
  rt_irq.in_interrupt = true;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 0, rt_irq, kGroup), 0x840u);
  TaskContext rt_softirq = rt;
  rt_softirq.in_serving_softirq = true;
  EXPECT_EQ(gfp_to_alloc_flags(GFP_KERNEL, 0, rt_softirq, kGroup), 0x840u);
}

// ---- __gfp_pfmemalloc_flags ---------------------------------------------------------

// alloc-flags-pfmemalloc-1: Expect __GFP_NOMEMALLOC to beat everything, __GFP_MEMALLOC
// to give NO_WATERMARKS anywhere, and plain requests to get nothing.
TEST(alloc_flags, pfmemalloc_1) {
  TaskContext t;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, t), 0u);
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL | __GFP_MEMALLOC, t), ALLOC_NO_WATERMARKS);
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL | __GFP_MEMALLOC | __GFP_NOMEMALLOC, t), 0u);
  TaskContext irq;
  irq.in_interrupt = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_ATOMIC | __GFP_MEMALLOC, irq), ALLOC_NO_WATERMARKS);
  TaskContext all;
  all.pf_memalloc = true;
  all.oom_victim = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL | __GFP_NOMEMALLOC, all), 0u);
}

// alloc-flags-pfmemalloc-2: Expect PF_MEMALLOC to give NO_WATERMARKS in task context and
// while serving a softirq, but nothing in hard interrupt context.
TEST(alloc_flags, pfmemalloc_2) {
  TaskContext task;
  task.pf_memalloc = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, task), ALLOC_NO_WATERMARKS);
  TaskContext softirq = task;
  softirq.in_serving_softirq = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_ATOMIC, softirq), ALLOC_NO_WATERMARKS);
  TaskContext irq = task;
  irq.in_interrupt = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_ATOMIC, irq), 0u);
}

// alloc-flags-pfmemalloc-3: Expect an OOM victim to get ALLOC_OOM only in task context
// (softirq and hard irq count as in_interrupt()), and PF_MEMALLOC to win over it.
TEST(alloc_flags, pfmemalloc_3) {
  TaskContext victim;
  victim.oom_victim = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, victim), ALLOC_OOM);
  TaskContext softirq = victim;
  softirq.in_serving_softirq = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, softirq), 0u);
  TaskContext irq = victim;
  irq.in_interrupt = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, irq), 0u);
  TaskContext both = victim;
  both.pf_memalloc = true;
  EXPECT_EQ(_gfp_pfmemalloc_flags(GFP_KERNEL, both), ALLOC_NO_WATERMARKS);
}

// alloc-flags-context-1: Expect the memalloc scopes to strip gfp bits: NOIO clears IO
// and FS, NOFS clears FS, PIN clears MOVABLE (no ZONE_MOVABLE, no CMA).
TEST(alloc_flags, context_1) {
  TaskContext noio;
  noio.pf_memalloc_noio = true;
  EXPECT_EQ(current_gfp_context(GFP_KERNEL, noio), GFP_NOIO);
  TaskContext nofs;
  nofs.pf_memalloc_nofs = true;
  EXPECT_EQ(current_gfp_context(GFP_KERNEL, nofs), GFP_NOFS);
  TaskContext pin;
  pin.pf_memalloc_pin = true;
  EXPECT_EQ(current_gfp_context(GFP_HIGHUSER_MOVABLE, pin), GFP_HIGHUSER);
  TaskContext plain;
  EXPECT_EQ(current_gfp_context(GFP_HIGHUSER_MOVABLE, plain), GFP_HIGHUSER_MOVABLE);
}

// alloc-flags-print-1: Expect the watermark index to print first, then set bits in
// table order, unknown bits as one hex leftover.
TEST(alloc_flags, print_1) {
  EXPECT_EQ(alloc_flags_to_string(0), "ALLOC_WMARK_MIN");
  EXPECT_EQ(alloc_flags_to_string(0x830),
            "ALLOC_WMARK_MIN|ALLOC_NON_BLOCK|ALLOC_MIN_RESERVE|ALLOC_KSWAPD");
  EXPECT_EQ(alloc_flags_to_string(ALLOC_WMARK_LOW | ALLOC_CMA | ALLOC_NOFRAGMENT),
            "ALLOC_WMARK_LOW|ALLOC_CMA|ALLOC_NOFRAGMENT");
  EXPECT_EQ(alloc_flags_to_string(ALLOC_WMARK_HIGH | ALLOC_CPUSET),
            "ALLOC_WMARK_HIGH|ALLOC_CPUSET");
  EXPECT_EQ(alloc_flags_to_string(ALLOC_NO_WATERMARKS | 0x100000),
            "ALLOC_WMARK_MIN|ALLOC_NO_WATERMARKS|0x100000");
}

// ---- the exported struct and its sanitizer ------------------------------------------

// The field table of alloc_flags.def, restated: name, class, verdict for an external
// caller setting it.
struct FieldCase {
  const char* name;
  CtxClass klass;
  Verdict verdict;
};
constexpr FieldCase kFields[] = {
    {"wmark_min", CtxClass::INTERNAL, Verdict::IGNORE},
    {"wmark_low", CtxClass::INTERNAL, Verdict::IGNORE},
    {"wmark_high", CtxClass::INTERNAL, Verdict::IGNORE},
    {"no_watermarks", CtxClass::INTERNAL, Verdict::REJECT},
    {"oom", CtxClass::INTERNAL, Verdict::REJECT},
    {"non_block", CtxClass::INTERNAL, Verdict::CLEAR},
    {"min_reserve", CtxClass::INTERNAL, Verdict::CLEAR},
    {"cpuset", CtxClass::INTERNAL, Verdict::CLEAR},
    {"nofragment", CtxClass::INTERNAL, Verdict::CLEAR},
    {"highatomic", CtxClass::INTERNAL, Verdict::CLEAR},
    {"nolock", CtxClass::INTERNAL, Verdict::REJECT},
    {"kswapd", CtxClass::INTERNAL, Verdict::CLEAR},
    {"cma", CtxClass::EXTERNAL, Verdict::ACCEPT},
    {"unmapped", CtxClass::EXTERNAL, Verdict::ACCEPT},
    {"managed_node", CtxClass::EXTERNAL, Verdict::ACCEPT},
};

// A request that passes every cross rule for the given external field: cma wants a
// movable request, unmapped an unmovable blocking one without __GFP_ZERO.
gfp_t friendly_gfp(const std::string& field) {
  return field == "cma" ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL;
}

// alloc-flags-sanitize-1: Expect the field table to hold the 15 fields above in order,
// each found by name.
TEST(alloc_flags, sanitize_1) {
  ASSERT_EQ(static_cast<unsigned>(NR_CTX_FIELDS), std::size(kFields));
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++) {
    SCOPED_TRACE(kFields[i].name);
    EXPECT_EQ(ctx_field_info(i).name, kFields[i].name);
    EXPECT_EQ(ctx_field_info(i).klass, kFields[i].klass);
    EXPECT_EQ(ctx_field_info(i).verdict, kFields[i].verdict);
    EXPECT_EQ(ctx_field_by_name(kFields[i].name), i);
  }
  EXPECT_FALSE(ctx_field_by_name("wmark").has_value());
  EXPECT_EQ(ctx_external_mask(), uint64_t{0x7000});  // fields 12..14
  EXPECT_EQ(ctx_internal_mask(), uint64_t{0x0fff});
}

// alloc-flags-sanitize-2: Expect each field set alone to get its own verdict: IGNORE and
// CLEAR drop the bit (reported in ignored/cleared), REJECT leaves the struct untouched
// and names the field, ACCEPT keeps it.
TEST(alloc_flags, sanitize_2) {
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++) {
    const FieldCase& fc = kFields[i];
    SCOPED_TRACE(fc.name);
    AllocFlags f;
    f.set(i);
    const AllocFlags before = f;
    SanitizeResult r = sanitize_alloc_flags(&f, friendly_gfp(fc.name), 0, kGroup);
    EXPECT_EQ(r.verdict, fc.verdict);
    const uint64_t bit = uint64_t{1} << i;
    switch (fc.verdict) {
      case Verdict::IGNORE:
        EXPECT_EQ(r.ignored, bit);
        EXPECT_EQ(r.cleared, 0u);
        EXPECT_EQ(f.bits, 0u);
        break;
      case Verdict::CLEAR:
        EXPECT_EQ(r.cleared, bit);
        EXPECT_EQ(r.ignored, 0u);
        EXPECT_EQ(f.bits, 0u);
        break;
      case Verdict::REJECT:
        EXPECT_EQ(r.rejected_field, static_cast<int>(i));
        EXPECT_EQ(f, before);
        break;
      default:
        EXPECT_EQ(f, before);
        EXPECT_EQ(r.ignored | r.cleared, 0u);
        EXPECT_EQ(r.rejected_field, -1);
    }
  }
}

// alloc-flags-sanitize-3: Expect the worst verdict to win for a mix (IGNORE + CLEAR ->
// CLEAR, anything + REJECT -> REJECT), and accepted external bits to survive a CLEAR.
TEST(alloc_flags, sanitize_3) {
  AllocFlags f;
  f.set(CTX_wmark_low).set(CTX_kswapd).set(CTX_managed_node);
  SanitizeResult r = sanitize_alloc_flags(&f, GFP_KERNEL, 0, kGroup);
  EXPECT_EQ(r.verdict, Verdict::CLEAR);
  EXPECT_EQ(r.ignored, uint64_t{1} << CTX_wmark_low);
  EXPECT_EQ(r.cleared, uint64_t{1} << CTX_kswapd);
  EXPECT_EQ(f.bits, uint64_t{1} << CTX_managed_node);

  AllocFlags g;
  g.set(CTX_kswapd).set(CTX_oom).set(CTX_cma);
  const AllocFlags before = g;
  r = sanitize_alloc_flags(&g, GFP_HIGHUSER_MOVABLE, 0, kGroup);
  EXPECT_EQ(r.verdict, Verdict::REJECT);
  EXPECT_EQ(r.rejected_field, static_cast<int>(CTX_oom));
  EXPECT_EQ(g, before);
}

// alloc-flags-sanitize-4: Expect cma on a request that is not MIGRATE_MOVABLE to be
// cleared (CMA blocks hold only movable pages), also when grouping off makes a movable
// mask unmovable; alloc_flags_from_ctx then contributes nothing.
TEST(alloc_flags, sanitize_4) {
  AllocFlags f;
  f.set(CTX_cma);
  SanitizeResult r = sanitize_alloc_flags(&f, GFP_KERNEL, 0, kGroup);
  EXPECT_EQ(r.verdict, Verdict::CLEAR);
  EXPECT_EQ(r.rule, "cma-needs-movable");
  EXPECT_EQ(f.bits, 0u);
  EXPECT_EQ(alloc_flags_from_ctx(f), 0u);

  AllocFlags g;
  g.set(CTX_cma);
  r = sanitize_alloc_flags(&g, GFP_HIGHUSER_MOVABLE, 0, /*mobility_grouping=*/false);
  EXPECT_EQ(r.verdict, Verdict::CLEAR);

  AllocFlags h;
  h.set(CTX_cma);
  r = sanitize_alloc_flags(&h, GFP_HIGHUSER_MOVABLE, 0, kGroup);
  EXPECT_EQ(r.verdict, Verdict::ACCEPT);
  EXPECT_EQ(alloc_flags_from_ctx(h), ALLOC_CMA);
}

// alloc-flags-sanitize-5: Expect unmapped to be rejected with a movable or reclaimable
// request, without __GFP_DIRECT_RECLAIM, and with __GFP_ZERO; each by its own rule.
TEST(alloc_flags, sanitize_5) {
  struct Case {
    gfp_t gfp;
    const char* rule;
  } cases[] = {
      {GFP_HIGHUSER_MOVABLE, "unmapped-needs-unmovable"},
      {GFP_KERNEL | __GFP_RECLAIMABLE, "unmapped-needs-unmovable"},
      {GFP_ATOMIC, "unmapped-needs-blocking"},
      {GFP_NOWAIT, "unmapped-needs-blocking"},
      {GFP_KERNEL | __GFP_ZERO, "unmapped-no-zero"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(gfp_to_string(c.gfp));
    AllocFlags f;
    f.set(CTX_unmapped);
    SanitizeResult r = sanitize_alloc_flags(&f, c.gfp, 0, kGroup);
    EXPECT_EQ(r.verdict, Verdict::REJECT);
    EXPECT_EQ(r.rule, c.rule);
    EXPECT_EQ(r.rejected_field, static_cast<int>(CTX_unmapped));
    EXPECT_TRUE(f.has(CTX_unmapped));
  }
  AllocFlags ok;
  ok.set(CTX_unmapped).set(CTX_managed_node);
  EXPECT_EQ(sanitize_alloc_flags(&ok, GFP_KERNEL, 0, kGroup).verdict, Verdict::ACCEPT);
  EXPECT_EQ(alloc_flags_from_ctx(ok), ALLOC_UNMAPPED | ALLOC_MANAGED_NODE);
}

// alloc-flags-sanitize-6: Expect bits beyond the 15 known fields (a caller built against
// a newer header) to be rejected, the struct left as passed.
TEST(alloc_flags, sanitize_6) {
  AllocFlags f;
  f.bits = (uint64_t{1} << 15) | (uint64_t{1} << CTX_cma);
  const AllocFlags before = f;
  SanitizeResult r = sanitize_alloc_flags(&f, GFP_HIGHUSER_MOVABLE, 0, kGroup);
  EXPECT_EQ(r.verdict, Verdict::REJECT);
  EXPECT_EQ(r.rule, "unknown-bits");
  EXPECT_EQ(f, before);
}

// alloc-flags-verdict-1: Expect verdict names to round-trip and to sort by severity.
TEST(alloc_flags, verdict_1) {
  const char* names[] = {"accept", "ignore", "clear", "warn", "reject"};
  for (unsigned i = 0; i < 5; i++) {
    EXPECT_STREQ(verdict_name(static_cast<Verdict>(i)), names[i]);
    EXPECT_EQ(parse_verdict(names[i]), static_cast<Verdict>(i));
  }
  EXPECT_FALSE(parse_verdict("Reject").has_value());
  EXPECT_LT(Verdict::IGNORE, Verdict::CLEAR);
  EXPECT_LT(Verdict::CLEAR, Verdict::REJECT);
}

// ---- ctx print/parse ----------------------------------------------------------------

// alloc-flags-ctx-1: Expect the struct to print as field names joined by '|' in table
// order, "none" when empty, unknown bits as hex.
TEST(alloc_flags, ctx_1) {
  EXPECT_EQ(ctx_flags_to_string(AllocFlags{}), "none");
  AllocFlags f;
  f.set(CTX_managed_node).set(CTX_cma);
  EXPECT_EQ(ctx_flags_to_string(f), "cma|managed_node");
  AllocFlags g;
  g.bits = (uint64_t{1} << CTX_wmark_min) | (uint64_t{1} << 20);
  EXPECT_EQ(ctx_flags_to_string(g), "wmark_min|0x100000");
}

// alloc-flags-ctx-2: Expect names with spaces around '|', "none", "0" and hex to parse,
// and every printed struct to parse back to itself.
TEST(alloc_flags, ctx_2) {
  auto f = parse_ctx_flags(" cma | unmapped ");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->bits, (uint64_t{1} << CTX_cma) | (uint64_t{1} << CTX_unmapped));
  EXPECT_EQ(parse_ctx_flags("none")->bits, 0u);
  EXPECT_EQ(parse_ctx_flags("0")->bits, 0u);
  EXPECT_EQ(parse_ctx_flags("0x8000")->bits, uint64_t{0x8000});
  for (uint64_t bits : {uint64_t{0}, uint64_t{0x7fff}, uint64_t{0x5001}, uint64_t{0x30000}}) {
    AllocFlags a;
    a.bits = bits;
    SCOPED_TRACE(ctx_flags_to_string(a));
    auto back = parse_ctx_flags(ctx_flags_to_string(a));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->bits, bits);
  }
}

// alloc-flags-ctx-3: Expect an unknown field, an empty field and a bad number to be
// reported by name at their 0-based column.
TEST(alloc_flags, ctx_3) {
  struct Case {
    const char* text;
    size_t col;
    const char* needle;
  } cases[] = {
      {"cma|bogus", 4, "bogus"},
      {"cma||unmapped", 4, "empty"},
      {"  cma | 0xzz", 8, "0xzz"},
      {"CMA", 0, "CMA"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::string err;
    size_t col = 999;
    EXPECT_FALSE(parse_ctx_flags(c.text, &err, &col).has_value());
    EXPECT_EQ(col, c.col);
    EXPECT_NE(err.find(c.needle), std::string::npos) << err;
  }
}

}  // namespace
