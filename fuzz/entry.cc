// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer entry point for one target (BUDDYCHECK_TARGET is the run_* function).
// Any finding prints its full report and aborts so libFuzzer saves the input.
#include <cstdio>
#include <cstdlib>

#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace buddycheck::fuzz;
  TargetOutcome o = BUDDYCHECK_TARGET(data, size);
  if (o.status == Outcome::Finding) {
    std::fputs(o.report.c_str(), stderr);
    std::fflush(stderr);
    std::abort();
  }
  return 0;
}
