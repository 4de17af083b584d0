// SPDX-License-Identifier: GPL-2.0-or-later
// The machine and its kernel knobs: what a boot would decide (memory map, NUMA
// topology, CONFIG_ and command-line choices, sysctls at boot). A Config is a plain
// value; validate_config() rejects an impossible one with a message naming the field.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "alloc/types.h"

namespace pagealloc {

struct PfnRange {
  Pfn start = 0;
  Pfn end = 0;  // exclusive
  uint64_t size() const { return end - start; }
  bool contains(Pfn p) const { return p >= start && p < end; }
  bool overlaps(const PfnRange& o) const { return start < o.end && o.start < end; }
  bool operator==(const PfnRange&) const = default;
};

struct ZoneConfig {
  ZoneType type = ZONE_NORMAL;
  Pfn start_pfn = 0;
  uint64_t pages = 0;              // spanned pages
  std::vector<PfnRange> holes;     // not present (no struct page backing)
  std::vector<PfnRange> reserved;  // present but not managed (memblock reserved)
  PfnRange span() const { return {start_pfn, start_pfn + pages}; }
  bool operator==(const ZoneConfig&) const = default;
};

struct NodeConfig {
  // N_MEMORY_PRIVATE instead of N_MEMORY (PRIV v4: the two are exclusive).
  bool memory_private = false;
  bool generic_initiator = false;  // N_GENERIC_INITIATOR
  std::vector<ZoneConfig> zones;
  bool operator==(const NodeConfig&) const = default;
};

// Direct-map page-table granularity the kernel starts with (issue: unmapped pages).
enum class DirectMapLevel : uint8_t { PAGE_4K, PMD_2M, PUD_1G };

struct Config {
  std::vector<NodeConfig> nodes;
  // distance[i][j]; empty means LOCAL_DISTANCE 10 on the diagonal, REMOTE 20 elsewhere.
  std::vector<std::vector<unsigned>> distance;
  // cpu -> node. Empty means one CPU on node 0.
  std::vector<int> cpu_node;

  unsigned max_page_order = 10;             // MAX_PAGE_ORDER, 1..10
  unsigned pageblock_order = 9;             // 1..max_page_order; also HPAGE_PMD_ORDER
  bool mobility_grouping = true;            // !page_group_by_mobility_disabled
  std::optional<unsigned> min_free_kbytes;  // user_min_free_kbytes; nullopt: computed
  unsigned watermark_scale_factor = 10;
  unsigned watermark_boost_factor = 15000;
  std::array<unsigned, MAX_NR_ZONES> lowmem_reserve_ratio = {256, 256, 32, 0};
  unsigned percpu_pagelist_high_fraction = 0;  // 0 or >= 8
  std::vector<PfnRange> cma;                   // MIGRATE_CMA pageblocks present from boot
  unsigned page_bytes = 64;                    // real backing memory per page (0: none)

  // Direct map (unmapped allocations): can_set_direct_map() and the boot mapping size.
  bool can_set_direct_map = true;
  DirectMapLevel direct_map_level = DirectMapLevel::PMD_2M;

  bool operator==(const Config&) const = default;

  unsigned nr_cpus() const {
    return cpu_node.empty() ? 1u : static_cast<unsigned>(cpu_node.size());
  }
  int node_of_cpu(unsigned cpu) const { return cpu_node.empty() ? 0 : cpu_node[cpu]; }
  unsigned node_distance(int a, int b) const {
    if (distance.empty()) return a == b ? 10 : 20;
    return distance[a][b];
  }
  uint64_t pageblock_nr_pages() const { return uint64_t{1} << pageblock_order; }
};

// Empty string when the config is possible; otherwise "field: what is wrong", e.g.
// "nodes[1].zones[0].start_pfn: span 0x1000-0x2000 overlaps node 0 zone Normal".
std::string validate_config(const Config& c);

// Handy shapes for tests, benches and fuzz seeds.
namespace configs {
// One node, one NORMAL zone of `pages` pages starting at `start`.
Config single_zone(uint64_t pages, unsigned max_order = 10, unsigned pageblock_order = 9,
                   Pfn start = 0);
// A PC-like node: DMA (4096 pages from 0), DMA32, NORMAL; `pages` in total.
Config pc_like(uint64_t dma32_pages, uint64_t normal_pages);
// `nodes` nodes of `pages_per_node` NORMAL pages each, one CPU per node.
Config numa(int nodes, uint64_t pages_per_node, unsigned max_order = 10,
            unsigned pageblock_order = 9);
}  // namespace configs

}  // namespace pagealloc
