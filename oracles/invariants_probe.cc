// SPDX-License-Identifier: GPL-2.0-or-later
// The full check's block walk of a zone span and its free-list walk, fast when there
// is nothing to report.
//
// On a fragmented machine the walk visits hundreds of thousands of small blocks, and
// two things make visit_block() slow there: branches on each block's state and order,
// which the predictor cannot guess, and the chain "load a head, add its size, load the
// next head", which waits on memory at every step. So a probe walks the span first:
//  - the common block (a Buddy or Allocated head, aligned, within one mapped pageblock,
//    not flipped by its owner) is judged by one masked compare of its head's bytes
//    against a per-state rule (kRules) and the pageblock's type (fact[]), plus one
//    compare with its buddy's state and order: a few instructions, one rarely taken
//    branch. Its tails are checked by one streaming count per run of such blocks;
//  - anything else goes to rare(): Pcp heads and blocks above one pageblock are
//    judged there much the same way, the rest go through visit_block() with a
//    scratch Checker;
//  - the span is cut into kLanes pieces at MAX_ORDER-aligned PFNs (no valid block
//    crosses one) that are walked side by side, so their load chains overlap; a lane
//    that is done takes over half of the longest.
// If the probe sees nothing wrong, its tallies are the walk's result. If it sees
// anything - a finding in the scratch Checker, a block running over its piece, tails
// that do not add up - it drops what it counted and walk_blocks() walks the span again
// with the real Checker, which reports exactly what it always reports.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory_resource>
#include <vector>

#include "oracles/invariants_internal.h"

namespace buddycheck::inv_detail {

namespace {

constexpr unsigned kLanes = 4;  // walk_zone_fast() names them one by one

// A head's bytes 8..15 (state, order, list, flags, cpu, refcount, unused) read as one
// little-endian word.
static_assert(std::endian::native == std::endian::little, "head words are read little-endian");
static_assert(offsetof(Page, state) == 8 && offsetof(Page, order) == 9 &&
                  offsetof(Page, list) == 10 && offsetof(Page, flags) == 11 &&
                  offsetof(Page, cpu) == 12 && offsetof(Page, refcount) == 14,
              "the head word layout");
constexpr unsigned kListShift = 16, kFlagsShift = 24, kRefShift = 48;
// Bit of Rule::want outside every mask: set for states that have no buddy check.
constexpr unsigned kSoloShift = 56;

uint64_t head_word(const uint8_t* entry) {
  uint64_t w;
  std::memcpy(&w, entry + offsetof(Page, state), sizeof w);
  return w;
}

// What a head word must hold under `mask` to be judged by arithmetic, per state byte.
struct Rule {
  uint64_t want, mask;
};

constexpr std::array<Rule, 256> make_rules() {
  std::array<Rule, 256> r{};
  // Never matches (the state byte differs in bit 0, whatever a pageblock fact adds).
  for (unsigned s = 0; s < 256; s++) r[s] = {(s ^ 1) | uint64_t{1} << kSoloShift, 0xFF};
  // Buddy: refcount 0, flags 0 (BUDDY-META), list = the pageblock's type (HYGIENE; the
  // fact adds the type).
  constexpr unsigned buddy = static_cast<unsigned>(PageState::Buddy);
  r[buddy] = {buddy, 0xFF | uint64_t{0xFF} << kListShift | uint64_t{0xFF} << kFlagsShift |
                         uint64_t{0xFF} << kRefShift};
  // Allocated: refcount 0 or 1 (BUDDY-META), mapped and not flipped by its owner (DM-ALLOC).
  constexpr unsigned alloc = static_cast<unsigned>(PageState::Allocated);
  r[alloc] = {
      alloc | uint64_t{1} << kSoloShift,
      0xFF | uint64_t{PG_unmapped | PG_dm_changed} << kFlagsShift | uint64_t{0xFE} << kRefShift};
  return r;
}
constexpr std::array<Rule, 256> kRules = make_rules();

// A pageblock fact poisoning the state byte (bit 7): no rule matches, the block goes
// to rare(). For unmapped pageblocks and types no free list has.
constexpr uint32_t kPoison = 0x80;

struct Lane {
  uint64_t cur, end;   // byte offsets from Probe::bytes
  uint64_t run_start;  // first byte of the current run of blocks judged without visit_block()
};

struct Probe {
  const Machine& m;
  const uint8_t* bytes;  // the memmap entry of PFN base, as bytes
  Pfn base;              // MAX_ORDER-aligned: offsets and PFNs share alignment
  const uint32_t* fact;  // per pageblock from base: type << kListShift, or kPoison
  unsigned pb_shift;     // byte offset >> pb_shift = pageblock index
  unsigned lim;          // highest order judged by step(): within a pageblock, buddy in the memmap
  unsigned max_order, pbo, nr_cpus;
  Checker scratch;
  WalkState& ws;
  int zid;
  bool clean = true;
  uint64_t nfast = 0, nbuddy = 0, npcp = 0, fast_bytes = 0, nontail = 0;

