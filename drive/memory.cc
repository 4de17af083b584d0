// SPDX-License-Identifier: GPL-2.0-or-later
#include "drive/memory.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "alloc/machine.h"
#include "alloc/page.h"
#include "alloc/pcp.h"
#include "alloc/zone.h"
#include "oracles/shadow.h"

namespace buddycheck {

using namespace pagealloc;

MemoryEstimate estimate_memory(const Config& c) {
  MemoryEstimate e;
  if (!validate_config(c).empty()) return e;
  // The memmap range of Machine::init_memmap(): whole MAX_PAGE_ORDER blocks around
  // every zone (the reference model uses the same range).
  Pfn lo = ~Pfn{0}, hi = 0;
  for (const NodeConfig& n : c.nodes)
    for (const ZoneConfig& z : n.zones)
      if (z.pages) lo = std::min(lo, z.start_pfn), hi = std::max(hi, z.start_pfn + z.pages);
  const Pfn mask = (Pfn{1} << c.max_page_order) - 1;
  const uint64_t pages = ((hi + mask) & ~mask) - (lo & ~mask);
  e.memmap = pages * sizeof(Page);
  e.backing = pages * c.page_bytes;
  e.pageblocks = (pages >> c.pageblock_order) * (sizeof(uint16_t) + 1);
  // DirectMap::init(): a bit per page in 64-bit words, a byte per 2 MiB region.
  e.direct_map = (pages + 63) / 64 * sizeof(uint64_t) + (pages >> 9) + 2 + (pages >> 18) + 2;
  const uint64_t zones = c.nodes.size() * MAX_NR_ZONES;
  e.per_cpu = zones * c.nr_cpus() * sizeof(PerCpuPages) + zones * sizeof(Zone) +
              c.nodes.size() * sizeof(NodeInfo) +
              c.nodes.size() * MAX_ZONELISTS * zones * sizeof(Zoneref);
  // Reference::Reference(): a 32-bit owner, a 16-bit zone and a state byte per page.
  e.oracles = pages * (sizeof(uint32_t) + sizeof(uint16_t) + 1) + zones * sizeof(uint64_t);
  return e;
}

uint64_t bytes_per_allocation() {
  // Shadow record, live_pos_ slot, and (once freed) a freed_ entry.
  return sizeof(AllocRecord) + sizeof(int32_t) + sizeof(uint32_t);
}

std::string format_bytes(uint64_t b) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  unsigned u = 0;
  double v = static_cast<double>(b);
  while (v >= 1024 && u + 1 < std::size(kUnits)) v /= 1024, u++;
  if (u == 0) return fmt::format("{} B", b);
  return v < 10 && v != static_cast<double>(static_cast<uint64_t>(v))
             ? fmt::format("{:.1f} {}", v, kUnits[u])
             : fmt::format("{:.0f} {}", v, kUnits[u]);
}

std::optional<uint64_t> parse_bytes(std::string_view s) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++) {
    if (v > (uint64_t{1} << 62) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  unsigned shift = 0;
  if (!unit.empty()) {
    const char u = static_cast<char>(unit[0] | 0x20);  // lower case
    shift = u == 'k' ? 10 : u == 'm' ? 20 : u == 'g' ? 30 : u == 't' ? 40 : 99;
    unit.remove_prefix(1);
    if (shift == 99 ||
        !(unit.empty() || unit == "iB" || unit == "B" || unit == "ib" || unit == "b"))
      return std::nullopt;
  }
  if (v > ((uint64_t{1} << 62) >> shift)) return std::nullopt;
  return v << shift;
}

std::string MemoryEstimate::to_string() const {
  std::string parts;
  auto part = [&](const char* what, uint64_t b) {
    if (!b) return;
    if (!parts.empty()) parts += ", ";
    parts += fmt::format("{} {}", what, format_bytes(b));
  };
  part("memmap", memmap);
  part("page backing", backing);
  part("pageblocks", pageblocks);
  part("direct map", direct_map);
  part("zones and per-cpu lists", per_cpu);
  part("oracles", oracles);
  return fmt::format("{} ({})", format_bytes(total()), parts);
}

std::string over_limit_message(const MemoryEstimate& e, uint64_t limit) {
  return fmt::format(
      "the machine needs an estimated {}, more than the memory limit of {}; shrink it "
      "(fewer pages, page_bytes=0 drops the page backing) or raise the limit with "
      "--max-memory SIZE or BUDDYCHECK_MAX_MEMORY=SIZE",
      e.to_string(), format_bytes(limit));
}

}  // namespace buddycheck
