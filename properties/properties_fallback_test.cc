// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of the allocation paths (prepare_alloc_pages(), alloc_flags_nofragment(),
// __rmqueue(), reserve_highatomic_pageblock()): the fast
// path's alloc_flags against the slow path's, fragmentation avoidance and the
// highatomic reserve's limit, on every named machine in random states.
//
// The fast-path and NOFRAGMENT properties need the AllocResult (alloc_flags, from_pcp)
// of one request, which the runner does not expose: they drive the runner to a random
// state, then make that last request on the machine directly, exactly as the runner
// would, so the trace (runner ops + the last op) still replays.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// props-flags-fast-1: Expect a request served without entering the slow path to have
// used the fast path's flags: watermark index LOW, no reserve or NO_WATERMARKS bits,
// and the same CMA and KSWAPD decisions as the slow path's gfp_to_alloc_flags() for
// the same (scoped) mask.
void fast_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  drive(r, *rc::gen::inRange<size_t>(0, 80));
  Op op = *gen_alloc_op(snapshot(r));
  op.ctx.reset();
  Machine& m = r.machine();
  const AllocResult res = perform_alloc(m, op);
  RC_TAG(res.ok() ? (res.slowpath ? "slow" : "fast") : "no page");
  if (!res.ok() || res.slowpath) return;
  const AllocRequest req = request_of(op);
  const gfp_t g = current_gfp_context(req.gfp, req.task);
  const unsigned slow = gfp_to_alloc_flags(g, op.order, req.task, m.config().mobility_grouping);
  const unsigned f = res.alloc_flags;
  const unsigned same = ALLOC_CMA | ALLOC_KSWAPD;
  if ((f & ALLOC_WMARK_MASK) != ALLOC_WMARK_LOW || (f & (ALLOC_RESERVES | ALLOC_NO_WATERMARKS)) ||
      (f & same) != (slow & same))
    fail_property(r, "props-flags-fast-1",
                  fmt::format("`{}` served by the fast path with {}; slow path would use {}",
                              print_op(op), alloc_flags_to_string(f), alloc_flags_to_string(slow)),
                  {op});
}

// props-fallback-nofragment-1: Expect an allocation below pageblock_order made with
// ALLOC_NOFRAGMENT never to steal part of another type's pageblock: no zone's steal
// counter moves, and a block taken from the buddy lists lies in a pageblock of the
// request's own type (or CMA/HIGHATOMIC where the flags allow those lists).
void nofragment_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  drive(r, *rc::gen::inRange<size_t>(0, 100));
  Op op = *gen_alloc_op(snapshot(r));
  Machine& m = r.machine();
  std::vector<uint64_t> steals;
  for (unsigned i = 0; i < m.nr_zones(); i++) steals.push_back(m.zone(i).events.extfrag_steal);
  const AllocResult res = perform_alloc(m, op);
  const bool judged =
      res.ok() && (res.alloc_flags & ALLOC_NOFRAGMENT) && res.order < m.pageblock_order();
  RC_TAG(judged ? "nofragment" : "other");
  if (!judged) return;
  for (unsigned i = 0; i < m.nr_zones(); i++)
    if (m.zone(i).events.extfrag_steal != steals[i])
      fail_property(r, "props-fallback-nofragment-1",
                    fmt::format("`{}` with {} stole from another pageblock type in zone {}",
                                print_op(op), alloc_flags_to_string(res.alloc_flags), i),
                    {op});
  if (res.from_pcp) return;  // a per-cpu page may predate later retyping of its block
  const AllocRequest req = request_of(op);
  const auto want =
      gfp_migratetype(current_gfp_context(req.gfp, req.task), m.config().mobility_grouping);
  const unsigned got = m.get_pageblock_migratetype(res.pfn);
  const bool ok = (want && got == *want) || (got == MIGRATE_CMA && (res.alloc_flags & ALLOC_CMA)) ||
                  (got == MIGRATE_HIGHATOMIC &&
                   (res.alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM | ALLOC_NON_BLOCK)));
  if (!ok)
    fail_property(
        r, "props-fallback-nofragment-1",
        fmt::format("`{}` with {} got pfn {:#x} from a {} pageblock", print_op(op),
                    alloc_flags_to_string(res.alloc_flags), res.pfn, migratetype_name(got)),
        {op});
}

// High-order atomic requests, the ones that reserve highatomic pageblocks.
rc::Gen<Op> gen_atomic_op(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op;
    op.kind = OpKind::Alloc;
    op.gfp = *rc::gen::element(GFP_ATOMIC, GFP_ATOMIC | __GFP_NOWARN, GFP_ATOMIC | __GFP_COMP,
                               __GFP_HIGH);
    op.order = *pick(1u, g.max_order + 1);
    op.cpu = *pick(0u, g.nr_cpus);
    if (*rc::gen::arbitrary<bool>()) op.nid = *pick(0, g.nodes.nr_nodes);
    return op;
  });
}

// props-highatomic-limit-1: Expect nr_reserved_highatomic never to exceed
// ALIGN_UP(managed / 100, pageblock_nr) plus one MAX_PAGE_ORDER block's overshoot
// (Linux 6.12 reserves every pageblock of a large allocation at once), to stay a multiple of
// pageblock_nr, and to stay 0 in zones where 1% is less than a pageblock.
void highatomic_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const size_t n = *rc::gen::inRange<size_t>(1, 120);
  for (size_t i = 0; i < n; i++) {
    const GenContext g = snapshot(r);
    const Op op = *rc::gen::weightedOneOf<Op>({{2, gen_atomic_op(g)}, {3, gen_op(r)}});
    const StepResult s = r.step(op);
    if (s.error) fail_property(r, "GENERATOR", *s.error);
    const Machine& m = r.machine();
    const uint64_t pb = m.pageblock_nr_pages();
    for (unsigned z = 0; z < m.nr_zones(); z++) {
      const Zone& zone = m.zone(z);
      const uint64_t limit = zone.managed_pages / 100 < pb
                                 ? 0
                                 : ((zone.managed_pages / 100 + pb - 1) / pb) * pb +
                                       (uint64_t{1} << m.max_order()) - pb;
      if (zone.nr_reserved_highatomic > limit || zone.nr_reserved_highatomic % pb)
        fail_property(
            r, "props-highatomic-limit-1",
            fmt::format(
                "node {} {}: nr_reserved_highatomic {} (managed {}, limit {}, pageblock {})",
                zone.node, zone_name(zone.type), zone.nr_reserved_highatomic, zone.managed_pages,
                limit, pb));
    }
  }
}

class props_fallback : public ConfigMatrix {};

TEST_P(props_fallback, fast_1) {
  check(Budget{.runs = 90, .max_size = 60}, [cfg = config()] { fast_1(cfg); });
}
TEST_P(props_fallback, nofragment_1) {
  check(Budget{.runs = 120, .max_size = 60}, [cfg = config()] { nofragment_1(cfg); });
}
TEST_P(props_fallback, highatomic_1) {
  check(Budget{.runs = 60, .max_size = 60}, [cfg = config()] { highatomic_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_fallback);

TEST(props_fallback_random, nofragment_1) {
  check(Budget{.runs = 180}, [] { nofragment_1(*gen_random_config()); });
}
TEST(props_fallback_random, highatomic_1) {
  check(Budget{.runs = 120}, [] { highatomic_1(*gen_random_config()); });
}

}  // namespace
}  // namespace buddycheck::props
