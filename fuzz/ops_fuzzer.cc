// SPDX-License-Identifier: GPL-2.0-or-later
// Target `ops`: a random machine and op list through the runner with every oracle.
#include "drive/trace.h"
#include "fuzz/decode.h"
#include "fuzz/targets.h"
#include "oracles/checks.h"

namespace buddycheck::fuzz {

TargetOutcome run_ops(const uint8_t* data, size_t size, const InputInfo& in) {
  TargetOutcome o;
  RunOptions options;
  options.log = false;  // nobody reads the run's text log here: reports do not use it
  OpsRun run = run_ops_input(data, size, options);
  if (!run.decoded) {
    o.status = Outcome::BadInput;
    o.report =
        not_an_input(in, "ops", "needs at least 2 bytes starting with version byte 0x01 or 0x02");
    return o;
  }
  if (run.error) {
    Finding f;
    f.id = std::string(check_info(Check::DecoderInvalidOp).id);
    f.summary = "the decoder produced an op the runner rejects: " + *run.error;
    f.op_index = run.runner->nr_ops() - 1;
    run.finding = f;
  }
  if (run.finding) {
    o.status = Outcome::Finding;
    o.finding = run.finding;
    o.report = run.runner->report(*run.finding, replay_command(in, "ops"));
    o.trace = print_trace(run.runner->trace());
  }
  return o;
}

}  // namespace buddycheck::fuzz

namespace buddycheck::fuzz {
std::optional<std::string> explain_ops(const uint8_t* data, size_t size) {
  std::optional<Trace> t = decode_ops_trace(data, size);
  if (!t) return std::nullopt;
  return print_trace(*t);
}
}  // namespace buddycheck::fuzz
