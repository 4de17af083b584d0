// SPDX-License-Identifier: GPL-2.0-or-later
// GFP masks: bits, composites, gfp_zone(), gfp_migratetype(), gfp_zonelist(), and
// printing/parsing in the kernel's own spelling (include/linux/gfp_types.h, gfp.h).
// Everything is generated
// from gfp.def.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "alloc/types.h"

namespace pagealloc {

enum GfpBit : unsigned {
#define GFP_BIT(NAME, bit, doc) GFP_BIT_##NAME = bit,
#include "alloc/gfp.def"
  GFP_NR_BITS
};

#define GFP_BIT(NAME, bit, doc) inline constexpr gfp_t __GFP_##NAME = gfp_t{1} << (bit);
#include "alloc/gfp.def"
#define GFP_MASK(NAME, expr, doc) inline constexpr gfp_t NAME = (expr);
#include "alloc/gfp.def"

inline constexpr gfp_t __GFP_BITS_MASK = (gfp_t{1} << GFP_NR_BITS) - 1;
inline constexpr gfp_t GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
inline constexpr gfp_t GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
inline constexpr unsigned GFP_MOVABLE_SHIFT = 3;
// mm/internal.h: what __alloc_contig_verify_gfp_mask() accepts besides reclaim bits.
inline constexpr gfp_t GFP_CONSTRAINT_MASK = __GFP_HARDWALL | __GFP_THISNODE;

// One named flag or composite: used by printers, parsers, docs and the CLI.
struct GfpName {
  std::string_view name;
  gfp_t value;
  bool composite;  // GFP_* (or __GFP_RECLAIM) rather than a single __GFP_ bit
  std::string_view doc;
};
// Every name the parser accepts (bits first, then composites).
const GfpName* gfp_names(size_t* count);

// gfp_zone() (include/linux/gfp.h): the highest zone index the request may use.
// Returns nullopt for the eight GFP_ZONE_BAD combinations (the kernel's VM_BUG_ON).
std::optional<ZoneType> gfp_zone(gfp_t gfp);
bool gfp_zone_bad(gfp_t gfp);

// gfp_migratetype(): MOVABLE/RECLAIMABLE bits -> migratetype; both bits set is the
// kernel's VM_WARN_ON (value 3, garbage): nullopt here. Grouping off -> UNMOVABLE.
std::optional<MigrateType> gfp_migratetype(gfp_t gfp, bool mobility_grouping = true);

enum ZonelistKind : uint8_t { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };
inline ZonelistKind gfp_zonelist(gfp_t gfp) {
  return (gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK;
}

// Kernel %pGg spelling: "GFP_KERNEL|__GFP_ZERO", leftovers as hex, 0 -> "none".
std::string gfp_names_string(gfp_t gfp);
// pr_warn("gfp_mask=%#x(%pGg)") spelling: "0xcc0(GFP_KERNEL)".
std::string gfp_to_string(gfp_t gfp);

// Accepts "GFP_KERNEL|__GFP_ZERO", "__GFP_HIGH | __GFP_NOWARN", "0xcc0",
// "0xcc0(GFP_KERNEL)" (the names must agree with the number), "none", "0", and
// bare hex leftovers inside a name list ("GFP_KERNEL|0x1000000").
// On failure returns nullopt and sets *error to a message naming the bad token and
// *error_col to its 0-based column.
std::optional<gfp_t> parse_gfp(std::string_view text, std::string* error = nullptr,
                               size_t* error_col = nullptr);

// `s` without leading and trailing whitespace; adds the leading count to *offset (when
// given) so parsers can report columns. Shared by the gfp and alloc_flags parsers.
std::string_view trim_spaces(std::string_view s, size_t* offset);

}  // namespace pagealloc
