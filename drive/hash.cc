// SPDX-License-Identifier: GPL-2.0-or-later
// machine_hash(): a digest of everything observable, for determinism checks (the same
// trace run twice, or in the gcc and clang builds, gives the same hash).
#include "drive/runner.h"

namespace buddycheck {

namespace {

// FNV-1a over 64-bit words with a final avalanche: stable across compilers.
struct Hasher {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(uint64_t v) {
    for (int i = 0; i < 8; i++) {
      h ^= (v >> (i * 8)) & 0xff;
      h *= 0x100000001b3ull;
    }
  }
  uint64_t done() const {
    uint64_t x = h;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
  }
};

}  // namespace

uint64_t machine_hash(const Machine& m) {
  Hasher h;
  for (Pfn p = m.start_pfn(); p < m.end_pfn(); p++) {
    const Page& pg = m.page(p);
    if (pg.state == PageState::Tail && pg.next == 0 && pg.prev == 0 && pg.order == 0) continue;
    h.add(p);
    h.add(static_cast<uint64_t>(pg.state) | uint64_t{pg.order} << 8 | uint64_t{pg.list} << 16 |
          uint64_t{pg.flags} << 24 | uint64_t{pg.cpu} << 32 | uint64_t{pg.refcount} << 48);
    h.add(uint64_t{pg.next} << 32 | pg.prev);
  }
  for (Pfn p = m.start_pfn(); p < m.end_pfn(); p += m.pageblock_nr_pages())
    h.add(m.pageblock_freetype_idx(p) | uint64_t{m.get_pageblock_migratetype(p)} << 8);
  for (unsigned z = 0; z < m.nr_zones(); z++) {
    const Zone& zone = m.zone(z);
    for (uint64_t w : zone.watermark) h.add(w);
    for (uint64_t r : zone.lowmem_reserve) h.add(r);
    h.add(zone.watermark_boost);
    h.add(static_cast<uint64_t>(zone.nr_free_pages));
    h.add(static_cast<uint64_t>(zone.nr_free_cma_pages));
    h.add(zone.nr_free_highatomic);
    h.add(zone.nr_reserved_highatomic);
    h.add(zone.flags);
    for (unsigned o = 0; o <= m.max_order(); o++) {
      const FreeArea& a = zone.free_area[o];
      h.add(a.nr_free);
      for (const ListHead& l : a.free_list) h.add(uint64_t{l.head} << 32 | l.tail);
    }
    for (unsigned c = 0; c < m.nr_cpus(); c++) {
      const PerCpuPages& p = m.pcp(z, c);
      h.add(static_cast<uint64_t>(p.count) | static_cast<uint64_t>(p.high) << 32);
      h.add(static_cast<uint64_t>(p.batch) | static_cast<uint64_t>(p.free_count) << 32);
      h.add(uint64_t{p.flags} | uint64_t{p.alloc_factor} << 8);
      for (const ListHead& l : p.lists) h.add(uint64_t{l.head} << 32 | l.tail);
    }
  }
  const DirectMapStats& d = m.direct_map().stats();
  h.add(d.splits_1g);
  h.add(d.splits_2m);
  h.add(d.tlb_flushes);
  h.add(m.direct_map().nr_absent());
  return h.done();
}

}  // namespace buddycheck
