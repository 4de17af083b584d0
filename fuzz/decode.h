// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzz bytes -> (Config, op list). Every decoder starts with a version byte so that
// committed corpora keep their meaning when the decoding changes (a new version gets a
// new number; old numbers keep decoding the old way where it is practical).
//
// The ops decoder runs while it decodes: references to earlier allocations are
// indices into the runner's live set (index % live), so every decoded sequence is
// meaningful and the resulting trace names real allocation ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alloc/config.h"
#include "drive/runner.h"

class FuzzedDataProvider;

namespace buddycheck::fuzz {

// Version 2 halved the machines both targets boot (+20% and +35% exec/s); inputs with
// version byte 1 still decode to the machines they were found on.
inline constexpr uint8_t kOpsVersion = 2;
inline constexpr uint8_t kFlagsVersion = 2;
inline constexpr uint8_t kZonelistVersion = 1;
inline constexpr size_t kMaxOps = 256;

// A machine for the ops target: 1-4 nodes, small zones (<= 2,048 pages in all,
// 4,096 in version 1; or a named shape of up to 7,168), small
// MAX_PAGE_ORDER/pageblock_order often, mobility grouping sometimes off, private
// nodes, CMA blocks, 1-4 CPUs. Always valid.
Config decode_config(FuzzedDataProvider& fdp, uint8_t version = kOpsVersion);

// One op against the runner's current live set.
Op decode_op(FuzzedDataProvider& fdp, const Runner& runner);

// A gfp mask weighted toward the kernel's composite masks, plus random bits.
gfp_t decode_gfp(FuzzedDataProvider& fdp);

struct OpsRun {
  std::unique_ptr<Runner> runner;  // holds the trace (config + ops) and the machine
  std::optional<Finding> finding;
  std::optional<std::string> error;  // an op the runner rejected (decoder bug)
  bool decoded = false;              // false: input too short or wrong version
};

// Decode and run the ops target's input with every oracle.
OpsRun run_ops_input(const uint8_t* data, size_t size, const RunOptions& options = {});

// Decode only (runs the machine, since references need the live set) and return the
// trace: what `buddycheck explain` prints.
std::optional<Trace> decode_ops_trace(const uint8_t* data, size_t size);

}  // namespace buddycheck::fuzz
