// SPDX-License-Identifier: GPL-2.0-or-later
// `buddycheck run` and `buddycheck dump`: a text trace streamed through a Runner, one op
// at a time, so the trace's length costs no memory. Errors name the op's line and column
// (and the field at fault); findings print the report with a replay command that names
// this binary.
#include <cstdio>
#include <functional>
#include <memory>
#include <new>

#include <fmt/format.h>

#include "cli/commands.h"
#include "drive/runner.h"
#include "drive/trace.h"

namespace buddycheck::cli {

namespace {

struct Streamed {
  int rc = kExitOk;
  size_t ops = 0;
  uint64_t hash = 0;
  std::string outcome;  // for --twice: how a run that was not clean ended
};

// Runs `file` op by op; prints the log to stdout as it grows, errors to stderr and a
// finding's report to `report_to`. `after` sees the runner when the trace ended without
// an error (clean or in a finding).
Streamed stream(const Context& ctx, const std::string& file, RunOptions o,
                const std::string& replay, std::FILE* report_to,
                const std::function<void(const Runner&)>& after = {}) {
  Streamed res;
  TraceReader reader(file, ParseOptions{ctx.max_memory});
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
    res.rc = kExitBadInput;
    res.outcome = "with an error: " + reader.error()->to_string();
    return res;
  }
  o.max_memory = ctx.max_memory;
  auto out_of_memory = [&](size_t line, size_t col, const std::string& what) {
    const std::string msg = fmt::format(
        "{}:{}:{}: out of memory {}: the process may have less than the limit of {} (ulimit "
        "-v?); with --max-memory below what it may have, this is refused before anything is "
        "built",
        file, line, col, what, format_bytes(ctx.max_memory));
    std::fprintf(stderr, "%s\n", msg.c_str());
    res.rc = kExitBadInput;
    res.outcome = "with an error: " + msg;
    return res;
  };
  std::unique_ptr<Runner> runner;
  try {
    runner = std::make_unique<Runner>(reader.config(), o);
  } catch (const std::bad_alloc&) {
    return out_of_memory(
        reader.config_line(), 1,
        "building the machine (estimated " + estimate_memory(reader.config()).to_string() + ")");
  }
  Runner& r = *runner;
  Op op;
  OpSource where;
  std::optional<Finding> finding;
  while (reader.next(&op, &where)) {
    StepResult s;
    try {
      s = r.step(op, where.line);
    } catch (const std::bad_alloc&) {
      return out_of_memory(where.line, where.col,
                           fmt::format("in op #{} ({})", r.nr_ops() - 1, print_op(op)));
    }
    if (!r.log().empty()) std::fputs(r.take_log().c_str(), stdout);
    if (s.error) {
      const std::string msg =
          fmt::format("{}:{}:{}: op #{} ({}): {}", file, where.line, where.col_of(s.error_field),
                      r.nr_ops() - 1, print_op(op), *s.error);
      std::fprintf(stderr, "%s\n", msg.c_str());
      res.rc = kExitBadInput;
      res.outcome = "with an error: " + msg;
      return res;
    }
    if (s.finding) {
      finding = s.finding;
      break;
    }
  }
  if (!finding && reader.error()) {
    std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
    res.rc = kExitBadInput;
    res.outcome = "with an error: " + reader.error()->to_string();
    return res;
  }
  if (!finding && o.full_check_at_end) finding = r.check_full();
  res.ops = r.nr_ops();
  if (finding) {
    std::fputs(r.report(*finding, replay, file).c_str(), report_to);
    res.rc = kExitFinding;
    res.outcome = "with " + finding->id;
  }
  if (o.state_hash) res.hash = machine_hash(r.machine());
  if (after) after(r);
  return res;
}

}  // namespace

int cmd_run(const Context& ctx, const std::string& trace_file, const RunFlags& flags) {
  RunOptions o;
  o.check_every = flags.check_every;
  o.full_check_every = flags.full_every;
  const std::string replay =
      command(ctx, "run", (flags.twice ? "--twice " : "") + shell_word(trace_file));
  const Streamed first = stream(ctx, trace_file, o, replay, stdout);
  if (first.rc != kExitOk) return first.rc;
  if (flags.twice) {
    // A second, independent machine must end in the same state (determinism).
    const Streamed again = stream(ctx, trace_file, o, replay, stdout);
    if (again.rc != kExitOk || again.hash != first.hash) {
      std::printf(
          "buddycheck: DETERMINISM %s: the second run ended %s (first run: state hash %016llx)\n"
          "  replay: %s\n",
          trace_file.c_str(),
          again.rc != kExitOk ? again.outcome.c_str()
                              : fmt::format("in state hash {:016x}", again.hash).c_str(),
          static_cast<unsigned long long>(first.hash), replay.c_str());
      return kExitFinding;
    }
  }
  std::printf("ok: %zu ops, state hash %016llx%s\n", first.ops,
              static_cast<unsigned long long>(first.hash), flags.twice ? " (twice)" : "");
  return kExitOk;
}

int cmd_dump(const Context& ctx, const std::string& trace_file, const std::string& what) {
  auto show = [&](const Runner& r) {
    const pagealloc::Machine& m = r.machine();
    if (what == "all" || what == "buddyinfo")
      std::printf("/proc/buddyinfo:\n%s\n", m.buddyinfo().c_str());
    if (what == "all" || what == "pagetypeinfo")
      std::printf("/proc/pagetypeinfo:\n%s\n", m.pagetypeinfo().c_str());
    if (what == "all" || what == "zoneinfo")
      std::printf("/proc/zoneinfo:\n%s\n", m.zoneinfo().c_str());
    if (what == "all" || what == "directmap") print_direct_map(m);
  };
  RunOptions o;
  o.state_hash = false;
  // The dumps show the state the trace left, finding or not (the report goes to stderr).
  const Streamed s =
      stream(ctx, trace_file, o, command(ctx, "run", shell_word(trace_file)), stderr, show);
  return s.rc;
}

}  // namespace buddycheck::cli
