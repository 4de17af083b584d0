// SPDX-License-Identifier: GPL-2.0-or-later
// TraceReader (drive/trace.h): the streaming reader must read exactly what parse_trace()
// reads - same config, same ops, same first error - whatever the file's size and where
// its lines fall in the read buffer, and say where each op stands.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "drive/trace.h"

namespace {

using namespace buddycheck;

const std::string kHead =
    "buddycheck-trace 1\nconfig max_order=4 pageblock_order=2\nnode 0 cpus=0-1\n"
    "zone 0 Normal start=0x0 pages=256\n";

std::string write_temp(const std::string& name, const std::string& text) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() / name;
  std::FILE* f = std::fopen(p.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return p.string();
}

// The reader's whole result: the trace, or the error string.
std::string read_all(TraceReader& r) {
  if (!r.ok()) return "error: " + r.error()->to_string();
  Trace t{r.config(), {}};
  Op op;
  while (r.next(&op)) t.ops.push_back(op);
  if (r.error()) return "error: " + r.error()->to_string();
  return print_trace(t);
}
std::string parse_all(const std::string& text, const std::string& file) {
  ParseResult p = parse_trace(text, file);
  return p.ok() ? print_trace(*p.trace) : "error: " + p.error->to_string();
}

// trace-reader-1: Expect the reader to agree with parse_trace() on every hand-written
// trace, from a file and from memory.
TEST(trace_reader, agrees_1) {
  const char* dir = std::getenv("BUDDYCHECK_SOURCE_DIR");
  ASSERT_NE(dir, nullptr);
  size_t n = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(dir) / "corpus/traces")) {
    const std::string path = e.path().string();
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::string text;
    char buf[4096];
    for (size_t k; (k = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, k);
    std::fclose(f);
    TraceReader from_file(path);
    TraceReader from_memory(text, path);
    const std::string want = parse_all(text, path);
    EXPECT_EQ(read_all(from_file), want) << path;
    EXPECT_EQ(read_all(from_memory), want) << path;
    n++;
  }
  EXPECT_GE(n, 5u);
}

// trace-reader-2: Expect a file far larger than the read buffer (lines crossing every
// chunk boundary, CRLF endings, no final newline) to read as parse_trace() reads it.
TEST(trace_reader, chunks_2) {
  std::string text = kHead;
  for (int i = 0; i < 20000; i++)
    text += i % 3 ? "alloc order=0 gfp=GFP_KERNEL|__GFP_ZERO   # pad\r\n" : "free id=0\r\n";
  text += "check";  // no newline at the end
  const std::string path = write_temp("buddycheck_reader_chunks.trace", text);
  TraceReader r(path);
  EXPECT_EQ(read_all(r), parse_all(text, path));
  // The same text with an error near the end: the same first error.
  text += "\nfree id=zz\n";
  const std::string bad = write_temp("buddycheck_reader_chunks_bad.trace", text);
  TraceReader rb(bad);
  const std::string got = read_all(rb);
  EXPECT_EQ(got, parse_all(text, bad));
  EXPECT_NE(got.find(":20006:9: expected a number"), std::string::npos) << got;
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

// trace-reader-3: Expect every op's line, column and given fields' columns.
TEST(trace_reader, positions_3) {
  TraceReader r(kHead + "\n  # comment\nalloc gfp=GFP_KERNEL order=1\n\tfree cpu=1 id=0\n",
                "t.trace");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config_line(), 7u);
  Op op;
  OpSource w;
  ASSERT_TRUE(r.next(&op, &w));
  EXPECT_EQ(w.line, 7u);
  EXPECT_EQ(w.col, 1u);
  EXPECT_EQ(w.col_of(F_GFP), 7u);
  EXPECT_EQ(w.col_of(F_ORDER), 22u);
  EXPECT_EQ(w.col_of(F_CPU), 1u);  // not given: the op's own column
  ASSERT_TRUE(r.next(&op, &w));
  EXPECT_EQ(op.kind, OpKind::Free);
  EXPECT_EQ(w.line, 8u);
  EXPECT_EQ(w.col, 2u);
  EXPECT_EQ(w.col_of(F_ID), 13u);
  EXPECT_EQ(w.col_of(F_CPU), 7u);
  EXPECT_FALSE(r.next(&op, &w));
  EXPECT_FALSE(r.error().has_value());
}

// trace-reader-4: Expect a line over kMaxTraceLineBytes to be one error, the same from a
// file (never held whole) and from memory.
TEST(trace_reader, long_line_4) {
  const std::string text =
      kHead + "alloc order=0 gfp=" + std::string(kMaxTraceLineBytes, 'A') + "\n";
  const std::string path = write_temp("buddycheck_reader_long.trace", text);
  TraceReader r(path);
  const std::string got = read_all(r);
  EXPECT_EQ(got, "error: " + path + ":5:1: line longer than 1048576 bytes");
  EXPECT_EQ(parse_all(text, path), got);
  std::filesystem::remove(path);
}

// trace-reader-5: Expect an empty file, a missing file and a folder to be errors that
// say why, and a config without ops to be a complete trace.
TEST(trace_reader, files_5) {
  const std::string empty = write_temp("buddycheck_reader_empty.trace", "");
  TraceReader e(empty);
  EXPECT_EQ(read_all(e), "error: " + empty +
                             ":1:1: empty trace: expected the header "
                             "'buddycheck-trace 1'");
  TraceReader missing("/nonexistent/x.trace");
  EXPECT_EQ(read_all(missing),
            "error: /nonexistent/x.trace: cannot open trace file: No such file or directory");
  TraceReader folder("/");
  EXPECT_EQ(read_all(folder), "error: /: cannot open trace file: it is a directory");
  TraceReader only_config(kHead, "c.trace");
  ASSERT_TRUE(only_config.ok());
  EXPECT_EQ(only_config.config().nodes.size(), 1u);
  EXPECT_EQ(only_config.config_line(), 4u);
  std::filesystem::remove(empty);
}

}  // namespace
