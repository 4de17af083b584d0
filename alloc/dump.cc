// SPDX-License-Identifier: GPL-2.0-or-later
// /proc/buddyinfo, /proc/pagetypeinfo and /proc/zoneinfo in the kernel's formats
// (mm/vmstat.c), so output pastes next to a real machine's.
#include <fmt/format.h>

#include "alloc/machine.h"

namespace pagealloc {

// frag_show_print(): populated zones only.
std::string Machine::buddyinfo() const {
  std::string out;
  for (const NodeInfo& n : nodes_)
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      const Zone& z = zones_[n.id * MAX_NR_ZONES + t];
      if (!z.populated()) continue;
      out += fmt::format("Node {}, zone {:>8} ", n.id, zone_name(z.type));
      for (unsigned o = 0; o <= config_.max_page_order; o++)
        out += fmt::format("{:6} ", z.free_area[o].nr_free);
      out += '\n';
    }
  return out;
}

// pagetypeinfo_show(): per node with memory. The unmapped freetype (UNMAP) prints as an
// extra "Unmapped" row only for zones that hold unmapped pageblocks.
std::string Machine::pagetypeinfo() const {
  std::string out;
  for (const NodeInfo& n : nodes_) {
    if (!n.has(N_MEMORY) && !n.has(N_MEMORY_PRIVATE)) continue;
    out += fmt::format("Page block order: {}\n", config_.pageblock_order);
    out += fmt::format("Pages per block:  {}\n\n", pageblock_nr_pages());
    out += fmt::format("{:<43} ", "Free pages count per migrate type at order");
    for (unsigned o = 0; o <= config_.max_page_order; o++) out += fmt::format("{:6} ", o);
    out += '\n';
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      const Zone& z = zones_[n.id * MAX_NR_ZONES + t];
      if (!z.populated()) continue;
      uint64_t counts[MIGRATE_TYPES + 1] = {};
      bool any_unmapped = false;
      for (Pfn p = z.zone_start_pfn & ~(pageblock_nr_pages() - 1); p < z.zone_end_pfn();
           p += pageblock_nr_pages()) {
        if (p < z.zone_start_pfn || page_zone_id(p) != z.id) continue;
        counts[get_pageblock_migratetype(p)]++;
        any_unmapped |= pageblock_unmapped(p);
      }
      for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++) {
        if (ft == FREETYPE_UNMAPPED_IDX && !any_unmapped) continue;
        out += fmt::format("Node {:4}, zone {:>8}, type {:>12} ", n.id, zone_name(z.type),
                           freetype_name(ft));
        for (unsigned o = 0; o <= config_.max_page_order; o++)
          out += fmt::format("{:6} ", z.free_area[o].free_list[ft].count);
        out += '\n';
      }
    }
    out += fmt::format("\n{:<23}", "Number of blocks type ");
    for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++)
      out += fmt::format("{:>12} ", migratetype_name(mt));
    out += '\n';
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      const Zone& z = zones_[n.id * MAX_NR_ZONES + t];
      if (!z.populated()) continue;
      uint64_t counts[MIGRATE_TYPES] = {};
      for (Pfn p = z.zone_start_pfn; p < z.zone_end_pfn(); p += pageblock_nr_pages()) {
        // pagetypeinfo_showblockcount_print() steps by pageblock from zone_start_pfn.
        if (page_zone_id(p) != z.id) continue;
        counts[get_pageblock_migratetype(p)]++;
      }
      out += fmt::format("Node {}, zone {:>8} ", n.id, zone_name(z.type));
      for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++) out += fmt::format("{:12} ", counts[mt]);
      out += '\n';
    }
  }
  return out;
}

// zoneinfo_show_print(): every zone, populated or not. Per-node stats and vmstat
// thresholds, which the model does not track, are left out.
std::string Machine::zoneinfo() const {
  std::string out;
  for (const NodeInfo& n : nodes_)
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      const Zone& z = zones_[n.id * MAX_NR_ZONES + t];
      out += fmt::format("Node {}, zone {:>8}", n.id, zone_name(z.type));
      out += fmt::format(
          "\n  pages free     {}"
          "\n        boost    {}"
          "\n        min      {}"
          "\n        low      {}"
          "\n        high     {}"
          "\n        promo    {}"
          "\n        spanned  {}"
          "\n        present  {}"
          "\n        managed  {}"
          "\n        cma      {}",
          z.nr_free_pages, z.watermark_boost, z.min_wmark_pages(), z.low_wmark_pages(),
          z.high_wmark_pages(), z.wmark_pages(WMARK_PROMO), z.spanned_pages, z.present_pages,
          z.managed_pages, z.cma_pages);
      out += fmt::format("\n        protection: ({}", z.lowmem_reserve[0]);
      for (unsigned i = 1; i < MAX_NR_ZONES; i++) out += fmt::format(", {}", z.lowmem_reserve[i]);
      out += ')';
      if (!z.populated()) {
        out += '\n';
        continue;
      }
      out += fmt::format("\n      {:<12} {}", "nr_free_pages", z.nr_free_pages);
      out += fmt::format("\n      {:<12} {}", "nr_free_cma", z.nr_free_cma_pages);
      out += "\n  pagesets";
      for (unsigned c = 0; c < nr_cpus_; c++) {
        const PerCpuPages& p = pcp(z.id, c);
        out += fmt::format(
            "\n    cpu: {}"
            "\n              count: {}"
            "\n              high:  {}"
            "\n              batch: {}",
            c, p.count, p.high, p.batch);
      }
      out += fmt::format(
          "\n  node_unreclaimable:  0"
          "\n  start_pfn:           {}\n",
          z.zone_start_pfn);
    }
  return out;
}

}  // namespace pagealloc