  // Tails (PARTITION) of the blocks judged without visit_block() are not read block by
  // block: the non-Tail entries of their runs are counted, and in the end there must be
  // exactly nfast of them (each such head is one; a non-Tail entry inside a block would
  // be one more). One streaming count per run instead of a short loop per block.
  void flush(Lane& l, uint64_t to) {
    const uint8_t* e = bytes + l.run_start + offsetof(Page, state);
    const uint8_t* stop = bytes + to + offsetof(Page, state);
    uint64_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;  // four chains: the adds do not wait on each other
    for (; e + 4 * sizeof(Page) <= stop; e += 4 * sizeof(Page)) {
      n0 += e[0] != 0;
      n1 += e[sizeof(Page)] != 0;
      n2 += e[2 * sizeof(Page)] != 0;
      n3 += e[3 * sizeof(Page)] != 0;
    }
    for (; e < stop; e += sizeof(Page)) n0 += *e != 0;
    nontail += n0 + n1 + n2 + n3;
    l.run_start = to;  // counted once
  }

  // A Pcp head the rule table sends here: the checks of check_pcp_head() and
  // visit_block() that can fail on a mapped, aligned one. The next offset, or 0.
  uint64_t pcp(uint64_t off, uint64_t w) {
    const Pfn p = base + off / sizeof(Page);
    const unsigned o = (w >> 8) & 0xFF, list = (w >> kListShift) & 0xFF;
    const unsigned cpu = (w >> 32) & 0xFFFF;
    const uint64_t size = uint64_t{1} << (o & 63);
    const bool ok = o <= pbo && (p & (size - 1)) == 0 && !m.pageblock_unmapped(p) &&
                    ((w >> kFlagsShift) & 0xFF) == 0 && ((w >> kRefShift) & 0xFF) == 0 &&
                    cpu < nr_cpus && list < NR_PCP_LISTS_MAPPED &&
                    scratch.pindex_order(list) == o && (o <= PAGE_ALLOC_COSTLY_ORDER || o == pbo);
    if (!ok) return 0;
    npcp++;
    nfast++;
    fast_bytes += size * sizeof(Page);
    return off + size * sizeof(Page);
  }

  // A Buddy or Allocated head above lim (a fresh machine is all MAX_ORDER blocks):
  // step()'s judgement with every pageblock under the block mapped and, for a free
  // block, of one type (NO-CROSS-MERGE, MULTIBLOCK-UNIFORM). The next offset, or 0.
  uint64_t big(uint64_t off, uint64_t w, unsigned o) {
    const Rule& r = kRules[w & 0xFF];
    const bool buddy = (w & 0xFF) == static_cast<unsigned>(PageState::Buddy);
    const uint64_t sz = uint64_t{sizeof(Page)} << o;
    const uint32_t f = fact[off >> pb_shift];
    bool ok = (off & (sz - 1)) == 0 && ((w ^ (r.want | f)) & r.mask) == 0;
    for (uint64_t q = off + (uint64_t{1} << pb_shift); ok && q < off + sz;
         q += uint64_t{1} << pb_shift)
      ok = buddy ? fact[q >> pb_shift] == f : fact[q >> pb_shift] != kPoison;
    if (ok && buddy && o < max_order) ok = ((head_word(bytes + (off ^ sz)) ^ w) & 0xFFFF) != 0;
    if (!ok) return 0;
    nfast++;
    nbuddy += buddy;
    fast_bytes += sz;
    return off + sz;
  }

