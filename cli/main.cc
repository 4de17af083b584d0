// SPDX-License-Identifier: GPL-2.0-or-later
// buddycheck: replay, explain, minimize and turn into tests the inputs the fuzzers
// find; run and dump text traces; decode gfp masks; check flag-sanitization rules.
// The subcommands are listed in subcommands.def; this file is the command line:
// options, the manual (--help), and errors that name what is wrong and what would be
// right.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>
#include <stdexcept>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "alloc/message.h"
#include "cli/commands.h"

namespace buddycheck::cli {
namespace {

using pagealloc::Closest;
using pagealloc::quote;

struct SubInfo {
  const char* name;
  const char* summary;
  const char* details;
};
constexpr SubInfo kSubs[] = {
#define SUBCOMMAND(Id, name, summary, details) {name, summary, details},
#include "cli/subcommands.def"
};

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  ok: the input ran clean, or the command did what it was asked\n"
    "  1  a finding: an invariant or oracle was violated (the report says which, and how\n"
    "     to replay it)\n"
    "  2  bad input or usage: the message starts with file:line:col (or the option) and\n"
    "     says what is wrong\n"
    "  3  buddycheck itself crashed (an AddressSanitizer or UBSan report, an internal\n"
    "     error): a bug in buddycheck, never a finding about the allocator\n";

constexpr const char* kFooter =
    "Environment:\n"
    "  BUDDYCHECK_MAX_MEMORY=SIZE  memory a machine and its run may need (default 1G; like\n"
    "                              512M or 4G); --max-memory overrides it\n"
    "  ASAN_OPTIONS, UBSAN_OPTIONS the sanitizers' own settings in ASan+UBSan builds\n"
    "\n"
    "Documentation (in the source tree):\n"
    "  README.md              what buddycheck is, every command, the layout\n"
    "  docs/trace-format.md   the text trace format, its errors and limits\n"
    "  docs/rules.md          rule files and sanitize-check\n"
    "  docs/properties.md     property tests, BUDDYCHECK_LONG, the mutants\n"
    "  docs/model.md          what the model does and does not do\n"
    "\n"
    "Run `buddycheck SUBCOMMAND --help` for a subcommand's options and examples.";

std::string sub_names() {
  std::string out;
  for (const SubInfo& s : kSubs) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

// argv[0] as typed when it names a path (it works from here, like the file arguments),
// else (found on $PATH) the binary itself.
std::string resolve_self(const char* argv0) {
  const std::string a = argv0 && *argv0 ? argv0 : "buddycheck";
  if (a.find('/') != std::string::npos) return a;
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? a : p.string();
}

// --max-memory and BUDDYCHECK_MAX_MEMORY values.
CLI::Validator size_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return parse_bytes(s) ? "" : fmt::format("{} is not a size (like 512M or 4G)", quote(s));
      },
      "");
}
CLI::Validator number_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        bool digits = !s.empty() && s.size() <= 9;
        for (char c : s) digits = digits && c >= '0' && c <= '9';
        return digits ? "" : fmt::format("expected a number, got {}", quote(s));
      },
      "");
}

// "unknown option '--twcie' (did you mean '--twice'?)" for what CLI11 left over.
int report_extras(const CLI::App* sub, const std::vector<std::string>& extras) {
  const std::string who = sub ? "buddycheck " + sub->get_name() : "buddycheck";
  const std::string& x = extras.front();
  if (!x.empty() && x[0] == '-') {
    std::vector<std::string> names;
    if (sub)
      for (const CLI::Option* o : sub->get_options()) {
        for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
        for (const std::string& sn : o->get_snames()) names.push_back("-" + sn);
      }
    Closest dashed(x);
    for (const std::string& n : names) dashed.offer(n);
    std::fprintf(stderr, "%s: unknown option %s%s (see %s --help)\n", who.c_str(), quote(x).c_str(),
                 dashed.hint().c_str(), who.c_str());
    return kExitBadInput;
  }
  std::fprintf(stderr, "%s: unexpected argument %s (see %s --help)\n", who.c_str(),
               quote(x).c_str(), who.c_str());
  return kExitBadInput;
}

