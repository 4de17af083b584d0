// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the invariant firing tests (invariants_test.cc, invariants_zone_test.cc):
// the small corrupted-on-purpose machine and the assertions that a check fires with
// exactly its own ID. See invariants_test.cc for the machine's picture.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "oracles/corrupt.h"
#include "oracles/invariants.h"

namespace invtest {

using namespace pagealloc;
using buddycheck::check_invariants;
using buddycheck::check_invariants_incremental;
using buddycheck::Finding;
using buddycheck::Inv;

inline Config small_cfg() {
  Config c = configs::single_zone(1024, /*max_order=*/4, /*pageblock_order=*/2);
  c.cpu_node = {0, 0};
  c.cma = {{512, 576}};
  return c;
}

inline std::string show(const std::optional<Finding>& f) {
  if (!f) return "no finding";
  return f->id + ": " + f->summary + " (expected " + f->expected + ", actual " + f->actual + ")";
}

// Both checks pass, then the touch log starts afresh so only the corruption shows.
inline void expect_clean(Machine& m) {
  ASSERT_EQ(check_invariants(m), std::nullopt) << show(check_invariants(m));
  ASSERT_EQ(check_invariants_incremental(m), std::nullopt) << show(check_invariants_incremental(m));
  m.reset_touched();
}

// The full check names `id`; with `incremental`, so does the incremental check.
inline void expect_fires(const Machine& m, const std::string& id, bool incremental = true) {
  std::optional<Finding> full = check_invariants(m);
  ASSERT_TRUE(full.has_value()) << "full check found nothing, expected " << id;
  EXPECT_EQ(full->id, id) << show(full);
  EXPECT_FALSE(full->summary.empty());
  EXPECT_FALSE(full->pfns.empty());
  if (!incremental) return;
  std::optional<Finding> inc = check_invariants_incremental(m);
  ASSERT_TRUE(inc.has_value()) << "incremental check found nothing, expected " << id;
  EXPECT_EQ(inc->id, id) << show(inc);
}

inline AllocResult alloc(Machine& m, gfp_t gfp, unsigned order = 0, unsigned cpu = 0) {
  AllocRequest req;
  req.gfp = gfp;
  req.order = order;
  req.cpu = cpu;
  return m.alloc_pages(req);
}

// A few allocations of mixed orders and types, some freed again, so that the free
// lists, the per-cpu lists and split blocks all hold something.
inline std::vector<AllocResult> warm(Machine& m) {
  std::vector<AllocResult> live;
  for (unsigned i = 0; i < 6; i++) live.push_back(alloc(m, GFP_KERNEL, i % 4, i % 2));
  for (unsigned i = 0; i < 4; i++) live.push_back(alloc(m, GFP_HIGHUSER_MOVABLE, i % 3, 0));
  for (const AllocResult& r : live) EXPECT_TRUE(r.ok());
  m.free_pages(live[1].pfn, live[1].order, 1);
  m.free_pages(live[7].pfn, live[7].order, 0);
  live.erase(live.begin() + 7);
  live.erase(live.begin() + 1);
  return live;
}

// First head (by PFN) in state `st` satisfying `pred`; kNoPfn if none.
inline Pfn find_head(const Machine& m, PageState st,
                     const std::function<bool(Pfn, const Page&)>& pred = {}) {
  for (Pfn p = m.start_pfn(); p < m.end_pfn(); p++) {
    const Page& pg = m.page(p);
    if (pg.state == st && (!pred || pred(p, pg))) return p;
  }
  return kNoPfn;
}

inline ListHead& free_list(MachineCorruptor& c, const Machine& m, Pfn head) {
  const Page& pg = m.page(head);
  return c.zone(static_cast<unsigned>(m.page_zone_id(head))).free_area[pg.order].free_list[pg.list];
}

// Rewrites the migratetype bits of the pageblock holding `pfn` (the unmapped flag stays).
inline void set_block_type(MachineCorruptor& c, Pfn pfn, unsigned mt) {
  c.pageblock_bits(pfn) = static_cast<uint8_t>((c.pageblock_bits(pfn) & ~PB_migrate_mask) | mt);
}

inline unsigned zone_of(const Machine& m, Pfn pfn) {
  return static_cast<unsigned>(m.page_zone_id(pfn));
}

}  // namespace invtest
