// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of the buddy free lists (__free_one_page(), expand(), freelist hygiene) on every named
// machine, in random states reached by random ops: freeing restores what allocating
// took, merging is maximal, and every free block sits on its pageblock's list.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

void must_step(Runner& r, const Op& op) {
  const StepResult s = r.step(op);
  if (s.error) fail_property(r, "GENERATOR", "runner rejected `" + print_op(op) + "`: " + *s.error);
}

Op drain_all_op() {
  Op op;
  op.kind = OpKind::Drain;
  op.all = true;
  return op;
}

// What can legitimately change merging between two states: highatomic reservations
// (HIGHATOMIC blocks never merge with others) and direct-map flips (nor do unmapped
// ones). Compared before and after an op to skip the cases the property excludes.
struct MergeBarriers {
  std::vector<uint64_t> reserved;
  uint64_t flips = 0;
  bool operator==(const MergeBarriers&) const = default;
};
MergeBarriers barriers(const Machine& m) {
  MergeBarriers b;
  for (unsigned i = 0; i < m.nr_zones(); i++)
    b.reserved.push_back(m.zone(i).nr_reserved_highatomic);
  b.flips = m.direct_map().stats().flips;
  return b;
}

// Mapped requests only: an unmapped allocation flips blocks out of the direct map.
Op mapped(Op op) {
  op.gfp &= ~__GFP_UNMAPPED;
  if (op.ctx) op.ctx->set(CTX_unmapped, false);
  return op;
}

// props-buddy-restore-1: Expect, from any drained state, that allocating anything
// (single or bulk), freeing it again and draining every CPU restores /proc/buddyinfo
// exactly -- unless the op reserved or released highatomic blocks or flipped the direct
// map, which legitimately change what may merge.
void restore_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  drive(r, *rc::gen::inRange<size_t>(0, 80));
  Op defaults;
  defaults.kind = OpKind::Hooks;  // no reclaim or OOM kill freeing other allocations
  must_step(r, defaults);
  must_step(r, drain_all_op());
  const std::string before = r.machine().buddyinfo();
  const MergeBarriers b = barriers(r.machine());
  const GenContext g = snapshot(r);
  const Op op = mapped(*rc::gen::weightedOneOf<Op>({{5, gen_alloc_op(g)}, {1, gen_bulk_op(g)}}));
  const uint32_t first = r.next_id();
  must_step(r, op);
  for (uint32_t id = first; id < r.next_id(); id++) {
    Op f;
    f.kind = OpKind::Free;
    f.id = id;
    f.cpu = *pick(0u, r.machine().nr_cpus());
    must_step(r, f);
  }
  must_step(r, drain_all_op());
  const bool judged = barriers(r.machine()) == b;
  RC_TAG(judged ? "judged" : "skipped: highatomic or direct-map change");
  if (!judged) return;
  if (r.machine().buddyinfo() != before)
    fail_property(r, "props-buddy-restore-1",
                  fmt::format("alloc + free + drain of `{}` changed buddyinfo; before:\n{}",
                              print_op(op), before));
}

