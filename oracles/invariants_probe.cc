// The full check's block walk of a zone span and its free-list walk, fast when there
// is nothing to report.
//
// On a fragmented machine the walk visits hundreds of thousands of small blocks, and
// two things make visit_block() slow there: branches on each block's state and order,
// which the predictor cannot guess, and the chain "load a head, add its size, load the
// next head", which waits on memory at every step. So a probe walks the span first:
//  - the common block (a Buddy, Pcp or Allocated head, aligned, inside its piece, in
//    mapped pageblocks, not flipped by its owner) is judged with arithmetic over all
//    three states at once, one rarely taken branch; its tails are checked by one
//    streaming count per run of such blocks (see flush());
//  - anything else goes through visit_block() with a scratch Checker;
//  - the span is cut into kLanes pieces at MAX_ORDER-aligned PFNs (no valid block
//    crosses one) that are walked side by side, so their load chains overlap.
// If the probe sees nothing wrong, its tallies are the walk's result. If it sees
// anything - a suspect block, a finding in the scratch Checker, a block running over
// its piece - it drops what it counted and walk_blocks() walks the span again with the
// real Checker, which reports exactly what it always reports.
#include <algorithm>
#include <cstring>

#include "oracles/invariants_internal.h"

namespace buddycheck::inv_detail {

namespace {

constexpr unsigned kLanes = 4;

struct Lane {
  Pfn cur, end;
  Pfn run_start;       // first PFN of the current run of blocks judged by arithmetic
  uint64_t run_heads;  // blocks in the run
  unsigned prev;       // the previous block's state << 8 | order
};

struct Probe {
  const Machine& m;
  const Page* pages;  // pages[i] is the memmap entry of PFN base + i
  Pfn base;
  unsigned max_order;
  unsigned pbo;        // pageblock_order
  uint64_t pb_pages;
  unsigned nr_cpus;
  Checker scratch;
  WalkState& ws;
  ZoneTally& tally;
  int zid;

  // Tails (PARTITION) of the blocks judged here are not read block by block: a run of
  // such blocks from run_start to p is right when it holds exactly run_heads entries
  // that are not Tail (each head is one; a non-Tail entry inside a block would be one
  // more). One streaming count per run instead of a short loop per block.
  bool flush(Lane* l, Pfn p) {
    const Page* e = pages + (l->run_start - base);
    const Page* stop = pages + (p - base);
    uint64_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;  // four chains: the adds do not wait on each other
    for (; e + 4 <= stop; e += 4) {
      n0 += e[0].state != PageState::Tail;
      n1 += e[1].state != PageState::Tail;
      n2 += e[2].state != PageState::Tail;
      n3 += e[3].state != PageState::Tail;
    }
    for (; e < stop; e++) n0 += e->state != PageState::Tail;
    const bool ok = n0 + n1 + n2 + n3 == l->run_heads;
    l->run_heads = 0;
    return ok;
  }

