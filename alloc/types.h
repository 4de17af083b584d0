// SPDX-License-Identifier: GPL-2.0-or-later
// Basic vocabulary of the model: PFNs, zone types, migratetypes, freetypes.
//
// Everything here is a plain value. Numbers follow the kernel (x86_64, 4 KiB pages,
// CONFIG_CMA=y, CONFIG_MEMORY_ISOLATION=y, CONFIG_ZONE_DMA/DMA32=y): enum migratetype
// and enum zone_type in include/linux/mmzone.h of Linux 6.12.
#pragma once

#include <algorithm>
#include <cstdint>

namespace pagealloc {

using Pfn = uint64_t;
using gfp_t = uint32_t;

inline constexpr Pfn kNoPfn = ~Pfn{0};
inline constexpr int NUMA_NO_NODE = -1;

// The model supports up to 64 nodes so a nodemask is one 64-bit word.
inline constexpr int kMaxNodes = 64;
// find_next_best_node() scales distances by MAX_NUMNODES; Debian's
// CONFIG_NODES_SHIFT=10 gives 1024.
inline constexpr int kMaxNumNodesScale = 1024;
inline constexpr int kMaxCpus = 256;

inline constexpr unsigned kPageShift = 12;  // 4 KiB pages: kbytes = pages << 2
inline constexpr unsigned kMaxPageOrderLimit = 10;
inline constexpr unsigned kNrPageOrdersLimit = kMaxPageOrderLimit + 1;
inline constexpr unsigned PAGE_ALLOC_COSTLY_ORDER = 3;
inline constexpr unsigned PCP_BATCH_SCALE_MAX = 5;  // CONFIG_PCP_BATCH_SCALE_MAX default
inline constexpr unsigned SWAP_CLUSTER_MAX = 32;
inline constexpr int MAX_RECLAIM_RETRIES = 16;  // mm/internal.h

enum ZoneType : uint8_t { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, MAX_NR_ZONES };

const char* zone_name(ZoneType t);  // "DMA", "DMA32", "Normal", "Movable"

enum MigrateType : uint8_t {
  MIGRATE_UNMOVABLE = 0,
  MIGRATE_MOVABLE = 1,
  MIGRATE_RECLAIMABLE = 2,
  MIGRATE_PCPTYPES = 3,
  MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
  MIGRATE_CMA = 4,
  MIGRATE_ISOLATE = 5,
  MIGRATE_TYPES = 6,
};

const char* migratetype_name(unsigned mt);  // kernel's migratetype_names[]

inline constexpr bool migratetype_is_mergeable(unsigned mt) { return mt < MIGRATE_PCPTYPES; }

// Free lists are indexed by freetype index (UNMAP RFC 10/19): 0..5 are the migratetypes,
// 6 is UNMOVABLE + FREETYPE_UNMAPPED. No other unmapped combination has a list.
inline constexpr unsigned FREETYPE_UNMAPPED_IDX = MIGRATE_TYPES;
inline constexpr unsigned NR_FREETYPE_IDXS = MIGRATE_TYPES + 1;

const char* freetype_name(unsigned idx);  // migratetype names plus "Unmovable-Unmapped"

// Watermark indices into Zone::watermark.
enum WmarkIdx : uint8_t { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

// Node states (enum node_states subset that matters here).
enum NodeState : uint8_t {
  N_MEMORY = 0,
  N_CPU = 1,
  N_GENERIC_INITIATOR = 2,
  N_MEMORY_PRIVATE = 3,  // PRIV v4: exclusive with N_MEMORY
  NR_NODE_STATES
};
const char* node_state_name(unsigned s);

// The kernel's clamp() (include/linux/minmax.h, __clamp in 6.12): v >= hi ? hi :
// v <= lo ? lo : v. Unlike std::clamp it is defined when lo > hi (it favours hi, then
// lo), which happens for real: a small zone's pcp high_min (its low watermark; at least
// 32 pages for ZONE_MOVABLE) can exceed high_max (managed / 8).
template <typename T>
constexpr T kernel_clamp(T v, T lo, T hi) {
  return v >= hi ? hi : (v <= lo ? lo : v);
}

}  // namespace pagealloc
