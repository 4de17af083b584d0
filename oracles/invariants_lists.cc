// SPDX-License-Identifier: GPL-2.0-or-later
// Free lists and per-cpu lists: link integrity (CONFIG_DEBUG_LIST style), membership
// both ways, and the local link test the incremental check runs on touched heads.
#include <utility>

#include <fmt/format.h>

#include "oracles/cold.h"
#include "oracles/invariants_internal.h"

namespace buddycheck::inv_detail {

namespace {

// One list being walked.
// No default member initializers: the cursor arrays below (a few hundred entries per
// zone) are filled only as far as they are used, not constructed whole on every call.
struct Cursor {
  const ListHead* l;
  uint32_t prev, cur;
  uint64_t n;
  uint16_t a, b;  // free lists: order, freetype; pcp lists: cpu, pindex
};

// Walks lists side by side, one entry of each per round: loads from different lists
// do not depend on each other, so their cache misses overlap (on a fragmented machine
// every list entry is a miss). Checks prev/next consistency, the tail and the count
// (CONFIG_DEBUG_LIST style) and calls visit(cursor, pfn) for each member reached
// through consistent links. name(cursor) names a list, formatted only on a violation.
// Returns the number of members visited.
template <typename Name, typename Visit>
uint64_t walk_lists(Checker& c, int zid, Cursor* cs, unsigned active, Name&& name, Visit&& visit) {
  const Machine& m = c.m();
  const uint64_t nr = m.end_pfn() - m.start_pfn();
  auto pfn = [&](uint32_t idx) { return m.pfn_of_index(idx); };
  auto idx_str = [&](uint32_t idx) {
    if (idx == kNil) return std::string("nil");
    return idx < nr ? fmt::format("pfn {:#x}", pfn(idx)) : fmt::format("index {}", idx);
  };
  auto broken = [&](const Cursor& k, Pfn at, const std::string& what, const std::string& expected,
                    const std::string& actual) {
    if (c.better(Inv::ListLinks, zid, at))
      cold([&] {
        c.fail(Inv::ListLinks, zid, at, {at}, fmt::format("{}: {}", name(k), what), expected,
               actual);
      });
  };
  uint64_t total = 0;
  for (unsigned i = 0; i < active; i++) {
    cs[i].prev = kNil;
    cs[i].cur = cs[i].l->head;
    cs[i].n = 0;
  }
  while (active) {
    for (unsigned i = 0; i < active;) {
      Cursor& k = cs[i];
      const Pfn last = k.prev == kNil ? m.start_pfn() : pfn(k.prev);
      bool done = true;
      if (k.cur == kNil) {
        if (k.l->tail != k.prev)
          broken(k, last,
                 fmt::format("tail is {} but the chain ends at {}", idx_str(k.l->tail),
                             idx_str(k.prev)),
                 "tail == last entry", "tail differs");
        else if (k.n != k.l->count)
          broken(k, last, fmt::format("count is {} but {} entries are linked", k.l->count, k.n),
                 fmt::format("count {}", k.n), fmt::format("count {}", k.l->count));
      } else if (k.cur >= nr) {
        broken(k, last, fmt::format("link to index {} outside the memmap", k.cur),
               "a page of the memmap", fmt::format("index {}", k.cur));
      } else if (k.n >= k.l->count) {
        broken(k, pfn(k.cur),
               fmt::format("more than count {} entries (a cycle or a stale count)", k.l->count),
               fmt::format("{} entries", k.l->count), "more");
      } else if (const Page& p = m.page(pfn(k.cur)); p.prev != k.prev) {
        broken(k, pfn(k.cur),
               fmt::format("{}->prev is {} but it follows {}", idx_str(k.cur), idx_str(p.prev),
                           k.prev == kNil ? std::string("the list head") : idx_str(k.prev)),
               "prev == predecessor", "prev differs");
      } else {
        visit(k, pfn(k.cur));
        k.n++;
        k.prev = k.cur;
        k.cur = p.next;
        if (k.cur < nr) __builtin_prefetch(&m.page(pfn(k.cur)));
        done = false;
      }
      if (!done) {
        i++;
        continue;
      }
      total += k.n;
      std::swap(k, cs[--active]);  // keep the active cursors in front
    }
  }
  return total;
}

// Local consistency of head h on list l: its neighbours point back at it (or the list
// head/tail does) and sit on the same list as far as their own fields tell.
bool links_ok(const Machine& m, const ListHead& l, Pfn h) {
  const uint64_t nr = m.end_pfn() - m.start_pfn();
  const uint32_t i = static_cast<uint32_t>(h - m.start_pfn());
  const Page& p = m.page(h);
  auto same_list = [&](const Page& n) {
    return n.state == p.state && n.list == p.list &&
           (p.state == PageState::Buddy ? n.order == p.order : n.cpu == p.cpu);
  };
  if (p.prev == kNil ? l.head != i : p.prev >= nr) return false;
  if (p.next == kNil ? l.tail != i : p.next >= nr) return false;
  if (p.prev != kNil) {
    const Page& n = m.page(m.pfn_of_index(p.prev));
    if (n.next != i || !same_list(n)) return false;
  }
  if (p.next != kNil) {
    const Page& n = m.page(m.pfn_of_index(p.next));
    if (n.prev != i || !same_list(n)) return false;
  }
  return true;
}

// The list a head says it is on, or nullptr if its fields name no list.
const ListHead* list_of(const Machine& m, Pfn h, int zid) {
  if (zid < 0) return nullptr;
  const Page& p = m.page(h);
  if (p.state == PageState::Buddy) {
    if (p.order >= kNrPageOrdersLimit || p.list >= NR_FREETYPE_IDXS) return nullptr;
    return &m.zone(static_cast<unsigned>(zid)).free_area[p.order].free_list[p.list];
  }
  if (p.state == PageState::Pcp) {
    if (p.cpu >= m.nr_cpus() || p.list >= NR_PCP_LISTS) return nullptr;
    return &m.pcp(static_cast<unsigned>(zid), p.cpu).lists[p.list];
  }
  return nullptr;
}

// After a count mismatch: the first head of the zone (by PFN) of `state` that its own
// list does not link.
void find_unlinked_head(Checker& c, const Zone& z, PageState state, Inv inv) {
  const Machine& m = c.m();
  for (Pfn p = z.zone_start_pfn; p < z.zone_end_pfn(); p++) {
    const Page& pg = m.page(p);
    if (pg.state != state) continue;
    const ListHead* l = list_of(m, p, z.id);
    if (l && links_ok(m, *l, p)) continue;
    if (c.better(inv, z.id, p))
      cold([&] {
        c.fail(inv, z.id, p, {p},
               fmt::format("{} head at pfn {:#x} order {} is not on its list",
                           page_state_name(state), p, pg.order),
               "linked into the list its fields name", "not linked");
      });
    return;
  }
  if (c.better(inv, z.id, z.zone_end_pfn()))
    cold([&] {
      c.fail(inv, z.id, z.zone_end_pfn(), {z.zone_start_pfn},
             fmt::format("the zone's {} lists and its {} heads differ in number",
                         page_state_name(state), page_state_name(state)),
             "one list entry per head", "counts differ");
    });
}

}  // namespace

void check_zone_lists(Checker& c, const Zone& z, const ZoneTally& t, bool free_ok) {
  const Machine& m = c.m();
  const int zid = z.id;
  auto nonempty = [](const ListHead& l) { return !(l.empty() && l.count == 0 && l.tail == kNil); };
  if ((c.wants(Inv::ListLinks) || c.wants(Inv::ListFlag)) && !free_ok) {
    Cursor cs[kNrPageOrdersLimit * NR_FREETYPE_IDXS];
    unsigned n = 0;
    const unsigned orders = orders_in_use(m, z);
    for (unsigned k = 0; k < orders; k++)
      for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++)
        if (nonempty(z.free_area[k].free_list[ft]))
          cs[n++] = Cursor{&z.free_area[k].free_list[ft], kNil, kNil, 0, static_cast<uint16_t>(k),
                           static_cast<uint16_t>(ft)};
    auto name = [&](const Cursor& k) {
      return fmt::format("free_area[{}].free_list[{}]", k.a, freetype_name(k.b));
    };
    const uint64_t members = walk_lists(c, zid, cs, n, name, [&](const Cursor& k, Pfn p) {
      const Page& pg = m.page(p);
      if (pg.state == PageState::Buddy && pg.order == k.a && pg.list == k.b && z.spans(p)) return;
      if (c.better(Inv::ListFlag, zid, p))
        cold([&] {
          c.fail(Inv::ListFlag, zid, p, {p},
                 fmt::format(
                     "pfn {:#x} on free_area[{}].free_list[{}] is a {} page order {} list {} of {}",
                     p, k.a, freetype_name(k.b), page_state_name(pg.state), pg.order, pg.list,
                     zone_str(m, m.page_zone_id(p))),
                 fmt::format("a Buddy head of order {} list {} in this zone", k.a, k.b),
                 fmt::format("{} order {} list {}", page_state_name(pg.state), pg.order, pg.list));
        });
    });
    if (members != t.buddy_heads && c.wants(Inv::ListFlag))
      find_unlinked_head(c, z, PageState::Buddy, Inv::ListFlag);
  }
  if (c.wants(Inv::ListLinks) || c.wants(Inv::PcpMember)) {
    // Batches of a few CPUs' lists: a fixed buffer however many CPUs there are.
    constexpr unsigned kBatch = 8 * NR_PCP_LISTS;
    Cursor cs[kBatch];
    auto name = [&](const Cursor& k) { return fmt::format("cpu {} pcp lists[{}]", k.a, k.b); };
    auto visit = [&](const Cursor& k, Pfn p) {
      const Page& pg = m.page(p);
      const unsigned order = c.pindex_order(k.b);
      if (pg.state == PageState::Pcp && pg.cpu == k.a && pg.list == k.b && pg.order == order &&
          z.spans(p))
        return;
      if (c.better(Inv::PcpMember, zid, p))
        cold([&] {
          c.fail(
              Inv::PcpMember, zid, p, {p},
              fmt::format(
                  "pfn {:#x} on cpu {} pcp lists[{}] is a {} page order {} cpu {} pindex {}", p,
                  k.a, k.b, page_state_name(pg.state), pg.order, pg.cpu, pg.list),
              fmt::format("a Pcp head of order {} cpu {} pindex {} in this zone", order, k.a, k.b),
              fmt::format("{} order {} cpu {} pindex {}", page_state_name(pg.state), pg.order,
                          pg.cpu, pg.list));
        });
    };
    uint64_t members = 0;
    unsigned n = 0;
    for (unsigned cpu = 0; cpu < m.nr_cpus(); cpu++) {
      const PerCpuPages& pcp = m.pcp(z.id, cpu);
      for (unsigned i = 0; i < NR_PCP_LISTS; i++)
        if (nonempty(pcp.lists[i]))
          cs[n++] = Cursor{&pcp.lists[i],           kNil, kNil, 0, static_cast<uint16_t>(cpu),
                           static_cast<uint16_t>(i)};
      if (n + NR_PCP_LISTS > kBatch || cpu + 1 == m.nr_cpus()) {
        members += walk_lists(c, zid, cs, n, name, visit);
        n = 0;
      }
    }
    if (members != t.pcp_heads && c.wants(Inv::PcpMember))
      find_unlinked_head(c, z, PageState::Pcp, Inv::PcpMember);
  }
  if (t.block_pages != z.managed_pages && c.better(Inv::Partition, zid, z.zone_end_pfn()))
    cold([&] {
      c.fail(Inv::Partition, zid, z.zone_end_pfn(), {z.zone_start_pfn},
             fmt::format("blocks cover {} pages but the zone manages {}", t.block_pages,
                         z.managed_pages),
             fmt::format("{} pages in blocks", z.managed_pages),
             fmt::format("{} pages in blocks", t.block_pages));
    });
}

void check_head_links(Checker& c, Pfn head, int zid) {
  const Machine& m = c.m();
  const ListHead* l = list_of(m, head, zid);
  if (!l || links_ok(m, *l, head)) return;
  const Page& p = m.page(head);
  const Inv inv = p.state == PageState::Buddy ? Inv::ListFlag : Inv::PcpMember;
  if (c.better(inv, zid, head))
    cold([&] {
      c.fail(inv, zid, head, {head},
             fmt::format("{} head at pfn {:#x} order {} is not linked into its list",
                         page_state_name(p.state), head, p.order),
             "neighbours (or the list head/tail) point back at it", "links disagree");
    });
}

}  // namespace buddycheck::inv_detail
