// SPDX-License-Identifier: GPL-2.0-or-later
// `buddycheck gfp` (looking at a mask) and the direct-map part of `buddycheck dump`.
#include <cstdio>

#include <fmt/format.h>

#include "alloc/message.h"
#include "cli/commands.h"
#include "drive/runner.h"
#include "drive/trace.h"

namespace buddycheck::cli {

using namespace pagealloc;

int cmd_gfp(const Context& ctx, const std::string& mask, unsigned order,
            const std::string& machine_trace, const std::string& task_text) {
  std::string error;
  size_t col = 0;
  std::optional<gfp_t> g = parse_gfp(mask, &error, &col);
  if (!g) {
    std::fprintf(stderr, "buddycheck gfp: MASK, column %zu: %s\n", col + 1, error.c_str());
    return kExitBadInput;
  }
  Config config = configs::pc_like(16384, 16384);
  if (!machine_trace.empty()) {
    // Only the config is needed: the reader stops at the first op.
    TraceReader reader(machine_trace, ParseOptions{ctx.max_memory});
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
      return kExitBadInput;
    }
    config = reader.config();
  }
  TaskContext task;
  if (!task_text.empty()) {
    uint32_t bits = 0;
    size_t pos = 0;
    while (pos <= task_text.size()) {
      size_t bar = task_text.find('|', pos);
      if (bar == std::string::npos) bar = task_text.size();
      std::string tok = task_text.substr(pos, bar - pos);
      bool found = false;
      Closest near(tok);
      std::string names;
      for (unsigned b = 0; b < NR_TASK_BITS; b++) {
        if (task_bit_name(b) == tok) bits |= 1u << b, found = true;
        near.offer(task_bit_name(b));
        names += (b ? ", " : "") + std::string(task_bit_name(b));
      }
      if (!found) {
        std::fprintf(stderr, "buddycheck gfp: --task: unknown task bit %s%s (bits: %s)\n",
                     quote(tok).c_str(), near.hint().c_str(), names.c_str());
        return kExitBadInput;
      }
      pos = bar + 1;
    }
    task = task_from_bits(bits, std::nullopt);
  }
  Machine m(config);
  const gfp_t gfp = *g;
  std::printf("gfp:          %s\n", gfp_to_string(gfp).c_str());
  size_t n;
  const GfpName* names = gfp_names(&n);
  for (size_t i = 0; i < n; i++)
    if (!names[i].composite && (gfp & names[i].value))
      std::printf("  %-22s %#9x  %s\n", std::string(names[i].name).c_str(), names[i].value,
                  std::string(names[i].doc).c_str());
  if (gfp & ~__GFP_BITS_MASK)
    std::printf("  unknown bits %#x (outside __GFP_BITS_MASK)\n", gfp & ~__GFP_BITS_MASK);
  auto zone = gfp_zone(gfp);
  std::printf("zone:         %s\n",
              zone ? fmt::format("{} (gfp_zone: highest zone index {})", zone_name(*zone),
                                 static_cast<int>(*zone))
                         .c_str()
                   : "BAD: a GFP_ZONE_BAD combination (VM_BUG_ON in gfp_zone)");
  auto mt = gfp_migratetype(gfp, config.mobility_grouping);
  std::printf("migratetype:  %s\n",
              mt ? migratetype_name(*mt) : "garbage: __GFP_MOVABLE|__GFP_RECLAIMABLE (VM_WARN_ON)");
  std::printf("zonelist:     %s\n", gfp_zonelist(gfp) == ZONELIST_FALLBACK
                                        ? "ZONELIST_FALLBACK"
                                        : "ZONELIST_NOFALLBACK (__GFP_THISNODE)");
  gfp_t eff = current_gfp_context(gfp, task);
  if (eff != gfp)
    std::printf("effective:    %s (current_gfp_context)\n", gfp_to_string(eff).c_str());
  if (zone && mt) {
    const Zonelist zl = m.zonelist(config.node_of_cpu(0), gfp_zonelist(eff));
    size_t pref = Machine::first_zones_zonelist(zl, 0, *zone, nullptr);
    const Zone* pz = pref < zl.size() ? &m.zone(zl[pref].zone) : nullptr;
    unsigned fast = gfp_to_alloc_flags_cma(eff, ALLOC_WMARK_LOW, config.mobility_grouping) |
                    m.alloc_flags_nofragment(pz, eff);
    std::printf("fast path:    %s   (preferred zone %s)\n", alloc_flags_to_string(fast).c_str(),
                pz ? fmt::format("Node {} {}", pz->node, zone_name(pz->type)).c_str() : "none");
    std::printf(
        "slow path:    %s   (order %u)\n",
        alloc_flags_to_string(gfp_to_alloc_flags(eff, order, task, config.mobility_grouping))
            .c_str(),
        order);
    unsigned reserve = _gfp_pfmemalloc_flags(eff, task);
    std::printf("reserves:     %s\n",
                reserve ? alloc_flags_to_string(reserve).c_str() : "none (no reserve escalation)");
  }
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.task = task;
  AllocResult v = m.check_request(req, nullptr);
  if (v.status == AllocStatus::Error) std::printf("verdict:      refused: %s\n", v.detail.c_str());
  else
    std::printf("verdict:      accepted%s\n",
                v.warnings ? fmt::format(" with warnings {:#x}", v.warnings).c_str() : "");
  return v.status == AllocStatus::Error ? kExitBadInput : kExitOk;
}

void print_direct_map(const Machine& m) {
  const DirectMapStats& d = m.direct_map().stats();
  std::printf(
      "direct map:\n  pages absent   %llu\n  1G splits      %llu\n  2M splits      %llu\n"
      "  TLB flushes    %llu\n  flips          %llu\n  pages unmapped %llu\n  pages mapped   "
      "%llu\n",
      (unsigned long long)m.direct_map().nr_absent(), (unsigned long long)d.splits_1g,
      (unsigned long long)d.splits_2m, (unsigned long long)d.tlb_flushes,
      (unsigned long long)d.flips, (unsigned long long)d.pages_unmapped,
      (unsigned long long)d.pages_mapped);
  for (unsigned z = 0; z < m.nr_zones(); z++) {
    const Zone& zone = m.zone(z);
    if (!zone.populated()) continue;
    uint64_t unmapped = 0, blocks = 0;
    for (Pfn pfn = zone.zone_start_pfn; pfn < zone.zone_end_pfn(); pfn += m.pageblock_nr_pages()) {
      if (m.page_zone_id(pfn) != static_cast<int>(z)) continue;
      blocks++;
      unmapped += m.pageblock_unmapped(pfn);
    }
    std::printf("  Node %d, zone %8s: %llu of %llu pageblocks unmapped\n", zone.node,
                zone_name(zone.type), (unsigned long long)unmapped, (unsigned long long)blocks);
  }
}

}  // namespace buddycheck::cli
