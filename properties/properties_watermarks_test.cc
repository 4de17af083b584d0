// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of watermarks, lowmem_reserve and the watermark predicate
// on every named machine and on random ones, in random states reached by random ops
// (sysctl writes included).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "oracles/eligibility.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// Watermark-relevant alloc_flags: any mix of the reserve bits and CMA.
rc::Gen<unsigned> gen_wmark_flags() {
  return rc::gen::map(pick(0u, 32u), [](unsigned b) {
    const unsigned bits[] = {ALLOC_MIN_RESERVE, ALLOC_NON_BLOCK, ALLOC_OOM, ALLOC_HIGHATOMIC,
                             ALLOC_CMA};
    unsigned f = 0;
    for (unsigned i = 0; i < 5; i++)
      if (b & (1u << i)) f |= bits[i];
    return f;
  });
}

// A few sysctl writes that move watermarks and reserves.
void write_sysctls(Runner& r) {
  const int n = *pick(0, 4);
  for (int i = 0; i < n; i++) {
    Op op = *gen_sysctl_op();
    if (r.step(op).error) fail_property(r, "GENERATOR", "sysctl op rejected");
  }
}

std::string zone_str(const Zone& z) {
  return fmt::format("node {} {}: managed {} min {} low {} high {} promo {} reserve [{} {} {} {}]",
                     z.node, zone_name(z.type), z.managed_pages, z.watermark[WMARK_MIN],
                     z.watermark[WMARK_LOW], z.watermark[WMARK_HIGH], z.watermark[WMARK_PROMO],
                     z.lowmem_reserve[0], z.lowmem_reserve[1], z.lowmem_reserve[2],
                     z.lowmem_reserve[3]);
}

// props-wmark-order-1: Expect, after any sysctl writes, every zone's watermarks to be
// ordered MIN <= LOW <= HIGH <= PROMO with equal steps, and lowmem_reserve[j] to be 0
// for j <= the zone's index and non-decreasing in j.
void order_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  write_sysctls(r);
  const Machine& m = r.machine();
  for (unsigned i = 0; i < m.nr_zones(); i++) {
    const Zone& z = m.zone(i);
    const uint64_t* w = z.watermark;
    if (!(w[WMARK_MIN] <= w[WMARK_LOW] && w[WMARK_LOW] <= w[WMARK_HIGH] &&
          w[WMARK_HIGH] <= w[WMARK_PROMO]))
      fail_property(r, "props-wmark-order-1", "watermarks out of order: " + zone_str(z));
    if (w[WMARK_LOW] - w[WMARK_MIN] != w[WMARK_HIGH] - w[WMARK_LOW] ||
        w[WMARK_HIGH] - w[WMARK_LOW] != w[WMARK_PROMO] - w[WMARK_HIGH])
      fail_property(r, "props-wmark-order-1", "unequal watermark steps: " + zone_str(z));
    for (unsigned j = 0; j < MAX_NR_ZONES; j++) {
      if (j <= z.type && z.lowmem_reserve[j] != 0)
        fail_property(r, "props-wmark-order-1",
                      "lowmem_reserve at or below own index: " + zone_str(z));
      if (j > 0 && z.lowmem_reserve[j] < z.lowmem_reserve[j - 1])
        fail_property(r, "props-wmark-order-1", "lowmem_reserve decreases: " + zone_str(z));
    }
  }
}

// props-wmark-grow-1: Expect watermarks to grow with managed pages: in one machine, a
// non-movable zone with more managed pages never has a lower MIN/LOW/HIGH/PROMO.
void grow_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  write_sysctls(r);
  const Machine& m = r.machine();
  for (unsigned a = 0; a < m.nr_zones(); a++)
    for (unsigned b = 0; b < m.nr_zones(); b++) {
      const Zone& za = m.zone(a);
      const Zone& zb = m.zone(b);
      if (za.type == ZONE_MOVABLE || zb.type == ZONE_MOVABLE || za.managed_pages > zb.managed_pages)
        continue;
      for (unsigned k = 0; k < NR_WMARK; k++)
        if (za.watermark[k] > zb.watermark[k])
          fail_property(r, "props-wmark-grow-1",
                        fmt::format("smaller zone has a higher watermark {}:\n  {}\n  {}", k,
                                    zone_str(za), zone_str(zb)));
    }
}

