// SPDX-License-Identifier: GPL-2.0-or-later
// How much memory a run will need, known before anything is built: a config the
// validator accepts can still describe a machine larger than the host (2^26 pages of
// 64-byte backing are 5 GiB). Readers refuse a machine whose estimate exceeds the
// limit (trace.h ParseOptions::max_memory, default kDefaultMaxMemory) with a message
// that says what the memory is for and how to raise the limit; the runner refuses to
// grow its per-allocation books beyond the same limit (RunOptions::max_memory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "alloc/config.h"

namespace buddycheck {

// Machines whose estimate exceeds this are refused unless the caller raises the limit
// (buddycheck --max-memory, BUDDYCHECK_MAX_MEMORY). docs/trace-format.md, "Limits".
inline constexpr uint64_t kDefaultMaxMemory = uint64_t{1} << 30;

// Bytes by what they are for. Sizes are those of the allocations the constructors
// make (virtual memory: calloc'ed arrays cost resident memory only once touched).
struct MemoryEstimate {
  uint64_t memmap = 0;      // the model's struct page: 16 bytes per page
  uint64_t backing = 0;     // page contents: page_bytes per page
  uint64_t pageblocks = 0;  // pageblock bits and zone ids: 3 bytes per pageblock
  uint64_t direct_map = 0;  // one bit per page, a byte per 2 MiB and per 1 GiB region
  uint64_t per_cpu = 0;     // struct per_cpu_pages per (zone, CPU), zones, zonelists
  uint64_t oracles = 0;     // the reference model's per-page owner, zone and state arrays
  uint64_t total() const { return memmap + backing + pageblocks + direct_map + per_cpu + oracles; }
  // "5.1 GiB (memmap 1 GiB, page backing 4 GiB, ...)": the nonzero parts.
  std::string to_string() const;
};

// For a config validate_config() accepts (anything else estimates as 0).
MemoryEstimate estimate_memory(const pagealloc::Config& c);

// Per allocation the runner has ever made: the shadow's record, the live-set and
// freed-list slots (drive/runner.cc counts them against RunOptions::max_memory).
uint64_t bytes_per_allocation();

// "1.5 GiB", "640 KiB", "12 B".
std::string format_bytes(uint64_t bytes);
// "1073741824", "512M", "512MiB", "2G", "2g", "64k": bytes (powers of 1024). nullopt for
// anything else or more than 2^62.
std::optional<uint64_t> parse_bytes(std::string_view text);

// The message for a machine over the limit (no file:line:col: the caller adds it).
std::string over_limit_message(const MemoryEstimate& e, uint64_t limit);

}  // namespace buddycheck
