// SPDX-License-Identifier: GPL-2.0-or-later
// GFP masks: gfp_zone() over all 16 zone-modifier combinations, the
// mobility bits, the composite masks' values, and printing/parsing in the kernel's own
// spelling. Expected values come from include/linux/gfp.h (GFP_ZONE_TABLE,
// GFP_ZONE_BAD), include/linux/gfp_types.h and include/trace/events/mmflags.h of
// Linux 6.12, worked out by hand; none is copied from what alloc/ prints.
#include <gtest/gtest.h>

#include <string>

#include "alloc/gfp.h"

namespace {

using namespace pagealloc;

// ---- gfp_zone -----------------------------------------------------------------------

// gfp-zone-1: Expect the eight legal zone-modifier combinations to map to the zone of
// the kernel's GFP_ZONE_TABLE on x86_64 (no HIGHMEM: OPT_ZONE_HIGHMEM is NORMAL).
TEST(gfp, zone_1) {
  struct Case {
    gfp_t bits;
    ZoneType zone;
  } cases[] = {
      {0x0, ZONE_NORMAL},   // no modifier
      {0x1, ZONE_DMA},      // __GFP_DMA
      {0x2, ZONE_NORMAL},   // __GFP_HIGHMEM -> OPT_ZONE_HIGHMEM = NORMAL
      {0x4, ZONE_DMA32},    // __GFP_DMA32
      {0x8, ZONE_NORMAL},   // __GFP_MOVABLE alone: mobility only
      {0x9, ZONE_DMA},      // MOVABLE|DMA -> OPT_ZONE_DMA
      {0xa, ZONE_MOVABLE},  // MOVABLE|HIGHMEM: the only way into ZONE_MOVABLE
      {0xc, ZONE_DMA32},    // MOVABLE|DMA32 -> OPT_ZONE_DMA32
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bits);
    ASSERT_TRUE(gfp_zone(c.bits).has_value());
    EXPECT_EQ(*gfp_zone(c.bits), c.zone);
    EXPECT_FALSE(gfp_zone_bad(c.bits));
  }
}

// gfp-zone-2: Expect exactly the eight GFP_ZONE_BAD combinations (0x3 0x5 0x6 0x7 0xb
// 0xd 0xe 0xf: two of DMA/HIGHMEM/DMA32 at once) to be refused.
TEST(gfp, zone_2) {
  const gfp_t bad[] = {0x3, 0x5, 0x6, 0x7, 0xb, 0xd, 0xe, 0xf};
  unsigned nbad = 0;
  for (gfp_t i = 0; i < 16; i++) {
    bool expect_bad = false;
    for (gfp_t b : bad) expect_bad |= (b == i);
    SCOPED_TRACE(i);
    EXPECT_EQ(gfp_zone_bad(i), expect_bad);
    EXPECT_EQ(gfp_zone(i).has_value(), !expect_bad);
    nbad += gfp_zone_bad(i);
  }
  EXPECT_EQ(nbad, 8u);
}

