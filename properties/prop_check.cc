// SPDX-License-Identifier: GPL-2.0-or-later
// The property harness (prop_check.h).
#include "properties/prop_check.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "drive/progress.h"
#include "drive/trace.h"

namespace buddycheck::props {

namespace {

std::string env_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// 0 normally; BUDDYCHECK_LONG=N gives N (a bare "1" or "yes" gives 25).
int long_factor() {
  const std::string v = env_str("BUDDYCHECK_LONG");
  if (v.empty() || v == "0") return 0;
  const long n = std::strtol(v.c_str(), nullptr, 10);
  return n > 1 ? static_cast<int>(n) : 25;
}

// "suite/name" of the running GoogleTest test (RapidCheck's reproduce key too).
std::string current_test_id() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? std::string(info->test_suite_name()) + "/" + info->name() : "unknown";
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

rc::detail::TestParams params_for(const std::string& id, Budget b) {
  rc::detail::TestParams p = rc::detail::configuration().testParams;
  const std::string user = env_str("RC_PARAMS");
  auto has = [&](const char* key) { return user.find(key) != std::string::npos; };
  const int factor = long_factor();
  if (!has("max_success")) p.maxSuccess = b.runs * std::max(1, factor);
  if (!has("max_size")) p.maxSize = b.max_size;
  if (!has("seed") && !factor) p.seed = fnv1a(id);
  return p;
}

// Where failing traces go: $BUDDYCHECK_ARTIFACTS or ./buddycheck-artifacts.
std::filesystem::path artifact_path(const std::string& id, const char* ext) {
  std::filesystem::path dir = env_str("BUDDYCHECK_ARTIFACTS");
  if (dir.empty()) dir = "buddycheck-artifacts";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string file = id;
  for (char& c : file)
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '.';
  return std::filesystem::absolute(dir / (file + ext), ec);
}

// The first line of a failure description that names one of the expected IDs.
std::string first_line_naming(const std::string& text, const std::string& ids) {
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::stringstream want(ids);
    for (std::string id; std::getline(want, id, ',');)
      if (!id.empty() && line.find(id) != std::string::npos) return line;
  }
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::string buddycheck_command() {
  // The buddycheck built beside this test binary (build/<preset>/bin/), else $PATH's.
  const std::filesystem::path self(::testing::internal::GetArgvs()[0]);
  const std::filesystem::path beside = self.parent_path() / "buddycheck";
  std::error_code ec;
  return std::filesystem::exists(beside, ec) ? beside.string() : "buddycheck";
}

// `extra` ops (performed on the machine directly, after the runner's) are appended.
std::string write_trace(const Runner& r, const std::vector<Op>& extra) {
  Trace t = r.trace();
  t.ops.insert(t.ops.end(), extra.begin(), extra.end());
  const std::filesystem::path p = artifact_path(current_test_id(), ".trace");
  std::ofstream(p) << print_trace(t);
  return p.string();
}

std::string dumps(const Machine& m) {
  return "---- /proc/buddyinfo\n" + m.buddyinfo() + "---- /proc/pagetypeinfo\n" + m.pagetypeinfo() +
         "---- /proc/zoneinfo\n" + m.zoneinfo();
}

[[noreturn]] void fail_property(const Runner& r, const std::string& id, const std::string& what,
                                const std::vector<Op>& extra) {
  Trace t = r.trace();
  t.ops.insert(t.ops.end(), extra.begin(), extra.end());
  const std::string path = write_trace(r, extra);
  RC_FAIL(fmt::format("{}: {}\n{}---- trace ({} ops; replay: {} run {})\n{}", id, what,
                      dumps(r.machine()), t.ops.size(), buddycheck_command(), path,
                      print_trace(t)));
}

void check(Budget budget, std::function<void()> prop) {
  const std::string id = current_test_id();
  const rc::detail::TestParams params = params_for(id, budget);
  rc::detail::TestMetadata meta;
  meta.id = id;
  meta.description = id;
  // Long runs (BUDDYCHECK_LONG) show which case they are at, on a terminal only.
  Progress meter(id, long_factor() > 0 && isatty(STDERR_FILENO) == 1);
  uint64_t cases = 0;
  auto counted = [&meter, &cases, max = params.maxSuccess, prop = std::move(prop)] {
    ++cases;
    meter.update(cases, static_cast<uint64_t>(max),
                 cases > static_cast<uint64_t>(max) ? "shrinking a failure" : "");
    prop();
  };
  const auto result =
      rc::detail::checkProperty(rc::detail::toProperty(std::move(counted)), meta, params);
  meter.done();
  std::ostringstream msg;
  rc::detail::printResultMessage(result, msg);
  const std::string mutant = env_str("BUDDYCHECK_MUTANT");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string repro = fmt::format(
      "reproduce: RC_PARAMS=\"seed={} max_success={} max_size={}\" {} --gtest_filter='{}.{}'",
      params.seed, params.maxSuccess, params.maxSize, ::testing::internal::GetArgvs()[0],
      info->test_suite_name(), info->name());
  if (mutant.empty()) {
    if (!result.is<rc::detail::SuccessResult>()) FAIL() << msg.str() << "\n" << repro;
    else if (!result.get<rc::detail::SuccessResult>().distribution.empty())
      std::cout << msg.str() << "\n";
    return;
  }
  // Mutant mode: the property must catch the broken allocator, with an expected ID.
  if (!result.is<rc::detail::FailureResult>()) {
    ADD_FAILURE() << "mutant " << mutant << " SURVIVED " << id << " (" << params.maxSuccess
                  << " runs, seed " << params.seed << ")\n"
                  << msg.str();
    return;
  }
  const auto& failure = result.get<rc::detail::FailureResult>();
  const std::string expect = env_str("BUDDYCHECK_MUTANT_EXPECT");
  bool named = expect.empty();
  std::stringstream ids(expect);
  for (std::string want; std::getline(ids, want, ',');)
    if (!want.empty() && failure.description.find(want) != std::string::npos) named = true;
  if (!named) {
    ADD_FAILURE() << "mutant " << mutant << " was caught by " << id << " but not with any of {"
                  << expect << "}:\n"
                  << msg.str();
    return;
  }
  std::cout << "mutant " << mutant << " caught by " << id << " after " << failure.numSuccess
            << " passing case(s) (seed " << params.seed
            << "): " << first_line_naming(failure.description, expect) << "\n";
}

// ---- the config matrix ---------------------------------------------------------------

std::string config_param_name(const ::testing::TestParamInfo<size_t>& info) {
  return named_configs()[info.param].name;
}

// ---- driving a machine ---------------------------------------------------------------

RunOptions quiet_options() {
  RunOptions o;
  o.check_every = 0;
  o.full_check_at_end = false;
  o.shadow = o.liveness = o.paint = false;
  return o;
}

void drive(Runner& r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const Op op = *gen_op(r);
    const StepResult s = r.step(op);
    if (s.error) fail_property(r, "GENERATOR", "the runner rejected a generated op: " + *s.error);
    if (s.finding)
      fail_property(r, s.finding->id, s.finding->summary + "\n" + r.report(*s.finding));
  }
}

void in_rounds(Runner& r, size_t max_ops, bool judge_boot,
               const std::function<void(Runner&)>& judge) {
  const size_t rounds = *rc::gen::inRange<size_t>(1, 4);
  for (size_t k = 0; k < rounds; k++) {
    if (k || !judge_boot) drive(r, *rc::gen::inRange<size_t>(0, max_ops));
    judge(r);
  }
}

}  // namespace buddycheck::props
