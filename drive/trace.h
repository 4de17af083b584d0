// SPDX-License-Identifier: GPL-2.0-or-later
// The text trace format: line-oriented, '#' comments, a version header, the machine
// config first, then one op per line in kernel spelling. Example:
//
//   buddycheck-trace 1
//   # two nodes, one CPU each
//   config max_order=10 pageblock_order=9
//   node 0 cpus=0
//   zone 0 Normal start=0x0 pages=16384
//   node 1 cpus=1
//   zone 1 Normal start=0x4000 pages=16384
//   distance 0 10 20
//   distance 1 20 10
//   alloc order=3 gfp=GFP_KERNEL|__GFP_ZERO nid=1 nodemask=0-1
//   free id=0
//
// print_trace(parse_trace(t)) == t for every printed trace t (canonical form), and
// parse_trace(print_trace(x)) == x for every Trace x.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "drive/ops.h"

namespace buddycheck {

struct TraceError {
  std::string file;
  size_t line = 0;  // 1-based
  size_t col = 0;   // 1-based
  std::string message;
  // "file:line:col: message"
  std::string to_string() const;
};

struct ParseResult {
  std::optional<Trace> trace;
  std::optional<TraceError> error;
  bool ok() const { return trace.has_value(); }
};

ParseResult parse_trace(std::string_view text, std::string_view filename = "<trace>");
std::string print_trace(const Trace& t);
std::string print_config(const Config& c);  // the config lines only
std::string print_op(const Op& op);         // one op line, no newline

// Reads a file and parses it; unreadable files give a TraceError with line 0.
ParseResult load_trace_file(const std::string& path);

}  // namespace buddycheck
