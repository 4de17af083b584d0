// SPDX-License-Identifier: GPL-2.0-or-later
// The block walk: every PFN of a range is visited as part of the block that holds it,
// and each block is checked on its own (alignment, zone, tails, head metadata,
// pageblock types, unmerged buddies, direct map). The full check walks the whole
// memmap once; the incremental check walks the touched pageblocks.
#include <algorithm>

#include <fmt/format.h>

#include "oracles/cold.h"
#include "oracles/invariants_internal.h"

namespace buddycheck::inv_detail {

namespace {

// pageblock_freetype_idx() from the inline pageblock accessors.
inline unsigned freetype_of(const Machine& m, Pfn pfn) {
  return m.pageblock_unmapped(pfn) ? FREETYPE_UNMAPPED_IDX : m.get_pageblock_migratetype(pfn);
}

bool dm_checks_wanted(const Checker& c) { return c.wants(Inv::DmFree) || c.wants(Inv::DmAlloc); }

// The presence scan behind dm_verify(): first page of [start, start + n) whose
// presence is wrong.
[[gnu::noinline]] void dm_scan(Checker& c, Inv inv, int zid, Pfn start, uint64_t n, bool absent,
                               const char* what) {
  const DirectMap& dm = c.m().direct_map();
  for (uint64_t i = 0; i < n; i++) {
    if (dm.present(start + i) != absent) continue;
    const Pfn p = start + i;
    if (c.better(inv, zid, p))
      cold([&, zid, p, inv, absent, what] {
        c.fail(inv, zid, p, {p},
               fmt::format("pfn {:#x} ({}) is {} the direct map", p, what,
                           absent ? "in" : "missing from"),
               absent ? "absent from the direct map" : "present in the direct map",
               absent ? "present" : "absent");
      });
    return;
  }
}

// Verify n pages from start are (absent ? out of : in) the direct map. Pages expected
// absent are always verified; pages expected present only when the full check could
// not vouch for them through DirectMap::nr_absent().
inline void dm_verify(Checker& c, WalkState& ws, Inv inv, int zid, Pfn start, uint64_t n,
                      bool absent, const char* what) {
  if (absent) {
    if (ws.mode == Mode::Full && !ws.dm_exact) ws.expected_absent += n;
  } else if (ws.mode == Mode::Full ? !ws.dm_exact : c.m().direct_map().nr_absent() == 0) {
    return;
  }
  dm_scan(c, inv, zid, start, n, absent, what);
}

// Tails of a block: every PFN after the head must be a plain tail page.
[[gnu::noinline]] void report_tail(Checker& c, int zid, Pfn head, uint64_t size) {
  const Machine& m = c.m();
  for (uint64_t j = 1; j < size; j++) {
    const Page& pg = m.page(head + j);
    if (pg.state == PageState::Tail) continue;
    const Pfn p = head + j;
    if (c.better(Inv::Partition, zid, p))
      cold([&, zid, p, head] {
        c.fail(Inv::Partition, zid, p, {p, head},
               fmt::format("pfn {:#x} is a {} page inside the {} block at pfn {:#x} order {}", p,
                           page_state_name(pg.state), page_state_name(m.page(head).state), head,
                           m.page(head).order),
               "a tail page (each PFN in exactly one block)",
               fmt::format("{} state at pfn {:#x}", page_state_name(pg.state), p));
      });
    return;
  }
}

inline void check_tails(Checker& c, int zid, Pfn head, uint64_t size) {
  const Page* base = &c.m().page(head);
  unsigned acc = 0;
  if (size <= 8 && head + 8 <= c.m().end_pfn()) {
    // Small blocks dominate a fragmented machine: a fixed-length masked scan instead of
    // a loop whose length the branch predictor keeps missing.
#pragma GCC unroll 8
    for (unsigned j = 1; j < 8; j++)
      acc |= static_cast<unsigned>(base[j].state) & -static_cast<unsigned>(j < size);
    if (acc) report_tail(c, zid, head, size);
    return;
  }
  for (uint64_t i = 1; i < size;) {
    const uint64_t stop = std::min<uint64_t>(size, i + 64);
    for (uint64_t j = i; j < stop; j++) acc |= static_cast<unsigned>(base[j].state);
    if (acc) return report_tail(c, zid, head, size);
    i = stop;
  }
}

// May free blocks at (a, b) of `order` merge (__free_one_page())? Below pageblock_order they
// share a pageblock and always may.
bool mergeable_buddies(const Machine& m, const Zone& z, Pfn a, Pfn b, unsigned order) {
  if (order < m.pageblock_order()) return true;
  // unreserve_highatomic_pageblock() (Linux 6.12) moves a whole free buddy of order >=
  // pageblock_order to another type without re-merging it with its buddy; once a zone
  // has done that, unmerged equal-type neighbours at these orders are legitimate.
  if (z.events.highatomic_unreserve) return false;
  const unsigned fa = freetype_of(m, a), fb = freetype_of(m, b);
  if ((fa == FREETYPE_UNMAPPED_IDX) != (fb == FREETYPE_UNMAPPED_IDX)) return false;
  const unsigned ma = ft_migratetype(fa), mb = ft_migratetype(fb);
  return ma == mb || (migratetype_is_mergeable(ma) && migratetype_is_mergeable(mb));
}

[[gnu::always_inline]] inline void check_buddy(Checker& c, WalkState& ws, int zid, Pfn h,
                                               unsigned order, uint64_t size) {
  const Machine& m = c.m();
  const Page& pg = m.page(h);
  const unsigned pbo = m.pageblock_order();
  if (c.wants(Inv::BuddyMeta) && (pg.refcount || pg.flags || pg.list >= NR_FREETYPE_IDXS) &&
      c.better(Inv::BuddyMeta, zid, h))
    cold([&, zid, h, order] {
      c.fail(Inv::BuddyMeta, zid, h, {h},
             fmt::format("free block at pfn {:#x} order {} has refcount {} flags {:#x} list {}", h,
                         order, pg.refcount, pg.flags, pg.list),
             fmt::format("refcount 0, flags 0, list < {}", NR_FREETYPE_IDXS),
             fmt::format("refcount {} flags {:#x} list {}", pg.refcount, pg.flags, pg.list));
    });
  if (ws.tally) (*ws.tally)[zid].buddy_heads++;
  if (zid < 0) return;
  const Zone& z = m.zone(static_cast<unsigned>(zid));

  // Pageblock types under the block.
  const unsigned ft0 = freetype_of(m, h);
  if (order > pbo && (c.wants(Inv::NoCrossMerge) || c.wants(Inv::MultiblockUniform))) {
    for (Pfn p = h + (Pfn{1} << pbo); p < h + size; p += Pfn{1} << pbo) {
      const unsigned ft = freetype_of(m, p);
      if (ft == ft0) continue;
      const unsigned m0 = ft_migratetype(ft0), mt = ft_migratetype(ft);
      const bool cross =
          (ft0 == FREETYPE_UNMAPPED_IDX) != (ft == FREETYPE_UNMAPPED_IDX) ||
          (m0 != mt && (!migratetype_is_mergeable(m0) || !migratetype_is_mergeable(mt)));
      const Inv inv = cross ? Inv::NoCrossMerge : Inv::MultiblockUniform;
      if (c.better(inv, zid, h))
        cold([&, zid, p, h, order, inv, ft0] {
          c.fail(inv, zid, h, {h, p},
                 fmt::format("free block at pfn {:#x} order {} spans a {} pageblock at {:#x} and a "
                             "{} one at {:#x}",
                             h, order, freetype_name(ft0), h, freetype_name(ft), p),
                 fmt::format("every pageblock {}", freetype_name(ft0)),
                 fmt::format("pageblock at {:#x} is {}", p, freetype_name(ft)));
        });
      break;
    }
  }
  if (pg.list != ft0 && pg.list < NR_FREETYPE_IDXS && c.better(Inv::Hygiene, zid, h))
    cold([&, zid, h, order, ft0] {
      c.fail(
          Inv::Hygiene, zid, h, {h},
          fmt::format("free block at pfn {:#x} order {} is on the {} list but its pageblock is {}",
                      h, order, freetype_name(pg.list), freetype_name(ft0)),
          fmt::format("free_list[{}]", freetype_name(ft0)),
          fmt::format("free_list[{}]", freetype_name(pg.list)));
    });

  // Unmerged buddies, from either half (the pair is reported under its lower PFN).
  if (order < m.max_order() && c.wants(Inv::BuddyMerged)) {
    const Pfn b = h ^ (Pfn{1} << order);  // inside the MAX_ORDER-aligned memmap
    const Page& bp = m.page(b);
    if (bp.state == PageState::Buddy && bp.order == order && z.spans(b) &&
        mergeable_buddies(m, z, h, b, order)) {
      const Pfn lo = std::min(h, b), hi = std::max(h, b);
      if (c.better(Inv::BuddyMerged, zid, lo))
        cold([&, zid, order, lo, hi] {
          c.fail(Inv::BuddyMerged, zid, lo, {lo, hi},
                 fmt::format(
                     "free buddies at pfn {:#x} and {:#x} order {} ({} / {}) were not merged", lo,
                     hi, order, freetype_name(m.page(lo).list), freetype_name(m.page(hi).list)),
                 fmt::format("one free block at pfn {:#x} order {}", lo, order + 1),
                 fmt::format("two order-{} blocks", order));
        });
    }
  }
  if (dm_checks_wanted(c))
    for (Pfn p = h; p < h + size; p += std::min<uint64_t>(size, m.pageblock_nr_pages()))
      dm_verify(c, ws, Inv::DmFree, zid, p, std::min<uint64_t>(size, m.pageblock_nr_pages()),
                m.pageblock_unmapped(p), "free");
  if (ws.mode == Mode::Incremental) check_head_links(c, h, zid);
}

void check_pcp_head(Checker& c, WalkState& ws, int zid, Pfn h, unsigned order, uint64_t size) {
  const Machine& m = c.m();
  const Page& pg = m.page(h);
  if ((pg.refcount || pg.flags) && c.better(Inv::BuddyMeta, zid, h))
    cold([&, zid, h, order] {
      c.fail(Inv::BuddyMeta, zid, h, {h},
             fmt::format("per-cpu free page at pfn {:#x} order {} has refcount {} flags {:#x}", h,
                         order, pg.refcount, pg.flags),
             "refcount 0, flags 0", fmt::format("refcount {} flags {:#x}", pg.refcount, pg.flags));
    });
  if (ws.tally) (*ws.tally)[zid].pcp_heads++;
  if (c.wants(Inv::PcpMember)) {
    const bool no_cpu = pg.cpu >= m.nr_cpus();
    const bool no_list = pg.list >= NR_PCP_LISTS;
    const bool bad = no_cpu || no_list || order != m.pindex_to_order(pg.list) ||
                     !m.pcp_allowed_order(order) ||
                     (pg.list >= NR_PCP_LISTS_MAPPED) != m.pageblock_unmapped(h);
    if (bad && c.better(Inv::PcpMember, zid, h))
      cold([&, zid, h, order, no_cpu, no_list] {
        std::string why;
        if (no_cpu) why = fmt::format("cpu {} does not exist", pg.cpu);
        else if (no_list) why = fmt::format("pindex {} out of range", pg.list);
        else if (order != m.pindex_to_order(pg.list))
          why = fmt::format("order {} on pindex {} (order {})", order, pg.list,
                            m.pindex_to_order(pg.list));
        else if (!m.pcp_allowed_order(order))
          why = fmt::format("order {} is not pcp_allowed_order", order);
        else
          why = fmt::format("pindex {} is in the {} bank but the pageblock is {}", pg.list,
                            pg.list >= NR_PCP_LISTS_MAPPED ? "unmapped" : "mapped",
                            m.pageblock_unmapped(h) ? "unmapped" : "mapped");
        c.fail(Inv::PcpMember, zid, h, {h}, fmt::format("per-cpu page at pfn {:#x}: {}", h, why),
               "a valid cpu, pindex matching order and bank", why);
      });
  }
  if (dm_checks_wanted(c))
    dm_verify(c, ws, Inv::DmFree, zid, h, size, m.pageblock_unmapped(h), "per-cpu");
  if (ws.mode == Mode::Incremental) check_head_links(c, h, zid);
}

[[gnu::always_inline]] inline void check_allocated(Checker& c, WalkState& ws, int zid, Pfn h,
                                                   unsigned order, uint64_t size) {
  const Machine& m = c.m();
  const Page& pg = m.page(h);
  if (pg.refcount > 1 && c.better(Inv::BuddyMeta, zid, h))
    cold([&, zid, h, order] {
      c.fail(Inv::BuddyMeta, zid, h, {h},
             fmt::format("allocated block at pfn {:#x} order {} has refcount {}", h, order,
                         pg.refcount),
             "refcount 0 (frozen) or 1", fmt::format("refcount {}", pg.refcount));
    });
  if (!dm_checks_wanted(c)) return;
  const bool unmapped = pg.flags & PG_unmapped;
  const bool changed = pg.flags & PG_dm_changed;
  const uint64_t step = std::min<uint64_t>(size, m.pageblock_nr_pages());
  for (Pfn p = h; p < h + size; p += step) {
    if (m.pageblock_unmapped(p) == unmapped) continue;
    if (c.better(Inv::DmAlloc, zid, h))
      cold([&, zid, p, h, order, unmapped] {
        c.fail(Inv::DmAlloc, zid, h, {h, p},
               fmt::format("{} allocation at pfn {:#x} order {} lies in a {} pageblock at {:#x}",
                           unmapped ? "unmapped" : "mapped", h, order,
                           unmapped ? "mapped" : "unmapped", p),
               unmapped ? "an unmapped pageblock" : "a mapped pageblock",
               unmapped ? "a mapped pageblock" : "an unmapped pageblock");
      });
    break;
  }
  dm_verify(c, ws, Inv::DmAlloc, zid, h, size, unmapped != changed,
            changed ? "allocated, owner flipped" : "allocated");
}

}  // namespace

Pfn find_block_head(const Machine& m, Pfn pfn) {
  for (unsigned j = m.max_order(); j >= 1; j--) {
    const Pfn h = pfn & ~((Pfn{1} << j) - 1);
    if (h < m.start_pfn()) continue;
    const Page& p = m.page(h);
    if (is_head(p.state) && p.order <= m.max_order() && h + (Pfn{1} << p.order) > pfn) return h;
  }
  return pfn;
}

Pfn visit_block(Checker& c, WalkState& ws, Pfn p, int zone) {
  const Machine& m = c.m();
  const Pfn mem_end = m.end_pfn();
  const unsigned max_order = m.max_order();
  {
    const Page& pg = m.page(p);
    const PageState st = pg.state;
    if (st == PageState::Absent || st == PageState::Reserved) {
      // Never handed out, never flipped: present unless a pageblock flip covered it.
      if (ws.dm_exact && dm_checks_wanted(c))
        dm_verify(c, ws, Inv::DmFree, zone == kLookupZone ? m.page_zone_id(p) : zone, p, 1,
                  m.pageblock_unmapped(p), page_state_name(st));
      return p + 1;
    }
    const int zid = zone == kLookupZone ? m.page_zone_id(p) : zone;
    if (st == PageState::Tail) {
      if (c.better(Inv::Partition, zid, p))
        cold([&, zid, p] {
          c.fail(Inv::Partition, zid, p, {p},
                 fmt::format("pfn {:#x} is a tail page of no block (leaked or orphaned)", p),
                 "a block head, a tail inside a block, reserved or a hole", "orphan tail page");
        });
      return p + 1;
    }
    const unsigned order = pg.order;
    uint64_t size = 1;
    if (order > max_order) {
      if (c.better(Inv::BuddyAlign, zid, p))
        cold([&, zid, p, order, st, max_order] {
          c.fail(Inv::BuddyAlign, zid, p, {p},
                 fmt::format("{} block at pfn {:#x} has order {} > MAX_PAGE_ORDER {}",
                             page_state_name(st), p, order, max_order),
                 fmt::format("order <= {}", max_order), fmt::format("order {}", order));
        });
    } else {
      size = uint64_t{1} << order;
      if ((p & (size - 1)) && c.better(Inv::BuddyAlign, zid, p))
        cold([&, zid, p, order, size, st] {
          c.fail(Inv::BuddyAlign, zid, p, {p},
                 fmt::format("{} block at pfn {:#x} order {} is not aligned to {} pages",
                             page_state_name(st), p, order, size),
                 fmt::format("pfn % {} == 0", size),
                 fmt::format("pfn % {} == {}", size, p & (size - 1)));
        });
    }
    Pfn end = p + size;
    if (zid < 0) {
      if (c.better(Inv::BuddyZone, zid, p))
        cold([&, zid, p, order, st] {
          c.fail(Inv::BuddyZone, zid, p, {p},
                 fmt::format("{} block at pfn {:#x} order {} lies outside every zone",
                             page_state_name(st), p, order),
                 "inside a zone span", "no zone spans the head");
        });
    } else if (end > m.zone(static_cast<unsigned>(zid)).zone_end_pfn() &&
               c.better(Inv::BuddyZone, zid, p)) {
      const Zone& z = m.zone(static_cast<unsigned>(zid));
      cold([&, zid, p, order, st, end] {
        c.fail(Inv::BuddyZone, zid, p, {p},
               fmt::format("{} block at pfn {:#x} order {} runs past the zone end {:#x}",
                           page_state_name(st), p, order, z.zone_end_pfn()),
               fmt::format("block end <= {:#x}", z.zone_end_pfn()),
               fmt::format("block end {:#x}", end));
      });
    }
    if (end > mem_end) end = mem_end;
    size = end - p;
    if (c.wants(Inv::Partition)) check_tails(c, zid, p, size);
    if (zid >= 0) {
      if (ws.tally) (*ws.tally)[zid].block_pages += size;
      switch (st) {
        case PageState::Buddy:
          check_buddy(c, ws, zid, p, order, size);
          break;
        case PageState::Pcp:
          check_pcp_head(c, ws, zid, p, order, size);
          break;
        default:
          check_allocated(c, ws, zid, p, order, size);
          break;
      }
    }
    return end;
  }
}

Pfn walk_blocks(Checker& c, WalkState& ws, Pfn from, Pfn to, int zone) {
  Pfn p = from;
  while (p < to) p = visit_block(c, ws, p, zone);
  return p;
}

void check_pageblock(Checker& c, Pfn pfn) {
  const Machine& m = c.m();
  const Pfn start = pfn & ~(m.pageblock_nr_pages() - 1);
  const unsigned mt = m.get_pageblock_migratetype(start);
  const bool cma = in_configured_cma(m, start);
  // The zone only names a violation: looked up when there is one (this runs for every
  // pageblock in the full check).
  if ((mt == MIGRATE_CMA) != cma) {
    const int zid = m.page_zone_id(start);
    if (c.better(Inv::CmaBlocks, zid, start))
      cold([&, zid, mt, start, cma] {
        c.fail(Inv::CmaBlocks, zid, start, {start},
               fmt::format("pageblock at pfn {:#x} is {} but {} a configured CMA area", start,
                           migratetype_name(mt), cma ? "lies in" : "is outside"),
               cma ? "MIGRATE_CMA" : "not MIGRATE_CMA", migratetype_name(mt));
      });
  }
  if (mt != MIGRATE_UNMOVABLE && m.pageblock_unmapped(start)) {
    const int zid = m.page_zone_id(start);
    if (c.better(Inv::DmBlocktype, zid, start))
      cold([&, zid, mt, start] {
        c.fail(Inv::DmBlocktype, zid, start, {start},
               fmt::format("unmapped pageblock at pfn {:#x} is {}", start, migratetype_name(mt)),
               "MIGRATE_UNMOVABLE", migratetype_name(mt));
      });
  }
}

void walk_memmap(Checker& c, WalkState& ws) {
  const Machine& m = c.m();
  // Zone spans in PFN order (spans never overlap), then the gaps between them.
  std::array<uint16_t, kMaxZones> order;
  unsigned n = 0;
  for (unsigned id = 0; id < m.nr_zones(); id++)
    if (m.zone(id).spanned_pages) order[n++] = static_cast<uint16_t>(id);
  std::sort(order.begin(), order.begin() + n, [&](uint16_t a, uint16_t b) {
    return m.zone(a).zone_start_pfn < m.zone(b).zone_start_pfn;
  });
  Pfn cursor = m.start_pfn();
  for (unsigned i = 0; i < n; i++) {
    const Zone& z = m.zone(order[i]);
    if (cursor < z.zone_start_pfn) cursor = walk_blocks(c, ws, cursor, z.zone_start_pfn, -1);
    if (cursor < z.zone_end_pfn())
      cursor = ws.mode == Mode::Full && ws.probes && !ws.dm_exact && ws.tally
                   ? walk_zone_fast(c, ws, cursor, z.zone_end_pfn(), z.id)
                   : walk_blocks(c, ws, cursor, z.zone_end_pfn(), z.id);
  }
  if (cursor < m.end_pfn()) walk_blocks(c, ws, cursor, m.end_pfn(), -1);
}

void check_direct_map_exact(Checker& c) {
  WalkState ws;
  ws.mode = Mode::Full;
  ws.dm_exact = true;
  walk_memmap(c, ws);
}

}  // namespace buddycheck::inv_detail
