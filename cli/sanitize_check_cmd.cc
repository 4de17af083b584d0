// SPDX-License-Identifier: GPL-2.0-or-later
// `buddycheck sanitize-check [RULES] [--diff PROPOSAL]`: the exhaustive check of the
// flag-sanitization rule table against alloc/ (docs/rules.md), or the inputs a proposed
// table decides differently.
#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.h"
#include "rules/sanitize_check.h"

namespace buddycheck::cli {

namespace {

// A table, or "file:line: message" on stderr.
std::optional<rules::RuleTable> load(const std::string& path) {
  std::string text, error;
  if (!read_file(path, &text, &error)) {
    // read_file() says "PATH: why"; keep the file:line: message shape.
    if (error.rfind(path + ": ", 0) == 0) error.erase(0, path.size() + 2);
    fmt::print(stderr, "{}:0: {}\n", path, error);
    return std::nullopt;
  }
  rules::RulesParse p = rules::parse_rules(text, path);
  if (!p.ok()) {
    fmt::print(stderr, "{}\n", p.error->to_string());
    return std::nullopt;
  }
  return std::move(*p.table);
}

}  // namespace

int cmd_sanitize_check(const std::string& rules_file, const std::string& diff_file) {
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
  rules::CheckResult r = rules::sanitize_check(*table, impl);
  fmt::print("{}", rules::format_check(*table, impl, r));
  return r.exit_code();
}

}  // namespace buddycheck::cli
