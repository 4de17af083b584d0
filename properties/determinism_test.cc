// SPDX-License-Identifier: GPL-2.0-or-later
// Determinism: the same trace gives the same machine, run after run (the gcc/clang
// comparison lives in ci/test, which has both builds).
#include <gtest/gtest.h>

#include <filesystem>

#include "drive/runner.h"
#include "drive/trace.h"

namespace {

using namespace buddycheck;

// determinism-twice-1: Expect every hand-written trace, run twice in one process with
// every oracle, to end in the same state hash (no clocks, no unseeded randomness, no
// pointer-dependent iteration), and that hash to change with one more allocation.
TEST(determinism, twice_1) {
  size_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(BUDDYCHECK_SOURCE_DIR) + "/corpus/traces")) {
    ParseResult p = load_trace_file(e.path().string());
    ASSERT_TRUE(p.ok()) << p.error->to_string();
    RunResult a = run_trace(*p.trace), b = run_trace(*p.trace);
    ASSERT_TRUE(a.ok()) << a.report;
    EXPECT_EQ(a.state_hash, b.state_hash) << e.path();
    // One more allocation is a different machine: the hash sees it.
    Trace longer = *p.trace;
    longer.ops.push_back(ops::alloc(0, GFP_KERNEL | __GFP_NOWARN));
    RunResult c = run_trace(longer);
    ASSERT_TRUE(c.ok()) << c.report;
    EXPECT_NE(c.state_hash, a.state_hash) << e.path();
    n++;
  }
  EXPECT_GE(n, 5u);
}

// determinism-machines-1: Expect two machines in one process never to interact:
// interleaving two runs gives each the hash it has alone.
TEST(determinism, machines_1) {
  Config c = configs::numa(2, 2048, 6, 3);
  Runner alone(c);
  for (unsigned i = 0; i < 50; i++) ASSERT_TRUE(alone.step(ops::alloc(i % 3, GFP_KERNEL)).ok());
  Runner x(c), y(configs::single_zone(4096, 5, 2));
  for (unsigned i = 0; i < 50; i++) {
    ASSERT_TRUE(x.step(ops::alloc(i % 3, GFP_KERNEL)).ok());
    ASSERT_TRUE(y.step(ops::alloc(0, GFP_ATOMIC)).ok());
  }
  EXPECT_EQ(machine_hash(alone.machine()), machine_hash(x.machine()));
  EXPECT_NE(machine_hash(x.machine()), machine_hash(y.machine()));
}

}  // namespace
