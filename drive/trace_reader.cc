// SPDX-License-Identifier: GPL-2.0-or-later
// TraceReader (trace.h): the trace parser fed a line at a time from a file, so only the
// config, the current line and one op are ever held.
#include <fmt/format.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "drive/trace.h"
#include "drive/trace_parser.h"

namespace buddycheck {

namespace {
constexpr size_t kReadChunk = size_t{64} << 10;
}  // namespace

size_t OpSource::col_of(uint32_t field_bit) const {
  if (field_bit) {
    const size_t i = static_cast<size_t>(std::countr_zero(field_bit)) - 1;
    if (i < field_col.size() && field_col[i]) return field_col[i];
  }
  return col;
}

TraceReader::TraceReader(const std::string& path, const ParseOptions& options)
    : file_(path), parser_(std::make_unique<trace_detail::Parser>(path, options, false)) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error_ = TraceError{path, 0, 0, "cannot open trace file: it is a directory"};
    return;
  }
  in_ = std::fopen(path.c_str(), "rb");
  if (!in_) {
    error_ =
        TraceError{path, 0, 0, fmt::format("cannot open trace file: {}", std::strerror(errno))};
    return;
  }
  pump();
}

TraceReader::TraceReader(std::string text, std::string_view file, const ParseOptions& options)
    : file_(file),
      buf_(std::move(text)),
      eof_(true),
      parser_(std::make_unique<trace_detail::Parser>(file, options, false)) {
  pump();
}

TraceReader::~TraceReader() {
  if (in_) std::fclose(in_);
}

const Config& TraceReader::config() const { return parser_->config(); }

// One line without its '\n' into *line (valid until the next call); false at the end.
// A line longer than kMaxTraceLineBytes is cut there: the parser refuses it.
bool TraceReader::read_line(std::string_view* line) {
  while (true) {
    const size_t avail = buf_.size() - begin_;
    const char* p = buf_.data() + begin_;
    const void* nl = std::memchr(p, '\n', std::min(avail, kMaxTraceLineBytes + 1));
    if (nl) {
      const size_t n = static_cast<size_t>(static_cast<const char*>(nl) - p);
      *line = std::string_view(p, n);
      begin_ += n + 1;
      return true;
    }
    if (avail > kMaxTraceLineBytes || (eof_ && avail > 0)) {
      const size_t n = std::min(avail, kMaxTraceLineBytes + 1);
      *line = std::string_view(p, n);
      begin_ = eof_ && avail <= kMaxTraceLineBytes ? buf_.size() : begin_ + n;
      return true;
    }
    if (eof_) return false;
    // Keep the unread tail, then append a chunk.
    buf_.erase(0, begin_);
    begin_ = 0;
    const size_t old = buf_.size();
    buf_.resize(old + kReadChunk);
    const size_t got = std::fread(buf_.data() + old, 1, kReadChunk, in_);
    buf_.resize(old + got);
    if (got < kReadChunk) {
      if (std::ferror(in_)) {
        error_ = TraceError{file_, 0, 0,
                            fmt::format("cannot read trace file: {}", std::strerror(errno))};
        return false;
      }
      eof_ = true;
    }
  }
}

bool TraceReader::pump() {
  std::string_view line;
  while (!done_ && !error_) {
    if (!read_line(&line)) {
      if (error_) return false;
      done_ = true;
      if (!parser_->finish()) error_ = parser_->error();
      else config_line_ = parser_->config_line();
      return false;
    }
    if (!parser_->feed(line)) {
      error_ = parser_->error();
      return false;
    }
    if (parser_->config_done()) config_line_ = parser_->config_line();
    if (parser_->has_op()) return true;
  }
  return false;
}

bool TraceReader::next(Op* op, OpSource* where) {
  if (error_) return false;
  if (parser_->take_op(op, where)) return true;
  pump();
  return parser_->take_op(op, where);
}

}  // namespace buddycheck
