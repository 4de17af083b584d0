// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of GFP masks (gfp_zone(), gfp_migratetype(), gfp_zonelist()) and of the
// gfp -> alloc_flags translations (gfp_to_alloc_flags() and friends), over every mask
// RapidCheck can draw: kernel composites with modifiers, random known bits and raw
// 32-bit words. Expected values are written from the kernel's tables, not from alloc/.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "alloc/alloc_flags.h"
#include "drive/trace.h"
#include "oracles/eligibility.h"
#include "oracles/flags_check.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// GFP_ZONE_TABLE / GFP_ZONE_BAD (include/linux/gfp.h), indexed by gfp & 0xf; -1 marks BAD.
constexpr int kZoneOf[16] = {ZONE_NORMAL, ZONE_DMA, ZONE_NORMAL,  -1, ZONE_DMA32, -1, -1, -1,
                             ZONE_NORMAL, ZONE_DMA, ZONE_MOVABLE, -1, ZONE_DMA32, -1, -1, -1};

rc::Gen<TaskContext> gen_task() {
  return rc::gen::map(gen_task_bits(), [](uint32_t b) { return task_from_bits(b, std::nullopt); });
}

// props-gfp-zone-1: Expect gfp_zone() to agree with the kernel's GFP_ZONE_TABLE for
// every mask, whatever bits lie outside the four zone modifiers.
TEST(props_gfp, zone_1) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_gfp();
    const int want = kZoneOf[g & 0xf];
    RC_ASSERT(gfp_zone_bad(g) == (want < 0));
    if (want < 0) RC_ASSERT(!gfp_zone(g).has_value());
    else RC_ASSERT(gfp_zone(g) == std::optional<ZoneType>(static_cast<ZoneType>(want)));
  });
}

// props-gfp-migratetype-1: Expect gfp_migratetype() to read only the MOVABLE and
// RECLAIMABLE bits: none -> UNMOVABLE, one -> its type, both -> refused; with mobility
// grouping off every valid mask is UNMOVABLE.
TEST(props_gfp, migratetype_1) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_gfp();
    const bool grouping = *rc::gen::arbitrary<bool>();
    const gfp_t mob = g & (__GFP_MOVABLE | __GFP_RECLAIMABLE);
    const auto mt = gfp_migratetype(g, grouping);
    if (mob == (__GFP_MOVABLE | __GFP_RECLAIMABLE)) {
      RC_ASSERT(!mt.has_value());
      return;
    }
    RC_ASSERT(mt.has_value());
    const MigrateType want = !grouping                  ? MIGRATE_UNMOVABLE
                             : mob == __GFP_MOVABLE     ? MIGRATE_MOVABLE
                             : mob == __GFP_RECLAIMABLE ? MIGRATE_RECLAIMABLE
                                                        : MIGRATE_UNMOVABLE;
    RC_ASSERT(*mt == want);
    RC_ASSERT(gfp_zonelist(g) == ((g & __GFP_THISNODE) ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK));
  });
}

// props-gfp-print-1: Expect every mask to print in the kernel's spellings and parse
// back to itself ("0xcc0(GFP_KERNEL)" and "GFP_KERNEL|__GFP_ZERO|0x...").
TEST(props_gfp, print_1) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_gfp();
    RC_ASSERT(parse_gfp(gfp_to_string(g)) == std::optional<gfp_t>(g));
    RC_ASSERT(parse_gfp(gfp_names_string(g)) == std::optional<gfp_t>(g));
  });
}

// props-flags-slow-1: Expect gfp_to_alloc_flags() to equal the oracle's slow-path
// translation for every mask, order, task and grouping mode (FLAGS-SLOWPATH).
TEST(props_flags, slow_1) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_gfp();
    const unsigned order = *gen_order(10);
    const TaskContext task = *gen_task();
    const bool grouping = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
    if (auto f = check_slow_flags(g, order, task, grouping)) RC_FAIL(f->summary + ": " + f->actual);
  });
}