  // Whatever step() does not judge. Gives up (clean = false) by returning the next
  // entry, so the caller's bound on the walk still holds.
  [[gnu::noinline]] uint64_t rare(uint64_t off, Lane& l) {
    const uint64_t w = head_word(bytes + off);
    const unsigned o = (w >> 8) & 0xFF;
    // Within the piece (a longer block is visit_block()'s, and its facts are not at hand).
    if (o <= max_order && off + (sizeof(Page) << o) <= l.end) {
      const uint64_t next =
          (w & 0xFF) == static_cast<unsigned>(PageState::Pcp) ? pcp(off, w) : big(off, w, o);
      if (next) return next;
    }
    flush(l, off);
    const Pfn next = visit_block(scratch, ws, base + off / sizeof(Page), zid);
    const uint64_t next_off = (next - base) * sizeof(Page);
    l.run_start = next_off;
    if (scratch.found()) {
      clean = false;
      return off + sizeof(Page);
    }
    return next_off;
  }
};

// step()'s constants and counts, apart from Probe so that they stay in registers
// across calls of the out-of-line Probe::rare().
struct Fast {
  const uint8_t* bytes;
  const uint32_t* fact;
  unsigned pb_shift, lim;
  uint64_t counts = 0;  // blocks judged (low half), Buddy ones among them (high half)
  uint64_t fast_bytes = 0;