// gfp-zone-3: Expect bits outside GFP_ZONEMASK not to change the zone: GFP_KERNEL is
// NORMAL, GFP_HIGHUSER_MOVABLE is MOVABLE, GFP_DMA32|GFP_KERNEL is DMA32, and a bad
// combination stays bad with other bits around it.
TEST(gfp, zone_3) {
  EXPECT_EQ(gfp_zone(GFP_KERNEL), ZONE_NORMAL);
  EXPECT_EQ(gfp_zone(GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
  EXPECT_EQ(gfp_zone(GFP_HIGHUSER), ZONE_NORMAL);
  EXPECT_EQ(gfp_zone(GFP_KERNEL | GFP_DMA32), ZONE_DMA32);
  EXPECT_EQ(gfp_zone(GFP_ATOMIC | GFP_DMA), ZONE_DMA);
  EXPECT_TRUE(gfp_zone_bad(GFP_KERNEL | __GFP_DMA | __GFP_DMA32));
}

// ---- gfp_migratetype ----------------------------------------------------------------

// gfp-migratetype-1: Expect (gfp & (MOVABLE|RECLAIMABLE)) >> 3: none -> UNMOVABLE, MOVABLE ->
// MOVABLE, RECLAIMABLE -> RECLAIMABLE, whatever else is set.
TEST(gfp, migratetype_1) {
  EXPECT_EQ(gfp_migratetype(GFP_KERNEL), MIGRATE_UNMOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_ATOMIC), MIGRATE_UNMOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_KERNEL | __GFP_MOVABLE), MIGRATE_MOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
  EXPECT_EQ(gfp_migratetype(GFP_NOFS | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
}

// gfp-migratetype-2: Expect MOVABLE|RECLAIMABLE together (the kernel's VM_WARN_ON, value 3 =
// garbage) to have no migratetype, with grouping on or off.
TEST(gfp, migratetype_2) {
  EXPECT_FALSE(gfp_migratetype(__GFP_MOVABLE | __GFP_RECLAIMABLE).has_value());
  EXPECT_FALSE(gfp_migratetype(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE, false).has_value());
}

// gfp-migratetype-3: Expect every request to be UNMOVABLE when mobility grouping is disabled
// (page_group_by_mobility_disabled).
TEST(gfp, migratetype_3) {
  EXPECT_EQ(gfp_migratetype(GFP_HIGHUSER_MOVABLE, false), MIGRATE_UNMOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE, false), MIGRATE_UNMOVABLE);
  EXPECT_EQ(gfp_migratetype(GFP_KERNEL, false), MIGRATE_UNMOVABLE);
}

// gfp-zonelist-1: Expect __GFP_THISNODE (and GFP_PRIVATE, which contains it) to select
// ZONELIST_NOFALLBACK and everything else ZONELIST_FALLBACK.
TEST(gfp, zonelist_1) {
  EXPECT_EQ(gfp_zonelist(GFP_KERNEL), ZONELIST_FALLBACK);
  EXPECT_EQ(gfp_zonelist(GFP_KERNEL | __GFP_THISNODE), ZONELIST_NOFALLBACK);
  EXPECT_EQ(gfp_zonelist(GFP_PRIVATE), ZONELIST_NOFALLBACK);
  EXPECT_EQ(gfp_zonelist(__GFP_PRIVATE), ZONELIST_FALLBACK);
}

// ---- values -------------------------------------------------------------------------

// gfp-value-1: Expect every single bit at its gfp_types.h position (bit 9 taken by PRIV
// v4's __GFP_PRIVATE) and __GFP_BITS_MASK to cover bits 0..25.
TEST(gfp, value_1) {
  EXPECT_EQ(__GFP_DMA, 0x1u);
  EXPECT_EQ(__GFP_HIGHMEM, 0x2u);
  EXPECT_EQ(__GFP_DMA32, 0x4u);
  EXPECT_EQ(__GFP_MOVABLE, 0x8u);
  EXPECT_EQ(__GFP_RECLAIMABLE, 0x10u);
  EXPECT_EQ(__GFP_HIGH, 0x20u);
  EXPECT_EQ(__GFP_IO, 0x40u);
  EXPECT_EQ(__GFP_FS, 0x80u);
  EXPECT_EQ(__GFP_ZERO, 0x100u);
  EXPECT_EQ(__GFP_PRIVATE, 0x200u);
  EXPECT_EQ(__GFP_DIRECT_RECLAIM, 0x400u);
  EXPECT_EQ(__GFP_KSWAPD_RECLAIM, 0x800u);
  EXPECT_EQ(__GFP_WRITE, 0x1000u);
  EXPECT_EQ(__GFP_NOWARN, 0x2000u);
  EXPECT_EQ(__GFP_RETRY_MAYFAIL, 0x4000u);
  EXPECT_EQ(__GFP_NOFAIL, 0x8000u);
  EXPECT_EQ(__GFP_NORETRY, 0x10000u);
  EXPECT_EQ(__GFP_MEMALLOC, 0x20000u);
  EXPECT_EQ(__GFP_COMP, 0x40000u);
  EXPECT_EQ(__GFP_NOMEMALLOC, 0x80000u);
  EXPECT_EQ(__GFP_HARDWALL, 0x100000u);
  EXPECT_EQ(__GFP_THISNODE, 0x200000u);
  EXPECT_EQ(__GFP_ACCOUNT, 0x400000u);
  EXPECT_EQ(__GFP_ZEROTAGS, 0x800000u);
  EXPECT_EQ(__GFP_BITS_MASK, 0x3ffffffu);
  EXPECT_EQ(GFP_ZONEMASK, 0xfu);
}

// gfp-value-2: Expect the composite masks to have the hex values of include/linux/
// gfp_types.h in 6.12.117 (its GFP_NOWAIT includes __GFP_NOWARN, which older kernels'
// does not; SKIP_KASAN is 0 without KASAN_HW_TAGS).
TEST(gfp, value_2) {
  EXPECT_EQ(__GFP_RECLAIM, 0xc00u);
  EXPECT_EQ(GFP_ATOMIC, 0x820u);
  EXPECT_EQ(GFP_KERNEL, 0xcc0u);
  EXPECT_EQ(GFP_KERNEL_ACCOUNT, 0x400cc0u);
  EXPECT_EQ(GFP_NOWAIT, 0x2800u);
  EXPECT_EQ(GFP_NOIO, 0xc00u);
  EXPECT_EQ(GFP_NOFS, 0xc40u);
  EXPECT_EQ(GFP_USER, 0x100cc0u);
  EXPECT_EQ(GFP_DMA, 0x1u);
  EXPECT_EQ(GFP_DMA32, 0x4u);
  EXPECT_EQ(GFP_HIGHUSER, 0x100cc2u);
  EXPECT_EQ(GFP_HIGHUSER_MOVABLE, 0x100ccau);
  // (0x100cca | COMP 0x40000 | NOMEMALLOC 0x80000 | NOWARN 0x2000) & ~0xc00 = 0x1c20ca
  EXPECT_EQ(GFP_TRANSHUGE_LIGHT, 0x1c20cau);
  EXPECT_EQ(GFP_TRANSHUGE, 0x1c24cau);
  EXPECT_EQ(GFP_PRIVATE, 0x200200u);
}

// ---- printing -----------------------------------------------------------------------

// gfp-print-1: Expect the %#x(%pGg) spelling: the number, then names in mmflags.h order
// with the first (largest) matching composite winning.
TEST(gfp, print_1) {
  EXPECT_EQ(gfp_to_string(GFP_KERNEL), "0xcc0(GFP_KERNEL)");
  EXPECT_EQ(gfp_to_string(GFP_ATOMIC), "0x820(GFP_ATOMIC)");
  EXPECT_EQ(gfp_to_string(GFP_KERNEL | __GFP_ZERO), "0xdc0(GFP_KERNEL|__GFP_ZERO)");
  EXPECT_EQ(gfp_to_string(GFP_TRANSHUGE), "0x1c24ca(GFP_TRANSHUGE)");
  // The kernel's number() always prints the 0x prefix in base 16, even for zero; %pGg
  // prints nothing for an empty mask.
  EXPECT_EQ(gfp_to_string(0), "0x0()");
}

// gfp-print-2: Expect composites to absorb the bits they cover: GFP_KERNEL|HARDWALL is
// GFP_USER, GFP_ATOMIC|NOWARN stays GFP_ATOMIC (listed before GFP_NOWAIT), and a mask
// covered by no composite prints bit by bit in table order.
TEST(gfp, print_2) {
  EXPECT_EQ(gfp_names_string(GFP_KERNEL | __GFP_HARDWALL), "GFP_USER");
  EXPECT_EQ(gfp_names_string(GFP_ATOMIC | __GFP_NOWARN), "GFP_ATOMIC|__GFP_NOWARN");
  EXPECT_EQ(gfp_names_string(GFP_NOWAIT), "GFP_NOWAIT");
  EXPECT_EQ(gfp_names_string(__GFP_RECLAIM), "GFP_NOIO");  // GFP_NOIO precedes __GFP_RECLAIM
  EXPECT_EQ(gfp_names_string(__GFP_DIRECT_RECLAIM), "__GFP_DIRECT_RECLAIM");
  EXPECT_EQ(gfp_names_string(__GFP_MOVABLE | __GFP_HIGHMEM), "__GFP_HIGHMEM|__GFP_MOVABLE");
  EXPECT_EQ(gfp_names_string(GFP_KERNEL | __GFP_NOFAIL | __GFP_COMP),
            "GFP_KERNEL|__GFP_NOFAIL|__GFP_COMP");
  EXPECT_EQ(gfp_names_string(GFP_KERNEL_ACCOUNT | __GFP_ZERO), "GFP_KERNEL_ACCOUNT|__GFP_ZERO");
  EXPECT_EQ(gfp_names_string(GFP_PRIVATE), "__GFP_THISNODE|__GFP_PRIVATE");
}

// gfp-print-3: Expect 0 to print as "none" and bits no name covers to print as one hex
// leftover after the names.
TEST(gfp, print_3) {
  EXPECT_EQ(gfp_names_string(0), "none");
  EXPECT_EQ(gfp_names_string(GFP_KERNEL | 0x4000000u), "GFP_KERNEL|0x4000000");
  EXPECT_EQ(gfp_names_string(0xc000000u), "0xc000000");
  EXPECT_EQ(gfp_to_string(GFP_ATOMIC | 0x8000000u), "0x8000820(GFP_ATOMIC|0x8000000)");
}

// ---- parsing ------------------------------------------------------------------------

// gfp-parse-1: Expect names, composites, hex, decimal, "none" and spaces around '|' to
// parse to the mask the kernel headers define.
TEST(gfp, parse_1) {
  EXPECT_EQ(parse_gfp("GFP_KERNEL"), GFP_KERNEL);
  EXPECT_EQ(parse_gfp("GFP_KERNEL|__GFP_ZERO"), 0xdc0u);
  EXPECT_EQ(parse_gfp("__GFP_HIGH | __GFP_NOWARN"), 0x2020u);
  EXPECT_EQ(parse_gfp("  GFP_NOFS  "), 0xc40u);
  EXPECT_EQ(parse_gfp("0xcc0"), 0xcc0u);
  EXPECT_EQ(parse_gfp("0XCC0"), 0xcc0u);
  EXPECT_EQ(parse_gfp("none"), 0u);
  EXPECT_EQ(parse_gfp("0"), 0u);
  EXPECT_EQ(parse_gfp("GFP_KERNEL|0x1000000"), 0x1000cc0u);  // bit 24 as a hex leftover
  EXPECT_EQ(parse_gfp("__GFP_RECLAIM|__GFP_IO"), GFP_NOFS);
}

// gfp-parse-2: Expect the warn_alloc spelling "0xcc0(GFP_KERNEL)" to parse when names
// and number agree, and to be refused (pointing at the names) when they do not.
TEST(gfp, parse_2) {
  EXPECT_EQ(parse_gfp("0xcc0(GFP_KERNEL)"), 0xcc0u);
  EXPECT_EQ(parse_gfp("0xdc0(GFP_KERNEL|__GFP_ZERO)"), 0xdc0u);
  EXPECT_EQ(parse_gfp("0x0()"), 0u);
  std::string err;
  size_t col = 99;
  EXPECT_FALSE(parse_gfp("0xcc0(GFP_ATOMIC)", &err, &col).has_value());
  EXPECT_EQ(col, 6u);  // first character inside the parentheses
  EXPECT_NE(err.find("0x820"), std::string::npos) << err;
  EXPECT_NE(err.find("0xcc0"), std::string::npos) << err;
  EXPECT_FALSE(parse_gfp("0xcc0()", &err, &col).has_value());  // names mean 0
}

// gfp-parse-3: Expect every mask printed by gfp_to_string() and gfp_names_string() to
// parse back to itself.
TEST(gfp, parse_3) {
  const gfp_t masks[] = {0,
                         GFP_KERNEL,
                         GFP_ATOMIC | __GFP_NOWARN,
                         GFP_TRANSHUGE,
                         GFP_TRANSHUGE_LIGHT | __GFP_THISNODE,
                         GFP_PRIVATE | __GFP_ZERO,
                         __GFP_MOVABLE | __GFP_HIGHMEM | __GFP_UNMAPPED,
                         GFP_NOFS | __GFP_NOFAIL | __GFP_NO_OBJ_EXT,
                         __GFP_BITS_MASK};
  for (gfp_t g : masks) {
    SCOPED_TRACE(gfp_to_string(g));
    EXPECT_EQ(parse_gfp(gfp_to_string(g)), g);
    EXPECT_EQ(parse_gfp(gfp_names_string(g)), g);
  }
}

// gfp-parse-4: Expect a bad token to be reported by name at its 0-based column: an
// unknown flag, an empty name between bars, bits outside __GFP_BITS_MASK, an empty
// string, a missing ')'.
TEST(gfp, parse_4) {
  struct Case {
    const char* text;
    size_t col;
    const char* needle;
  } cases[] = {
      {"GFP_KERNEL|__GFP_BOGUS", 11, "__GFP_BOGUS"},
      {"  GFP_KERNEL | FOO", 15, "FOO"},
      {"GFP_KERNEL||__GFP_ZERO", 11, "empty"},
      {"GFP_KERNEL|0x4000000", 11, "__GFP_BITS_MASK"},
      {"0x4000000", 0, "__GFP_BITS_MASK"},
      {"gfp_kernel", 0, "gfp_kernel"},  // names are case-sensitive, as in C
      {"", 0, "empty"},
      {"0xcc0(GFP_KERNEL", 16, ")"},
      {"0xcc0(GFP_KERNEL|BAD)", 17, "BAD"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::string err;
    size_t col = 999;
    EXPECT_FALSE(parse_gfp(c.text, &err, &col).has_value());
    EXPECT_EQ(col, c.col);
    EXPECT_NE(err.find(c.needle), std::string::npos) << err;
  }
}

// gfp-names-1: Expect the name table to hold every single bit once (26 bits) plus the
// composites, each name mapping to its value.
TEST(gfp, names_1) {
  size_t n = 0;
  const GfpName* names = gfp_names(&n);
  unsigned bits = 0;
  gfp_t seen = 0;
  for (size_t i = 0; i < n; i++) {
    EXPECT_EQ(parse_gfp(names[i].name), names[i].value) << names[i].name;
    if (!names[i].composite) {
      bits++;
      EXPECT_EQ(seen & names[i].value, 0u) << names[i].name;
      seen |= names[i].value;
    }
  }
  EXPECT_EQ(bits, 26u);
  EXPECT_EQ(seen, __GFP_BITS_MASK);
}

}  // namespace
