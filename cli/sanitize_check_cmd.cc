// SPDX-License-Identifier: GPL-2.0-or-later
// `buddycheck sanitize-check [RULES] [--diff PROPOSAL]`: the exhaustive check of the
// flag-sanitization rule table against alloc/ (docs/rules.md), or the inputs a proposed
// table decides differently.
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "drive/progress.h"
#include "rules/sanitize_check.h"

namespace buddycheck::cli {

namespace {

// A table, or "file:line:col: message" (or "file: why it cannot be read") on stderr.
std::optional<rules::RuleTable> load(const std::string& path) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    fmt::print(stderr, "{}\n", error);
    return std::nullopt;
  }
  rules::RulesParse p = rules::parse_rules(text, path);
  if (!p.ok()) {
    fmt::print(stderr, "{}\n", p.error->to_string());
    return std::nullopt;
  }
  return std::move(*p.table);
}

// The table this binary's alloc/ was written against: the source tree's, wherever the
// command runs from. Then the tree around the binary (build/<preset>/bin/..), then the
// current directory.
std::string default_rules(const Context& ctx, std::string* tried) {
  namespace fs = std::filesystem;
  std::vector<fs::path> places;
  if (!ctx.source_dir.empty())
    places.push_back(fs::path(ctx.source_dir) / "rules/alloc_flags.rules");
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) places.push_back(exe.parent_path() / "../../../rules/alloc_flags.rules");
  places.push_back("rules/alloc_flags.rules");
  for (const fs::path& p : places) {
    if (fs::is_regular_file(p, ec)) return fs::weakly_canonical(p, ec).string();
    *tried += (tried->empty() ? "" : ", ") + p.string();
  }
  return "";
}

}  // namespace

int cmd_sanitize_check(const Context& ctx, const std::string& rules_arg,
                       const std::string& diff_file) {
  std::string rules_file = rules_arg;
  if (rules_file.empty()) {
    std::string tried;
    rules_file = default_rules(ctx, &tried);
    if (rules_file.empty()) {
      fmt::print(stderr,
                 "buddycheck sanitize-check: no rule table given and none found (looked for {}); "
                 "name one: buddycheck sanitize-check RULES\n",
                 tried);
      return kExitBadInput;
    }
  }
  std::optional<rules::RuleTable> table = load(rules_file);
  if (!table) return kExitBadInput;
  if (!diff_file.empty()) {
    std::optional<rules::RuleTable> proposal = load(diff_file);
    if (!proposal) return kExitBadInput;
    rules::DiffResult d = rules::rules_diff(*table, *proposal);
    fmt::print("{}", rules::format_diff(*table, *proposal, d));
    return d.exit_code();
  }
  const rules::Implementation impl = rules::machine_implementation();
  Progress meter("sanitize-check", ctx.progress);
  rules::CheckOptions o;
  o.progress = [&](uint64_t done, uint64_t total) { meter.update(done, total, "gfp classes"); };
  rules::CheckResult r = rules::sanitize_check(*table, impl, o);
  meter.done();
  fmt::print("{}", rules::format_check(*table, impl, r));
  return r.exit_code();
}

}  // namespace buddycheck::cli