// props-wmark-predicate-1: Expect Machine::zone_watermark_ok() to agree with the
// oracles' __zone_watermark_ok() (oracles/eligibility.h: unusable free pages, reserve
// discounts, lowmem_reserve[highest_zoneidx], the free-list test for order > 0) for
// every zone of a random state, with marks drawn around the decisive boundary.
void predicate_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  write_sysctls(r);
  drive(r, *rc::gen::inRange<size_t>(0, 80));
  const Machine& m = r.machine();
  for (unsigned i = 0; i < m.nr_zones(); i++) {
    const Zone& z = m.zone(i);
    if (!z.managed()) continue;
    for (int k = 0; k < 6; k++) {
      const unsigned order = *pick(0u, m.max_order() + 1);
      const unsigned h = *pick(unsigned{z.type}, unsigned{MAX_NR_ZONES});
      const unsigned flags = *gen_wmark_flags();
      const int64_t span = 2 * static_cast<int64_t>(z.lowmem_reserve[h]) + 8;
      const int64_t near = z.nr_free_pages - *pick<int64_t>(-4, span);
      const uint64_t mark = *rc::gen::weightedElement<bool>({{3, true}, {1, false}})
                                ? static_cast<uint64_t>(std::max<int64_t>(0, near))
                                : *pick<uint64_t>(0, z.managed_pages + 1);
      const bool got = m.zone_watermark_ok(z, order, mark, h, flags);
      const WatermarkCheck want =
          spec_watermark_check(m, z, order, mark, h, flags, z.nr_free_pages, z.nr_free_highatomic,
                               z.nr_free_cma_pages, true);
      // Model extension (alloc/watermarks.cc, not in the kernel's predicate): a block on
      // the unmapped freetype list also satisfies step 5, since a mapped request may
      // flip it back (UNMAP).
      bool unmapped_block = false;
      for (unsigned o = order; o <= m.max_order(); o++)
        unmapped_block |= !z.free_area[o].free_list[FREETYPE_UNMAPPED_IDX].empty();
      if (got != (want.ok || (want.no_block && unmapped_block)))
        fail_property(
            r, "props-wmark-predicate-1",
            fmt::format(
                "zone_watermark_ok(node {} {}, order {}, mark {}, highest_zoneidx {}, {}) = {}, "
                "oracle says {} (free {}, usable {}, min {}, reserve {})",
                z.node, zone_name(z.type), order, mark, h, alloc_flags_to_string(flags), got,
                want.ok, z.nr_free_pages, want.usable, want.min, want.reserve));
    }
  }
}

// props-wmark-predicate-2: Expect the predicate to be monotone: a zone that passes a
// mark passes every lower mark, and still passes with more reserve/CMA flags.
void predicate_2(const Config& cfg) {
  Runner r(cfg, quiet_options());
  drive(r, *rc::gen::inRange<size_t>(0, 80));
  const Machine& m = r.machine();
  for (unsigned i = 0; i < m.nr_zones(); i++) {
    const Zone& z = m.zone(i);
    if (!z.managed()) continue;
    const unsigned order = *pick(0u, m.max_order() + 1);
    const unsigned h = *pick(unsigned{z.type}, unsigned{MAX_NR_ZONES});
    const unsigned flags = *gen_wmark_flags();
    const unsigned more = flags | *gen_wmark_flags();
    const uint64_t mark = *pick<uint64_t>(0, z.managed_pages + 1);
    const uint64_t lower = *pick<uint64_t>(0, mark + 1);
    if (!m.zone_watermark_ok(z, order, mark, h, flags)) continue;
    if (!m.zone_watermark_ok(z, order, lower, h, flags))
      fail_property(r, "props-wmark-predicate-2",
                    fmt::format("passes mark {} but not {} ({})", mark, lower, zone_str(z)));
    if (!m.zone_watermark_ok(z, order, mark, h, more))
      fail_property(r, "props-wmark-predicate-2",
                    fmt::format("passes with {} but not with {} ({})", alloc_flags_to_string(flags),
                                alloc_flags_to_string(more), zone_str(z)));
  }
}

