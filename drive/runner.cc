// SPDX-License-Identifier: GPL-2.0-or-later
// The runner: one op at a time, then the oracles. Hooks (reclaim, compaction, OOM)
// free allocations through the runner so the shadow and the reference stay in step.
#include "drive/runner.h"

#include <stdexcept>

#include <fmt/format.h>

#include "drive/memory.h"
#include "drive/trace.h"
#include "oracles/checks.h"
#include "oracles/cold.h"
#include "oracles/flags_check.h"
#include "oracles/invariants.h"
#include "oracles/report.h"
#include "oracles/zonelist_ref.h"

namespace buddycheck {

namespace {

StepResult err(std::string msg, uint32_t field = 0) {
  StepResult s;
  s.error = std::move(msg);
  s.error_field = field;
  return s;
}

// The same, formatted out of line (oracles/cold.h): the message's temporaries stay out
// of the per-op functions' stack frames. `field` is the op field the error is about.
template <class... Args>
[[gnu::noinline, gnu::cold]] StepResult errf(uint32_t field, fmt::format_string<Args...> f,
                                             Args... args) {
  return err(fmt::vformat(f, fmt::make_format_args(args...)), field);
}

StepResult found(const std::optional<Finding>& f) {
  StepResult s;
  s.finding = f;
  return s;
}

}  // namespace

Runner::Runner(Config config, RunOptions options)
    : options_(options),
      machine_(std::move(config)),
      shadow_(machine_, options.paint),
      reference_(machine_.config()) {
  const Config& c = machine_.config();
  // The machine's and the oracles' per-page arrays (drive/memory.h, without the
  // validation a fuzz input already had).
  machine_bytes_ = (machine_.end_pfn() - machine_.start_pfn()) *
                   (sizeof(Page) + c.page_bytes + sizeof(uint32_t) + sizeof(uint16_t) + 1);
  boot_sysctls_ = {c.min_free_kbytes, c.watermark_scale_factor, c.watermark_boost_factor,
                   c.lowmem_reserve_ratio, c.percpu_pagelist_high_fraction};
  // Runs are a few dozen ops: one allocation per vector instead of a regrowth per
  // doubling (ASan's malloc is a sixth of the ops fuzzer's time).
  ops_.reserve(32);
  live_.reserve(64);
  live_pos_.reserve(64);
  freed_.reserve(32);
  shadow_.reserve(64);
  Hooks& h = machine_.hooks();
  // Direct reclaim frees up to `reclaim` of the oldest live allocations.
  h.direct_reclaim = [this](Machine&, const ReclaimContext&) -> uint64_t {
    uint64_t pages = 0;
    for (unsigned n = 0; n < hooks_.reclaim; n++) {
      const uint32_t victim = oldest_victim();
      if (victim == UINT32_MAX) break;
      pages += hook_free(victim);
    }
    return pages;
  };
  h.zone_reclaimable_pages = [this](const Machine& m, unsigned zone) -> uint64_t {
    if (!hooks_.reclaim) return 0;
    // Asked per zone on every retry of the slow path: one pass over the live set per
    // change of it, not one per question.
    if (reclaimable_stale_) {
      reclaimable_.assign(m.nr_zones(), 0);
      for (uint32_t id : live_) {
        const AllocRecord& r = shadow_.record(id);
        if (!r.dm_changed && r.zone < reclaimable_.size())
          reclaimable_[r.zone] += uint64_t{1} << r.order;
      }
      reclaimable_stale_ = false;
    }
    return zone < reclaimable_.size() ? reclaimable_[zone] : 0;
  };
  h.direct_compact = [this](Machine&, const ReclaimContext&) { return hooks_.compact; };
  // The OOM killer: by default the kernel's out_of_memory() with no killable task
  // (progress only for !__GFP_FS); with oom=kill the oldest live allocation dies.
  h.out_of_memory = [this](Machine&, const ReclaimContext& rc) -> bool {
    if (!hooks_.oom_kill) return !(rc.gfp & __GFP_FS);
    const uint32_t victim = oldest_victim();
    return victim != UINT32_MAX && hook_free(victim) > 0;
  };
}

Runner::~Runner() = default;

AllocRequest request_of(const Op& op) {
  AllocRequest req;
  req.gfp = op.gfp;
  req.order = op.order;
  req.nid = op.nid;
  req.nodemask = op.nodemask;
  req.cpu = op.cpu;
  req.task = task_from_bits(op.task, op.cpuset);
  return req;
}

void Runner::add_live(uint32_t id) {
  live_pos_.resize(id + 1, -1);
  live_pos_[id] = static_cast<int32_t>(live_.size());
  live_.push_back(id);
  reclaimable_stale_ = true;
}

void Runner::remove_live(uint32_t id) {
  int32_t pos = live_pos_[id];
  uint32_t last = live_.back();
  live_[pos] = last;
  live_pos_[last] = pos;
  live_.pop_back();
  live_pos_[id] = -1;
  reclaimable_stale_ = true;
}

uint32_t Runner::oldest_victim() {
  // Ids only grow, so no id below the first live one ever becomes live again.
  while (victim_scan_ < live_pos_.size() && live_pos_[victim_scan_] < 0) victim_scan_++;
  for (uint32_t id = victim_scan_; id < live_pos_.size(); id++)
    if (live_pos_[id] >= 0 && !shadow_.record(id).dm_changed) return id;
  return UINT32_MAX;
}

uint64_t Runner::hook_free(uint32_t id) {
  const AllocRecord& rec = shadow_.record(id);
  if (options_.shadow && !hook_finding_)
    if (auto f = shadow_.verify_paint(machine_, id)) hook_finding_ = f;
  Pfn pfn = rec.pfn;
  unsigned order = rec.order;
  FreeResult fr =
      rec.frozen ? machine_.free_frozen_pages(pfn, order) : machine_.free_pages(pfn, order);
  if (!fr.ok()) {
    if (!hook_finding_)
      hook_finding_ = check_finding(
          Check::ShadowFreeRefused,
          fmt::format("legal free of allocation {} (pfn {:#x} order {}) refused during reclaim", id,
                      pfn, order),
          "free accepted", fr.report, {pfn}, machine_.page_zone_id(pfn));
    return 0;
  }
  reference_.on_free(id, pfn, order);
  shadow_.on_free(id);
  remove_live(id);
  freed_.push_back(id);
  hook_freed_pages_ += int64_t{1} << order;
  return uint64_t{1} << order;
}

StepResult Runner::do_alloc(const Op& op) {
  Machine& m = machine_;
  AllocRequest req = request_of(op);
  const AllocFlags* ctx = op.ctx ? &*op.ctx : nullptr;
  // The judgements below share one Finding, and found() takes it by reference: no
  // return gets a copy of its own (an ASan build poisons every such slot per call).
  std::optional<Finding> f;
  if (options_.shadow) {
    // The flag machinery on its own: slow-path translation and sanitizer properties.
    const bool grouping = m.config().mobility_grouping;
    f = check_slow_flags(req.gfp, req.order, req.task, grouping);
    if (!f && ctx)
      f = check_sanitizer(*ctx, current_gfp_context(req.gfp, req.task), req.order, grouping);
    if (f) return found(f);
  }
  PreState& pre = pre_;
  shadow_.snapshot(m, pre);
  hook_freed_pages_ = 0;
  AllocResult r = ctx         ? m.alloc_pages_context(req, ctx)
                  : op.frozen ? m.alloc_frozen_pages(req)
                              : m.alloc_pages(req);
  const bool frozen = ctx || op.frozen;
  if (hook_finding_) return found(hook_finding_);
  // The oracles' view of the request, asked once for every judgement below.
  const std::optional<Eligibility> e = eligibility(m, req, ctx);
  if (options_.shadow) {
    if (!e && r.status != AllocStatus::Error)
      // An invalid request was not refused: now the reason it is invalid matters.
      f = cold([&] {
        std::string why;
        eligibility(m, req, ctx, &why);
        return shadow_.judge_validity(req, ctx, r, e, why);
      });
    else f = shadow_.judge_validity(req, ctx, r, e, {});
    if (f) return found(f);
  }
  switch (r.status) {
    case AllocStatus::Ok: {
      uint32_t id = next_id();
      pre.freed_during_op = hook_freed_pages_;
      if (options_.reference) f = reference_.on_alloc(id, r.pfn, r.order);
      auto sf = shadow_.on_alloc(m, id, req, ctx, frozen, r, pre, e);
      add_live(id);
      if (f) return found(f);
      if (sf && options_.shadow) return found(sf);
      break;
    }
    case AllocStatus::Failed:
      if (options_.liveness) f = reference_.judge_failure(m, req, ctx, e);
      if (f) return found(f);
      break;
    case AllocStatus::Loops:
      if (options_.log)
        cold([&] { log_ += fmt::format("{}: {}: {}\n", op_label(), print_op(op), r.detail); });
      break;
    case AllocStatus::Error:
      break;
  }
  return {};
}

StepResult Runner::do_bulk(const Op& op) {
  Machine& m = machine_;
  if (op.count > (1u << 16))
    return errf(F_COUNT, "alloc_bulk count {} is larger than 65536", op.count);
  AllocRequest req = request_of(op);
  req.order = 0;
  PreState& pre = pre_;
  shadow_.snapshot(m, pre);
  hook_freed_pages_ = 0;
  BulkResult b = m.alloc_pages_bulk(req, static_cast<int>(op.count));
  if (hook_finding_) return found(hook_finding_);
  // The judgements below share one Finding (see do_alloc()).
  std::optional<Finding> f;
  if (b.status == AllocStatus::Error) {
    if (options_.shadow) {
      AllocResult r;
      r.status = AllocStatus::Error;
      r.error = b.error;
      f = shadow_.judge_validity(m, bulk_page_request(req), nullptr, r);
    }
    return f ? found(f) : StepResult{};
  }
  pre.freed_during_op = hook_freed_pages_;
  // Each page is judged as the order-0 request the bulk path really made (raw mask, no
  // scopes), served from a per-cpu list.
  const AllocRequest page_req = bulk_page_request(req);
  const std::optional<Eligibility> page_e = eligibility(m, page_req, nullptr);
  for (Pfn pfn : b.pfns) {
    AllocResult r;
    r.status = AllocStatus::Ok;
    r.pfn = pfn;
    r.zone = static_cast<uint16_t>(std::max(0, m.page_zone_id(pfn)));
    // The single-page fallback is an ordinary order-0 allocation: it too may be served
    // from a per-cpu list (a page that sat there while its block became HIGHATOMIC).
    r.from_pcp = b.used_fallback ? b.fallback_from_pcp : true;
    uint32_t id = next_id();
    if (options_.reference) f = reference_.on_alloc(id, pfn, 0);
    const std::optional<Finding> sf =
        shadow_.on_alloc(m, id, page_req, nullptr, false, r, pre, page_e);
    add_live(id);
    if (f) return found(f);
    if (sf && options_.shadow) return found(sf);
  }
  // An empty result means the single-page fallback failed too.
  if (b.pfns.empty() && op.count > 0 && b.status == AllocStatus::Failed && options_.liveness)
    f = reference_.judge_failure(m, req, nullptr);
  return f ? found(f) : StepResult{};
}

StepResult Runner::do_free(const Op& op, uint32_t id) {
  Machine& m = machine_;
  if (id >= next_id() || live_pos_[id] < 0) return errf(F_ID, "id {} is not a live allocation", id);
  if (op.cpu >= m.nr_cpus()) return errf(F_CPU, "cpu {} does not exist", op.cpu);
  const AllocRecord& rec = shadow_.record(id);
  if (options_.shadow)
    if (auto f = shadow_.verify_paint(m, id)) return found(f);
  Pfn pfn = rec.pfn;
  unsigned order = rec.order;
  uint64_t gen = m.generation();
  FreeResult fr =
      rec.frozen ? m.free_frozen_pages(pfn, order, op.cpu) : m.free_pages(pfn, order, op.cpu);
  if (rec.dm_changed) {
    // The owner changed the direct map and did not restore it: a bad free.
    if (fr.ok())
      return cold([&] {
        return found(check_finding(Check::ShadowBadFreeAccepted,
                                   fmt::format("free of pfn {:#x} order {} accepted although its "
                                               "direct map was changed and not restored",
                                               pfn, order),
                                   "bad_page: direct map not restored", "freed", {pfn},
                                   m.page_zone_id(pfn)));
      });
    if (m.generation() != gen)
      return cold([&] {
        return found(check_finding(Check::ShadowBadFreeChanged, "refused free changed the machine",
                                   "no state change", "generation changed", {pfn},
                                   m.page_zone_id(pfn)));
      });
    if (options_.log) log_ += fmt::format("{}: free id={} refused: {}", op_label(), id, fr.report);
    return {};
  }
  if (!fr.ok())
    return cold([&] {
      return found(check_finding(
          Check::ShadowFreeRefused,
          fmt::format("legal free of allocation {} (pfn {:#x} order {}) refused", id, pfn, order),
          "free accepted", fr.report, {pfn}, m.page_zone_id(pfn)));
    });
  reference_.on_free(id, pfn, order);
  shadow_.on_free(id);
  remove_live(id);
  freed_.push_back(id);
  return {};
}

StepResult Runner::do_bad_free(const Op& op) {
  Machine& m = machine_;
  if (op.cpu >= m.nr_cpus()) return errf(F_CPU, "cpu {} does not exist", op.cpu);
  auto live = [&](uint64_t id) { return id < next_id() && live_pos_[id] >= 0; };
  Pfn pfn;
  unsigned order;
  bool frozen = false;
  switch (op.bad) {
    case BadFreeKind::double_free: {
      if (op.id >= next_id() || live(op.id))
        return errf(F_ID, "id {} is not a freed allocation", op.id);
      const AllocRecord& rec = shadow_.record(static_cast<uint32_t>(op.id));
      // Someone else owns that block now: freeing it is legal, not a double free.
      if (reference_.is_allocation(rec.pfn, rec.order)) {
        if (options_.log)
          log_ += fmt::format("{}: bad_free double_free id={} skipped: pfn {:#x} was reused\n",
                              op_label(), op.id, rec.pfn);
        return {};
      }
      pfn = rec.pfn, order = rec.order, frozen = rec.frozen;
      break;
    }
    case BadFreeKind::wrong_order:
    case BadFreeKind::tail:
    case BadFreeKind::refcount: {
      if (!live(op.id)) return errf(F_ID, "id {} is not a live allocation", op.id);
      const AllocRecord& rec = shadow_.record(static_cast<uint32_t>(op.id));
      pfn = rec.pfn, order = rec.order, frozen = rec.frozen;
      if (op.bad == BadFreeKind::wrong_order) {
        order = order < m.max_order() ? order + 1 : order - 1;
      } else if (op.bad == BadFreeKind::tail) {
        if (rec.order == 0) {
          if (options_.log)
            log_ += fmt::format("{}: bad_free tail id={} skipped: order-0 allocation has no tail\n",
                                op_label(), op.id);
          return {};
        }
        pfn += 1, order = 0;
      } else {
        frozen = !frozen;
      }
      break;
    }
    case BadFreeKind::foreign:
      if (reference_.is_allocation(op.pfn, 0)) {
        if (options_.log)
          log_ += fmt::format("{}: bad_free foreign pfn={:#x} skipped: it is a live allocation\n",
                              op_label(), op.pfn);
        return {};
      }
      pfn = op.pfn, order = 0, frozen = false;
      break;
  }
  uint64_t gen = m.generation();
  FreeResult fr =
      frozen ? m.free_frozen_pages(pfn, order, op.cpu) : m.free_pages(pfn, order, op.cpu);
  int zone = m.pfn_in_memmap(pfn) ? m.page_zone_id(pfn) : -1;
  if (fr.ok())
    return cold([&] {
      return found(check_finding(Check::ShadowBadFreeAccepted,
                                 fmt::format("illegal free ({}) of pfn {:#x} order {} was accepted",
                                             bad_free_name(op.bad), pfn, order),
                                 "bad_page() refusal", "freed", {pfn}, zone));
    });
  if (m.generation() != gen)
    return cold([&] {
      return found(check_finding(Check::ShadowBadFreeChanged,
                                 fmt::format("refused free ({}) of pfn {:#x} changed the machine",
                                             bad_free_name(op.bad), pfn),
                                 "no state change", "generation changed", {pfn}, zone));
    });
  return {};
}

StepResult Runner::do_sysctl(const Op& op) {
  Machine& m = machine_;
  const unsigned v = op.value > UINT32_MAX ? UINT32_MAX : static_cast<unsigned>(op.value);
  bool ok = true;
  switch (op.key) {
    case SysctlKey::min_free_kbytes:
      ok = op.value <= INT32_MAX && m.set_min_free_kbytes(v);
      break;
    case SysctlKey::watermark_scale_factor:
      ok = m.set_watermark_scale_factor(v);
      break;
    case SysctlKey::watermark_boost_factor:
      ok = op.value <= INT32_MAX && m.set_watermark_boost_factor(v);
      break;
    case SysctlKey::lowmem_reserve_ratio:
      ok = m.set_lowmem_reserve_ratio(op.ratio);
      break;
    case SysctlKey::percpu_pagelist_high_fraction:
      ok = op.value <= INT32_MAX && m.set_percpu_pagelist_high_fraction(v);
      break;
  }
  if (!ok)
    return errf(F_VALUE, "sysctl {}: value {} is refused by the kernel (-EINVAL)",
                sysctl_name(op.key), op.value);
  return {};
}

StepResult Runner::do_dm_set(const Op& op) {
  if (op.id >= next_id() || live_pos_[op.id] < 0)
    return errf(F_ID, "id {} is not a live allocation", op.id);
  uint32_t id = static_cast<uint32_t>(op.id);
  const AllocRecord& rec = shadow_.record(id);
  if (!machine_.owner_set_direct_map(rec.pfn, rec.order, op.present))
    return cold([&] {
      return found(check_finding(
          Check::ShadowFreeRefused,
          fmt::format("set_direct_map on live allocation {} (pfn {:#x}) refused", id, rec.pfn),
          "accepted", "refused", {rec.pfn}, rec.zone));
    });
  shadow_.on_dm_set(id, op.present);
  reclaimable_stale_ = true;
  return {};
}

StepResult Runner::step(const Op& op, size_t line) {
  const size_t index = nr_ops_++;
  keep(op);
  last_line_ = line;
  hook_finding_.reset();
  bool force_full = false;
  const uint32_t ids_before = next_id();
  StepResult s = dispatch(op, force_full);
  if (s.ok()) s.finding = after_op(index, force_full);
  if (s.finding) s.finding->op_index = index;
  if (s.ok() && options_.max_memory && next_id() != ids_before &&
      uint64_t{next_id()} * bytes_per_allocation() + machine_bytes_ > options_.max_memory)
    return cold([&] {
      return err(fmt::format(
          "the run has made {} allocations; their books ({} each) and the "
          "machine need more than the memory limit of {} (--max-memory)",
          next_id(), format_bytes(bytes_per_allocation()), format_bytes(options_.max_memory)));
    });
  return s;
}

// Each case returns its result directly: an assignment from each would give every
// case a temporary of its own in the frame (ASan builds poison them all per call).
StepResult Runner::dispatch(const Op& op, bool& force_full) {
  Machine& m = machine_;
  switch (op.kind) {
    case OpKind::Alloc:
      return do_alloc(op);
    case OpKind::AllocBulk:
      return do_bulk(op);
    case OpKind::Free:
      if (op.id > UINT32_MAX) return errf(F_ID, "id {} out of range", op.id);
      return do_free(op, static_cast<uint32_t>(op.id));
    case OpKind::BadFree:
      return do_bad_free(op);
    case OpKind::Sysctl:
      return do_sysctl(op);
    case OpKind::Hooks:
      hooks_ = op.hooks;
      break;
    case OpKind::DmSet:
      return do_dm_set(op);
    case OpKind::Drain:
      if (op.zone >= static_cast<int>(m.nr_zones()))
        return errf(F_ZONE, "zone {} does not exist", op.zone);
      if (op.all) {
        m.drain_all_pages(op.zone);
      } else {
        if (op.cpu >= m.nr_cpus()) return errf(F_CPU, "cpu {} does not exist", op.cpu);
        m.drain_local_pages(op.cpu, op.zone);
      }
      break;
    case OpKind::Kswapd:
      if (op.node < 0 || op.node >= static_cast<int>(m.nr_nodes()))
        return errf(F_NODE, "node {} does not exist", op.node);
      m.kswapd_balance(op.node);
      break;
    case OpKind::DecayPcp:
      if (op.cpu >= m.nr_cpus()) return errf(F_CPU, "cpu {} does not exist", op.cpu);
      m.decay_pcp_high(op.cpu);
      break;
    case OpKind::Check:
      force_full = true;
      break;
    case OpKind::Dump:
      cold([&] {  // rare, and its text temporaries stay out of this frame
        // Printed even without a log: the dumps are alloc/ code under test.
        std::string text = fmt::format("---- {}: {}\n", op_label(), print_op(op));
        if (op.what == DumpWhat::buddyinfo || op.what == DumpWhat::all) text += m.buddyinfo();
        if (op.what == DumpWhat::pagetypeinfo || op.what == DumpWhat::all) text += m.pagetypeinfo();
        if (op.what == DumpWhat::zoneinfo || op.what == DumpWhat::all) text += m.zoneinfo();
        if (options_.log) log_ += text;
      });
      break;
  }
  return {};
}

std::optional<Finding> Runner::after_op(size_t index, bool force_full) {
  Machine& m = machine_;
  const size_t n = index + 1;
  std::optional<Finding> f;
  if (force_full || (options_.full_check_every && n % options_.full_check_every == 0)) {
    f = check_invariants(m);
    if (!f) f = check_zonelists(m);
    if (!f && options_.reference) f = reference_.compare_full(m);
    m.reset_touched();
  } else if (options_.check_every && n % options_.check_every == 0) {
    m.sort_touched();  // once for both checks
    f = check_invariants_incremental(m);
    if (!f && options_.reference) f = reference_.compare_incremental(m);
    m.reset_touched();
  }
  return f;
}

std::optional<Finding> Runner::check_full() {
  auto f = check_invariants(machine_);
  if (!f) f = check_zonelists(machine_);
  if (!f && options_.reference) f = reference_.compare_full(machine_);
  machine_.reset_touched();
  if (f) f->op_index = nr_ops_ ? nr_ops_ - 1 : 0;
  return f;
}

}  // namespace buddycheck