// props-buddy-restore-2: Expect a fresh machine that serves any sequence of mapped
// allocations, then frees all of them and drains every CPU, to show its boot
// buddyinfo again (no highatomic reservation or direct-map flip in between).
void restore_2(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const std::string boot = r.machine().buddyinfo();
  const int64_t boot_free = [&] {
    int64_t n = 0;
    for (unsigned i = 0; i < r.machine().nr_zones(); i++) n += r.machine().zone(i).nr_free_pages;
    return n;
  }();
  const MergeBarriers b = barriers(r.machine());
  const size_t n = *rc::gen::inRange<size_t>(1, 60);
  for (size_t i = 0; i < n; i++) {
    const GenContext g = snapshot(r);
    must_step(r, mapped(*rc::gen::weightedOneOf<Op>(
                     {{6, gen_alloc_op(g)}, {1, gen_bulk_op(g)}, {1, gen_drain_op(g)}})));
  }
  while (!r.live_ids().empty()) {
    Op f;
    f.kind = OpKind::Free;
    f.id = r.live_ids()[*rc::gen::inRange<size_t>(0, r.live_ids().size())];
    must_step(r, f);
  }
  must_step(r, drain_all_op());
  const bool judged = barriers(r.machine()) == b;
  RC_TAG(judged ? "judged" : "skipped: highatomic or direct-map change");
  if (!judged) return;
  int64_t now_free = 0;
  for (unsigned i = 0; i < r.machine().nr_zones(); i++)
    now_free += r.machine().zone(i).nr_free_pages;
  if (r.machine().buddyinfo() != boot || now_free != boot_free)
    fail_property(
        r, "props-buddy-restore-2",
        fmt::format(
            "all freed and drained, but buddyinfo/NR_FREE_PAGES ({} vs {}) differ from boot:\n{}",
            now_free, boot_free, boot));
}

// The freelist a free block in this pageblock belongs on, from the pageblock bits.
unsigned block_freetype(const Machine& m, Pfn pfn) {
  return m.pageblock_unmapped(pfn) ? FREETYPE_UNMAPPED_IDX : m.get_pageblock_migratetype(pfn);
}

// props-buddy-merged-1: Expect no two free buddies that may merge to be left unmerged:
// two PageBuddy blocks of order k < MAX_PAGE_ORDER at pfn and pfn ^ 2^k in one zone,
// where k < pageblock_order or both pageblocks are mergeable types (or the same type)
// with the same direct-map state.
void merged_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  in_rounds(r, 50, false, [](Runner& r) {
    const Machine& m = r.machine();
    for (Pfn pfn = m.start_pfn(); pfn < m.end_pfn(); pfn++) {
      const Page& p = m.page(pfn);
      if (p.state != PageState::Buddy || p.order >= m.max_order()) continue;
      const Pfn buddy = pfn ^ (Pfn{1} << p.order);
      if (buddy < pfn || !m.pfn_in_memmap(buddy)) continue;
      const Page& q = m.page(buddy);
      if (q.state != PageState::Buddy || q.order != p.order ||
          m.page_zone_id(buddy) != m.page_zone_id(pfn))
        continue;
      bool may_merge = true;
      if (p.order >= m.pageblock_order()) {
        const unsigned a = m.get_pageblock_migratetype(pfn), c = m.get_pageblock_migratetype(buddy);
        may_merge = (a == c || (migratetype_is_mergeable(a) && migratetype_is_mergeable(c))) &&
                    m.pageblock_unmapped(pfn) == m.pageblock_unmapped(buddy);
      }
      if (may_merge)
        fail_property(
            r, "props-buddy-merged-1",
            fmt::format("free buddies {:#x} and {:#x} of order {} ({} / {}) were left unmerged",
                        pfn, buddy, p.order, freetype_name(block_freetype(m, pfn)),
                        freetype_name(block_freetype(m, buddy))));
    }
  });
}

// props-buddy-hygiene-1: Expect every free block to sit on the free list of its
// pageblock's freetype (migratetype plus unmapped flag), and a block larger than a
// pageblock to span pageblocks of one freetype: expand() and claims put halves on the
// right lists.
void hygiene_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  in_rounds(r, 50, false, [](Runner& r) {
    const Machine& m = r.machine();
    for (Pfn pfn = m.start_pfn(); pfn < m.end_pfn(); pfn++) {
      const Page& p = m.page(pfn);
      if (p.state != PageState::Buddy) continue;
      for (Pfn b = pfn; b < pfn + (Pfn{1} << p.order); b += m.pageblock_nr_pages())
        if (block_freetype(m, b) != p.list)
          fail_property(
              r, "props-buddy-hygiene-1",
              fmt::format("free block {:#x} order {} is on the {} list but pageblock {:#x} is {}",
                          pfn, p.order, freetype_name(p.list), b,
                          freetype_name(block_freetype(m, b))));
    }
  });
}

