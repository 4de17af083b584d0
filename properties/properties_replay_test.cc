// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of replay (design.md: every failing input re-renders as a text trace that
// `buddycheck run` replays): generated op lists survive printing and parsing, and
// replaying them reaches the same machine state whether the oracles watch or not.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// props-replay-1: Expect any generated op list to print and parse back to itself, and
// replaying the text -- with every oracle on or all of them off -- to reach the same
// machine state hash as the run that generated it (the oracles never change the
// machine; a run always re-renders as a trace that replays it).
void replay_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  drive(r, *rc::gen::inRange<size_t>(0, 120));
  const uint64_t hash = machine_hash(r.machine());
  const std::string text = print_trace(r.trace());
  const ParseResult parsed = parse_trace(text);
  if (!parsed.ok())
    fail_property(r, "props-replay-1",
                  "the printed trace does not parse: " + parsed.error->to_string());
  if (!(*parsed.trace == r.trace()) || print_trace(*parsed.trace) != text)
    fail_property(r, "props-replay-1", "the printed trace parses to a different trace");
  RunOptions quiet = quiet_options();
  const RunResult again = run_trace(*parsed.trace, quiet);
  const RunResult judged = run_trace(*parsed.trace);
  if (again.error || again.state_hash != hash)
    fail_property(r, "props-replay-1",
                  fmt::format("quiet replay: hash {:016x} vs {:016x} {}", again.state_hash, hash,
                              again.error.value_or("")));
  if (judged.error || (!judged.finding && judged.state_hash != hash))
    fail_property(r, "props-replay-1",
                  fmt::format("judged replay: hash {:016x} vs {:016x} {}", judged.state_hash, hash,
                              judged.error.value_or("")));
  if (judged.finding)
    fail_property(r, judged.finding->id, judged.finding->summary + "\n" + judged.report);
}

class props_replay : public ConfigMatrix {};

TEST_P(props_replay, replay_1) {
  check(Budget{.runs = 40, .max_size = 100}, [cfg = config()] { replay_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_replay);

// props-replay-2: Expect the same of op lists drawn with gen_trace() on random machines:
// the text form is canonical and a replay is deterministic.
TEST(props_replay_random, replay_2) {
  check(Budget{.runs = 60, .max_size = 100}, [] {
    const Trace t = *gen_trace(gen_random_config(), 80);
    const std::string text = print_trace(t);
    const ParseResult parsed = parse_trace(text);
    RC_ASSERT(parsed.ok());
    RC_ASSERT(*parsed.trace == t);
    RC_ASSERT(print_trace(*parsed.trace) == text);
    const RunResult a = run_trace(t, quiet_options());
    const RunResult b = run_trace(*parsed.trace, quiet_options());
    RC_ASSERT(!a.error);
    RC_ASSERT(a.state_hash == b.state_hash);
  });
}

}  // namespace
}  // namespace buddycheck::props
