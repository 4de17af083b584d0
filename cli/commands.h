// SPDX-License-Identifier: GPL-2.0-or-later
// The buddycheck command's subcommands. Each returns the process exit code:
// 0 ok, 1 a finding (an invariant or oracle violated), 2 bad input or usage.
#pragma once

#include <string>
#include <vector>

namespace buddycheck::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFinding = 1;
inline constexpr int kExitBadInput = 2;

struct Common {
  std::string target;  // --target, or inferred from the path
  std::string file;
};

int cmd_replay(const Common& c);
int cmd_explain(const Common& c);
// twice: run the trace a second time and require the same state hash (determinism).
int cmd_run(const std::string& trace_file, unsigned check_every, unsigned full_every,
            bool twice = false);
int cmd_minimize(const Common& c, const std::string& out, const std::string& fuzzer);
int cmd_gtest(const Common& c, const std::string& name);
int cmd_gfp(const std::string& mask, unsigned order, const std::string& machine_trace,
            const std::string& task);
int cmd_dump(const std::string& trace_file, const std::string& what);
// sanitize_check_cmd.cc: exhaustive rule-table check, or the diff against a proposal.
int cmd_sanitize_check(const std::string& rules_file, const std::string& diff_file);

// Reads a whole file; false with *error set when unreadable.
bool read_file(const std::string& path, std::string* out, std::string* error);

}  // namespace buddycheck::cli
