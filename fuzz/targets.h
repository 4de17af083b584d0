// SPDX-License-Identifier: GPL-2.0-or-later
// The fuzz targets as plain functions: libFuzzer entry points (entry.cc), the g++
// replay driver (standalone_main.cc) and the `buddycheck` CLI all call these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oracles/finding.h"

namespace buddycheck::fuzz {

enum class Outcome { Ok, Finding, BadInput };

struct TargetOutcome {
  Outcome status = Outcome::Ok;
  std::optional<Finding> finding;
  std::string report;  // the finding's full report, or the bad-input reason
  std::string trace;   // a text trace of the input where the target has one
};

// What the caller knows about an input: the file that holds it (bad-input messages read
// "FILE:1:1: not an 'ops' input: ...") and the command that replays it (reports end with
// it; empty: "buddycheck replay --target T <this file>", libFuzzer's case).
struct InputInfo {
  std::string_view file = "<input>";
  std::string replay;
};

TargetOutcome run_ops(const uint8_t* data, size_t size, const InputInfo& in = {});
TargetOutcome run_alloc_flags(const uint8_t* data, size_t size, const InputInfo& in = {});
TargetOutcome run_zonelist(const uint8_t* data, size_t size, const InputInfo& in = {});
TargetOutcome run_trace_bytes(const uint8_t* data, size_t size, const InputInfo& in = {});

// The decoded input as a text trace that `buddycheck run` replays (nullopt: the bytes
// are not an input of this target). Every finding of a target reproduces from it.
std::optional<std::string> explain_ops(const uint8_t* data, size_t size);
std::optional<std::string> explain_alloc_flags(const uint8_t* data, size_t size);
std::optional<std::string> explain_zonelist(const uint8_t* data, size_t size);
std::optional<std::string> explain_trace_bytes(const uint8_t* data, size_t size);

struct TargetInfo {
  std::string_view name;  // "ops", "alloc_flags", "zonelist", "trace"
  TargetOutcome (*run)(const uint8_t*, size_t, const InputInfo&);
  std::optional<std::string> (*explain)(const uint8_t*, size_t);
};
const TargetInfo* targets(size_t* count);
const TargetInfo* target_by_name(std::string_view name);
// The replay command of `in`, or the default for target `name`.
std::string replay_command(const InputInfo& in, std::string_view name);
// "FILE:1:1: not an 'ops' input: WHY" (the shape of every bad-input message).
std::string not_an_input(const InputInfo& in, std::string_view name, std::string_view why);

}  // namespace buddycheck::fuzz
