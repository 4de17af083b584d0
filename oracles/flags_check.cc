// SPDX-License-Identifier: GPL-2.0-or-later
#include "oracles/flags_check.h"

#include <fmt/format.h>

#include "oracles/checks.h"
#include "oracles/cold.h"
#include "oracles/eligibility.h"

namespace buddycheck {

std::optional<Finding> check_slow_flags(gfp_t gfp, unsigned order, const TaskContext& task,
                                        bool mobility_grouping, SlowFlagsFn translate) {
  unsigned got = translate(gfp, order, task, mobility_grouping);
  unsigned want = spec_slow_alloc_flags(gfp, order, task, mobility_grouping);
  if (got == want) return std::nullopt;
  return cold([&]() -> std::optional<Finding> {
    return check_finding(Check::FlagsSlowPath,
                         fmt::format("gfp_to_alloc_flags({}, order {}) disagrees with the oracle",
                                     gfp_to_string(gfp), order),
                         alloc_flags_to_string(want), alloc_flags_to_string(got));
  });
}

std::optional<Finding> check_sanitizer(AllocFlags in, gfp_t gfp, unsigned order,
                                       bool mobility_grouping, SanitizeFn sanitize) {
  AllocFlags once = in;
  SanitizeResult r1 = sanitize(&once, gfp, order, mobility_grouping);
  // Built only for a finding: the passing path runs after every fuzzed alloc.
  auto what = [&] {
    return fmt::format("sanitize_alloc_flags({}, gfp {}, order {})", ctx_flags_to_string(in),
                       gfp_to_string(gfp), order);
  };
  // A REJECT field or bits the struct does not define must be refused.
  bool must_reject = (in.bits & ~kCtxKnownMask) != 0;
  for (unsigned i = 0; i < NR_CTX_FIELDS; i++)
    if (in.has(i) && ctx_field_info(i).klass == CtxClass::INTERNAL &&
        ctx_field_info(i).verdict == Verdict::REJECT)
      must_reject = true;
  if (must_reject && r1.verdict != Verdict::REJECT)
    return cold([&]() -> std::optional<Finding> {
      return check_finding(Check::SanitizeFieldVerdict, what() + " accepted a forbidden field",
                           "reject", verdict_name(r1.verdict));
    });
  if (r1.verdict == Verdict::REJECT) return std::nullopt;
  if (once.bits & ctx_internal_mask())
    return cold([&]() -> std::optional<Finding> {
      return check_finding(Check::SanitizeInternalLeak, what() + " let an internal bit through",
                           "no internal bits", ctx_flags_to_string(once));
    });
  AllocFlags twice = once;
  SanitizeResult r2 = sanitize(&twice, gfp, order, mobility_grouping);
  if (!(twice == once) || r2.verdict != Verdict::ACCEPT)
    return cold([&]() -> std::optional<Finding> {
      return check_finding(
          Check::SanitizeIdempotent, what() + " is not idempotent",
          fmt::format("{} accepted", ctx_flags_to_string(once)),
          fmt::format("{} {}", ctx_flags_to_string(twice), verdict_name(r2.verdict)));
    });
  return std::nullopt;
}

}  // namespace buddycheck
