// SPDX-License-Identifier: GPL-2.0-or-later
// What a runner remembers of its ops - the history behind trace() and reports, bounded
// by RunOptions::history_limit, and the labels of its log - and whole runs,
// run_trace().
#include <fmt/format.h>

#include "drive/runner.h"
#include "drive/trace.h"
#include "oracles/report.h"

namespace buddycheck {

void Runner::keep(const Op& op) {
  if (!history_dropped_ && ops_.size() < options_.history_limit) {
    ops_.push_back(op);
    return;
  }
  if (!history_dropped_) {
    history_dropped_ = true;
    std::vector<Op>().swap(ops_);
  }
  last_op_ = op;
}

std::string Runner::op_label() const {
  return last_line_ ? fmt::format("op #{} (line {})", nr_ops_ - 1, last_line_)
                    : fmt::format("op #{}", nr_ops_ - 1);
}

Trace Runner::trace() const {
  Trace t{machine_.config(), ops_};
  t.config.min_free_kbytes = boot_sysctls_.min_free_kbytes;
  t.config.watermark_scale_factor = boot_sysctls_.watermark_scale_factor;
  t.config.watermark_boost_factor = boot_sysctls_.watermark_boost_factor;
  t.config.lowmem_reserve_ratio = boot_sysctls_.lowmem_reserve_ratio;
  t.config.percpu_pagelist_high_fraction = boot_sysctls_.percpu_pagelist_high_fraction;
  return t;
}

std::string Runner::report(const Finding& f, const std::string& replay_command,
                           const std::string& input) const {
  std::string op_line;
  if (nr_ops_ && f.op_index == nr_ops_ - 1)
    op_line = print_op(history_dropped_ ? last_op_ : ops_.back()) +
              (last_line_ ? fmt::format("   (trace line {})", last_line_) : "");
  else if (!history_dropped_ && f.op_index < ops_.size()) op_line = print_op(ops_[f.op_index]);
  if (!history_dropped_)
    return render_report(f, machine_, op_line, print_trace(trace()), replay_command);
  const std::string note = fmt::format(
      "(not repeated: {} ops, more than the {} a report repeats; {} replays the run{})\n", nr_ops_,
      options_.history_limit, input.empty() ? "the input" : input,
      last_line_ ? fmt::format(" up to line {}", last_line_) : "");
  return render_report(f, machine_, op_line, note, replay_command);
}

RunResult run_trace(const Trace& trace, const RunOptions& options,
                    const std::string& replay_command) {
  return run_trace(Trace(trace), options, replay_command);
}

RunResult run_trace(Trace&& trace, const RunOptions& options, const std::string& replay_command) {
  RunResult res;
  std::string why = validate_config(trace.config);
  if (!why.empty()) {
    res.error = "config: " + why;
    return res;
  }
  Runner r(std::move(trace.config), options);
  for (size_t i = 0; i < trace.ops.size(); i++) {
    StepResult s = r.step(trace.ops[i]);
    res.ops_run = i + 1;
    if (s.error) {
      res.error = fmt::format("op #{} ({}): {}", i, print_op(trace.ops[i]), *s.error);
      break;
    }
    if (s.finding) {
      res.finding = s.finding;
      break;
    }
  }
  if (!res.error && !res.finding && options.full_check_at_end) res.finding = r.check_full();
  if (res.finding) res.report = r.report(*res.finding, replay_command);
  if (options.state_hash) res.state_hash = machine_hash(r.machine());
  res.log = r.log();
  return res;
}

}  // namespace buddycheck
