// SPDX-License-Identifier: GPL-2.0-or-later
#include "alloc/config.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory_resource>

#include <fmt/format.h>

namespace pagealloc {

namespace {

// Largest page array the model accepts: 2^26 pages = 256 GiB of 4 KiB pages, 1 GiB of
// metadata at 16 bytes per page.
constexpr uint64_t kMaxSpanPages = uint64_t{1} << 26;

std::string range_str(PfnRange r) { return fmt::format("{:#x}-{:#x}", r.start, r.end); }

std::string zone_field(size_t n, size_t z) { return fmt::format("nodes[{}].zones[{}]", n, z); }

}  // namespace

std::string validate_config(const Config& c) {
  if (c.nodes.empty()) return "nodes: a machine needs at least one node";
  if (c.nodes.size() > kMaxNodes)
    return fmt::format("nodes: {} nodes, the model supports at most {}", c.nodes.size(), kMaxNodes);
  if (c.max_page_order < 1 || c.max_page_order > kMaxPageOrderLimit)
    return fmt::format("max_page_order: {} is outside 1..{}", c.max_page_order, kMaxPageOrderLimit);
  if (c.pageblock_order < 1 || c.pageblock_order > c.max_page_order)
    return fmt::format("pageblock_order: {} must be in 1..max_page_order ({})", c.pageblock_order,
                       c.max_page_order);
  if (c.watermark_scale_factor < 1 || c.watermark_scale_factor > 3000)
    return fmt::format("watermark_scale_factor: {} is outside the sysctl range 1..3000",
                       c.watermark_scale_factor);
  if (c.percpu_pagelist_high_fraction != 0 && c.percpu_pagelist_high_fraction < 8)
    return fmt::format("percpu_pagelist_high_fraction: {} must be 0 or at least 8",
                       c.percpu_pagelist_high_fraction);
  if (c.page_bytes != 0 && (c.page_bytes < 8 || c.page_bytes > 4096 || c.page_bytes % 8))
    return fmt::format("page_bytes: {} must be 0 or a multiple of 8 in 8..4096", c.page_bytes);
  if (c.min_free_kbytes && *c.min_free_kbytes > (1u << 30))
    return fmt::format("min_free_kbytes: {} is absurdly large", *c.min_free_kbytes);

  const size_t nn = c.nodes.size();
  if (!c.distance.empty()) {
    if (c.distance.size() != nn)
      return fmt::format("distance: {} rows for {} nodes", c.distance.size(), nn);
    for (size_t i = 0; i < nn; i++) {
      if (c.distance[i].size() != nn)
        return fmt::format("distance[{}]: {} columns for {} nodes", i, c.distance[i].size(), nn);
      for (size_t j = 0; j < nn; j++) {
        unsigned d = c.distance[i][j];
        if (i == j && d != 10)
          return fmt::format("distance[{}][{}]: local distance must be 10, not {}", i, j, d);
        if (i != j && (d <= 10 || d > 254))
          return fmt::format("distance[{}][{}]: remote distance {} must be in 11..254", i, j, d);
      }
    }
  }
  if (c.cpu_node.size() > kMaxCpus)
    return fmt::format("cpu_node: {} CPUs, the model supports at most {}", c.cpu_node.size(),
                       kMaxCpus);
  for (size_t i = 0; i < c.cpu_node.size(); i++)
    if (c.cpu_node[i] < 0 || static_cast<size_t>(c.cpu_node[i]) >= nn)
      return fmt::format("cpu_node[{}]: node {} does not exist", i, c.cpu_node[i]);

  // Zones: one of each type per node at most, spans disjoint across the machine, and
  // each node's zones in ascending PFN order by type (DMA < DMA32 < NORMAL < MOVABLE).
  struct Span {
    PfnRange r;
    size_t node, zone;
  };
  // No heap for the usual few zones and their holes: every fuzz input validates twice.
  std::array<std::byte, 48 * sizeof(Span)> scratch;
  std::pmr::monotonic_buffer_resource arena(scratch.data(), scratch.size());
  std::pmr::vector<Span> spans(&arena);
  spans.reserve(nn * MAX_NR_ZONES);
  Pfn lo = ~Pfn{0}, hi = 0;
  // Each span started at or after the end of all earlier ones: then the quadratic
  // searches that name an overlapping or straddling pair cannot find one.
  bool ascending = true;
  uint64_t lowmem_present = 0;
  for (size_t n = 0; n < nn; n++) {
    const NodeConfig& node = c.nodes[n];
    bool seen[MAX_NR_ZONES] = {};
    for (size_t z = 0; z < node.zones.size(); z++) {
      const ZoneConfig& zc = node.zones[z];
      auto f = [&] { return zone_field(n, z); };  // formatted only for an error
      if (zc.type >= MAX_NR_ZONES) return f() + ".type: unknown zone type";
      if (seen[zc.type])
        return fmt::format("{}.type: node {} already has a {} zone", f(), n, zone_name(zc.type));
      seen[zc.type] = true;
      if (zc.pages == 0) {
        if (!zc.holes.empty() || !zc.reserved.empty())
          return f() + ": an empty zone cannot have holes or reserved ranges";
        continue;
      }
      if (zc.pages > kMaxSpanPages || zc.start_pfn > kMaxSpanPages * 16)
        return fmt::format("{}.pages: span {} is too large for the model", f(),
                           range_str(zc.span()));
      PfnRange span = zc.span();
      if (span.start < hi) {  // otherwise every earlier span ends before this one starts
        ascending = false;
        for (const Span& s : spans)
          if (s.r.overlaps(span))
            return fmt::format("{}.start_pfn: span {} overlaps node {} zone {} ({})", f(),
                               range_str(span), s.node,
                               zone_name(c.nodes[s.node].zones[s.zone].type), range_str(s.r));
      }
      for (size_t k = 0; k < z; k++) {
        const ZoneConfig& prev = node.zones[k];
        if (prev.pages == 0) continue;
        if ((prev.type < zc.type) != (prev.start_pfn < zc.start_pfn))
          return fmt::format("{}.start_pfn: zone {} must lie {} zone {} in the node", f(),
                             zone_name(zc.type), prev.type < zc.type ? "above" : "below",
                             zone_name(prev.type));
      }
      std::pmr::vector<PfnRange> taken(&arena);
      uint64_t absent = 0;
      for (size_t h = 0; h < zc.holes.size(); h++) {
        PfnRange r = zc.holes[h];
        if (r.end <= r.start || r.start < span.start || r.end > span.end)
          return fmt::format("{}.holes[{}]: {} is empty or outside the zone span {}", f(), h,
                             range_str(r), range_str(span));
        for (const PfnRange& t : taken)
          if (t.overlaps(r))
            return fmt::format("{}.holes[{}]: {} overlaps another range", f(), h, range_str(r));
        taken.push_back(r);
        absent += r.size();
      }
      for (size_t h = 0; h < zc.reserved.size(); h++) {
        PfnRange r = zc.reserved[h];
        if (r.end <= r.start || r.start < span.start || r.end > span.end)
          return fmt::format("{}.reserved[{}]: {} is empty or outside the zone span {}", f(), h,
                             range_str(r), range_str(span));
        for (const PfnRange& t : taken)
          if (t.overlaps(r))
            return fmt::format("{}.reserved[{}]: {} overlaps a hole or reserved range", f(), h,
                               range_str(r));
        taken.push_back(r);
        absent += r.size();
      }
      if (zc.type != ZONE_MOVABLE) lowmem_present += zc.pages - absent;
      spans.push_back({span, n, z});
      lo = std::min(lo, span.start);
      hi = std::max(hi, span.end);
    }
  }
  if (spans.empty()) return "nodes: no zone has any pages";
  // Nodes must not interleave: a zone lying inside another node's PFN range would
  // straddle nodes in the kernel's pfn -> node mapping. Ascending spans, pushed node by
  // node, cannot.
  if (!ascending) {
    std::vector<PfnRange> node_span(nn, PfnRange{~Pfn{0}, 0});
    for (const Span& s : spans) {
      node_span[s.node].start = std::min(node_span[s.node].start, s.r.start);
      node_span[s.node].end = std::max(node_span[s.node].end, s.r.end);
    }
    for (size_t n = 0; n < nn; n++) {
      if (node_span[n].end == 0) continue;
      for (const Span& s : spans)
        if (s.node != n && s.r.overlaps(node_span[n]))
          return fmt::format(
              "{}.start_pfn: zone {} straddles node {} (node spans {})", zone_field(s.node, s.zone),
              zone_name(c.nodes[s.node].zones[s.zone].type), n, range_str(node_span[n]));
    }
  }
  Pfn mask = (Pfn{1} << c.max_page_order) - 1;
  if (((hi + mask) & ~mask) - (lo & ~mask) > kMaxSpanPages)
    return fmt::format("nodes: machine spans {} pages, the model supports at most {}",
                       ((hi + mask) & ~mask) - (lo & ~mask), kMaxSpanPages);
  if (lowmem_present == 0)
    return "nodes: no present page outside ZONE_MOVABLE (watermarks divide by lowmem pages)";

  Pfn pb = c.pageblock_nr_pages();
  for (size_t i = 0; i < c.cma.size(); i++) {
    PfnRange r = c.cma[i];
    std::string f = fmt::format("cma[{}]", i);
    if (r.end <= r.start) return fmt::format("{}: {} is empty", f, range_str(r));
    if (r.start % pb || r.end % pb)
      return fmt::format("{}: {} is not aligned to pageblock_nr_pages ({})", f, range_str(r), pb);
    for (size_t j = 0; j < i; j++)
      if (c.cma[j].overlaps(r)) return fmt::format("{}: {} overlaps cma[{}]", f, range_str(r), j);
    const Span* home = nullptr;
    for (const Span& s : spans)
      if (r.start >= s.r.start && r.end <= s.r.end) home = &s;
    if (!home) return fmt::format("{}: {} does not lie inside one zone", f, range_str(r));
    const ZoneConfig& zc = c.nodes[home->node].zones[home->zone];
    for (const PfnRange& h : zc.holes)
      if (h.overlaps(r))
        return fmt::format("{}: {} covers a hole {}", f, range_str(r), range_str(h));
    for (const PfnRange& h : zc.reserved)
      if (h.overlaps(r))
        return fmt::format("{}: {} covers reserved pages {}", f, range_str(r), range_str(h));
    if (c.nodes[home->node].memory_private)
      return fmt::format("{}: {} lies on private node {}", f, range_str(r), home->node);
  }
  return "";
}

namespace configs {

Config single_zone(uint64_t pages, unsigned max_order, unsigned pageblock_order, Pfn start) {
  Config c;
  c.max_page_order = max_order;
  c.pageblock_order = pageblock_order;
  c.nodes.push_back(
      NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = start, .pages = pages}}});
  return c;
}

Config pc_like(uint64_t dma32_pages, uint64_t normal_pages) {
  Config c;
  NodeConfig n;
  // The first page is reserved as on x86 (the BIOS page), so DMA is not fully managed.
  n.zones.push_back(
      ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 4096, .reserved = {{0, 1}}});
  n.zones.push_back(ZoneConfig{.type = ZONE_DMA32, .start_pfn = 4096, .pages = dma32_pages});
  n.zones.push_back(
      ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 4096 + dma32_pages, .pages = normal_pages});
  c.nodes.push_back(n);
  c.cpu_node = {0, 0};
  return c;
}

Config numa(int nodes, uint64_t pages_per_node, unsigned max_order, unsigned pageblock_order) {
  Config c;
  c.max_page_order = max_order;
  c.pageblock_order = pageblock_order;
  for (int i = 0; i < nodes; i++) {
    c.nodes.push_back(
        NodeConfig{.zones = {ZoneConfig{.type = ZONE_NORMAL,
                                        .start_pfn = static_cast<Pfn>(i) * pages_per_node,
                                        .pages = pages_per_node}}});
    c.cpu_node.push_back(i);
  }
  return c;
}

}  // namespace configs

}  // namespace pagealloc