// props-buddy-cma-1: Expect the pageblocks of the configured CMA areas to stay
// MIGRATE_CMA, and no other pageblock to become CMA, whatever ops run: merging,
// claiming and highatomic reservation never retype CMA (fallbacks[] has no CMA;
// migratetype_is_mergeable()).
void cma_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  in_rounds(r, 50, true, [](Runner& r) {
    const Machine& m = r.machine();
    for (Pfn pfn = m.start_pfn(); pfn < m.end_pfn(); pfn += m.pageblock_nr_pages()) {
      bool in_cma = false;
      for (const PfnRange& c : m.config().cma) in_cma |= c.contains(pfn);
      if (in_cma != (m.get_pageblock_migratetype(pfn) == MIGRATE_CMA))
        fail_property(r, "props-buddy-cma-1",
                      fmt::format("pageblock {:#x} is {} but {} a configured CMA area", pfn,
                                  migratetype_name(m.get_pageblock_migratetype(pfn)),
                                  in_cma ? "lies in" : "is outside"));
    }
  });
}

// props-buddy-boot-1: Expect a machine booted with each boot chunk put straight onto its
// list (Machine::BootFrees::Direct) to equal one booted by freeing every chunk through
// free_one_page(), pageblock by pageblock with merging, as the kernel does: same state
// hash, buddyinfo and pagetypeinfo.
void boot_1(const Config& cfg) {
  const Machine direct(cfg, Machine::BootFrees::Direct);
  const Machine freed(cfg, Machine::BootFrees::ThroughFreeOnePage);
  if (direct.buddyinfo() != freed.buddyinfo() || direct.pagetypeinfo() != freed.pagetypeinfo() ||
      machine_hash(direct) != machine_hash(freed))
    RC_FAIL(fmt::format(
        "props-buddy-boot-1: the direct boot differs\ndirect:\n{}{}\nthrough "
        "free_one_page():\n{}{}",
        direct.buddyinfo(), direct.pagetypeinfo(), freed.buddyinfo(), freed.pagetypeinfo()));
}

class props_buddy : public ConfigMatrix {};

TEST_P(props_buddy, restore_1) {
  check(Budget{.runs = 90, .max_size = 60}, [cfg = config()] { restore_1(cfg); });
}
TEST_P(props_buddy, restore_2) {
  check(Budget{.runs = 90, .max_size = 60}, [cfg = config()] { restore_2(cfg); });
}
TEST_P(props_buddy, merged_1) {
  check(Budget{.runs = 75, .max_size = 60}, [cfg = config()] { merged_1(cfg); });
}
TEST_P(props_buddy, hygiene_1) {
  check(Budget{.runs = 75, .max_size = 60}, [cfg = config()] { hygiene_1(cfg); });
}
TEST_P(props_buddy, cma_1) {
  check(Budget{.runs = 60, .max_size = 60}, [cfg = config()] { cma_1(cfg); });
}
TEST_P(props_buddy, boot_1) {
  check(Budget{.runs = 1}, [cfg = config()] { boot_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_buddy);

TEST(props_buddy_random, restore_1) {
  check(Budget{.runs = 150}, [] { restore_1(*gen_random_config()); });
}
TEST(props_buddy_random, merged_1) {
  check(Budget{.runs = 150}, [] { merged_1(*gen_random_config()); });
}
TEST(props_buddy_random, cma_1) {
  check(Budget{.runs = 150}, [] { cma_1(*gen_random_config()); });
}
TEST(props_buddy_random, hygiene_1) {
  check(Budget{.runs = 150}, [] { hygiene_1(*gen_random_config()); });
}
TEST(props_buddy_random, boot_1) {
  check(Budget{.runs = 400}, [] { boot_1(*gen_random_config()); });
}

}  // namespace
}  // namespace buddycheck::props
