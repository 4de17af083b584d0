// SPDX-License-Identifier: GPL-2.0-or-later
// The full check's fast probes (oracles/invariants_probe.cc: the block walk that judges
// common blocks with arithmetic, the one-compare free-list walk) may only make the
// check faster, never change what it reports. Machines churned by random allocations
// (every migratetype, unmapped ones, all orders) and frees get one random corruption
// of a memmap entry, a pageblock, a list link, a list head's count, head or tail, a
// free block split in two, an allocated block moved one page off its alignment, a
// head relabelled as another kind of head, two free blocks of one order and freetype
// swapped between zones - or none - and check_invariants() must return exactly what
// check_invariants_unprobed() returns.
// The corruption is aimed at a block head most of the time, where the probe judges.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "oracles/corrupt.h"
#include "oracles/invariants.h"

namespace {

using namespace pagealloc;
using buddycheck::check_invariants;
using buddycheck::check_invariants_unprobed;
using buddycheck::Finding;

std::string show(const std::optional<Finding>& f) {
  if (!f) return "no finding";
  return f->id + ": " + f->summary + " (expected " + f->expected + ", actual " + f->actual + ")";
}

void churn(Machine& m, std::mt19937_64& rng, unsigned ops) {
  const gfp_t gfps[] = {GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE,
                        GFP_KERNEL | __GFP_UNMAPPED, GFP_ATOMIC};
  std::vector<std::pair<Pfn, unsigned>> live;
  for (unsigned i = 0; i < ops; i++) {
    if (!live.empty() && rng() % 3 == 0) {
      const size_t k = rng() % live.size();
      m.free_pages(live[k].first, live[k].second, static_cast<unsigned>(rng() % m.nr_cpus()));
      live[k] = live.back();
      live.pop_back();
      continue;
    }
    AllocRequest req;
    req.gfp = gfps[rng() % 5];
    req.order = rng() % 3 ? static_cast<unsigned>(rng() % 4)
                          : static_cast<unsigned>(rng() % (m.max_order() + 1));
    req.cpu = static_cast<unsigned>(rng() % m.nr_cpus());
    AllocResult r = m.alloc_pages(req);
    if (r.ok()) live.emplace_back(r.pfn, r.order);
  }
}

// An allocated order-0 head right after a block.
bool alloc0_at(const Machine& m, Pfn p) {
  return p < m.end_pfn() && m.page(p).state == PageState::Allocated && m.page(p).order == 0;
}

// Two free blocks of the same order and freetype in different zones trade lists: every
// list stays consistently linked with its count, so only the free-list probe's
// zone-span test sees that a zone lists another zone's page (LIST-FLAG alone). False
// if no such pair exists (one zone, or no order and freetype free in two zones).
bool swap_across_zones(Machine& m, MachineCorruptor& k, std::mt19937_64& rng) {
  std::vector<std::vector<Pfn>> by_kind(kNrPageOrdersLimit * NR_FREETYPE_IDXS);
  for (Pfn q = m.start_pfn(); q < m.end_pfn(); q++) {
    const Page& e = m.page(q);
    if (e.state == PageState::Buddy && e.order < kNrPageOrdersLimit && e.list < NR_FREETYPE_IDXS &&
        m.page_zone_id(q) >= 0)
      by_kind[e.order * NR_FREETYPE_IDXS + e.list].push_back(q);
  }
  std::vector<std::pair<Pfn, Pfn>> pairs;  // one pair per kind, so each kind is as likely
  for (const std::vector<Pfn>& v : by_kind) {
    if (v.empty()) continue;
    const Pfn a = v[rng() % v.size()];
    std::vector<Pfn> others;
    for (Pfn b : v)
      if (m.page_zone_id(b) != m.page_zone_id(a)) others.push_back(b);
    if (!others.empty()) pairs.emplace_back(a, others[rng() % others.size()]);
  }
  if (pairs.empty()) return false;
  const auto [a, b] = pairs[rng() % pairs.size()];
  const Page& e = m.page(a);
  ListHead& la =
      k.zone(static_cast<unsigned>(m.page_zone_id(a))).free_area[e.order].free_list[e.list];
  ListHead& lb =
      k.zone(static_cast<unsigned>(m.page_zone_id(b))).free_area[e.order].free_list[e.list];
  k.list_del(la, a);
  k.list_del(lb, b);
  k.list_add(la, b);
  k.list_add(lb, a);
  return true;
}

// One random corruption (or none, one time in fifteen). True if it swapped free blocks
// between zones.
bool corrupt(Machine& m, std::mt19937_64& rng) {
  MachineCorruptor k(m);
  const uint64_t nr = m.end_pfn() - m.start_pfn();
  std::vector<Pfn> heads[3], splittable, movable;
  for (Pfn q = m.start_pfn(); q < m.end_pfn(); q++) {
    const Page& e = m.page(q);
    const unsigned st = static_cast<unsigned>(e.state);
    if (st >= 1 && st <= 3) heads[st - 1].push_back(q);
    if (e.state == PageState::Buddy && e.order > 0) splittable.push_back(q);
    if (e.state == PageState::Allocated && e.order > 0 && e.order <= m.max_order() &&
        alloc0_at(m, q + (Pfn{1} << e.order)))
      movable.push_back(q);
  }
  Pfn p = m.start_pfn() + rng() % nr;
  if (rng() % 4) {  // mostly a block head, where the probe judges: Buddy, Pcp, Allocated alike
    const std::vector<Pfn>& pick = heads[rng() % 3];
    if (!pick.empty()) p = pick[rng() % pick.size()];
  }
  const unsigned what = rng() % 15;
  if (what == 10 && !splittable.empty()) p = splittable[rng() % splittable.size()];
  if (what == 11 && !movable.empty()) {
    // Half the time the highest order: blocks above pageblock_order are judged apart.
    p = movable[rng() % movable.size()];
    if (rng() % 2)
      for (Pfn q : movable)
        if (m.page(q).order > m.page(p).order) p = q;
  }
  Page& pg = k.page(p);
  switch (what) {
    case 0:
      pg.state = static_cast<PageState>(rng() % 6);
      break;
    case 1:  // half the time one off: a block over its neighbour's head, or half its own
      pg.order = static_cast<uint8_t>(rng() % 2 ? pg.order + 1 - 2 * (rng() % 2)
                                                : rng() % (m.max_order() + 3));
      break;
    case 2:
      pg.list = static_cast<uint8_t>(rng() % 24);
      break;
    case 3:
      pg.flags = static_cast<uint8_t>(1u << (rng() % 5));
      break;
    case 4:
      pg.refcount = static_cast<uint8_t>(rng() % 3);
      break;
    case 5:
      pg.cpu = static_cast<uint16_t>(rng() % 4);
      break;
    case 6:
      pg.next = rng() % 4 ? static_cast<uint32_t>(rng() % nr) : kNil;
      break;
    case 7:
      pg.prev = rng() % 4 ? static_cast<uint32_t>(rng() % nr) : kNil;
      break;
    case 8:
      k.pageblock_bits(p) = static_cast<uint8_t>(rng() % 32);
      break;
    case 9: {
      Zone& z = k.zone(static_cast<unsigned>(rng() % m.nr_zones()));
      ListHead& l = z.free_area[rng() % 4].free_list[rng() % 3];
      switch (rng() % 3) {
        case 0:
          l.count += rng() % 2 ? 1 : -1;
          break;
        case 1:
          l.tail = rng() % 4 ? static_cast<uint32_t>(rng() % nr) : kNil;
          break;
        default:
          l.head = rng() % 4 ? static_cast<uint32_t>(rng() % nr) : kNil;
          break;
      }
      break;
    }
    case 10: {
      // A free block split into its two halves, both listed: unmerged buddies and
      // nothing else wrong (BUDDY-MERGED alone).
      if (pg.state != PageState::Buddy || pg.order == 0 || m.page_zone_id(p) < 0) break;
      Zone& z = k.zone(static_cast<unsigned>(m.page_zone_id(p)));
      const unsigned o = pg.order, ft = pg.list;
      k.list_del(z.free_area[o].free_list[ft], p);
      z.free_area[o].nr_free--;
      z.free_area[o - 1].nr_free += 2;
      const Pfn half = p + (Pfn{1} << (o - 1));
      for (Pfn h : {p, half}) {
        Page& e = k.page(h);
        e.state = PageState::Buddy;
        e.order = static_cast<uint8_t>(o - 1);
        e.list = static_cast<uint8_t>(ft);
        k.list_add(z.free_area[o - 1].free_list[ft], h);
      }
      break;
    }
    case 11: {
      // [p, p + 2^o) and the order-0 block after it become [p, p + 1) and the
      // unaligned [p + 1, p + 1 + 2^o): still a partition, BUDDY-ALIGN alone.
      const unsigned o = pg.order;
      if (pg.state != PageState::Allocated || o == 0 || !alloc0_at(m, p + (Pfn{1} << o))) break;
      Page moved = pg;
      pg.order = 0;
      k.page(p + 1) = moved;
      k.page(p + (Pfn{1} << o)) = Page{};
      break;
    }
    case 12: {
      // Buddy, Pcp, Allocated: one of the other two, left on the list it is on.
      const unsigned st = static_cast<unsigned>(pg.state);
      if (st >= 1 && st <= 3) pg.state = static_cast<PageState>(1 + (st + rng() % 2) % 3);
      break;
    }
    case 13:
      return swap_across_zones(m, k, rng);
    default:
      break;
  }
  return false;
}

void agree_on(const Config& cfg, uint64_t seed, unsigned trials, unsigned ops) {
  std::mt19937_64 rng(seed);
  unsigned findings = 0, swaps = 0;
  for (unsigned t = 0; t < trials; t++) {
    Machine m(cfg);
    churn(m, rng, ops);
    ASSERT_EQ(show(check_invariants(m)), "no finding")
        << "trial " << t << ": the churn alone broke the machine";
    swaps += corrupt(m, rng);
    const std::optional<Finding> probed = check_invariants(m), plain = check_invariants_unprobed(m);
    ASSERT_EQ(show(probed), show(plain)) << "trial " << t;
    if (probed) {
      ASSERT_EQ(probed->pfns, plain->pfns) << "trial " << t;
      findings++;
    }
  }
  // Most corruptions must be findings, or the comparison proves little.
  EXPECT_GT(findings, trials / 3);
  // With several zones the cross-zone swap must have happened, or it tests nothing.
  if (cfg.nodes.size() > 1 || cfg.nodes[0].zones.size() > 1) {
    EXPECT_GT(swaps, 0u);
  }
}

Config small_cma() {
  Config c = configs::single_zone(1024, /*max_order=*/4, /*pageblock_order=*/2);
  c.cpu_node = {0, 0};
  c.cma = {{512, 576}};
  return c;
}

// 1024 pages, MAX_ORDER 4, 4-page pageblocks, CMA.
TEST(invariants_probe, agree_small_cma) { agree_on(small_cma(), 1, 400, 300); }

// pageblock_order 9, MAX_ORDER 10, four lanes per zone.
TEST(invariants_probe, agree_numa) { agree_on(configs::numa(2, 8192), 2, 120, 1500); }

// pageblock_order == MAX_ORDER, three zones.
TEST(invariants_probe, agree_pc_like) {
  Config c = configs::pc_like(2048, 4096);
  c.max_page_order = 5;
  c.pageblock_order = 5;
  agree_on(c, 3, 200, 600);
}

}  // namespace