// props-wmark-exhaust-1: Expect a machine filled to exhaustion by a few kinds of
// requests (kernel masks, any zone modifier, orders up to a cap) never to hand out a
// page from a zone that was not above min + lowmem_reserve[request's zone] before the
// allocation (SHADOW-WATERMARK), nor to fail while some zone could serve
// (LIVE-FAIL): every oracle runs. The lowmem reserves only decide near exhaustion.
void exhaust_1(const Config& cfg) {
  Runner r(cfg);
  write_sysctls(r);
  const GenContext g = snapshot(r);
  const unsigned cap = *pick(0u, g.max_order + 1);
  std::vector<Op> kinds(*rc::gen::inRange<size_t>(1, 4));
  for (Op& op : kinds) {
    op = *gen_alloc_op(g);
    op.gfp = *gen_kernel_gfp() | __GFP_NOWARN;
    op.order = std::min(op.order, cap);
    op.ctx.reset();
  }
  for (int i = 0, fails = 0; i < 4096 && fails < 2 * static_cast<int>(kinds.size()); i++) {
    const uint32_t before = r.next_id();
    const StepResult s = r.step(kinds[i % kinds.size()]);
    if (s.error) fail_property(r, "GENERATOR", *s.error);
    if (s.finding)
      fail_property(r, s.finding->id, s.finding->summary + "\n" + r.report(*s.finding));
    fails = r.next_id() == before ? fails + 1 : 0;
  }
}

class props_wmark : public ConfigMatrix {};

TEST_P(props_wmark, order_1) {
  check(Budget{.runs = 75}, [cfg = config()] { order_1(cfg); });
}
TEST_P(props_wmark, grow_1) {
  check(Budget{.runs = 75}, [cfg = config()] { grow_1(cfg); });
}
TEST_P(props_wmark, predicate_1) {
  check(Budget{.runs = 90, .max_size = 60}, [cfg = config()] { predicate_1(cfg); });
}
TEST_P(props_wmark, predicate_2) {
  check(Budget{.runs = 90, .max_size = 60}, [cfg = config()] { predicate_2(cfg); });
}
TEST_P(props_wmark, exhaust_1) {
  check(Budget{.runs = 36}, [cfg = config()] { exhaust_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_wmark);

// The same statements over random machines.
TEST(props_wmark_random, order_1) {
  check(Budget{.runs = 180}, [] { order_1(*gen_random_config()); });
}
TEST(props_wmark_random, grow_1) {
  check(Budget{.runs = 180}, [] { grow_1(*gen_random_config()); });
}
TEST(props_wmark_random, predicate_1) {
  check(Budget{.runs = 180, .max_size = 60}, [] { predicate_1(*gen_random_config()); });
}

// props-wmark-grow-2: Expect a one-zone machine's watermarks (kernel-computed
// min_free_kbytes, any scale factor) never to shrink when the zone grows.
TEST(props_wmark_random, grow_2) {
  check(Budget{.runs = 300}, [] {
    const uint64_t a = *pick<uint64_t>(16, 1u << 16);
    const uint64_t b = a + *pick<uint64_t>(0, 1u << 16);
    const unsigned wsf = *pick(1u, 3001u);
    Config ca = configs::single_zone(a, 5, 3), cb = configs::single_zone(b, 5, 3);
    ca.watermark_scale_factor = cb.watermark_scale_factor = wsf;
    ca.page_bytes = cb.page_bytes = 0;
    Machine ma(ca), mb(cb);
    const Zone& za = ma.node_zone(0, ZONE_NORMAL);
    const Zone& zb = mb.node_zone(0, ZONE_NORMAL);
    for (unsigned k = 0; k < NR_WMARK; k++) RC_ASSERT(za.watermark[k] <= zb.watermark[k]);
  });
}

}  // namespace
}  // namespace buddycheck::props
