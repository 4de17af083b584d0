// SPDX-License-Identifier: GPL-2.0-or-later
// `buddycheck replay`, `explain`, `minimize` and `gtest`: any input - a text trace or a
// fuzz target's bytes - replayed, printed as a trace, shrunk, or turned into a test.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "alloc/message.h"
#include "cli/commands.h"
#include "drive/progress.h"
#include "drive/shrink.h"
#include "drive/trace.h"

namespace buddycheck::cli {

using namespace pagealloc;
using fuzz::Outcome;
using fuzz::TargetInfo;

namespace {

// Fuzz inputs are a few KiB (fuzz/*.options max_len); anything this large is not one.
constexpr size_t kMaxInputBytes = size_t{16} << 20;

const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string target_names() {
  size_t n;
  const TargetInfo* all = fuzz::targets(&n);
  std::string out;
  for (size_t i = 0; i < n; i++) out += (i ? ", " : "") + std::string(all[i].name);
  return out;
}

// The target named by --target, else by a path component (corpus/ops/..., artifacts/ops/...)
// or a file name prefix ("ops-crash-..."). nullptr with *error when it cannot tell.
const TargetInfo* pick_target(const Input& in, const std::string& sub, std::string* error) {
  size_t n;
  const TargetInfo* all = fuzz::targets(&n);
  if (!in.target.empty()) {
    const TargetInfo* t = fuzz::target_by_name(in.target);
    if (!t) {
      Closest near(in.target);
      for (size_t i = 0; i < n; i++) near.offer(all[i].name);
      *error = fmt::format("buddycheck {}: --target: unknown target {}{} (targets: {})", sub,
                           quote(in.target), near.hint(), target_names());
    }
    return t;
  }
  std::filesystem::path p(in.file);
  for (const auto& part : p)
    for (size_t i = 0; i < n; i++)
      if (part.string() == all[i].name) return &all[i];
  std::string stem = p.filename().string();
  for (size_t i = 0; i < n; i++)
    if (stem.rfind(std::string(all[i].name) + "-", 0) == 0) return &all[i];
  *error = fmt::format(
      "{}:1:1: not a text trace (no 'buddycheck-trace 1' header), and the path names no fuzz "
      "target; pass --target {}",
      in.file, target_names());
  return nullptr;
}

// Whether `file` starts like a text trace (only its first 64 KiB are read).
bool is_text_trace(const std::string& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return false;
  std::string head(size_t{64} << 10, '\0');
  head.resize(std::fread(head.data(), 1, head.size(), f));
  std::fclose(f);
  return looks_like_trace(head);
}

// A binary input's bytes (at most kMaxInputBytes), or exit code 2 with the reason printed.
bool load_binary(const Input& in, const TargetInfo& t, std::string* bytes) {
  std::string error;
  std::error_code ec;
  const auto size = std::filesystem::file_size(in.file, ec);
  if (!ec && size > kMaxInputBytes) {
    std::fprintf(stderr, "%s\n",
                 fuzz::not_an_input({in.file, ""}, t.name,
                                    fmt::format("{} bytes, more than the {} a fuzz input may have",
                                                size, format_bytes(kMaxInputBytes)))
                     .c_str());
    return false;
  }
  if (!read_file(in.file, bytes, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return false;
  }
  return true;
}

// The target of a binary input and its bytes, or nullptr after printing why not (an
// unreadable file says so before anything about targets).
const TargetInfo* binary_input(const Input& in, const std::string& sub, std::string* bytes) {
  std::string error;
  const TargetInfo* t = pick_target(in, sub, &error);
  if (!t) {
    std::error_code ec;
    if (std::filesystem::is_directory(in.file, ec)) {
      error = in.file + ": cannot read: it is a directory";
    } else if (std::FILE* f = std::fopen(in.file.c_str(), "rb")) {
      std::fclose(f);
    } else {
      error = fmt::format("{}: cannot open: {}", in.file, std::strerror(errno));
    }
    std::fprintf(stderr, "%s\n", error.c_str());
    return nullptr;
  }
  return load_binary(in, *t, bytes) ? t : nullptr;
}

std::string replay_of(const Context& ctx, const Input& in, const TargetInfo& t) {
  return command(ctx, "replay", fmt::format("--target {} {}", t.name, shell_word(in.file)));
}

// The whole trace of an input (text, or a fuzz input decoded), at most kMaxHeldOps ops.
std::optional<Trace> whole_trace(const Context& ctx, const Input& in, const std::string& sub) {
  if (in.target.empty() && is_text_trace(in.file)) {
    TraceReader reader(in.file, ParseOptions{ctx.max_memory});
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
      return std::nullopt;
    }
    Trace t{reader.config(), {}};
    Op op;
    OpSource where;
    while (reader.next(&op, &where)) {
      if (t.ops.size() == kMaxHeldOps) {
        std::fprintf(stderr,
                     "%s:%zu:%zu: buddycheck %s holds the whole trace: at most %zu ops (cut the "
                     "trace before this op)\n",
                     in.file.c_str(), where.line, where.col, sub.c_str(), kMaxHeldOps);
        return std::nullopt;
      }
      t.ops.push_back(op);
    }
    if (reader.error()) {
      std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
      return std::nullopt;
    }
    return t;
  }
  std::string bytes;
  const TargetInfo* t = binary_input(in, sub, &bytes);
  if (!t) return std::nullopt;
  std::optional<std::string> text = t->explain(u8(bytes), bytes.size());
  if (!text) {
    std::fprintf(stderr, "%s\n", t->run(u8(bytes), bytes.size(), {in.file, ""}).report.c_str());
    return std::nullopt;
  }
  ParseResult p = parse_trace(*text, in.file, ParseOptions{0});
  if (!p.ok()) {
    std::fprintf(stderr, "%s: internal: its decoded trace does not parse: %s\n", in.file.c_str(),
                 p.error->to_string().c_str());
    return std::nullopt;
  }
  return std::move(p.trace);
}

}  // namespace

int cmd_replay(const Context& ctx, const Input& in) {
  if (in.target.empty() && is_text_trace(in.file)) return cmd_run(ctx, in.file, RunFlags{});
  std::string bytes;
  const TargetInfo* t = binary_input(in, "replay", &bytes);
  if (!t) return kExitBadInput;
  if (std::optional<std::string> text = t->explain(u8(bytes), bytes.size()))
    std::fputs(text->c_str(), stdout);
  fuzz::TargetOutcome o = t->run(u8(bytes), bytes.size(), {in.file, replay_of(ctx, in, *t)});
  switch (o.status) {
    case Outcome::Ok:
      std::printf("ok\n");
      return kExitOk;
    case Outcome::Finding:
      std::fputs(o.report.c_str(), stdout);
      return kExitFinding;
    case Outcome::BadInput:
      std::fprintf(stderr, "%s\n", o.report.c_str());
      return kExitBadInput;
  }
  return kExitBadInput;
}

int cmd_explain(const Context& ctx, const Input& in) {
  if (in.target.empty() && is_text_trace(in.file)) {
    // Streamed: the canonical text, op by op. No machine is built, so no memory limit.
    TraceReader reader(in.file, ParseOptions{0});
    if (!reader.ok()) {
      std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
      return kExitBadInput;
    }
    std::fputs(print_trace(Trace{reader.config(), {}}).c_str(), stdout);
    Op op;
    while (reader.next(&op)) std::printf("%s\n", print_op(op).c_str());
    if (reader.error()) {
      std::fprintf(stderr, "%s\n", reader.error()->to_string().c_str());
      return kExitBadInput;
    }
    return kExitOk;
  }
  std::string bytes;
  const TargetInfo* t = binary_input(in, "explain", &bytes);
  if (!t) return kExitBadInput;
  if (std::optional<std::string> text = t->explain(u8(bytes), bytes.size())) {
    std::fputs(text->c_str(), stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "%s\n", t->run(u8(bytes), bytes.size(), {in.file, ""}).report.c_str());
  return kExitBadInput;
}

int cmd_minimize(const Context& ctx, const Input& in, const std::string& out_path,
                 const std::string& fuzzer) {
  if (!fuzzer.empty()) {
    // libFuzzer's own minimizer for the raw bytes.
    const std::string min_bytes = in.file + ".min";
    const std::string cmd =
        fmt::format("{} -minimize_crash=1 -runs=20000 -exact_artifact_path={} {} >/dev/null 2>&1",
                    shell_word(fuzzer), shell_word(min_bytes), shell_word(in.file));
    const int rc = std::system(cmd.c_str());
    std::printf("libFuzzer minimizer exited %d; minimal bytes (if any): %s\n", rc,
                min_bytes.c_str());
  }
  std::optional<Trace> tr = whole_trace(ctx, in, "minimize");
  if (!tr) return kExitBadInput;
  Progress meter("minimize", ctx.progress);
  RunOptions o;
  o.max_memory = ctx.max_memory;
  std::optional<ShrinkResult> s =
      shrink_trace(*tr, o, 4000, [&](size_t runs, size_t max_runs, size_t kept) {
        meter.update(runs, max_runs, fmt::format("{} ops kept", kept));
      });
  meter.done();
  if (!s) {
    std::fprintf(stderr, "%s:1:1: its trace runs clean: nothing to minimize%s\n", in.file.c_str(),
                 in.target == "zonelist" || in.file.find("zonelist") != std::string::npos
                     ? " (zonelist iteration findings need --fuzzer)"
                     : "");
    return kExitBadInput;
  }
  const std::string path = out_path.empty() ? in.file + ".min.trace" : out_path;
  const std::string text = fmt::format("# minimized by `{}` ({} runs): {} {}\n",
                                       command(ctx, "minimize", shell_word(in.file)), s->runs,
                                       s->finding.id, s->finding.summary) +
                           print_trace(s->trace);
  std::string error;
  if (!write_file_atomic(path, text, &error)) {
    std::fprintf(stderr, "buddycheck minimize: -o: %s\n", error.c_str());
    return kExitBadInput;
  }
  if (path != "-") {
    std::fputs(text.c_str(), stdout);
    std::printf("wrote %s (%zu ops, from %zu); replay: %s\n", path.c_str(), s->trace.ops.size(),
                tr->ops.size(), command(ctx, "run", shell_word(path)).c_str());
  }
  return kExitOk;
}

int cmd_gtest(const Context& ctx, const Input& in, const std::string& out,
              const std::string& name_in) {
  std::string name = name_in;
  if (name.empty()) {
    for (char ch : std::filesystem::path(in.file).filename().string())
      name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "input_" + name;
  }
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
      std::fprintf(stderr, "buddycheck gtest: --name: %s is not a C++ identifier\n",
                   quote(name).c_str());
      return kExitBadInput;
    }
  const bool text = in.target.empty() && is_text_trace(in.file);
  std::string summary = "no finding today", trace_text, bytes;
  const TargetInfo* t = nullptr;
  if (text) {
    std::optional<Trace> tr = whole_trace(ctx, in, "gtest");
    if (!tr) return kExitBadInput;
    RunOptions o;
    o.max_memory = ctx.max_memory;
    RunResult r = run_trace(*tr, o);
    if (r.finding) summary = r.finding->id + " " + r.finding->summary;
    else if (r.error) summary = "an error: " + *r.error;
    trace_text = print_trace(*tr);
  } else {
    t = binary_input(in, "gtest", &bytes);
    if (!t) return kExitBadInput;
    fuzz::TargetOutcome o = t->run(u8(bytes), bytes.size(), {in.file, ""});
    if (o.status == Outcome::BadInput) {
      std::fprintf(stderr, "%s\n", o.report.c_str());
      return kExitBadInput;
    }
    if (o.finding) summary = o.finding->id + " " + o.finding->summary;
    if (auto e = t->explain(u8(bytes), bytes.size())) trace_text = *e;
  }
  std::string src = fmt::format(
      "// SPDX-License-Identifier: GPL-2.0-or-later\n"
      "// Regression test written by `buddycheck gtest {}`.\n"
      "// When written, the input gave: {}\n"
      "// It expects no finding, so it fails until that is fixed. Saved as\n"
      "// properties/*_test.cc it builds with the other tests; elsewhere link\n"
      "// buddycheck_fuzz, buddycheck_drive, buddycheck_oracles, buddycheck_alloc, fmt and\n"
      "// gtest_main.\n",
      escape_text(in.file, 200), escape_text(summary, 300));
  src += "#include <gtest/gtest.h>\n\n#include <cstdint>\n\n";
  if (text) {
    src += "#include \"drive/runner.h\"\n#include \"drive/trace.h\"\n\n";
    src += fmt::format("TEST(regression, {}) {{\n  const char* text = R\"TRACE(\n{})TRACE\";\n",
                       name, trace_text);
    src += "  buddycheck::ParseResult p = buddycheck::parse_trace(text, \"" + name + "\");\n";
    src += "  ASSERT_TRUE(p.ok()) << p.error->to_string();\n";
    src += "  buddycheck::RunResult r = buddycheck::run_trace(*p.trace);\n";
    src += "  EXPECT_FALSE(r.error) << *r.error;\n  EXPECT_FALSE(r.finding) << r.report;\n}\n";
  } else {
    src += "#include \"fuzz/targets.h\"\n\n";
    src += "// The input as a text trace (buddycheck run replays it):\n";
    std::istringstream lines(trace_text);
    for (std::string line; std::getline(lines, line);) src += "//   " + line + "\n";
    src += fmt::format("TEST(regression, {}) {{\n  static const uint8_t kInput[] = {{", name);
    for (size_t i = 0; i < bytes.size(); i++)
      src += fmt::format("{}{:#04x}", i % 12 ? ", " : (i ? ",\n      " : "\n      "),
                         static_cast<uint8_t>(bytes[i]));
    src += fmt::format(
        "}};\n  buddycheck::fuzz::TargetOutcome o = buddycheck::fuzz::{}(kInput, sizeof kInput);\n",
        t->name == "ops"           ? "run_ops"
        : t->name == "alloc_flags" ? "run_alloc_flags"
        : t->name == "zonelist"    ? "run_zonelist"
                                   : "run_trace_bytes");
    src += "  EXPECT_NE(o.status, buddycheck::fuzz::Outcome::Finding) << o.report;\n}\n";
  }
  std::string error;
  if (!write_file_atomic(out, src, &error)) {
    std::fprintf(stderr, "buddycheck gtest: -o: %s\n", error.c_str());
    return kExitBadInput;
  }
  if (out != "-")
    std::printf("wrote %s: TEST(regression, %s); the input gave: %s\n", out.c_str(), name.c_str(),
                summary.c_str());
  return kExitOk;
}

}  // namespace buddycheck::cli
