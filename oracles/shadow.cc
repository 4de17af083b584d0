// SPDX-License-Identifier: GPL-2.0-or-later
// The shadow oracle (shadow.h): per-allocation judgement against eligibility(), the
// __GFP_ZERO check, and painting. Every rule names its check ID (checks.def cites the
// kernel function it comes from).
#include "oracles/shadow.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "oracles/checks.h"
#include "oracles/cold.h"

namespace buddycheck {

namespace {

std::string where(const Machine& m, unsigned zone) {
  const Zone& z = m.zone(zone);
  return fmt::format("node {} {}", z.node, zone_name(z.type));
}

// The zone whose span holds `pfn`, from the zones' spans (not the machine's lookup).
int span_zone(const Machine& m, Pfn pfn) {
  for (unsigned i = 0; i < m.nr_zones(); i++)
    if (m.zone(i).spanned_pages && m.zone(i).spans(pfn)) return static_cast<int>(i);
  return -1;
}

// First pageblock in [pfn, pfn + n) whose migratetype is `mt`, or kNoPfn.
Pfn block_of_type(const Machine& m, Pfn pfn, uint64_t n, unsigned mt) {
  const uint64_t pb = m.pageblock_nr_pages();
  for (Pfn p = pfn & ~(pb - 1); p < pfn + n; p += pb)
    if (m.get_pageblock_migratetype(p) == mt) return std::max(p, pfn);
  return kNoPfn;
}

// First pageblock in [pfn, pfn + n) whose unmapped flag differs from `unmapped`.
Pfn block_flag_differs(const Machine& m, Pfn pfn, uint64_t n, bool unmapped) {
  const uint64_t pb = m.pageblock_nr_pages();
  for (Pfn p = pfn & ~(pb - 1); p < pfn + n; p += pb)
    if (m.pageblock_unmapped(p) != unmapped) return std::max(p, pfn);
  return kNoPfn;
}

// First page of [pfn, pfn + n) whose direct-map presence differs from `present`.
Pfn dm_differs(const Machine& m, Pfn pfn, uint64_t n, bool present) {
  for (uint64_t i = 0; i < n; i++)
    if (m.direct_map().present(pfn + i) != present) return pfn + i;
  return kNoPfn;
}

// The SHADOW-* checks of a successful allocation. The zone is taken from the spans; the
// result's own zone field must agree.
std::optional<Finding> judge(const Machine& m, const AllocRequest& req, const AllocFlags* ctx,
                             const AllocResult& r, const PreState& pre, const Eligibility& e) {
  const Pfn pfn = r.pfn;
  const uint64_t n = uint64_t{1} << r.order;
  // Formatted only when a check fails: this runs for every allocation.
  auto what = [&req, ctx] { return request_string(req, ctx); };

  // #24 order/containment first: everything below reads per-page state.
  if (r.order != req.order)
    return cold([&, pfn]() -> std::optional<Finding> {
      return check_finding(
          Check::ShadowOrder,
          fmt::format("{} returned an order-{} block at pfn {:#x}", what(), r.order, pfn),
          fmt::format("order {}", req.order), fmt::format("order {}", r.order), {pfn}, r.zone);
    });
  if (!m.pfn_in_memmap(pfn) || !m.pfn_in_memmap(pfn + n - 1))
    return cold([&, pfn]() -> std::optional<Finding> {
      return check_finding(
          Check::ShadowOrder, fmt::format("{} returned pfn {:#x} outside the memmap", what(), pfn),
          "a block inside the memory map", fmt::format("pfn {:#x}", pfn), {pfn}, -1);
    });
  const int zid = span_zone(m, pfn);
  if (pfn & (n - 1) || zid < 0 || span_zone(m, pfn + n - 1) != zid || r.zone != zid) {
    return cold([&, pfn, n, zid]() -> std::optional<Finding> {
      std::string actual =
          pfn & (n - 1) ? fmt::format("pfn {:#x} is not {}-page aligned", pfn, n)
          : zid < 0     ? fmt::format("pfn {:#x} lies in no zone", pfn)
          : r.zone != zid
              ? fmt::format("result names zone {} but the block lies in {}", r.zone, where(m, zid))
              : fmt::format("block {:#x}-{:#x} crosses the end of {}", pfn, pfn + n, where(m, zid));
      return check_finding(
          Check::ShadowOrder,
          fmt::format("{} returned a bad block at pfn {:#x}: {}", what(), pfn, actual),
          "2^order pages, aligned, inside one zone", actual, {pfn}, zid);
    });
  }
  const Zone& z = m.zone(zid);
  auto at = [&m, pfn, zid] { return fmt::format("pfn {:#x} ({})", pfn, where(m, zid)); };

  // #17 zone index.
  if (z.type > e.highest_zoneidx)
    return cold([&, pfn, zid]() -> std::optional<Finding> {
      return check_finding(Check::ShadowZone,
                           fmt::format("{} got {} above its highest zone {}", what(), at(),
                                       zone_name(e.highest_zoneidx)),
                           fmt::format("zone <= {}", zone_name(e.highest_zoneidx)),
                           zone_name(z.type), {pfn}, zid);
    });
  // #18 node: THISNODE, nodemask, cpuset.
  if ((e.gfp & __GFP_THISNODE) && z.node != e.preferred_nid)
    return cold([&, pfn, zid]() -> std::optional<Finding> {
      return check_finding(
          Check::ShadowThisnode, fmt::format("{} (__GFP_THISNODE) got {}", what(), at()),
          fmt::format("node {}", e.preferred_nid), fmt::format("node {}", z.node), {pfn}, zid);
    });
  if (req.nodemask && !e.nodemask_may_be_ignored && !req.nodemask->test(z.node))
    return cold([&, pfn, zid]() -> std::optional<Finding> {
      return check_finding(Check::ShadowNodemask,
                           fmt::format("{} got {} outside its nodemask", what(), at()),
                           fmt::format("node in {}", nodemask_to_string(*req.nodemask)),
                           fmt::format("node {}", z.node), {pfn}, zid);
    });
  if (!e.cpuset_may_be_ignored && !spec_cpuset_node_allowed(z.node, e.gfp, req.task))
    return cold([&, pfn, zid]() -> std::optional<Finding> {
      return check_finding(
          Check::ShadowCpuset, fmt::format("{} got {} outside its cpuset", what(), at()),
          fmt::format("node in cpuset mems {}", nodemask_to_string(*req.task.cpuset_mems)),
          fmt::format("node {}", z.node), {pfn}, zid);
    });
  // #19 CMA only for movable requests.
  if (Pfn b = block_of_type(m, pfn, n, MIGRATE_CMA); b != kNoPfn && !e.cma_ok)
    return cold([&, zid, b]() -> std::optional<Finding> {
      return check_finding(Check::ShadowCma,
                           fmt::format("{} (not movable) got a CMA page at pfn {:#x} ({})", what(),
                                       b, where(m, zid)),
                           "no MIGRATE_CMA pageblock", "CMA pageblock", {b}, zid);
    });
  // #20 private nodes: __GFP_PRIVATE/managed_node, and only through the zonelist
  // (PRIV v4 04/27: a private node outside the preferred node's zonelist is never reached).
  if (m.node(z.node).has(N_MEMORY_PRIVATE)) {
    if (!e.private_ok)
      return cold([&, pfn, zid]() -> std::optional<Finding> {
        return check_finding(Check::ShadowPrivate,
                             fmt::format("{} got {} on a private node", what(), at()),
                             "no N_MEMORY_PRIVATE node without __GFP_PRIVATE or managed_node",
                             fmt::format("private node {}", z.node), {pfn}, zid);
      });
    if (!e.zones_relaxed.contains(static_cast<uint16_t>(zid)))
      return cold([&, pfn, zid]() -> std::optional<Finding> {
        return check_finding(Check::ShadowPrivate,
                             fmt::format("{} got {} on a private node outside node {}'s zonelist",
                                         what(), at(), e.preferred_nid),
                             "a zone of the request's zonelist",
                             fmt::format("private node {}", z.node), {pfn}, zid);
      });
  }
  // #21 direct map: unmapped requests get unmapped blocks, mapped ones present pages.
  {
    Pfn bad = block_flag_differs(m, pfn, n, e.unmapped);
    const char* why = "pageblock flag";
    if (bad == kNoPfn) bad = dm_differs(m, pfn, n, !e.unmapped), why = "direct map";
    if (bad != kNoPfn)
      return cold([&, zid, bad, why]() -> std::optional<Finding> {
        return check_finding(Check::ShadowUnmapped,
                             fmt::format("{} ({}) got {} whose {} says {} at pfn {:#x}", what(),
                                         e.unmapped ? "unmapped" : "mapped", at(), why,
                                         e.unmapped ? "mapped" : "unmapped", bad),
                             e.unmapped ? "unmapped block, absent from the direct map"
                                        : "pages present in the direct map",
                             fmt::format("{} of pfn {:#x}", why, bad), {bad}, zid);
      });
  }
  // #22 min watermark on an upper bound of what was free before the op: NR_FREE_PAGES,
  // plus pcp pages a drain could return, plus what hooks freed; CMA pages only count
  // for CMA-capable requests; the unboosted MIN mark with every discount the request
  // could get. Nothing to say when ALLOC_NO_WATERMARKS was possible.
  if (!e.no_watermarks_possible && zid < static_cast<int>(pre.zones.size())) {
    const ZoneSnapshot& before = pre.zones[zid];
    const int64_t upper = before.nr_free + before.pcp_pages + pre.freed_during_op;
    const int64_t cma = before.nr_free_cma;
    WatermarkCheck w =
        spec_watermark_check(m, z, r.order, z.watermark[WMARK_MIN], e.highest_zoneidx,
                             e.permissive_flags, upper, 0, cma, false);
    if (!w.ok)
      return cold([&, pfn, zid]() -> std::optional<Finding> {
        return check_finding(
            Check::ShadowWatermark,
            fmt::format("{} got {} although the zone was below its min watermark", what(), at()),
            fmt::format("usable free > min {} + lowmem_reserve {}", w.min, w.reserve),
            fmt::format("at most {} usable free ({} free + {} pcp + {} freed during the op)",
                        w.usable, before.nr_free, before.pcp_pages, pre.freed_during_op),
            {pfn}, zid);
      });
  }
  // #23 highatomic reserve. Highatomic pages freed to a pcp list sit on the MOVABLE
  // list (free_unref_page()), and a reserve retypes a block whose pages may already be on
  // pcp lists: pages served from pcp lists are exempt.
  if (Pfn b = block_of_type(m, pfn, n, MIGRATE_HIGHATOMIC); b != kNoPfn) {
    const bool may = e.permissive_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM | ALLOC_NON_BLOCK);
    const bool via_pcp =
        spec_pcp_allowed_order(m, r.order) && (e.migratetype == MIGRATE_MOVABLE || r.from_pcp);
    if (!may && !via_pcp)
      return cold([&, zid, b]() -> std::optional<Finding> {
        return check_finding(
            Check::ShadowHighatomic,
            fmt::format("{} got a page of a HIGHATOMIC pageblock at pfn {:#x} ({})", what(), b,
                        where(m, zid)),
            "ALLOC_HIGHATOMIC, ALLOC_OOM or ALLOC_NON_BLOCK",
            alloc_flags_to_string(e.permissive_flags), {b}, zid);
      });
  }
  // #24 page->pfmemalloc only after ALLOC_NO_WATERMARKS.
  if ((m.page(pfn).flags & PG_pfmemalloc) && !e.no_watermarks_possible)
    return cold([&, pfn, zid]() -> std::optional<Finding> {
      return check_finding(Check::ShadowPfmemalloc,
                           fmt::format("{} got {} marked pfmemalloc", what(), at()),
                           "no PG_pfmemalloc without ALLOC_NO_WATERMARKS",
                           alloc_flags_to_string(e.permissive_flags), {pfn}, zid);
    });
  return std::nullopt;
}

}  // namespace

