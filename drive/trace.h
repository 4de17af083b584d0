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
//
// Two ways to read one: parse_trace() takes the whole text and returns the whole op
// list; TraceReader streams a file, holding the config and one op at a time, so a
// trace of ten million ops needs no more memory than one of ten.
#pragma once

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "drive/memory.h"
#include "drive/ops.h"

namespace buddycheck {

// Longest line either reader accepts (a longer one is an error, not a buffer).
inline constexpr size_t kMaxTraceLineBytes = size_t{1} << 20;

struct ParseOptions {
  uint64_t max_memory = kDefaultMaxMemory;  // refuse larger machines (drive/memory.h); 0: no limit
};

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

ParseResult parse_trace(std::string_view text, std::string_view filename = "<trace>",
                        const ParseOptions& options = {});
std::string print_trace(const Trace& t);
std::string print_config(const Config& c);  // the config lines only
std::string print_op(const Op& op);         // one op line, no newline

// Reads a file and parses it; unreadable files give a TraceError with line 0.
ParseResult load_trace_file(const std::string& path, const ParseOptions& options = {});

// Where an op stands in its text trace: for messages about it ("file:line:col").
struct OpSource {
  size_t line = 0;  // 1-based; 0: the op did not come from a text trace
  size_t col = 0;   // of the op's name
  std::array<uint32_t, kNrOpFields> field_col{};  // per FIELD (ops.def order), 0: not given
  // The column of the field `field_bit` (F_ID, ...) if the line gives it, else the op's.
  size_t col_of(uint32_t field_bit) const;
};

namespace trace_detail {
class Parser;
}

// Streams a text trace: the header and config on construction, then one op per next().
// Errors (unreadable file, bad line, config over the memory limit) stop it; error()
// says what and where.
class TraceReader {
 public:
  // A file ("-" is not special: the path is opened as given).
  explicit TraceReader(const std::string& path, const ParseOptions& options = {});
  // Text already in memory; `file` names it in messages.
  TraceReader(std::string text, std::string_view file, const ParseOptions& options = {});
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  // The config is complete (the first op, or the end of the text, has been read).
  bool ok() const { return !error_; }
  const std::optional<TraceError>& error() const { return error_; }
  const Config& config() const;
  // The line where complaints about the config as a whole are reported (that of the
  // first op, or the last config line): parse_trace() reports validate_config() there.
  size_t config_line() const { return config_line_; }
  const std::string& file() const { return file_; }

  // The next op and where it stands; false at the end of the trace or on an error.
  bool next(Op* op, OpSource* where = nullptr);

 private:
  bool read_line(std::string_view* line);
  bool pump();  // feeds lines until an op is pending, the text ends, or an error

  std::string file_;
  std::FILE* in_ = nullptr;
  std::string buf_;  // unread text (the whole text for in-memory traces)
  size_t begin_ = 0;
  bool eof_ = false, done_ = false;
  std::unique_ptr<trace_detail::Parser> parser_;
  std::optional<TraceError> error_;
  size_t config_line_ = 0;
};

}  // namespace buddycheck
