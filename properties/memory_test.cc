// SPDX-License-Identifier: GPL-2.0-or-later
// Memory bounds (drive/memory.h): the estimate a reader checks before a machine is built
// must match what the Machine and the oracles really allocate, sizes parse and print
// as the command line shows them, and a runner past its history limit keeps counting
// without keeping ops.
#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__)
#define BUDDYCHECK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUDDYCHECK_ASAN 1
#endif
#endif
#ifdef BUDDYCHECK_ASAN
// The sanitizer runtime's count of live heap bytes (<sanitizer/allocator_interface.h>,
// which g++ does not ship).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

#include "drive/memory.h"
#include "drive/runner.h"
#include "drive/trace.h"

namespace {

using namespace buddycheck;
using namespace pagealloc;

bool asan_counts() {
#ifdef BUDDYCHECK_ASAN
  return true;
#else
  return false;
#endif
}

uint64_t heap_bytes() {
#ifdef BUDDYCHECK_ASAN
  return __sanitizer_get_current_allocated_bytes();
#else
  return 0;
#endif
}

// memory-estimate-1: Expect the estimate of a machine and its oracles to lie within 10%
// (and 64 KiB) of what building a Runner allocates, over shapes that stress each part:
// page backing, no backing, many nodes and CPUs, a sparse span.
TEST(memory, estimate_1) {
  if (!asan_counts()) GTEST_SKIP() << "needs the sanitizer allocator's byte count";
  std::vector<Config> shapes;
  shapes.push_back(configs::single_zone(1 << 18));
  Config bare = configs::single_zone(1 << 18);
  bare.page_bytes = 0;
  shapes.push_back(bare);
  Config wide = configs::numa(32, 1 << 12, 10, 9);
  wide.cpu_node.clear();
  for (int c = 0; c < 128; c++) wide.cpu_node.push_back(c % 32);
  shapes.push_back(wide);
  Config sparse = configs::single_zone(1 << 16, 10, 9, 1 << 20);
  sparse.page_bytes = 512;
  shapes.push_back(sparse);
  for (const Config& c : shapes) {
    const MemoryEstimate e = estimate_memory(c);
    SCOPED_TRACE(e.to_string());
    ASSERT_GT(e.total(), 0u);
    const uint64_t before = heap_bytes();
    uint64_t used = 0;
    {
      Runner r(c);
      used = heap_bytes() - before;
    }
    const double ratio = static_cast<double>(e.total()) / static_cast<double>(used);
    EXPECT_TRUE((ratio > 0.9 && ratio < 1.1) ||
                (e.total() > used ? e.total() - used : used - e.total()) < (64u << 10))
        << "estimated " << e.total() << ", allocated " << used;
  }
}

// memory-estimate-2: Expect the parts to add up, the validator's largest machine (2^26
// pages) to estimate above 5 GiB with its default 64-byte backing, and an impossible
// config to estimate as 0.
TEST(memory, estimate_2) {
  Config huge = configs::single_zone(uint64_t{1} << 26);
  ASSERT_EQ(validate_config(huge), "");
  const MemoryEstimate e = estimate_memory(huge);
  EXPECT_EQ(e.memmap, uint64_t{16} << 26);
  EXPECT_EQ(e.backing, uint64_t{64} << 26);
  EXPECT_GT(e.total(), uint64_t{5} << 30);
  EXPECT_EQ(e.total(), e.memmap + e.backing + e.pageblocks + e.direct_map + e.per_cpu + e.oracles);
  EXPECT_EQ(estimate_memory(Config{}).total(), 0u);
}

// memory-bytes-1: Expect sizes to parse in bytes and binary units, in either case, with
// or without "B"/"iB", and junk, signs, fractions and overflow to be refused.
TEST(memory, bytes_1) {
  EXPECT_EQ(parse_bytes("1073741824"), uint64_t{1} << 30);
  EXPECT_EQ(parse_bytes("512M"), uint64_t{512} << 20);
  EXPECT_EQ(parse_bytes("512MiB"), uint64_t{512} << 20);
  EXPECT_EQ(parse_bytes("2g"), uint64_t{2} << 30);
  EXPECT_EQ(parse_bytes("64k"), uint64_t{64} << 10);
  EXPECT_EQ(parse_bytes("1TB"), uint64_t{1} << 40);
  for (const char* bad :
       {"", "M", "-1", "1.5G", "1X", "1Gi", "12 M", "99999999999999999999", "8589934592G"})
    EXPECT_FALSE(parse_bytes(bad).has_value()) << bad;
  EXPECT_EQ(format_bytes(12), "12 B");
  EXPECT_EQ(format_bytes(uint64_t{1} << 30), "1 GiB");
  EXPECT_EQ(format_bytes(uint64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(format_bytes(uint64_t{640} << 10), "640 KiB");
}

// memory-limit-1: Expect a reader to refuse a machine over its limit at the config's
// line, naming the estimate and both ways to raise the limit, and to accept it when
// the limit is raised or off.
TEST(memory, limit_1) {
  const std::string text =
      "buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=0x10000\nalloc order=0 "
      "gfp=GFP_KERNEL\n";
  ParseResult p = parse_trace(text, "t.trace", ParseOptions{1 << 20});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error->line, 4u);
  EXPECT_NE(p.error->message.find("more than the memory limit of 1 MiB"), std::string::npos);
  EXPECT_NE(p.error->message.find("--max-memory SIZE or BUDDYCHECK_MAX_MEMORY=SIZE"),
            std::string::npos);
  TraceReader r(text, "t.trace", ParseOptions{1 << 20});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error()->to_string(), p.error->to_string());
  EXPECT_TRUE(parse_trace(text, "t.trace", ParseOptions{64 << 20}).ok());
  EXPECT_TRUE(parse_trace(text, "t.trace", ParseOptions{0}).ok());
}

// memory-history-1: Expect a runner past its history limit to keep counting ops, keep
// the failing op for its report, drop the list, and say in the report what replays it.
TEST(memory, history_1) {
  RunOptions o;
  o.history_limit = 100;
  Runner r(configs::single_zone(256, 4, 2), o);
  for (int i = 0; i < 250; i++) {
    ASSERT_TRUE(r.step(ops::alloc(0, GFP_KERNEL), 10 + 2 * i).ok());
    ASSERT_TRUE(r.step(ops::free(i), 11 + 2 * i).ok());
  }
  EXPECT_EQ(r.nr_ops(), 500u);
  EXPECT_FALSE(r.complete_history());
  EXPECT_TRUE(r.ops().empty());
  Finding f;
  f.id = "TEST-ID";
  f.op_index = 499;
  const std::string report = r.report(f, "replay-cmd", "in.trace");
  EXPECT_NE(report.find("after op #499: free id=249   (trace line 509)"), std::string::npos)
      << report;
  EXPECT_NE(report.find("(not repeated: 500 ops, more than the 100 a report repeats; in.trace "
                        "replays the run up to line 509)"),
            std::string::npos)
      << report;
  // Under the limit the history is whole.
  Runner small(configs::single_zone(256, 4, 2), o);
  ASSERT_TRUE(small.step(ops::alloc(0, GFP_KERNEL)).ok());
  EXPECT_TRUE(small.complete_history());
  EXPECT_EQ(small.trace().ops.size(), 1u);
}

// memory-books-1: Expect the runner to refuse, as an error of the op, an allocation
// whose books would take the run past max_memory.
TEST(memory, books_1) {
  RunOptions o;
  o.max_memory = 64 << 10;
  Runner r(configs::single_zone(256, 4, 2), o);
  size_t i = 0;
  StepResult s;
  for (; i < 10000; i++) {
    s = r.step(ops::alloc(0, GFP_KERNEL));
    if (s.error) break;
    ASSERT_TRUE(r.step(ops::free(i)).ok());
  }
  ASSERT_TRUE(s.error.has_value());
  EXPECT_NE(s.error->find("more than the memory limit of 64 KiB"), std::string::npos) << *s.error;
  EXPECT_LT(i * bytes_per_allocation(), uint64_t{64} << 10);
}

}  // namespace