uint64_t paint_word(uint32_t id, uint64_t i) {
  // splitmix64 of (id, i): distinct per allocation and page; never zero, so a zeroed
  // page never passes for a painted one.
  uint64_t x = ((uint64_t{id} << 32) | (i & 0xffffffff)) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return (x ^ (x >> 31)) | 1;
}

AllocRequest bulk_page_request(AllocRequest req) {
  req.order = 0;
  req.task.pf_memalloc_noio = req.task.pf_memalloc_nofs = req.task.pf_memalloc_pin = false;
  return req;
}

Shadow::Shadow(const Machine& m, bool paint) : paint_(paint && m.config().page_bytes > 0) {}

PreState Shadow::snapshot(const Machine& m) const {
  PreState p;
  snapshot(m, p);
  return p;
}

void Shadow::snapshot(const Machine& m, PreState& p) const {
  const unsigned nz = m.nr_zones();
  p.zones.resize(nz);
  p.freed_during_op = 0;
  for (unsigned z = 0; z < nz; z++) {
    ZoneSnapshot& s = p.zones[z];
    s.nr_free = m.zone(z).nr_free_pages;
    s.nr_free_cma = m.zone(z).nr_free_cma_pages;
    int64_t pcp = 0;
    for (unsigned cpu = 0; cpu < m.nr_cpus(); cpu++) pcp += m.pcp(z, cpu).count;
    s.pcp_pages = pcp;
  }
}

