// SPDX-License-Identifier: GPL-2.0-or-later
#include "fuzz/targets.h"

#include <fmt/format.h>

namespace buddycheck::fuzz {

namespace {
constexpr TargetInfo kTargets[] = {
    {"ops", &run_ops, &explain_ops},
    {"alloc_flags", &run_alloc_flags, &explain_alloc_flags},
    {"zonelist", &run_zonelist, &explain_zonelist},
    {"trace", &run_trace_bytes, &explain_trace_bytes},
};
}  // namespace

const TargetInfo* targets(size_t* count) {
  *count = sizeof(kTargets) / sizeof(kTargets[0]);
  return kTargets;
}

const TargetInfo* target_by_name(std::string_view name) {
  for (const TargetInfo& t : kTargets)
    if (t.name == name) return &t;
  return nullptr;
}

std::string replay_command(const InputInfo& in, std::string_view name) {
  return in.replay.empty() ? fmt::format("buddycheck replay --target {} <this file>", name)
                           : in.replay;
}

std::string not_an_input(const InputInfo& in, std::string_view name, std::string_view why) {
  return fmt::format("{}:1:1: not an '{}' input: {}", in.file, name, why);
}

}  // namespace buddycheck::fuzz
