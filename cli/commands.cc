// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "drive/shrink.h"
#include "drive/trace.h"
#include "fuzz/targets.h"

namespace buddycheck::cli {

using namespace pagealloc;
using fuzz::Outcome;
using fuzz::TargetInfo;

bool read_file(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = path + ": is a folder, not a file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open for reading";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

namespace {

bool looks_like_trace(const std::string& bytes) {
  size_t i = 0;
  // Skip leading comments and blank lines.
  while (i < bytes.size()) {
    if (bytes[i] == '#') {
      while (i < bytes.size() && bytes[i] != '\n') i++;
    } else if (bytes[i] == '\n' || bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r') {
      i++;
    } else {
      break;
    }
  }
  return bytes.compare(i, 16, "buddycheck-trace") == 0;
}

// The target named by --target, else by a path component (corpus/ops/..., artifacts/ops/...)
// or a file name prefix ("ops-crash-..."). nullptr with *error when it cannot tell.
const TargetInfo* pick_target(const Common& c, std::string* error) {
  if (!c.target.empty()) {
    const TargetInfo* t = fuzz::target_by_name(c.target);
    if (!t)
      *error = fmt::format("unknown target '{}' (ops, alloc_flags, zonelist, trace)", c.target);
    return t;
  }
  size_t n;
  const TargetInfo* all = fuzz::targets(&n);
  std::filesystem::path p(c.file);
  for (const auto& part : p)
    for (size_t i = 0; i < n; i++)
      if (part.string() == all[i].name) return &all[i];
  std::string stem = p.filename().string();
  for (size_t i = 0; i < n; i++)
    if (stem.rfind(std::string(all[i].name) + "-", 0) == 0) return &all[i];
  *error = fmt::format(
      "{}: cannot tell which target produced this input; pass --target "
      "ops|alloc_flags|zonelist|trace",
      c.file);
  return nullptr;
}

const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::optional<Trace> trace_of(const Common& c, const std::string& bytes, std::string* error) {
  if (looks_like_trace(bytes)) {
    ParseResult p = parse_trace(bytes, c.file);
    if (!p.ok()) *error = p.error->to_string();
    return p.trace;
  }
  const TargetInfo* t = pick_target(c, error);
  if (!t) return std::nullopt;
  std::optional<std::string> text = t->explain(u8(bytes), bytes.size());
  if (!text) {
    *error = fmt::format("{}: not a '{}' input ({})", c.file, t->name,
                         t->run(u8(bytes), bytes.size()).report);
    return std::nullopt;
  }
  ParseResult p = parse_trace(*text, c.file);
  if (!p.ok()) *error = "internal: the decoded trace does not parse: " + p.error->to_string();
  return p.trace;
}

}  // namespace

int cmd_run(const std::string& trace_file, unsigned check_every, unsigned full_every, bool twice) {
  ParseResult p = load_trace_file(trace_file);
  if (!p.ok()) {
    std::fprintf(stderr, "%s\n", p.error->to_string().c_str());
    return kExitBadInput;
  }
  RunOptions o;
  o.check_every = check_every;
  o.full_check_every = full_every;
  RunResult r = run_trace(*p.trace, o, "buddycheck run " + trace_file);
  if (!r.log.empty()) std::fputs(r.log.c_str(), stdout);
  if (r.error) {
    std::fprintf(stderr, "%s: %s\n", trace_file.c_str(), r.error->c_str());
    return kExitBadInput;
  }
  if (r.finding) {
    std::fputs(r.report.c_str(), stdout);
    return kExitFinding;
  }
  if (twice) {
    // A second, independent machine must end in the same state (design.md: determinism).
    const RunResult again = run_trace(*p.trace, o, "buddycheck run --twice " + trace_file);
    if (again.finding || again.error || again.state_hash != r.state_hash) {
      std::printf(
          "buddycheck: DETERMINISM %s: the second run ended %s (first run: state hash %016llx)\n"
          "  replay: buddycheck run --twice %s\n",
          trace_file.c_str(),
          again.finding ? ("with " + again.finding->id).c_str()
          : again.error ? ("with an error: " + *again.error).c_str()
                        : fmt::format("in state hash {:016x}", again.state_hash).c_str(),
          static_cast<unsigned long long>(r.state_hash), trace_file.c_str());
      return kExitFinding;
    }
  }
  std::printf("ok: %zu ops, state hash %016llx%s\n", r.ops_run,
              static_cast<unsigned long long>(r.state_hash), twice ? " (twice)" : "");
  return kExitOk;
}

int cmd_replay(const Common& c) {
  std::string bytes, error;
  if (!read_file(c.file, &bytes, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  if (c.target.empty() && looks_like_trace(bytes)) return cmd_run(c.file, 1, 0);
  const TargetInfo* t = pick_target(c, &error);
  if (!t) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  if (std::optional<std::string> text = t->explain(u8(bytes), bytes.size()))
    std::fputs(text->c_str(), stdout);
  fuzz::TargetOutcome o = t->run(u8(bytes), bytes.size());
  switch (o.status) {
    case Outcome::Ok:
      std::printf("ok\n");
      return kExitOk;
    case Outcome::Finding:
      std::fputs(o.report.c_str(), stdout);
      return kExitFinding;
    case Outcome::BadInput:
      std::fprintf(stderr, "%s: not a '%s' input: %s\n", c.file.c_str(),
                   std::string(t->name).c_str(), o.report.c_str());
      return kExitBadInput;
  }
  return kExitBadInput;
}

int cmd_explain(const Common& c) {
  std::string bytes, error;
  if (!read_file(c.file, &bytes, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  if (!looks_like_trace(bytes) || !c.target.empty()) {
    const TargetInfo* t = pick_target(c, &error);
    if (t) {
      if (std::optional<std::string> text = t->explain(u8(bytes), bytes.size())) {
        std::fputs(text->c_str(), stdout);
        return kExitOk;
      }
      error = fmt::format("{}: not a '{}' input ({})", c.file, t->name,
                          t->run(u8(bytes), bytes.size()).report);
    }
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  std::optional<Trace> tr = trace_of(c, bytes, &error);
  if (!tr) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  std::fputs(print_trace(*tr).c_str(), stdout);
  return kExitOk;
}

int cmd_minimize(const Common& c, const std::string& out_path, const std::string& fuzzer) {
  std::string bytes, error;
  if (!read_file(c.file, &bytes, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  if (!fuzzer.empty()) {
    // libFuzzer's own minimizer for the raw bytes.
    std::string min_bytes = c.file + ".min";
    std::string cmd = fmt::format(
        "'{}' -minimize_crash=1 -runs=20000 -exact_artifact_path='{}' '{}' >/dev/null 2>&1", fuzzer,
        min_bytes, c.file);
    int rc = std::system(cmd.c_str());
    std::printf("libFuzzer minimizer exited %d; minimal bytes (if any): %s\n", rc,
                min_bytes.c_str());
  }
  std::optional<Trace> tr = trace_of(c, bytes, &error);
  if (!tr) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  std::optional<ShrinkResult> s = shrink_trace(*tr);
  if (!s) {
    std::fprintf(stderr, "%s: its trace runs clean; nothing to minimize%s\n", c.file.c_str(),
                 c.target == "zonelist" || c.file.find("zonelist") != std::string::npos
                     ? " (zonelist iteration findings need --fuzzer)"
                     : "");
    return kExitBadInput;
  }
  std::string path = out_path.empty() ? c.file + ".min.trace" : out_path;
  std::string text = fmt::format("# minimized by `buddycheck minimize {}` ({} runs): {} {}\n",
                                 c.file, s->runs, s->finding.id, s->finding.summary) +
                     print_trace(s->trace);
  std::ofstream(path) << text;
  std::fputs(text.c_str(), stdout);
  std::printf("wrote %s (%zu ops, from %zu); replay: buddycheck run %s\n", path.c_str(),
              s->trace.ops.size(), tr->ops.size(), path.c_str());
  return kExitOk;
}

int cmd_gtest(const Common& c, const std::string& name_in) {
  std::string bytes, error;
  if (!read_file(c.file, &bytes, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  std::string name = name_in;
  if (name.empty()) {
    for (char ch : std::filesystem::path(c.file).filename().string())
      name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "input_" + name;
  }
  const bool text = c.target.empty() && looks_like_trace(bytes);
  const TargetInfo* t = text ? nullptr : pick_target(c, &error);
  if (!text && !t) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kExitBadInput;
  }
  std::string summary = "no finding today";
  std::string trace_text;
  if (text) {
    ParseResult p = parse_trace(bytes, c.file);
    if (!p.ok()) {
      std::fprintf(stderr, "%s\n", p.error->to_string().c_str());
      return kExitBadInput;
    }
    RunResult r = run_trace(*p.trace);
    if (r.finding) summary = r.finding->id + " " + r.finding->summary;
    trace_text = print_trace(*p.trace);
  } else {
    fuzz::TargetOutcome o = t->run(u8(bytes), bytes.size());
    if (o.status == Outcome::BadInput) {
      std::fprintf(stderr, "%s: not a '%s' input: %s\n", c.file.c_str(),
                   std::string(t->name).c_str(), o.report.c_str());
      return kExitBadInput;
    }
    if (o.finding) summary = o.finding->id + " " + o.finding->summary;
    if (auto e = t->explain(u8(bytes), bytes.size())) trace_text = *e;
  }
  std::string out = fmt::format(
      "// Regression test printed by `buddycheck gtest {}`.\n// Finding: {}\n", c.file, summary);
  out += "#include <gtest/gtest.h>\n\n#include <cstdint>\n\n";
  if (text) {
    out += "#include \"drive/runner.h\"\n#include \"drive/trace.h\"\n\n";
    out += fmt::format("TEST(regression, {}) {{\n  const char* text = R\"TRACE(\n{})TRACE\";\n",
                       name, trace_text);
    out += "  buddycheck::ParseResult p = buddycheck::parse_trace(text, \"" + name + "\");\n";
    out += "  ASSERT_TRUE(p.ok()) << p.error->to_string();\n";
    out += "  buddycheck::RunResult r = buddycheck::run_trace(*p.trace);\n";
    out += "  EXPECT_FALSE(r.error) << *r.error;\n  EXPECT_FALSE(r.finding) << r.report;\n}\n";
  } else {
    out += "#include \"fuzz/targets.h\"\n\n";
    out += "// The input as a text trace (buddycheck run replays it):\n";
    std::istringstream lines(trace_text);
    for (std::string line; std::getline(lines, line);) out += "//   " + line + "\n";
    out += fmt::format("TEST(regression, {}) {{\n  static const uint8_t kInput[] = {{", name);
    for (size_t i = 0; i < bytes.size(); i++)
      out += fmt::format("{}{:#04x}", i % 12 ? ", " : (i ? ",\n      " : "\n      "),
                         static_cast<uint8_t>(bytes[i]));
    out += fmt::format(
        "}};\n  buddycheck::fuzz::TargetOutcome o = buddycheck::fuzz::{}(kInput, sizeof kInput);\n",
        t->name == "ops"           ? "run_ops"
        : t->name == "alloc_flags" ? "run_alloc_flags"
        : t->name == "zonelist"    ? "run_zonelist"
                                   : "run_trace_bytes");
    out += "  EXPECT_NE(o.status, buddycheck::fuzz::Outcome::Finding) << o.report;\n}\n";
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

}  // namespace buddycheck::cli