std::optional<Finding> Shadow::on_alloc(Machine& m, uint32_t id, const AllocRequest& req,
                                        const AllocFlags* ctx, bool frozen, const AllocResult& r,
                                        const PreState& pre) {
  return on_alloc(m, id, req, ctx, frozen, r, pre, eligibility(m, req, ctx));
}

std::optional<Finding> Shadow::on_alloc(Machine& m, uint32_t id, const AllocRequest& req,
                                        const AllocFlags* ctx, bool frozen, const AllocResult& r,
                                        const PreState& pre, const std::optional<Eligibility>& e) {
  if (records_.size() == id) records_.emplace_back();  // the usual case: the next id
  else if (records_.size() < id) records_.resize(id + 1);
  AllocRecord& rec = records_[id];
  rec = AllocRecord{};
  rec.pfn = r.pfn;
  rec.order = r.order;
  rec.live = true;
  rec.frozen = frozen;
  rec.zone = r.zone;
  rec.req = req;
  if (ctx) rec.ctx = *ctx;

  // An invalid request that succeeded is judge_validity()'s finding; here it only
  // gets recorded.
  rec.unmapped = e ? e->unmapped : ((ctx && ctx->has(CTX_unmapped)) || (req.gfp & __GFP_UNMAPPED));
  std::optional<Finding> f;
  if (e) f = judge(m, req, ctx, r, pre, *e);

  const uint64_t n = uint64_t{1} << r.order;
  const unsigned bytes = m.config().page_bytes;
  // Memory is only touched when it is inside the memmap and in the direct map (an
  // unmapped page stays ASan-poisoned, like KASAN's view of it).
  const bool touchable = bytes && r.pfn != kNoPfn && m.pfn_in_memmap(r.pfn) &&
                         m.pfn_in_memmap(r.pfn + n - 1) && !rec.unmapped &&
                         dm_differs(m, r.pfn, n, true) == kNoPfn;
  // post_alloc_hook() zeroes __GFP_ZERO pages (kernel_init_pages()).
  if (!f && e && (e->gfp & __GFP_ZERO) && touchable) {
    for (uint64_t i = 0; i < n && !f; i++) {
      const uint8_t* mem = m.page_data(r.pfn + i);
      for (unsigned b = 0; b < bytes; b++) {
        if (!mem[b]) continue;
        f = cold([&, b, i]() -> std::optional<Finding> {
          return check_finding(Check::ShadowZero,
                               fmt::format("{} (__GFP_ZERO) got pfn {:#x} with byte {} = {:#04x}",
                                           request_string(req, ctx), r.pfn + i, b, mem[b]),
                               "every byte zero",
                               fmt::format("byte {} of pfn {:#x} is {:#04x}", b, r.pfn + i, mem[b]),
                               {r.pfn + i}, r.zone);
        });
        break;
      }
    }
  }
  if (paint_ && touchable) {
    for (uint64_t i = 0; i < n; i++) {
      const uint64_t w = paint_word(id, i);
      uint8_t* mem = m.page_data(r.pfn + i);
      for (unsigned b = 0; b + 8 <= bytes; b += 8) std::memcpy(mem + b, &w, 8);
    }
    rec.painted = true;
  }
  return f;
}

