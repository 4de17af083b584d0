// SPDX-License-Identifier: GPL-2.0-or-later
// The runner: applies ops to a Machine and asks the oracles after each one. One runner
// serves every way in: text traces, fuzz decoders (which build ops against the live
// set as they go) and RapidCheck commands. Deterministic.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alloc/machine.h"
#include "drive/memory.h"
#include "drive/ops.h"
#include "oracles/finding.h"
#include "oracles/reference.h"
#include "oracles/shadow.h"

namespace buddycheck {

struct RunOptions {
  unsigned check_every = 1;       // incremental invariants + reference every N ops (0: never)
  unsigned full_check_every = 0;  // full invariants + full reference every N ops (0: never)
  bool full_check_at_end = true;  // run_trace(): one full check after the last op
  bool shadow = true;             // eligibility, painting, bad-free legality
  bool reference = true;          // reference model comparisons
  bool liveness = true;           // judge failed allocations
  bool paint = true;              // paint allocations' memory
  bool state_hash = true;         // run_trace(): compute RunResult::state_hash
  bool log = true;                // keep the text log (Runner::log(), RunResult::log)
  // Ops kept for trace() and reports; past this the runner keeps counting but drops the
  // list (complete_history() turns false), so a long streamed trace runs in bounded
  // memory. Reports then point at the input instead of repeating it.
  size_t history_limit = size_t{1} << 16;
  // The machine plus the books kept per allocation ever made (shadow records, live
  // set) may not exceed this: past it a step fails with an error (0: no limit).
  uint64_t max_memory = kDefaultMaxMemory;
};

struct StepResult {
  std::optional<Finding> finding;
  std::optional<std::string> error;  // the op itself is invalid (unknown id, bad value)
  uint32_t error_field = 0;          // the op's field the error is about (F_ID, ...), 0: the op
  bool ok() const { return !finding && !error; }
};

// The request an alloc op makes of the Machine (shared with the property generators,
// so a property's direct call and a replayed trace make the same call).
AllocRequest request_of(const Op& op);

class Runner {
 public:
  // Throws std::invalid_argument on an impossible config.
  explicit Runner(Config config, RunOptions options = {});
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  ~Runner();

  // `line`: the op's line in its text trace (0: none), for the log's labels.
  StepResult step(const Op& op, size_t line = 0);
  // Full invariant check + full reference comparison now.
  std::optional<Finding> check_full();

  // Live allocation ids in a deterministic order (decoders index this with % size).
  const std::vector<uint32_t>& live_ids() const { return live_; }
  // Freed ids whose PFN is not reused (candidates for bad_free kind=double_free).
  const std::vector<uint32_t>& freed_ids() const { return freed_; }
  const AllocRecord& record(uint32_t id) const { return shadow_.record(id); }
  uint32_t next_id() const { return static_cast<uint32_t>(shadow_.nr_records()); }

  Machine& machine() { return machine_; }
  const Machine& machine() const { return machine_; }
  const Reference& reference() const { return reference_; }
  // The config and every op applied so far (also those that produced a finding), as a
  // copy: the runner keeps the config only in its Machine. Only the config and no op
  // once more than history_limit ops have run (see complete_history()).
  Trace trace() const;
  const std::vector<Op>& ops() const { return ops_; }
  size_t nr_ops() const { return nr_ops_; }
  bool complete_history() const { return !history_dropped_; }
  // Dumps and notes written by ops (`dump`, skipped bad frees, Loops outcomes), each
  // labelled with its op number (and trace line).
  const std::string& log() const { return log_; }
  // The log so far, leaving it empty (streamed runs print it as they go).
  std::string take_log() { return std::exchange(log_, {}); }
  const RunOptions& options() const { return options_; }

  // The full report for a finding: see report.h. Without a complete history the trace
  // part says so and names `input` (what replays the run) instead.
  std::string report(const Finding& f, const std::string& replay_command = "",
                     const std::string& input = "") const;

 private:
  // The op itself, before the checks that follow every op (step()).
  StepResult dispatch(const Op& op, bool& force_full);
  StepResult do_alloc(const Op& op);
  StepResult do_bulk(const Op& op);
  StepResult do_free(const Op& op, uint32_t id);
  StepResult do_bad_free(const Op& op);
  StepResult do_sysctl(const Op& op);
  StepResult do_hooks(const Op& op);
  StepResult do_dm_set(const Op& op);
  std::optional<Finding> after_op(size_t index, bool force_full);
  // "op #12" or "op #12 (line 40)": the op being run, for the log.
  std::string op_label() const;
  void keep(const Op& op);
  // Frees allocation `id` on behalf of a hook (reclaim, OOM kill). Returns pages freed.
  uint64_t hook_free(uint32_t id);
  void add_live(uint32_t id);
  void remove_live(uint32_t id);
  // The oldest live allocation whose owner has not changed its direct map (what
  // reclaim and the OOM killer take), or UINT32_MAX.
  uint32_t oldest_victim();

  std::vector<Op> ops_;
  size_t nr_ops_ = 0;
  bool history_dropped_ = false;
  Op last_op_;                  // the op being (or last) run, kept when the history is not
  size_t last_line_ = 0;        // its trace line, 0: none
  uint64_t machine_bytes_ = 0;  // estimate_memory() of the config, for max_memory
  // The config fields sysctl ops rewrite in the Machine, as booted (trace() restores
  // them; keeping these instead of a second Config saves its heap copies per run).
  struct BootSysctls {
    std::optional<unsigned> min_free_kbytes;
    unsigned watermark_scale_factor = 0;
    unsigned watermark_boost_factor = 0;
    std::array<unsigned, MAX_NR_ZONES> lowmem_reserve_ratio{};
    unsigned percpu_pagelist_high_fraction = 0;
  } boot_sysctls_;
  RunOptions options_;
  Machine machine_;  // by value: a Runner never moves (the hooks capture this)
  Shadow shadow_;
  PreState pre_;  // the shadow's pre-op snapshot, reused (no allocation per op)
  Reference reference_;
  std::vector<uint32_t> live_;
  std::vector<int32_t> live_pos_;  // id -> index in live_, -1 when dead
  std::vector<uint32_t> freed_;
  HookSpec hooks_;
  std::string log_;
  int64_t hook_freed_pages_ = 0;
  uint32_t victim_scan_ = 0;           // no live allocation has a smaller id
  std::vector<uint64_t> reclaimable_;  // per zone: pages reclaim could free
  bool reclaimable_stale_ = true;      // the live set changed since reclaimable_
  std::optional<Finding> hook_finding_;
};

struct RunResult {
  std::optional<Finding> finding;
  std::optional<std::string> error;  // an invalid op (trace bug), with its index
  size_t ops_run = 0;
  uint64_t state_hash = 0;
  std::string report;  // rendered finding, empty when ok
  std::string log;
  bool ok() const { return !finding && !error; }
};

// Runs a whole trace. Throws nothing: an impossible config is reported in `error`.
RunResult run_trace(const Trace& trace, const RunOptions& options = {},
                    const std::string& replay_command = "");
// The same, handing the config over to the machine instead of copying it.
RunResult run_trace(Trace&& trace, const RunOptions& options = {},
                    const std::string& replay_command = "");

// A hash of everything observable in a machine's state (memmap, lists, counters,
// watermarks, pcps, pageblocks, direct map). Equal runs give equal hashes.
uint64_t machine_hash(const Machine& m);

}  // namespace buddycheck