  // One block at byte offset off: the offset after it. Advances at most 2^max_order
  // pages, also through rare().
  [[gnu::always_inline]] uint64_t step(Probe& pr, uint64_t off, Lane& l) {
    const uint64_t w = head_word(bytes + off);
    const unsigned st = w & 0xFF;
    const unsigned o_raw = (w >> 8) & 0xFF;
    const unsigned o = std::min(o_raw, lim);
    const uint64_t sz = uint64_t{sizeof(Page)} << o;
    const Rule& r = kRules[st];
    const uint64_t want = r.want | fact[off >> pb_shift];
    // BUDDY-MERGED candidates: a Buddy whose buddy's head holds the same state and order
    // (from either half; inside the MAX_ORDER block as o < max_order).
    const uint64_t wb = head_word(bytes + (off ^ sz));
    const bool unmerged = (((wb ^ w) & 0xFFFF) | (want >> kSoloShift)) == 0;
    // `|`, not `||`: one branch, so the compiler does not split it into unpredictable ones.
    const bool other =
        (((w ^ want) & r.mask) != 0) | (o_raw > lim) | ((off & (sz - 1)) != 0) | unmerged;
    if (other) [[unlikely]]
      return pr.rare(off, l);
    // One add for both counts (each below 2^32: memmap indices are 32-bit).
    counts += 1 | uint64_t{st == static_cast<unsigned>(PageState::Buddy)} << 32;
    fast_bytes += sz;
    return off + sz;
  }
};

}  // namespace

Pfn walk_zone_fast(Checker& c, WalkState& ws, Pfn from, Pfn to, int zid) {
  const Machine& m = c.m();
  ZoneTally& tally = (*ws.tally)[zid];
  const ZoneTally saved = tally;
  const uint64_t saved_absent = ws.expected_absent;
  const unsigned max_order = m.max_order(), pbo = m.pageblock_order();
  if (max_order == 0) return walk_blocks(c, ws, from, to, zid);  // no buddy to compare with
  // The walk works relative to the MAX_ORDER block holding `from` (the memmap starts
  // and ends on such blocks).
  const Pfn align = Pfn{1} << max_order;
  const Pfn base = from & ~(align - 1);
  // On the stack when it fits (a fuzz-sized zone): see probe_free_lists().
  std::array<std::byte, 1024> buf;
  std::pmr::monotonic_buffer_resource arena(buf.data(), buf.size());
  std::pmr::vector<uint32_t> fact(((to - base) >> pbo) + 1, &arena);
  for (size_t i = 0; i < fact.size() && base + (Pfn{i} << pbo) < m.end_pfn(); i++) {
    const Pfn q = base + (Pfn{i} << pbo);
    const unsigned mt = m.get_pageblock_migratetype(q);
    fact[i] = m.pageblock_unmapped(q) || mt >= NR_FREETYPE_IDXS ? kPoison : mt << kListShift;
  }
  Probe pr{m,
           reinterpret_cast<const uint8_t*>(&m.page(base)),
           base,
           fact.data(),
           pbo + static_cast<unsigned>(std::countr_zero(sizeof(Page))),
           std::min(pbo, max_order - 1),
           max_order,
           pbo,
           m.nr_cpus(),
           Checker(m),
           ws,
           zid};
  Fast f{pr.bytes, pr.fact, pr.pb_shift, pr.lim};
  // The pieces: boundaries on MAX_ORDER-aligned PFNs.
  const Pfn piece = std::max<Pfn>(align, ((to - from) / kLanes + align - 1) & ~(align - 1));
  auto off = [&](Pfn p) { return (p - base) * sizeof(Page); };
  Lane lanes[kLanes];
  Pfn at = from;
  for (unsigned k = 0; k < kLanes; k++) {
    const Pfn stop = std::min(to, std::max(at, ((from + piece * (k + 1)) & ~(align - 1))));
    lanes[k] = Lane{off(at), off(k + 1 == kLanes ? to : stop), off(at)};
    at = k + 1 == kLanes ? to : stop;
  }
  // A lane walked to its end one step at a time (a block running over the end is
  // visit_block()'s to judge: give up).
  auto finish = [&](Lane& l) {
    while (pr.clean && l.cur < l.end) l.cur = f.step(pr, l.cur, l);
    pr.clean = pr.clean && l.cur == l.end;
    if (pr.clean) pr.flush(l, l.end);
  };
  // All lanes at once for as many rounds as none can reach its end in (a step advances
  // at most 2^max_order pages, `unit` bytes). A lane about to end finishes and takes
  // over the upper half of the longest one, cut at a MAX_ORDER-aligned PFN: free
  // blocks cluster, so equal pieces are not equal work.
  const unsigned step_shift = max_order + static_cast<unsigned>(std::countr_zero(sizeof(Page)));
  const uint64_t unit = uint64_t{1} << step_shift;
  while (pr.clean) {
    uint64_t rounds = ~uint64_t{0};
    for (Lane& l : lanes) {
      if (l.end - l.cur < unit) {
        finish(l);
        Lane* big = &lanes[0];
        for (Lane& b : lanes)
          if (b.end - b.cur > big->end - big->cur) big = &b;
        const uint64_t left = big->end - big->cur;
        if (left >= 2 * unit) {
          const uint64_t mid = (big->cur + left / 2) & ~(unit - 1);
          l = Lane{mid, big->end, mid};
          big->end = mid;
        }
      }
    }
    // After the cuts: a cut shortens a lane already looked at.
    for (const Lane& l : lanes) rounds = std::min(rounds, (l.end - l.cur) >> step_shift);
    if (rounds == 0) break;
    // Local copies: nothing else can see them, so they stay in registers.
    Fast g = f;
    uint64_t c0 = lanes[0].cur, c1 = lanes[1].cur, c2 = lanes[2].cur, c3 = lanes[3].cur;
    for (; rounds && pr.clean; rounds--) {
      c0 = g.step(pr, c0, lanes[0]);
      c1 = g.step(pr, c1, lanes[1]);
      c2 = g.step(pr, c2, lanes[2]);
      c3 = g.step(pr, c3, lanes[3]);
    }
    lanes[0].cur = c0, lanes[1].cur = c1, lanes[2].cur = c2, lanes[3].cur = c3;
    f = g;
  }
  for (Lane& l : lanes) finish(l);
  if (pr.clean && pr.nontail == pr.nfast + (f.counts & 0xFFFFFFFF)) {
    tally.buddy_heads += pr.nbuddy + (f.counts >> 32);
    tally.pcp_heads += pr.npcp;
    tally.block_pages += (pr.fast_bytes + f.fast_bytes) / sizeof(Page);
    return to;
  }
  tally = saved;
  ws.expected_absent = saved_absent;
  return walk_blocks(c, ws, from, to, zid);
}

namespace {

// One free list of probe_free_lists(): where its two walks ended.
struct ListEnds {
  const ListHead* l;
  uint32_t zid;
  uint32_t fwd_cur, fwd_prev;  // forward walk: the link after its last entry, its last entry
  uint32_t bwd_cur, bwd_prev;  // backward walk: likewise, from the tail
};

// One walk: from the head along next (forward) or from the tail along prev.
struct ListCursor {
  uint32_t cur, prev;  // entry to visit, entry visited before it (kNil at the start)
  uint32_t left;       // entries still to visit
  uint32_t want;       // bytes 8..11 of a member's entry: Buddy, order, freetype, no flags
  uint32_t zone_first, span;
  uint32_t list;  // index into the ListEnds
  uint32_t rot;   // 0 forward, 32 backward: rotr(next | prev << 32) = (go | check << 32)
};

uint32_t entry_word(const Page& e) {
  uint32_t w;
  std::memcpy(&w, &e.state, sizeof w);
  return w;
}

uint64_t entry_links(const Page& e) {
  static_assert(offsetof(Page, next) == 0 && offsetof(Page, prev) == 4,
                "next, prev read as one word");
  uint64_t w;
  std::memcpy(&w, &e, sizeof w);
  return w;
}

}  // namespace

// The free lists of every zone walked side by side, each from both ends at once (half
// its count from the head, the rest from the tail, and the two halves must meet): as
// check_zone_lists() walks them, but with twice the misses in flight and one
// comparison per entry: the link back, and state, order, list and flags read as one
// word (flags must be 0 on a free head, BUDDY-META). Members must lie in the zone span.
// A zone whose list counts do not add up to its Buddy heads is not walked.
void probe_free_lists(const Machine& m, const std::array<ZoneTally, kMaxZones>& tally,
                      std::array<bool, kMaxZones>& ok) {
  static_assert(offsetof(Page, order) == offsetof(Page, state) + 1 &&
                    offsetof(Page, list) == offsetof(Page, state) + 2 &&
                    offsetof(Page, flags) == offsetof(Page, state) + 3,
                "state, order, list, flags are read as one word");
  const Page* pages = &m.page(m.start_pfn());
  // On the stack while they fit: fuzzers run this after every input, under ASan,
  // where a heap allocation costs more than the walk of a small machine's lists.
  constexpr size_t kOnStack = 48;
  std::array<std::byte, kOnStack * (sizeof(ListEnds) + 2 * sizeof(ListCursor)) + 64> buf;
  std::pmr::monotonic_buffer_resource arena(buf.data(), buf.size());
  std::pmr::vector<ListEnds> lists(&arena);
  std::pmr::vector<ListCursor> cs(&arena);
  lists.reserve(kOnStack);
  cs.reserve(2 * kOnStack);
  for (unsigned id = 0; id < m.nr_zones(); id++) {
    const Zone& z = m.zone(id);
    const size_t first_list = lists.size();
    uint64_t total = 0;
    const uint32_t zone_first = static_cast<uint32_t>(z.zone_start_pfn - m.start_pfn());
    const uint32_t span = static_cast<uint32_t>(z.spanned_pages);
    const unsigned orders = orders_in_use(m, z);
    for (unsigned o = 0; o < orders; o++)
      for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++) {
        const ListHead& l = z.free_area[o].free_list[ft];
        total += l.count;
        if (l.empty() && l.count == 0 && l.tail == kNil) continue;
        Page e{};
        e.state = PageState::Buddy;
        e.order = static_cast<uint8_t>(o);
        e.list = static_cast<uint8_t>(ft);
        const uint32_t li = static_cast<uint32_t>(lists.size());
        const uint32_t fwd = l.count - l.count / 2;
        lists.push_back(ListEnds{&l, id, l.head, kNil, l.tail, kNil});
        cs.push_back(ListCursor{l.head, kNil, fwd, entry_word(e), zone_first, span, li, 0});
        cs.push_back(
            ListCursor{l.tail, kNil, l.count - fwd, entry_word(e), zone_first, span, li, 32});
      }
    // Counts that do not add up: the zone is not walked.
    ok[id] = total == tally[id].buddy_heads;
    if (!ok[id]) {
      lists.resize(first_list);
      cs.resize(2 * first_list);
    }
  }
  size_t active = cs.size();
  while (active) {
    for (size_t i = 0; i < active;) {
      ListCursor& k = cs[i];
      bool done = k.left == 0;
      if (!done) {
        // kNil and anything outside the zone fail the span test before the load.
        if (uint64_t{k.cur} - k.zone_first >= k.span) {
          ok[lists[k.list].zid] = false;
          done = true;
        } else {
          const Page& e = pages[k.cur];
          const uint64_t links = std::rotr(entry_links(e), static_cast<int>(k.rot));
          if (((links >> 32) != k.prev) | (entry_word(e) != k.want)) {
            ok[lists[k.list].zid] = false;
            done = true;
          } else {
            k.prev = k.cur;
            k.cur = static_cast<uint32_t>(links);
            k.left--;
            if (k.cur != kNil) __builtin_prefetch(&pages[k.cur]);
          }
        }
      }
      if (!done) {
        i++;
        continue;
      }
      ListEnds& le = lists[k.list];
      (k.rot ? le.bwd_cur : le.fwd_cur) = k.cur;
      (k.rot ? le.bwd_prev : le.fwd_prev) = k.prev;
      k = cs[--active];
    }
  }
  // The halves meet: the forward walk's next link is the backward walk's last entry and
  // the other way round (both kNil on an empty list: head and tail nil).
  for (const ListEnds& le : lists)
    if (le.fwd_cur != le.bwd_prev || le.bwd_cur != le.fwd_prev) ok[le.zid] = false;
}

}  // namespace buddycheck::inv_detail