std::optional<Finding> Shadow::judge_validity(const Machine& m, const AllocRequest& req,
                                              const AllocFlags* ctx, const AllocResult& r) const {
  const std::optional<Eligibility> e = eligibility(m, req, ctx);
  std::string why;  // formatted only for a finding
  if (!e && r.status != AllocStatus::Error) eligibility(m, req, ctx, &why);
  return judge_validity(req, ctx, r, e, why);
}

std::optional<Finding> Shadow::judge_validity(const AllocRequest& req, const AllocFlags* ctx,
                                              const AllocResult& r,
                                              const std::optional<Eligibility>& e,
                                              std::string_view why) const {
  const bool valid = e.has_value();
  const bool refused = r.status == AllocStatus::Error;
  if (valid && refused)
    return cold([&]() -> std::optional<Finding> {
      return check_finding(Check::ShadowRefused,
                           fmt::format("valid request {} refused as bad input: {}",
                                       request_string(req, ctx), r.detail),
                           "accepted (eligibility() finds nothing wrong)",
                           fmt::format("error {}: {}", alloc_error_name(r.error), r.detail), {},
                           -1);
    });
  if (!valid && !refused)
    return cold([&, why]() -> std::optional<Finding> {
      return check_finding(
          Check::ShadowAcceptedInvalid,
          fmt::format("invalid request {} was not refused: {}", request_string(req, ctx), why),
          fmt::format("AllocStatus::Error ({})", why),
          fmt::format("status {}{}", alloc_status_name(r.status),
                      r.ok() ? fmt::format(" pfn {:#x}", r.pfn) : std::string()),
          r.ok() ? std::vector<Pfn>{r.pfn} : std::vector<Pfn>{}, r.ok() ? r.zone : -1);
    });
  return std::nullopt;
}

