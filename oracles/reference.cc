// SPDX-License-Identifier: GPL-2.0-or-later
// The reference model (reference.h): per-PFN states kept from op outcomes alone,
// compared with the machine's coarse view, and the liveness judgement of failures.
#include "oracles/reference.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

#include "oracles/checks.h"
#include "oracles/cold.h"
#include "oracles/eligibility.h"

namespace buddycheck {

namespace {

constexpr uint32_t kNoOwner = ~uint32_t{0};
constexpr uint16_t kNoZone = 0xffff;

using State = Reference::State;

const char* state_name(State s) {
  switch (s) {
    case State::Absent:
      return "absent";
    case State::Reserved:
      return "reserved";
    case State::Free:
      return "free";
    case State::Allocated:
      return "allocated";
  }
  return "?";
}

std::string zone_str(const Machine& m, int zone) {
  if (zone < 0 || zone >= static_cast<int>(m.nr_zones())) return "no zone";
  return fmt::format("node {} {}", m.zone(zone).node, zone_name(m.zone(zone).type));
}

// The machine's view of one PFN: its own state, or for a tail page the block whose
// head covers it (aligned candidates downwards, up to MAX_PAGE_ORDER).
struct MachineBlock {
  State state = State::Absent;
  Pfn head = kNoPfn;  // Buddy/Pcp/Allocated head covering the PFN
  unsigned order = 0;
  PageState raw = PageState::Absent;
  bool orphan = false;  // a tail page no head covers
};

bool is_head(PageState s) {
  return s == PageState::Buddy || s == PageState::Pcp || s == PageState::Allocated;
}

MachineBlock head_block(const Page& p, Pfn pfn) {
  MachineBlock b;
  b.raw = p.state;
  b.state = p.state == PageState::Allocated ? State::Allocated : State::Free;
  b.head = pfn;
  b.order = p.order;
  return b;
}

MachineBlock machine_block(const Machine& m, Pfn pfn) {
  MachineBlock b;
  if (!m.pfn_in_memmap(pfn)) return b;
  const Page& p = m.page(pfn);
  b.raw = p.state;
  switch (p.state) {
    case PageState::Absent:
      return b;
    case PageState::Reserved:
      b.state = State::Reserved;
      return b;
    case PageState::Buddy:
    case PageState::Pcp:
    case PageState::Allocated:
      return head_block(p, pfn);
    case PageState::Tail:
      break;
  }
  for (unsigned k = 1; k <= m.max_order(); k++) {
    const Pfn head = pfn & ~((Pfn{1} << k) - 1);
    if (head == pfn || !m.pfn_in_memmap(head)) continue;
    const Page& h = m.page(head);
    if (is_head(h.state) && head + (Pfn{1} << h.order) > pfn) return head_block(h, head);
  }
  b.orphan = true;  // reported as absent: no block owns it
  return b;
}

std::string machine_str(const MachineBlock& b, Pfn pfn) {
  if (b.orphan) return "a tail page that no block head covers";
  if (b.head == kNoPfn) return state_name(b.state);
  std::string s =
      fmt::format("{} ({} order {}", state_name(b.state), page_state_name(b.raw), b.order);
  if (b.head != pfn) s += fmt::format(" at {:#x}", b.head);
  return s + ")";
}

}  // namespace

Reference::State machine_coarse_state(const Machine& m, Pfn pfn) {
  return machine_block(m, pfn).state;
}

Reference::Reference(const Config& config) {
  // The same memmap range as the machine: whole MAX_PAGE_ORDER blocks around the zones.
  Pfn lo = ~Pfn{0}, hi = 0;
  for (const NodeConfig& n : config.nodes)
    for (const ZoneConfig& z : n.zones)
      if (z.pages) lo = std::min(lo, z.start_pfn), hi = std::max(hi, z.start_pfn + z.pages);
  if (lo > hi) lo = hi = 0;
  const Pfn mask = (Pfn{1} << config.max_page_order) - 1;
  base_ = lo & ~mask;
  const uint64_t n = ((hi + mask) & ~mask) - base_;
  n_ = n;
  const size_t nz = config.nodes.size() * MAX_NR_ZONES;
  // Largest alignment first: no padding between the arrays.
  buf_ = std::make_unique_for_overwrite<std::byte[]>(nz * sizeof(uint64_t) +
                                                     n * (sizeof(uint32_t) + sizeof(uint16_t) + 1));
  std::byte* p = buf_.get();
  zone_free_ = {reinterpret_cast<uint64_t*>(p), nz};
  owner_ = reinterpret_cast<uint32_t*>(p + nz * sizeof(uint64_t));
  zone_of_ = reinterpret_cast<uint16_t*>(owner_ + n);
  state_ = reinterpret_cast<uint8_t*>(zone_of_ + n);
  std::fill(zone_free_.begin(), zone_free_.end(), 0);
  std::fill(state_, state_ + n, static_cast<uint8_t>(State::Absent));
  // kNoOwner and kNoZone are all ones: a memset each, not an element-wise fill.
  static_assert(kNoOwner == ~uint32_t{0} && kNoZone == uint16_t{0xffff});
  std::memset(owner_, 0xff, n * sizeof(uint32_t));
  std::memset(zone_of_, 0xff, n * sizeof(uint16_t));
  for (size_t nid = 0; nid < config.nodes.size(); nid++) {
    for (const ZoneConfig& z : config.nodes[nid].zones) {
      const uint16_t id = static_cast<uint16_t>(nid * MAX_NR_ZONES + z.type);
      const uint64_t from = z.start_pfn - base_, to = from + z.pages;
      std::fill(state_ + from, state_ + to, static_cast<uint8_t>(State::Free));  // CMA too
      std::fill(zone_of_ + from, zone_of_ + to, id);
      for (const PfnRange& r : z.holes)
        std::fill(state_ + (r.start - base_), state_ + (r.end - base_),
                  static_cast<uint8_t>(State::Absent));
      for (const PfnRange& r : z.reserved)
        std::fill(state_ + (r.start - base_), state_ + (r.end - base_),
                  static_cast<uint8_t>(State::Reserved));
      zone_free_[id] += std::count(state_ + from, state_ + to, static_cast<uint8_t>(State::Free));
    }
  }
}

Reference::State Reference::state(Pfn pfn) const {
  if (pfn < base_ || pfn - base_ >= n_) return State::Absent;
  return static_cast<State>(state_[pfn - base_]);
}

uint32_t Reference::owner(Pfn pfn) const {
  if (pfn < base_ || pfn - base_ >= n_) return kNoOwner;
  return owner_[pfn - base_];
}

std::optional<Finding> Reference::on_alloc(uint32_t id, Pfn pfn, unsigned order) {
  const uint64_t n = uint64_t{1} << order;
  for (uint64_t i = 0; i < n; i++) {
    const Pfn p = pfn + i;
    const State s = state(p);
    if (s == State::Free) continue;
    return cold([&]() -> std::optional<Finding> {
      std::string held = state_name(s);
      if (s == State::Allocated) held += fmt::format(" by allocation {}", owner(p));
      const int zone = (p >= base_ && p - base_ < n_ && zone_of_[p - base_] != kNoZone)
                           ? zone_of_[p - base_]
                           : -1;
      return check_finding(
          Check::RefOverlap,
          fmt::format("allocation {} (pfn {:#x} order {}) was handed pfn {:#x}, which is {}", id,
                      pfn, order, p, held),
          "every page of the block free", fmt::format("pfn {:#x} {}", p, held), {p, pfn}, zone);
    });
  }
  for (uint64_t i = 0; i < n; i++) {
    const uint64_t k = pfn + i - base_;
    state_[k] = static_cast<uint8_t>(State::Allocated);
    owner_[k] = id;
    zone_free_[zone_of_[k]]--;
  }
  return std::nullopt;
}

void Reference::on_free(uint32_t id, Pfn pfn, unsigned order) {
  for (uint64_t i = 0; i < (uint64_t{1} << order); i++) {
    const Pfn p = pfn + i;
    if (state(p) != State::Allocated || owner(p) != id) continue;
    const uint64_t k = p - base_;
    state_[k] = static_cast<uint8_t>(State::Free);
    owner_[k] = kNoOwner;
    zone_free_[zone_of_[k]]++;
  }
}

bool Reference::is_allocation(Pfn pfn, unsigned order) const {
  const uint64_t n = uint64_t{1} << order;
  if (state(pfn) != State::Allocated) return false;
  const uint32_t id = owner(pfn);
  for (uint64_t i = 0; i < n; i++)
    if (state(pfn + i) != State::Allocated || owner(pfn + i) != id) return false;
  // An allocation is one contiguous run of its id: nothing of it before or after.
  if (pfn > base_ && state(pfn - 1) == State::Allocated && owner(pfn - 1) == id) return false;
  return !(state(pfn + n) == State::Allocated && owner(pfn + n) == id);
}

// Compares the pages of the machine block around `pfn` (or the PFN alone when it is
// no block) with the reference. Returns a REF-STATE finding on the first difference.
static std::optional<Finding> compare_around(const Reference& ref, const Machine& m, Pfn pfn,
                                             const MachineBlock& b,
                                             std::span<const uint16_t> zone_of, Pfn base) {
  auto zone_at = [&](Pfn p) -> int {
    return (p >= base && p - base < zone_of.size() && zone_of[p - base] != kNoZone)
               ? zone_of[p - base]
               : -1;
  };
  auto finding = [&](Pfn p, const std::string& machine, const std::string& reference) {
    const int zone = zone_at(p);
    return check_finding(Check::RefState,
                         fmt::format("pfn {:#x} ({}): machine says {}, reference says {}", p,
                                     zone_str(m, zone), machine, reference),
                         reference, machine, {p}, zone);
  };
  auto ref_str = [&](Pfn p) {
    const State s = ref.state(p);
    return s == State::Allocated ? fmt::format("allocated by allocation {}", ref.owner(p))
                                 : std::string(state_name(s));
  };
  if (b.head == kNoPfn) {
    if (ref.state(pfn) != b.state)
      return cold([&]() -> std::optional<Finding> {
        return finding(pfn, machine_str(b, pfn), ref_str(pfn));
      });
    return std::nullopt;
  }
  const uint64_t n = uint64_t{1} << b.order;
  if (b.state == State::Allocated && !ref.is_allocation(b.head, b.order)) {
    // Name the first page that disagrees, or the head when the run's ends differ.
    for (uint64_t i = 0; i < n; i++) {
      const Pfn p = b.head + i;
      if (ref.state(p) != State::Allocated || ref.owner(p) != ref.owner(b.head))
        return cold(
            [&]() -> std::optional<Finding> { return finding(p, machine_str(b, p), ref_str(p)); });
    }
    return cold([&]() -> std::optional<Finding> {
      return finding(b.head, machine_str(b, b.head),
                     fmt::format("allocation {} is not exactly {:#x}-{:#x}", ref.owner(b.head),
                                 b.head, b.head + n));
    });
  }
  if (b.state == State::Free)
    for (uint64_t i = 0; i < n; i++)
      if (ref.state(b.head + i) != State::Free)
        return cold([&]() -> std::optional<Finding> {
          return finding(b.head + i, machine_str(b, b.head + i), ref_str(b.head + i));
        });
  return std::nullopt;
}

static std::optional<Finding> compare_counts(const Machine& m,
                                             std::span<const uint64_t> zone_free) {
  for (unsigned z = 0; z < m.nr_zones() && z < zone_free.size(); z++) {
    int64_t pcp = 0;
    for (unsigned cpu = 0; cpu < m.nr_cpus(); cpu++) pcp += m.pcp(z, cpu).count;
    const int64_t machine = m.zone(z).nr_free_pages + pcp;
    if (machine == static_cast<int64_t>(zone_free[z])) continue;
    return cold([&]() -> std::optional<Finding> {
      return check_finding(
          Check::RefFreeCount,
          fmt::format("{}: NR_FREE_PAGES {} + pcp {} = {} free pages, reference counts {}",
                      zone_str(m, static_cast<int>(z)), m.zone(z).nr_free_pages, pcp, machine,
                      zone_free[z]),
          fmt::format("{} free pages", zone_free[z]), fmt::format("{} free pages", machine), {},
          static_cast<int>(z));
    });
  }
  return std::nullopt;
}

std::optional<Finding> Reference::compare_incremental(const Machine& m) const {
  const TouchLog& t = m.touched();
  if (t.overflow) return compare_full(m);
  if (!t.sorted) return compare_sorted_copy(m);
  return compare_touched(m, t.pfns, t.n);
}

// An unsorted log (the runner sorts it first; other callers may not), copied in a
// frame of its own so the runner's call keeps a small one.
std::optional<Finding> Reference::compare_sorted_copy(const Machine& m) const {
  const TouchLog& t = m.touched();
  std::array<Pfn, TouchLog::kCapacity> sorted;
  std::copy(t.pfns, t.pfns + t.n, sorted.begin());
  std::sort(sorted.begin(), sorted.begin() + t.n);
  return compare_touched(m, sorted.data(), t.n);
}

std::optional<Finding> Reference::compare_touched(const Machine& m, const Pfn* pfns,
                                                  unsigned n) const {
  // An op touches a block's PFNs many times over (list links, merges, splits): compare
  // each block once, in PFN order.
  Pfn covered = 0;  // tail pages below this belong to the block compared last
  for (unsigned i = 0; i < n; i++) {
    const Pfn pfn = pfns[i];
    if (i && pfn == pfns[i - 1]) continue;
    if (pfn < covered && m.page(pfn).state == PageState::Tail) continue;
    const MachineBlock b = machine_block(m, pfn);
    if (auto f = compare_around(*this, m, pfn, b, {zone_of_, n_}, base_)) return f;
    if (b.head != kNoPfn) covered = b.head + (Pfn{1} << b.order);
  }
  return compare_counts(m, zone_free_);
}

bool Reference::agrees_by_block(const Machine& m) const {
  if (base_ != m.start_pfn() || n_ != m.end_pfn() - m.start_pfn()) return false;
  const uint64_t n = n_;
  const uint8_t* st = state_;
  const uint32_t* own = owner_;
  // Eight states or two owners per load: one sanitizer check per word, not per entry.
  auto run_is = [&](uint64_t i, uint64_t len, State want) {
    const uint64_t pattern = 0x0101010101010101ull * static_cast<uint8_t>(want);
    uint64_t bad = 0, j = i;
    for (uint64_t w; j + 8 <= i + len; j += 8) std::memcpy(&w, st + j, 8), bad |= w ^ pattern;
    for (; j < i + len; j++) bad |= st[j] ^ static_cast<uint8_t>(want);
    return bad == 0;
  };
  auto owned_by = [&](uint64_t i, uint64_t len, uint32_t id) {
    const uint64_t pattern = (uint64_t{id} << 32) | id;
    uint64_t bad = 0, j = i;
    for (uint64_t w; j + 2 <= i + len; j += 2) std::memcpy(&w, own + j, 8), bad |= w ^ pattern;
    for (; j < i + len; j++) bad |= own[j] ^ id;
    return bad == 0;
  };
  for (uint64_t i = 0; i < n;) {
    const Page& pg = m.page(base_ + i);
    switch (pg.state) {
      case PageState::Absent:
      case PageState::Reserved:
        if (st[i] !=
            static_cast<uint8_t>(pg.state == PageState::Absent ? State::Absent : State::Reserved))
          return false;
        i++;
        continue;
      case PageState::Tail:
        return false;  // an orphan: the PFN walk names it
      case PageState::Buddy:
      case PageState::Pcp:
      case PageState::Allocated:
        break;
    }
    if (pg.order > m.max_order()) return false;
    const uint64_t len = uint64_t{1} << pg.order;
    if (i + len > n) return false;
    // A head inside the block is a block of its own to the PFN walk.
    unsigned inner = 0;
    for (uint64_t j = i + 1; j < i + len; j++)
      inner |= static_cast<unsigned>(m.page(base_ + j).state);
    if (inner) return false;
    if (pg.state != PageState::Allocated) {
      if (!run_is(i, len, State::Free)) return false;
    } else {
      // Exactly one allocation: its id on every page, and not beyond either end.
      const uint32_t id = own[i];
      if (!run_is(i, len, State::Allocated) || !owned_by(i, len, id)) return false;
      if (i > 0 && st[i - 1] == static_cast<uint8_t>(State::Allocated) && own[i - 1] == id)
        return false;
      if (i + len < n && st[i + len] == static_cast<uint8_t>(State::Allocated) &&
          own[i + len] == id)
        return false;
    }
    i += len;
  }
  return true;
}

std::optional<Finding> Reference::compare_full(const Machine& m) const {
  // Block by block first; on any difference the PFN walk below finds and names it.
  if (agrees_by_block(m)) return compare_counts(m, zone_free_);
  // Every PFN of both ranges, in order. Tail pages inherit the state of the block
  // being walked, so a clean machine costs one head lookup per block.
  const Pfn lo = std::min(base_, m.start_pfn());
  const Pfn hi = std::max<Pfn>(base_ + n_, m.end_pfn());
  MachineBlock cur;
  Pfn cur_end = 0;
  for (Pfn p = lo; p < hi; p++) {
    MachineBlock b;
    if (!m.pfn_in_memmap(p)) {
      b = MachineBlock{};
    } else if (m.page(p).state == PageState::Tail && p < cur_end) {
      b = cur;
    } else {
      b = machine_block(m, p);
      if (b.head != kNoPfn) cur = b, cur_end = b.head + (Pfn{1} << b.order);
    }
    const State r = state(p);
    bool same = r == b.state;
    if (same && r == State::Allocated) {
      // One owner per machine block, and the block is exactly that allocation.
      same = owner(p) == owner(b.head) && (p != b.head || is_allocation(b.head, b.order));
    }
    if (same) continue;
    if (auto f = compare_around(*this, m, p, machine_block(m, p), {zone_of_, n_}, base_)) return f;
    const int zone =
        p >= base_ && p - base_ < n_ && zone_of_[p - base_] != kNoZone ? zone_of_[p - base_] : -1;
    return cold([&]() -> std::optional<Finding> {
      return check_finding(
          Check::RefState,
          fmt::format(
              "pfn {:#x} ({}): machine block {:#x} order {} is {}, reference says {} (owner {})", p,
              zone_str(m, zone), b.head, b.order, state_name(b.state), state_name(r), owner(p)),
          state_name(r), state_name(b.state), {p}, zone);
    });
  }
  return compare_counts(m, zone_free_);
}

std::optional<Finding> Reference::judge_failure(const Machine& m, const AllocRequest& req,
                                                const AllocFlags* ctx) const {
  return judge_failure(m, req, ctx, eligibility(m, req, ctx));
}

std::optional<Finding> Reference::judge_failure(const Machine& m, const AllocRequest& req,
                                                const AllocFlags* ctx,
                                                const std::optional<Eligibility>& e) const {
  if (!e) return std::nullopt;  // invalid: judge_validity's business
  // An OOM victim leaves the slow path right after the OOM killer ran (it may have
  // freed memory) without another attempt: the state at the end says nothing.
  const unsigned reserve = spec_reserve_flags(e->gfp, req.task);
  if (req.task.oom_victim && e->oom_kill_possible &&
      (reserve == ALLOC_OOM || (e->gfp & __GFP_NOMEMALLOC)))
    return std::nullopt;

  const unsigned max_order = m.config().max_page_order;
  const unsigned flip_order = std::max(e->order, m.config().pageblock_order);
  for (uint16_t zid : e->zones) {
    const Zone& z = m.zone(zid);
    // (a) the min watermark test as the slow path's first attempt runs it.
    const uint64_t mark = z.watermark[WMARK_MIN] + z.watermark_boost;
    const WatermarkCheck w = spec_watermark_check(
        m, z, e->order, mark, e->highest_zoneidx, e->slow_flags, z.nr_free_pages,
        static_cast<int64_t>(z.nr_free_highatomic), z.nr_free_cma_pages, true);
    if (!w.ok) continue;
    // (b) a free block the request may take.
    for (unsigned k = e->order; k <= max_order; k++) {
      for (unsigned ft = 0; ft < NR_FREETYPE_IDXS; ft++) {
        const ListHead& l = z.free_area[k].free_list[ft];
        if (l.empty()) continue;
        const bool flip =
            ft == FREETYPE_UNMAPPED_IDX && !e->unmapped && e->flip_ok && k >= flip_order;
        if (!e->list_ok[ft] && !flip) continue;
        const Pfn block = m.pfn_of_index(l.head);
        return cold([&]() -> std::optional<Finding> {
          return check_finding(
              Check::LiveFail,
              fmt::format(
                  "{} failed although {} passes its min watermark and holds a free order-{} {} "
                  "block at pfn {:#x}",
                  request_string(req, ctx), zone_str(m, zid), k, freetype_name(ft), block),
              "the allocation succeeds",
              fmt::format("NULL; {}: {} usable free > min {} + lowmem_reserve {} ({})",
                          zone_str(m, zid), w.usable, w.min, w.reserve,
                          alloc_flags_to_string(e->slow_flags)),
              {block}, zid);
        });
      }
    }
  }
  return std::nullopt;
}

}  // namespace buddycheck
