// SPDX-License-Identifier: GPL-2.0-or-later
// Per-PFN metadata (the model's struct page) and pageblock bits.
//
// 16 bytes per page (the kernel's struct page is 64). All-zero bytes mean "tail page
// of a block whose head is elsewhere", so a freshly calloc'ed memmap needs writes
// only at block heads, holes and reserved pages: constructing a machine touches a
// few cache lines per MAX_PAGE_ORDER block instead of every page.
#pragma once

#include <cstdint>

#include "alloc/types.h"

namespace pagealloc {

inline constexpr uint32_t kNil = ~uint32_t{0};

enum class PageState : uint8_t {
  Tail = 0,   // inside a block (free, pcp or allocated) headed by a lower PFN
  Buddy,      // head of a free block on zone->free_area[order].free_list[list] (PageBuddy)
  Pcp,        // head of a free block on a per-cpu list (cpu, pindex = list)
  Allocated,  // head of an allocated block of `order`
  Reserved,   // present but never managed (PageReserved)
  Absent,     // a hole: no memory behind this PFN
};
const char* page_state_name(PageState s);

enum PageFlag : uint8_t {
  PG_compound = 1 << 0,       // allocated with __GFP_COMP and order > 0 (head)
  PG_pfmemalloc = 1 << 1,     // allocated with ALLOC_NO_WATERMARKS
  PG_unmapped = 1 << 2,       // handed out with the direct map removed (ALLOC_UNMAPPED)
  PG_dm_changed = 1 << 3,     // the owner flipped its direct-map state after allocation
  PG_movable_alloc = 1 << 4,  // allocated as MIGRATE_MOVABLE: stands in for PageLRU /
                              // __PageMovable when a claim counts "movable" pages
};

struct Page {
  uint32_t next;  // list links: page index (pfn - machine base) or kNil
  uint32_t prev;
  PageState state;
  uint8_t order;     // Buddy/Pcp/Allocated heads
  uint8_t list;      // Buddy: freetype index; Pcp: pindex
  uint8_t flags;     // PageFlag
  uint16_t cpu;      // Pcp: owning CPU
  uint8_t refcount;  // Allocated: 1 (alloc_pages) or 0 (frozen)
  uint8_t unused;
};
static_assert(sizeof(Page) == 16, "metadata budget is 16 bytes per page");

// Pageblock bits: Linux 6.12 keeps ISOLATE as a migratetype value (PB_migrate bits,
// include/linux/pageblock-flags.h).
enum PageblockBits : uint8_t {
  PB_migrate_mask = 0x7,
  PB_unmapped = 1 << 3,  // FREETYPE_UNMAPPED: the whole block is out of the direct map
  PB_straddle = 1 << 4,  // the block's PFNs belong to more than one zone (or holes)
};

// A doubly linked list threaded through Page::next/prev. Head insertion is the
// kernel's list_add, tail insertion list_add_tail; both matter for which block
// comes out next.
struct ListHead {
  uint32_t head = kNil;
  uint32_t tail = kNil;
  uint32_t count = 0;
  bool empty() const { return head == kNil; }
};

}  // namespace pagealloc
