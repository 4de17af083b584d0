// SPDX-License-Identifier: GPL-2.0-or-later
// Running a RapidCheck property inside a GoogleTest test: per-property budgets, fixed
// seeds, the config matrix, failure artefacts (a replayable trace file) and the
// inverted "mutant mode" of the broken-allocator tests (properties/mutants/).
//
// Budgets and seeds. Each property states its default budget (runs, max size); the
// seed is a hash of the test's name, so a plain ctest run is deterministic. RC_PARAMS
// keys win over both (RC_PARAMS="seed=7 max_success=500"); RapidCheck's own
// RC_PARAMS="reproduce=..." (printed at exit after a failure) replays just the minimal
// case. BUDDYCHECK_LONG=N (N >= 2; "1" means 25) multiplies every budget by N and
// draws a fresh seed per run: the nightly campaign.
//
// Mutant mode. With BUDDYCHECK_MUTANT=<name> in the environment (set by the mutant
// ctests) a property passes iff it FAILS, and, when BUDDYCHECK_MUTANT_EXPECT lists
// finding IDs ("INV-HYGIENE,SHADOW-WATERMARK"), iff the failure names one of them.
//
// Failures. A property that judges a machine reports through fail_property(): its ID
// and statement, the /proc dumps, and the trace that rebuilds the state, also written
// to $BUDDYCHECK_ARTIFACTS (default ./buddycheck-artifacts)/<test>.trace for
// `buddycheck run`. Every failing case rewrites the file; RapidCheck runs the minimal
// case last, so after shrinking the file holds the minimal trace.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include "drive/runner.h"
#include "properties/generators.h"

namespace buddycheck::props {

struct Budget {
  int runs = 20;      // successful cases before the property passes
  int max_size = 40;  // RapidCheck's size ceiling (op counts scale with it)
};

// Runs `prop` as a RapidCheck property of the current GoogleTest test.
void check(Budget budget, std::function<void()> prop);

// Fails the current case (RC_FAIL) with `id: what`, the dumps and the trace; `extra`
// ops, made on the machine directly after the runner's, are appended to the trace.
[[noreturn]] void fail_property(const Runner& r, const std::string& id, const std::string& what,
                                const std::vector<Op>& extra = {});
// Writes the runner's trace (+ extra ops) to this test's artefact file; returns its path.
std::string write_trace(const Runner& r, const std::vector<Op>& extra = {});
// The buddycheck beside this test binary, for the replay commands failures print.
std::string buddycheck_command();
// /proc/buddyinfo, pagetypeinfo and zoneinfo.
std::string dumps(const Machine& m);

// A runner whose oracles are off: subsystem properties judge the state themselves (the
// stateful test is where every oracle runs). The reference keeps its books (no
// comparisons without check_every): bad_free double_free consults it to skip a PFN
// that someone else owns again.
RunOptions quiet_options();
// Applies `n` generated ops; a rejected op (generator bug) or a finding fails the case.
void drive(Runner& r, size_t n);
// One to three rounds of up to `max_ops` generated ops, `judge` after each; with
// `judge_boot` the first round judges the freshly booted machine instead.
void in_rounds(Runner& r, size_t max_ops, bool judge_boot,
               const std::function<void(Runner&)>& judge);

// ---- the config matrix ---------------------------------------------------------------

// TEST_P(suite, concept_n) over every named config, instantiated by
// BUDDYCHECK_CONFIG_MATRIX(suite) as matrix/suite.concept_n/<config name>.
class ConfigMatrix : public ::testing::TestWithParam<size_t> {
 protected:
  Config config() const { return named_configs()[GetParam()].make(); }
  const char* config_name() const { return named_configs()[GetParam()].name; }
};
std::string config_param_name(const ::testing::TestParamInfo<size_t>& info);

#define BUDDYCHECK_CONFIG_MATRIX(suite)                                                        \
  INSTANTIATE_TEST_SUITE_P(                                                                    \
      matrix, suite, ::testing::Range<size_t>(0, ::buddycheck::props::named_configs().size()), \
      ::buddycheck::props::config_param_name)

}  // namespace buddycheck::props