int run_main(int argc, char** argv) {
  Context ctx;
  ctx.self = resolve_self(argc > 0 ? argv[0] : nullptr);
  ctx.progress = isatty(STDERR_FILENO) == 1;
#ifdef BUDDYCHECK_SOURCE_DIR
  ctx.source_dir = BUDDYCHECK_SOURCE_DIR;
#endif
  if (const char* env = std::getenv("BUDDYCHECK_MAX_MEMORY"); env && *env) {
    std::optional<uint64_t> v = parse_bytes(env);
    if (!v) {
      std::fprintf(stderr,
                   "buddycheck: BUDDYCHECK_MAX_MEMORY: %s is not a size (like 512M or 4G)\n",
                   quote(env).c_str());
      return kExitBadInput;
    }
    ctx.max_memory = *v;
  }

  if (argc < 2) {
    std::fprintf(stderr,
                 "buddycheck: which subcommand? (%s)\nRun `buddycheck --help` for the manual.\n",
                 sub_names().c_str());
    return kExitBadInput;
  }
  // `buddycheck help [SUBCOMMAND]` is `buddycheck [SUBCOMMAND] --help`.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args[0] == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (!args[0].empty() && args[0][0] != '-') {
    bool known = false;
    Closest near(args[0]);
    for (const SubInfo& s : kSubs) known |= args[0] == s.name, near.offer(s.name);
    if (!known) {
      std::fprintf(stderr, "buddycheck: unknown subcommand %s%s; subcommands: %s\n",
                   quote(args[0]).c_str(), near.hint().c_str(), sub_names().c_str());
      return kExitBadInput;
    }
  }

  CLI::App app{
      "buddycheck: the Linux page allocator (mm/page_alloc.c) as a host library, and "
      "what judges it"};
  app.require_subcommand(1);
  app.allow_extras();
  app.set_help_all_flag("--help-all", "every subcommand's help");
  app.footer(std::string(kExitCodes) + "\n" + kFooter);
  std::map<std::string, CLI::App*> subs;
  for (const SubInfo& s : kSubs) {
    CLI::App* sub = app.add_subcommand(s.name, s.summary);
    sub->allow_extras();
    sub->footer(std::string(s.details) + "\n\n" + kExitCodes +
                "\nBUDDYCHECK_MAX_MEMORY and the documentation: buddycheck --help.");
    subs[s.name] = sub;
  }

  Input input;
  auto add_input = [&](CLI::App* sub) {
    sub->add_option("FILE", input.file, "a fuzz input, crash file or text trace")->required();
    sub->add_option("--target", input.target,
                    "ops | alloc_flags | zonelist | trace (default: from the path)")
        ->type_name("TARGET");
  };
  std::string max_memory;
  auto add_memory = [&](CLI::App* sub) {
    sub->add_option("--max-memory", max_memory,
                    "memory the machine and its run may need (default 1G, or "
                    "$BUDDYCHECK_MAX_MEMORY)")
        ->check(size_validator())
        ->type_name("SIZE");
  };

  add_input(subs["replay"]);
  add_memory(subs["replay"]);
  add_input(subs["explain"]);

  std::string trace_file;
  RunFlags flags;
  std::string check_every = "1", full_every = "0";
  CLI::App* run = subs["run"];
  run->add_option("TRACE", trace_file, "text trace")->required();
  run->add_option("--check-every", check_every,
                  "incremental invariant and reference checks every N ops (0: never; default 1)")
      ->check(number_validator())
      ->type_name("N");
  run->add_option("--full-every", full_every,
                  "full checks every N ops (0: only at `check` ops and the end; default 0)")
      ->check(number_validator())
      ->type_name("N");
  run->add_flag("--twice", flags.twice,
                "run the trace again on a new machine and require the same state hash");
  add_memory(run);

  std::string out, fuzzer;
  CLI::App* minimize = subs["minimize"];
  add_input(minimize);
  add_memory(minimize);
  minimize
      ->add_option("-o,--output", out,
                   "where to write the minimal trace (default: FILE.min.trace; - for stdout)")
      ->type_name("FILE");
  minimize
      ->add_option("--fuzzer", fuzzer,
                   "also run this libFuzzer binary's -minimize_crash for the bytes")
      ->type_name("BINARY");

  std::string test_name, test_out;
  CLI::App* gtest = subs["gtest"];
  add_input(gtest);
  add_memory(gtest);
  gtest->add_option("-o,--output", test_out, "the test file to write (- for stdout)")
      ->required()
      ->type_name("FILE");
  gtest->add_option("--name", test_name, "test name (default: from the file name)")
      ->type_name("NAME");

  std::string mask, machine, task, order = "0";
  CLI::App* gfp = subs["gfp"];
  gfp->add_option("MASK", mask, "hex or names, e.g. 0xcc0 or 'GFP_KERNEL|__GFP_ZERO'")->required();
  gfp->add_option("--order", order, "order for the slow-path flags (default 0)")
      ->check(number_validator())
      ->type_name("N");
  gfp->add_option("--machine", machine, "a text trace whose machine computes the fast-path flags")
      ->type_name("TRACE");
  gfp->add_option("--task", task, "task state, e.g. pf_memalloc|oom_victim")->type_name("BITS");
  add_memory(gfp);

  std::string what = "all";
  CLI::App* dump = subs["dump"];
  dump->add_option("TRACE", trace_file, "text trace")->required();
  dump->add_option("--what", what, "buddyinfo | pagetypeinfo | zoneinfo | directmap | all")
      ->type_name("WHAT");
  add_memory(dump);

  std::string rules_file, proposal;
  CLI::App* sanitize = subs["sanitize-check"];
  sanitize->add_option("RULES", rules_file,
                       "rule file (default: rules/alloc_flags.rules of this buddycheck's source)");
  sanitize
      ->add_option("--diff", proposal,
                   "print which inputs a proposed rule file decides differently")
      ->type_name("RULES");

  std::vector<char*> cargs{argv[0]};
  for (std::string& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const std::vector<CLI::App*> chosen = app.get_subcommands();
    const std::string who =
        chosen.empty() ? std::string("buddycheck") : "buddycheck " + chosen.front()->get_name();
    std::fprintf(stderr, "%s: %s (see %s --help)\n", who.c_str(), e.what(), who.c_str());
    return kExitBadInput;
  }
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  CLI::App* sub = chosen.empty() ? nullptr : chosen.front();
  if (!app.remaining().empty()) return report_extras(nullptr, app.remaining());
  if (sub && !sub->remaining().empty()) return report_extras(sub, sub->remaining());
  if (!max_memory.empty()) ctx.max_memory = *parse_bytes(max_memory);
  flags.check_every = static_cast<unsigned>(std::stoul(check_every));
  flags.full_every = static_cast<unsigned>(std::stoul(full_every));

  if (*subs["replay"]) return cmd_replay(ctx, input);
  if (*subs["explain"]) return cmd_explain(ctx, input);
  if (*run) return cmd_run(ctx, trace_file, flags);
  if (*minimize) return cmd_minimize(ctx, input, out, fuzzer);
  if (*gtest) return cmd_gtest(ctx, input, test_out, test_name);
  if (*gfp) return cmd_gfp(ctx, mask, static_cast<unsigned>(std::stoul(order)), machine, task);
  if (*dump) {
    static constexpr const char* kWhat[] = {"buddyinfo", "pagetypeinfo", "zoneinfo", "directmap",
                                            "all"};
    Closest near(what);
    for (const char* w : kWhat) {
      if (what == w) return cmd_dump(ctx, trace_file, what);
      near.offer(w);
    }
    std::fprintf(stderr,
                 "buddycheck dump: --what: unknown dump %s%s (buddyinfo, pagetypeinfo, zoneinfo, "
                 "directmap or all)\n",
                 quote(what).c_str(), near.hint().c_str());
    return kExitBadInput;
  }
  if (*sanitize) return cmd_sanitize_check(ctx, rules_file, proposal);
  return kExitBadInput;
}

}  // namespace
}  // namespace buddycheck::cli

int main(int argc, char** argv) {
  try {
    return buddycheck::cli::run_main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs(
        "buddycheck: out of memory: the input needs more memory than this process may have "
        "(ulimit -v?); with --max-memory below what it may have, such an input is refused "
        "before anything is built\n",
        stderr);
    return buddycheck::cli::kExitBadInput;
  } catch (const std::length_error& e) {
    std::fprintf(stderr, "buddycheck: out of memory: %s (the input asks for too much)\n", e.what());
    return buddycheck::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "buddycheck: internal error: %s (a bug in buddycheck: please report it)\n",
                 e.what());
    return buddycheck::cli::kExitCrash;
  }
}
