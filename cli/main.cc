// SPDX-License-Identifier: GPL-2.0-or-later
// buddycheck: replay, explain, minimize and turn into tests the inputs the fuzzers
// find; run and dump text traces; decode gfp masks; check flag-sanitization rules.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace buddycheck::cli;
  CLI::App app{"buddycheck: the Linux page allocator as a host library, and what judges it"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "all subcommands' help");

  Common common;
  auto add_file = [&](CLI::App* sub) {
    sub->add_option("FILE", common.file, "a fuzz input, crash file or text trace")->required();
    sub->add_option("--target", common.target,
                    "ops | alloc_flags | zonelist | trace (default: from the path)");
  };

  CLI::App* replay =
      app.add_subcommand("replay", "decode any target's input, print its trace, run every oracle");
  add_file(replay);
  CLI::App* explain = app.add_subcommand("explain", "print a fuzz input as a text trace");
  add_file(explain);

  std::string trace_file;
  unsigned check_every = 1, full_every = 0;
  CLI::App* run = app.add_subcommand("run", "run a text trace with every oracle");
  run->add_option("TRACE", trace_file, "text trace")->required();
  run->add_option("--check-every", check_every, "incremental checks every N ops (0: never)");
  run->add_option("--full-every", full_every,
                  "full checks every N ops (0: at `check` ops and the end)");
  bool twice = false;
  run->add_flag("--twice", twice,
                "run the trace again on a new machine and require the same state hash");

  std::string out, fuzzer;
  CLI::App* minimize =
      app.add_subcommand("minimize", "shrink a failing input; write the minimal trace");
  add_file(minimize);
  minimize->add_option("-o,--output", out,
                       "where to write the minimal trace (default: FILE.min.trace)");
  minimize->add_option("--fuzzer", fuzzer,
                       "also run this libFuzzer binary's -minimize_crash for the bytes");

  std::string test_name;
  CLI::App* gtest =
      app.add_subcommand("gtest", "print a self-contained GoogleTest regression test");
  add_file(gtest);
  gtest->add_option("--name", test_name, "test name (default: from the file name)");

  std::string mask, machine, task;
  unsigned order = 0;
  CLI::App* gfp = app.add_subcommand(
      "gfp", "decode a gfp mask: flags, zone, migratetype, zonelist, alloc_flags");
  gfp->add_option("MASK", mask, "hex or names, e.g. 0xcc0 or GFP_KERNEL|__GFP_ZERO")->required();
  gfp->add_option("--order", order, "order for the slow-path flags (default 0)");
  gfp->add_option("--machine", machine, "text trace whose machine computes the fast-path flags");
  gfp->add_option("--task", task, "task state, e.g. pf_memalloc|oom_victim");

  std::string what = "all";
  CLI::App* dump =
      app.add_subcommand("dump", "/proc dumps (and direct-map figures) after running a trace");
  dump->add_option("TRACE", trace_file, "text trace")->required();
  dump->add_option("--what", what, "buddyinfo | pagetypeinfo | zoneinfo | directmap | all");

  std::string rules_file = "rules/alloc_flags.rules", proposal;
  CLI::App* sanitize = app.add_subcommand(
      "sanitize-check",
      "check sanitize_alloc_flags() against a rule table for every input (docs/rules.md)");
  sanitize->add_option("RULES", rules_file, "rule file (default: rules/alloc_flags.rules)");
  sanitize->add_option("--diff", proposal,
                       "print which inputs a proposed rule file decides differently");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  if (*replay) return cmd_replay(common);
  if (*explain) return cmd_explain(common);
  if (*run) return cmd_run(trace_file, check_every, full_every, twice);
  if (*minimize) return cmd_minimize(common, out, fuzzer);
  if (*gtest) return cmd_gtest(common, test_name);
  if (*gfp) return cmd_gfp(mask, order, machine, task);
  if (*dump) return cmd_dump(trace_file, what);
  if (*sanitize) return cmd_sanitize_check(rules_file, proposal);
  return kExitBadInput;
}
