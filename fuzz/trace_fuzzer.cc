// SPDX-License-Identifier: GPL-2.0-or-later
// Target `trace`: arbitrary bytes into the text trace parser. Never a crash; anything
// that parses prints and reparses to the same trace and the same text.
#include <string_view>

#include "alloc/message.h"
#include "drive/trace.h"
#include "fuzz/targets.h"
#include "oracles/checks.h"

namespace buddycheck::fuzz {

TargetOutcome run_trace_bytes(const uint8_t* data, size_t size, const InputInfo& in) {
  TargetOutcome o;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // No machine is built here: no memory limit, so huge configs round-trip too.
  ParseResult p = parse_trace(text, in.file, ParseOptions{0});
  if (!p.ok()) {
    o.status = Outcome::BadInput;
    o.report = p.error ? p.error->to_string() : "parse failed without an error";
    return o;
  }
  std::string printed = print_trace(*p.trace);
  ParseResult again = parse_trace(printed, "<printed>", ParseOptions{0});
  std::string problem;
  if (!again.ok()) problem = "the printed trace does not parse: " + again.error->to_string();
  else if (!(*again.trace == *p.trace))
    problem = "reparsing the printed trace gives a different trace";
  else if (print_trace(*again.trace) != printed) problem = "printing is not stable";
  if (problem.empty()) return o;
  Finding f;
  f.id = std::string(check_info(Check::TraceRoundTrip).id);
  f.summary = problem;
  o.status = Outcome::Finding;
  o.finding = f;
  o.trace = printed;
  o.report = "buddycheck: " + f.id + " " + problem + "\ninput:\n" + pagealloc::escape_text(text) +
             "\nprinted:\n" + printed + "\nreplay: " + replay_command(in, "trace") + "\n";
  return o;
}

}  // namespace buddycheck::fuzz

namespace buddycheck::fuzz {
std::optional<std::string> explain_trace_bytes(const uint8_t* data, size_t size) {
  ParseResult p =
      parse_trace(std::string_view(reinterpret_cast<const char*>(data), size), "<input>",
                  ParseOptions{0});
  if (!p.ok()) return std::nullopt;
  return print_trace(*p.trace);
}
}  // namespace buddycheck::fuzz
