// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of unmapped allocations and the direct map (UNMAP): flips work on whole
// pageblocks, unmapped pages are really gone from the direct map, and memory handed
// back to mapped users is present again.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// The first page of [pfn, pfn + n) whose direct-map presence is not `present`.
Pfn presence_differs(const Machine& m, Pfn pfn, uint64_t n, bool present) {
  for (Pfn p = pfn; p < pfn + n; p++)
    if (m.direct_map().present(p) != present) return p;
  return kNoPfn;
}

// Direct-map agreement over the whole machine: every pageblock flagged unmapped is
// UNMOVABLE, every free page (buddy or per-cpu) is present iff its pageblock is
// mapped, and every allocation handed out unmapped lies in unmapped pageblocks.
// Returns a description of the first disagreement, or "".
std::string dm_disagreement(const Machine& m) {
  const uint64_t pb = m.pageblock_nr_pages();
  for (Pfn pfn = m.start_pfn(); pfn < m.end_pfn(); pfn += pb)
    if (m.pageblock_unmapped(pfn) && m.get_pageblock_migratetype(pfn) != MIGRATE_UNMOVABLE)
      return fmt::format("unmapped pageblock {:#x} is {}", pfn,
                         migratetype_name(m.get_pageblock_migratetype(pfn)));
  for (Pfn pfn = m.start_pfn(); pfn < m.end_pfn();) {
    const Page& p = m.page(pfn);
    const uint64_t n = uint64_t{1} << p.order;
    if (p.state == PageState::Buddy || p.state == PageState::Pcp) {
      for (Pfn b = pfn; b < pfn + n; b++)
        if (m.direct_map().present(b) == m.pageblock_unmapped(b))
          return fmt::format("free page {:#x} (block {:#x} order {}) is {} but its pageblock is {}",
                             b, pfn, p.order, m.direct_map().present(b) ? "present" : "absent",
                             m.pageblock_unmapped(b) ? "unmapped" : "mapped");
      pfn += n;
    } else if (p.state == PageState::Allocated) {
      if (p.flags & PG_unmapped)
        for (Pfn b = pfn; b < pfn + n; b += std::min<uint64_t>(n, pb))
          if (!m.pageblock_unmapped(b))
            return fmt::format("unmapped allocation {:#x} order {} covers mapped pageblock {:#x}",
                               pfn, p.order, b);
      pfn += n;
    } else {
      pfn++;
    }
  }
  return "";
}

// props-unmapped-alloc-1: Expect every successful unmapped allocation to be absent
// from the direct map page by page, and the whole machine to keep direct-map
// agreement after every op (unmapped pageblocks are UNMOVABLE, free pages present iff
// their pageblock is mapped, unmapped allocations only in unmapped pageblocks).
void alloc_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const size_t n = *rc::gen::inRange<size_t>(1, 100);
  for (size_t i = 0; i < n; i++) {
    const GenContext g = snapshot(r);
    const Op op = *rc::gen::weightedOneOf<Op>({{1, gen_unmapped_alloc_op(g)}, {2, gen_op(r)}});
    const uint32_t first = r.next_id();
    const StepResult s = r.step(op);
    if (s.error) fail_property(r, "GENERATOR", *s.error);
    const Machine& m = r.machine();
    if (op.kind == OpKind::Alloc && op.ctx && op.ctx->has(CTX_unmapped) && r.next_id() > first) {
      const AllocRecord& rec = r.record(first);
      if (Pfn p = presence_differs(m, rec.pfn, uint64_t{1} << rec.order, false); p != kNoPfn)
        fail_property(
            r, "props-unmapped-alloc-1",
            fmt::format(
                "unmapped allocation {} (pfn {:#x} order {}) has page {:#x} in the direct map",
                first, rec.pfn, rec.order, p));
    }
    if (std::string why = dm_disagreement(m); !why.empty())
      fail_property(r, "props-unmapped-alloc-1", "after `" + print_op(op) + "`: " + why);
  }
}

// props-unmapped-roundtrip-1: Expect (as the series' KUnit test does) that after
// allocating more than half of a machine's free memory unmapped and freeing it all,
// every page later handed to mapped allocations of the same sizes is present in the
// direct map again.
void roundtrip_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const Machine& m = r.machine();
  int64_t free_pages = 0;
  for (unsigned i = 0; i < m.nr_zones(); i++) free_pages += m.zone(i).nr_free_pages;
  // Large pieces, as the KUnit test uses, keep the op count small.
  const unsigned order =
      *pick(m.pageblock_order() > 1 ? m.pageblock_order() - 1 : 0, m.max_order() + 1);
  std::vector<uint32_t> ids;
  int64_t held = 0;
  for (int tries = 0; held * 2 <= free_pages && tries < 4096; tries++) {
    Op op = *gen_unmapped_alloc_op(snapshot(r));
    op.order = order;
    op.gfp |= __GFP_NOWARN;
    const uint32_t first = r.next_id();
    if (r.step(op).error) fail_property(r, "GENERATOR", "unmapped alloc rejected");
    if (r.next_id() == first) break;
    ids.push_back(first);
    held += int64_t{1} << order;
  }
  for (uint32_t id : ids) {
    Op f;
    f.kind = OpKind::Free;
    f.id = id;
    if (r.step(f).error) fail_property(r, "GENERATOR", "free rejected");
  }
  for (size_t k = 0; k < ids.size(); k++) {
    Op op;
    op.kind = OpKind::Alloc;
    op.gfp = *rc::gen::element(GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE) |
             __GFP_NOWARN;
    op.order = order;
    const uint32_t first = r.next_id();
    if (r.step(op).error) fail_property(r, "GENERATOR", "mapped alloc rejected");
    if (r.next_id() == first) continue;
    const AllocRecord& rec = r.record(first);
    if (Pfn p = presence_differs(m, rec.pfn, uint64_t{1} << order, true); p != kNoPfn)
      fail_property(r, "props-unmapped-roundtrip-1",
                    fmt::format("mapped allocation {} (pfn {:#x} order {}) has page {:#x} missing "
                                "from the direct map",
                                first, rec.pfn, order, p));
  }
}

class props_unmapped : public ConfigMatrix {};

TEST_P(props_unmapped, alloc_1) {
  check(Budget{.runs = 75, .max_size = 60}, [cfg = config()] { alloc_1(cfg); });
}
TEST_P(props_unmapped, roundtrip_1) {
  check(Budget{.runs = 18}, [cfg = config()] { roundtrip_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_unmapped);

TEST(props_unmapped_random, alloc_1) {
  check(Budget{.runs = 120}, [] { alloc_1(*gen_random_config()); });
}

}  // namespace
}  // namespace buddycheck::props