std::optional<Finding> Shadow::verify_paint(const Machine& m, uint32_t id) const {
  if (id >= records_.size()) return std::nullopt;
  const AllocRecord& rec = records_[id];
  // Unpainted, unmapped, or direct map changed by its owner: nothing to read safely.
  if (!rec.live || !rec.painted || rec.unmapped || rec.dm_changed) return std::nullopt;
  const unsigned bytes = m.config().page_bytes;
  for (uint64_t i = 0; i < (uint64_t{1} << rec.order); i++) {
    const uint64_t want = paint_word(id, i);
    const uint8_t* mem = m.page_data(rec.pfn + i);
    for (unsigned b = 0; b + 8 <= bytes; b += 8) {
      uint64_t got;
      std::memcpy(&got, mem + b, 8);
      if (got == want) continue;
      int zone = m.page_zone_id(rec.pfn);
      return cold([&, b, i, want, got, zone]() -> std::optional<Finding> {
        return check_finding(
            Check::ShadowPaint,
            fmt::format(
                "allocation {} (pfn {:#x} order {}{}) was overwritten at pfn {:#x} offset {}", id,
                rec.pfn, rec.order,
                zone >= 0 ? ", " + where(m, static_cast<unsigned>(zone)) : std::string(),
                rec.pfn + i, b),
            fmt::format("paint {:#018x}", want), fmt::format("{:#018x}", got), {rec.pfn + i}, zone);
      });
    }
  }
  return std::nullopt;
}

void Shadow::on_free(uint32_t id) {
  if (id >= records_.size()) return;
  records_[id].live = false;
  records_[id].painted = false;
}

void Shadow::on_dm_set(uint32_t id, bool present) {
  if (id >= records_.size()) return;
  AllocRecord& rec = records_[id];
  // Changed while the presence differs from what it was handed out with.
  rec.dm_changed = present == rec.unmapped;
}

}  // namespace buddycheck