// props-flags-slow-2: Expect the slow-path flags to keep their documented
// relationships: watermark index MIN; never NO_WATERMARKS or OOM (those come only from
// reserve escalation); NON_BLOCK iff the caller cannot reclaim and did not say
// NOMEMALLOC; HIGHATOMIC only for order > 0 with MIN_RESERVE and NON_BLOCK; CPUSET
// dropped only for non-blocking __GFP_HIGH; CMA iff the request is movable; KSWAPD iff
// __GFP_KSWAPD_RECLAIM.
TEST(props_flags, slow_2) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_valid_gfp();
    const unsigned order = *gen_order(10);
    const TaskContext task = *gen_task();
    const bool grouping = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
    const unsigned f = gfp_to_alloc_flags(g, order, task, grouping);
    const bool can_reclaim = g & __GFP_DIRECT_RECLAIM;
    RC_ASSERT((f & ALLOC_WMARK_MASK) == ALLOC_WMARK_MIN);
    RC_ASSERT(!(f & (ALLOC_NO_WATERMARKS | ALLOC_OOM | ALLOC_NOFRAGMENT | ALLOC_NOLOCK)));
    RC_ASSERT(bool(f & ALLOC_NON_BLOCK) == (!can_reclaim && !(g & __GFP_NOMEMALLOC)));
    if (f & ALLOC_HIGHATOMIC)
      RC_ASSERT((order > 0 && (f & ALLOC_MIN_RESERVE) && (f & ALLOC_NON_BLOCK)));
    if (!(f & ALLOC_CPUSET)) RC_ASSERT(((g & __GFP_HIGH) && !can_reclaim));
    if (g & __GFP_HIGH) RC_ASSERT(f & ALLOC_MIN_RESERVE);
    const auto mt = gfp_migratetype(g, grouping);
    RC_ASSERT(bool(f & ALLOC_CMA) == (mt && *mt == MIGRATE_MOVABLE));
    RC_ASSERT(bool(f & ALLOC_KSWAPD) == bool(g & __GFP_KSWAPD_RECLAIM));
  });
}

// props-flags-reserve-1: Expect reserve escalation (__gfp_pfmemalloc_flags) to give
// nothing, NO_WATERMARKS or OOM, exactly as the oracle says, and nothing under
// __GFP_NOMEMALLOC.
TEST(props_flags, reserve_1) {
  check(Budget{.runs = 1000}, [] {
    const gfp_t g = *gen_gfp();
    const TaskContext task = *gen_task();
    const unsigned r = _gfp_pfmemalloc_flags(g, task);
    RC_ASSERT((r == 0 || r == ALLOC_NO_WATERMARKS || r == ALLOC_OOM));
    RC_ASSERT(r == spec_reserve_flags(g, task));
    if (g & __GFP_NOMEMALLOC) RC_ASSERT(r == 0u);
  });
}

// props-sanitize-rules-1: Expect sanitize_alloc_flags() to be idempotent, to never let an
// internal bit through, and to reject REJECT fields and unknown bits
// (SANITIZE-IDEMPOTENT, SANITIZE-INTERNAL-LEAK, SANITIZE-FIELD-VERDICT).
TEST(props_sanitize, rules_1) {
  check(Budget{.runs = 1000}, [] {
    const AllocFlags in = *gen_alloc_flags();
    const gfp_t g = *gen_gfp();
    const unsigned order = *gen_order(10);
    const bool grouping = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
    if (auto f = check_sanitizer(in, g, order, grouping))
      RC_FAIL(f->id + ": " + f->summary + ": " + f->actual);
  });
}

// props-sanitize-external-only-1: Expect an accepted struct to contribute only the
// external context bits (CMA, UNMAPPED, MANAGED_NODE) to alloc_flags, CMA only for
// movable requests and UNMAPPED only for unmovable, blocking, unzeroed ones; a rejected
// struct is left as the caller passed it.
TEST(props_sanitize, external_only_1) {
  check(Budget{.runs = 1000}, [] {
    const AllocFlags in = *gen_alloc_flags();
    const gfp_t g = *gen_valid_gfp();
    const bool grouping = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
    AllocFlags f = in;
    const SanitizeResult r = sanitize_alloc_flags(&f, g, 0, grouping);
    if (r.verdict == Verdict::REJECT) {
      RC_ASSERT(f == in);
      return;
    }
    RC_ASSERT((f.bits & ctx_internal_mask()) == 0u);
    const unsigned out = alloc_flags_from_ctx(f);
    RC_ASSERT((out & ~(ALLOC_CMA | ALLOC_UNMAPPED | ALLOC_MANAGED_NODE)) == 0u);
    const auto mt = gfp_migratetype(g, grouping);
    if (out & ALLOC_CMA) RC_ASSERT((mt && *mt == MIGRATE_MOVABLE));
    if (out & ALLOC_UNMAPPED)
      RC_ASSERT(
          (mt && *mt == MIGRATE_UNMOVABLE && (g & __GFP_DIRECT_RECLAIM) && !(g & __GFP_ZERO)));
  });
}

}  // namespace
}  // namespace buddycheck::props