  // One block at p in a piece ending at `end`: the PFN after it, or 0 when the probe
  // must give up.
  [[gnu::always_inline]] Pfn step(Pfn p, Pfn end, Lane* l) {
    const Page& pg = pages[p - base];
    const unsigned st = static_cast<unsigned>(pg.state);
    const unsigned o = pg.order;
    const uint64_t size = uint64_t{1} << (o & 63);
    const unsigned mt = m.get_pageblock_migratetype(p);
    // Blocks over several pageblocks (rare, and long): every pageblock mapped; a free
    // one must not mix types (NO-CROSS-MERGE, MULTIBLOCK-UNIFORM).
    bool mapped = !m.pageblock_unmapped(p), uniform = true;
    if (o > pbo && o <= max_order)
      for (Pfn q = p + pb_pages; q < p + size && q < end; q += pb_pages) {
        mapped &= !m.pageblock_unmapped(q);
        uniform &= m.get_pageblock_migratetype(q) == mt;
      }
    // `|`, not `||`: one branch, so the compiler does not split it into unpredictable ones.
    const bool other = (st - 1 > 2) | (o > max_order) | ((p & (size - 1)) != 0) | (p + size > end) | !mapped;
    const unsigned key = st << 8 | o;
    const unsigned prev_key = l->prev;
    l->prev = key;
    if (other) {
      if (!flush(l, p)) return 0;
      const Pfn next = visit_block(scratch, ws, p, zid);
      l->run_start = next;
      return scratch.found() || next > end ? 0 : next;
    }
    l->run_heads++;
    unsigned bad = 0;
    const bool buddy = st == static_cast<unsigned>(PageState::Buddy);
    const bool pcp = st == static_cast<unsigned>(PageState::Pcp);
    const bool alloc = st == static_cast<unsigned>(PageState::Allocated);
    const bool meta = (pg.refcount | pg.flags) != 0;
    // An unmerged pair of free buddies (BUDDY-MERGED candidates) are neighbours, so
    // the upper one sees the lower one as the previous block of its lane: no load of
    // the buddy's entry. (A pair never straddles two pieces: they are MAX_ORDER-aligned.)
    // At orders >= pageblock_order types decide whether the pair may stay apart: left
    // to visit_block() by giving up.
    const bool unmerged = (o < max_order) & ((p & size) != 0) & (prev_key == key);
    bad |= buddy & (meta | (pg.list != mt) | (pg.list >= NR_FREETYPE_IDXS) | unmerged | !uniform);
    bad |= pcp & (meta | (pg.cpu >= nr_cpus) | (pg.list >= NR_PCP_LISTS_MAPPED) |
                  (scratch.pindex_order(std::min<unsigned>(pg.list, NR_PCP_LISTS - 1)) != o) |
                  ((o > PAGE_ALLOC_COSTLY_ORDER) & (o != pbo)));
    bad |= alloc & ((pg.refcount > 1) | ((pg.flags & (PG_unmapped | PG_dm_changed)) != 0));
    if (bad) return 0;
    tally.buddy_heads += buddy;
    tally.pcp_heads += pcp;
    tally.block_pages += size;
    return p + size;
  }
};

}  // namespace

Pfn walk_zone_fast(Checker& c, WalkState& ws, Pfn from, Pfn to, int zid) {
  const Machine& m = c.m();
  ZoneTally& tally = (*ws.tally)[zid];
  const ZoneTally saved = tally;
  const uint64_t saved_absent = ws.expected_absent;
  const Pfn base = m.start_pfn();
  Probe pr{m,
           &m.page(base),
           base,
           m.max_order(),
           m.pageblock_order(),
           m.pageblock_nr_pages(),
           m.nr_cpus(),
           Checker(m),
           ws,
           tally,
           zid};
  // The pieces: boundaries on MAX_ORDER-aligned PFNs.
  const Pfn align = Pfn{1} << m.max_order();
  const Pfn piece = std::max<Pfn>(align, ((to - from) / kLanes + align - 1) & ~(align - 1));
  Lane lanes[kLanes];
  Pfn at = from;
  for (unsigned k = 0; k < kLanes; k++) {
    const Pfn stop = std::min(to, std::max(at, ((from + piece * (k + 1)) & ~(align - 1))));
    lanes[k] = Lane{at, k + 1 == kLanes ? to : stop, at, 0, 0};
    at = lanes[k].end;
  }
  bool clean = true;
  auto running = [&](unsigned k) { return lanes[k].cur < lanes[k].end; };
  // All lanes at once while they last, then whatever is left lane by lane.
  auto all_running = [&] {
    bool r = true;
    for (unsigned k = 0; k < kLanes; k++) r &= running(k);
    return r;
  };
  while (clean && all_running())
    for (Lane& l : lanes) clean &= (l.cur = pr.step(l.cur, l.end, &l)) != 0;
  for (Lane& l : lanes) {
    while (clean && l.cur < l.end) clean = (l.cur = pr.step(l.cur, l.end, &l)) != 0;
    clean = clean && pr.flush(&l, l.end);
  }
  if (clean) return to;
  tally = saved;
  ws.expected_absent = saved_absent;
  return walk_blocks(c, ws, from, to, zid);
}

namespace {

// One free list being walked by probe_free_lists().
struct ListCursor {
  const ListHead* l;
  uint32_t prev, cur;
  uint32_t left;  // entries the count still allows
  uint32_t want;  // bytes 8..11 of a member's entry: Buddy, order, freetype, no flags
};

uint32_t entry_word(const Page& e) {
  uint32_t w;
  std::memcpy(&w, &e.state, sizeof w);
  return w;
}

}  // namespace

// The free lists of a zone, walked side by side as check_zone_lists() does, but with
// one comparison per entry: prev link, and state, order, list and flags read as one
// word (flags must be 0 on a free head, BUDDY-META). Members must lie in the zone span.
bool probe_free_lists(const Machine& m, const Zone& z, uint64_t buddy_heads) {
  static_assert(offsetof(Page, order) == offsetof(Page, state) + 1 && offsetof(Page, list) == offsetof(Page, state) + 2 &&
                    offsetof(Page, flags) == offsetof(Page, state) + 3,
                "state, order, list, flags are read as one word");
  const Page* pages = &m.page(m.start_pfn());
  const uint32_t zone_first = static_cast<uint32_t>(z.zone_start_pfn - m.start_pfn());
  const uint64_t span = z.spanned_pages;
  ListCursor cs[kNrPageOrdersLimit * NR_FREETYPE_IDXS];
  unsigned active = 0;
  for (unsigned o = 0; o < kNrPageOrdersLimit; o++)
    for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++) {
      const ListHead& l = z.free_area[o].free_list[ft];
      if (l.empty() && l.count == 0 && l.tail == kNil) continue;
      Page e{};
      e.state = PageState::Buddy;
      e.order = static_cast<uint8_t>(o);
      e.list = static_cast<uint8_t>(ft);
      cs[active++] = ListCursor{&l, kNil, l.head, l.count, entry_word(e)};
    }
  uint64_t total = 0;
  while (active) {
    for (unsigned i = 0; i < active;) {
      ListCursor& k = cs[i];
      if (k.cur == kNil) {
        if (k.l->tail != k.prev || k.left != 0) return false;
        total += k.l->count;
        k = cs[--active];
        continue;
      }
      if ((uint64_t{k.cur} - zone_first >= span) | (k.left == 0)) return false;
      const Page& e = pages[k.cur];
      if ((e.prev != k.prev) | (entry_word(e) != k.want)) return false;
      k.prev = k.cur;
      k.cur = e.next;
      k.left--;
      if (k.cur != kNil) __builtin_prefetch(&pages[k.cur]);
      i++;
    }
  }
  return total == buddy_heads;
}

}  // namespace buddycheck::inv_detail
