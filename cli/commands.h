// SPDX-License-Identifier: GPL-2.0-or-later
// The buddycheck command's subcommands (the list: subcommands.def). Each returns the
// process exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "drive/memory.h"
#include "fuzz/targets.h"

namespace buddycheck::cli {

// Exit codes everywhere (README.md, --help). 3 is also what the sanitizers exit with in
// every buddycheck binary (cli/sanitizer_options.cc): a crash of the tool itself is
// never mistaken for a finding.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFinding = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitCrash = 3;

// Commands that hold a whole op list (minimize, gtest) refuse longer traces.
inline constexpr size_t kMaxHeldOps = size_t{1} << 20;

// What every command knows about how it was started.
struct Context {
  std::string self;  // argv[0] resolved: replay commands in reports name this binary
  uint64_t max_memory = kDefaultMaxMemory;  // --max-memory / BUDDYCHECK_MAX_MEMORY
  bool progress = false;                    // stderr is a terminal
  std::string source_dir;                   // the tree this binary was built from
};

// FILE and --target of the commands that take any input.
struct Input {
  std::string file;
  std::string target;  // empty: from the path
};

struct RunFlags {
  unsigned check_every = 1;  // incremental checks every N ops (0: never)
  unsigned full_every = 0;   // full checks every N ops (0: at `check` ops and the end)
  bool twice = false;        // a second run must end in the same state hash
};

int cmd_run(const Context& ctx, const std::string& trace_file, const RunFlags& flags);
int cmd_replay(const Context& ctx, const Input& in);
int cmd_explain(const Context& ctx, const Input& in);
int cmd_minimize(const Context& ctx, const Input& in, const std::string& out,
                 const std::string& fuzzer);
int cmd_gtest(const Context& ctx, const Input& in, const std::string& out, const std::string& name);
int cmd_gfp(const Context& ctx, const std::string& mask, unsigned order,
            const std::string& machine_trace, const std::string& task);
int cmd_dump(const Context& ctx, const std::string& trace_file, const std::string& what);
// sanitize_check_cmd.cc: the exhaustive rule-table check, or the diff against a proposal.
// An empty rules_file means the source tree's rules/alloc_flags.rules.
int cmd_sanitize_check(const Context& ctx, const std::string& rules_file,
                       const std::string& diff_file);

// ---- helpers shared by the commands (files.cc) ---------------------------------------

// The direct-map figures of `dump --what directmap` (inspect.cc).
void print_direct_map(const pagealloc::Machine& m);

// Reads a whole file; false with *error = "PATH: cannot open: <strerror>" and the like.
bool read_file(const std::string& path, std::string* out, std::string* error);
// Writes `text` to `path` whole or not at all: a temporary file beside it, then a
// rename. "-" writes to stdout. False with *error on failure (nothing left behind).
bool write_file_atomic(const std::string& path, const std::string& text, std::string* error);
// `s` as one shell word: as is when it is plain, else quoted (non-printables escaped).
std::string shell_word(const std::string& s);
// The first word of "buddycheck run FILE" style commands printed in reports.
std::string command(const Context& ctx, const std::string& sub, const std::string& args);
// Whether the bytes are a text trace (its header, after comments and blank lines).
bool looks_like_trace(const std::string& bytes);

}  // namespace buddycheck::cli
