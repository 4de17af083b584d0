// SPDX-License-Identifier: GPL-2.0-or-later
// The text trace format's errors (drive/trace.h): every malformed input gets the
// exact file:line:col: message, with what is wrong and what was expected.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "drive/trace.h"

namespace buddycheck {
namespace {

// ---- malformed traces: exact file:line:col: message -------------------------------

struct BadCase {
  const char* text;
  const char* error;
};

const std::string kHead =
    "buddycheck-trace 1\nnode 0\nzone 0 Normal start=0x0 pages=4096\n";  // ops on line 4

class TraceErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(TraceErrors, ExactPositionAndMessage) {
  std::string text = GetParam().text;
  if (text.rfind("@", 0) == 0) text = kHead + text.substr(1);  // '@': after the standard head
  ParseResult r = parse_trace(text, "t.trace");
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error->to_string(), GetParam().error) << text;
}

const BadCase kBadCases[] = {
    // header
    {"", "t.trace:1:1: empty trace: expected the header 'buddycheck-trace 1'"},
    {"# only a comment\n\n", "t.trace:1:1: empty trace: expected the header 'buddycheck-trace 1'"},
    {"buddycheck-trace 2\n",
     "t.trace:1:18: unsupported trace version '2' (this buddycheck reads version 1)"},
    {"buddycheck-trace\n", "t.trace:1:17: missing version after 'buddycheck-trace' (expected 1)"},
    {"buddycheck-trace 1 x\n", "t.trace:1:20: unexpected 'x' after the header"},
    {"# c\nnode 0\n", "t.trace:2:1: expected the header 'buddycheck-trace 1' first, got 'node'"},
    {"@buddycheck-trace 1\n", "t.trace:4:1: the header may appear only once, on the first line"},
    // config line
    {"buddycheck-trace 1\nconfig max_ordr=5\n",
     "t.trace:2:8: unknown config key 'max_ordr' (did you mean 'max_order'?) (keys: max_order, "
     "pageblock_order, mobility, "
     "min_free_kbytes, watermark_scale_factor, watermark_boost_factor, lowmem_reserve_ratio, "
     "percpu_pagelist_high_fraction, page_bytes, direct_map, can_set_direct_map)"},
    {"buddycheck-trace 1\nconfig max_order=99999999999\n",
     "t.trace:2:18: 'max_order' value '99999999999' is out of range (max 4294967295)"},
    {"buddycheck-trace 1\nconfig max_order=ten\n",
     "t.trace:2:18: expected a number (decimal or 0x-hex) for 'max_order', got 'ten'"},
    {"buddycheck-trace 1\nconfig mobility=maybe\n",
     "t.trace:2:17: unknown mobility 'maybe' (expected one of: off, on)"},
    {"buddycheck-trace 1\nconfig max_order=5 max_order=6\n",
     "t.trace:2:20: duplicate config key 'max_order'"},
    {"buddycheck-trace 1\nconfig lowmem_reserve_ratio=1,2\n",
     "t.trace:2:29: 'lowmem_reserve_ratio' needs 4 comma-separated ratios (one per zone type, like "
     "256,256,32,0)"},
    {"buddycheck-trace 1\nconfig lowmem_reserve_ratio=1,2,3,4,5\n",
     "t.trace:2:36: 'lowmem_reserve_ratio' has more than 4 ratios"},
    {"buddycheck-trace 1\nconfig direct_map=4m\n",
     "t.trace:2:19: unknown direct_map '4m' (did you mean '4k'?) (expected one of: 4k, 2m, 1g)"},
    {"buddycheck-trace 1\nconfig max_order\n", "t.trace:2:8: expected key=value, got 'max_order'"},
    {"buddycheck-trace 1\nconfig =5\n", "t.trace:2:8: missing key before '=' in '=5'"},
    {"buddycheck-trace 1\nconfig\nconfig\n",
     "t.trace:3:1: second 'config' line (the first is on line 2)"},
    {"buddycheck-trace 1\nnode 0\nconfig\n",
     "t.trace:3:1: 'config' line after a 'node' line (config lines go in the order config, "
     "node/zone, "
     "distance, cma)"},
    // nodes and zones
    {"buddycheck-trace 1\nnode 1\n",
     "t.trace:2:6: node 1 out of order: expected node 0 (node ids go 0, 1, 2, ...)"},
    {"buddycheck-trace 1\nnode 64\n", "t.trace:2:6: 'node' value '64' is out of range (max 63)"},
    {"buddycheck-trace 1\nnode\n", "t.trace:2:5: expected a node id after 'node'"},
    {"buddycheck-trace 1\nnode 0 cpu=0\n",
     "t.trace:2:8: unknown node key 'cpu' (did you mean 'cpus'?) (keys: cpus, private, initiator)"},
    {"buddycheck-trace 1\nnode 0 private=si\n",
     "t.trace:2:16: unknown private 'si' (expected one of: no, yes)"},
    {"buddycheck-trace 1\nnode 0 cpus=0,2\nzone 0 Normal start=0 pages=64\n",
     "t.trace:2:15: CPU 1 is on no node (CPUs must be numbered 0..2 without gaps)"},
    {"buddycheck-trace 1\nnode 0 cpus=0-1\nnode 1 cpus=1\n",
     "t.trace:3:13: CPU 1 is already on node 0"},
    {"buddycheck-trace 1\nnode 0 cpus=3-1\n", "t.trace:2:13: CPU range 3-1 runs backwards"},
    {"buddycheck-trace 1\nnode 0 cpus=0;1\n",
     "t.trace:2:14: unexpected ';' in 'cpus' (expected ',' or '-')"},
    {"buddycheck-trace 1\nnode 0 cpus=256\n",
     "t.trace:2:13: CPU '256' is out of range (the model has at most 256 CPUs)"},
    {"buddycheck-trace 1\nnode 0 cpus=0,\n",
     "t.trace:2:15: expected a CPU number in 'cpus' (a list like 0-3,6)"},
    {"buddycheck-trace 1\nzone 0 Normal start=0 pages=64\n",
     "t.trace:2:1: 'zone' before any 'node' line"},
    {"buddycheck-trace 1\nnode 0\nnode 1\nzone 0 Normal start=0 pages=64\n",
     "t.trace:4:6: zone for node 0 follows the line of node 1 (zone lines go right after their "
     "node line)"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Highmem start=0 pages=64\n",
     "t.trace:3:8: unknown zone type 'Highmem' (expected one of: DMA, DMA32, Normal, Movable)"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0\n",
     "t.trace:3:1: zone line needs 'pages='"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal\n", "t.trace:3:1: zone line needs 'start='"},
    {"buddycheck-trace 1\nnode 0\nzone 0\n",
     "t.trace:3:1: expected 'zone NODE TYPE start=0xPFN pages=N [holes=A-B,...] "
     "[reserved=A-B,...]'"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=64 holes=0x10\n",
     "t.trace:3:38: expected a PFN range START-END (like 0x100-0x200) in 'holes', got '0x10'"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=64 holes=0x10-0x20,0x30-zz\n",
     "t.trace:3:53: expected a number (decimal or 0x-hex) for 'holes', got 'zz'"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0x pages=64\n",
     "t.trace:3:21: expected a number (decimal or 0x-hex) for 'start', got '0x'"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=99999999999999999999\n",
     "t.trace:3:29: 'pages' value '99999999999999999999' is out of range (max "
     "18446744073709551615)"},
    // distance and cma
    {"buddycheck-trace 1\ndistance 0 10\n", "t.trace:2:1: 'distance' before any 'node' line"},
    {"@distance 0 10 20\n", "t.trace:4:15: distance row 0 has more than 1 entries (one per node)"},
    {"@distance 1 10\n", "t.trace:4:10: distance row 1 out of order: expected row 0"},
    {"buddycheck-trace 1\nnode 0\nnode 1\ndistance 0 10\n",
     "t.trace:4:1: distance row 0 has 1 entries, expected 2 (one per node)"},
    {"buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=64\nnode 1\ndistance 0 10 "
     "20\ncheck\n",
     "t.trace:5:1: 1 distance row(s) for 2 nodes (give a row for every node, or none)"},
    {"@distance 0 10\nnode 1\n",
     "t.trace:5:1: 'node' line after a 'distance' line (config lines go in the order config, "
     "node/zone, "
     "distance, cma)"},
    {"@cma 0x0-0x200\ndistance 0 10\n",
     "t.trace:5:1: 'distance' line after a 'cma' line (config lines go in the order config, "
     "node/zone, "
     "distance, cma)"},
    {"@cma\n", "t.trace:4:1: expected 'cma START-END' (a PFN range like 0x1000-0x2000)"},
    {"@cma 0x0-0x200 0x200-0x400\n",
     "t.trace:4:15: unexpected text after the cma range (one range per 'cma' line)"},
    {"@cma 0x0-0x200,0x200-0x400\n", "t.trace:4:5: one range per 'cma' line"},
    // config validation: at the first op, or at the last config line
    {"buddycheck-trace 1\nconfig pageblock_order=11\nnode 0\nzone 0 Normal start=0 "
     "pages=4096\n\ncheck\n",
     "t.trace:6:1: invalid machine config: pageblock_order: 11 must be in 1..max_page_order (10)"},
    {"buddycheck-trace 1\nconfig max_order=5\n# no nodes\n",
     "t.trace:2:1: invalid machine config: nodes: a machine needs at least one node"},
    {"buddycheck-trace 1\n",
     "t.trace:1:1: invalid machine config: nodes: a machine needs at least one node"},
    {"@cma 0x1-0x200\n",
     "t.trace:4:1: invalid machine config: cma[0]: 0x1-0x200 is not aligned to pageblock_nr_pages "
     "(512)"},
    // ordering with ops
    {"@check\nnode 1\n",
     "t.trace:5:1: 'node' line after the first op (the machine config must come before any op)"},
    {"@check\nconfig\n",
     "t.trace:5:1: 'config' line after the first op (the machine config must come before any op)"},
    {"@check\ncma 0x0-0x200\n",
     "t.trace:5:1: 'cma' line after the first op (the machine config must come before any op)"},
    // ops
    {"@allocc order=0\n",
     "t.trace:4:1: unknown line 'allocc' (did you mean 'alloc'?) (expected config, node, zone, "
     "distance, cma or an op: "
     "alloc, free, "
     "alloc_bulk, drain, sysctl, hooks, kswapd, decay_pcp, check, dump, bad_free, dm_set)"},
    {"@check\nfre id=0\n",
     "t.trace:5:1: unknown op 'fre' (did you mean 'free'?) (ops: alloc, free, alloc_bulk, drain, "
     "sysctl, hooks, kswapd, "
     "decay_pcp, "
     "check, dump, bad_free, dm_set)"},
    {"@free id=0 order=3\n", "t.trace:4:11: op 'free' does not take 'order' (takes: id, cpu)"},
    {"@check now=yes\n", "t.trace:4:7: op 'check' does not take 'now' (it takes no fields)"},
    {"@alloc order=1 order=2\n", "t.trace:4:15: duplicate 'order' (first given at column 7)"},
    {"@alloc order3\n", "t.trace:4:7: expected key=value, got 'order3'"},
    {"@alloc =3\n", "t.trace:4:7: missing key before '=' in '=3'"},
    {"@alloc order=\n", "t.trace:4:13: missing value after 'order='"},
    {"@alloc order=-1\n",
     "t.trace:4:13: expected a number (decimal or 0x-hex) for 'order', got '-1'"},
    {"@alloc order=0 gfp=GFP_KERNEL|__GFP_ZEROO\n",
     "t.trace:4:30: unknown gfp flag '__GFP_ZEROO' (did you mean '__GFP_ZERO'?)"},
    {"@alloc gfp=GFP_KERNEL||__GFP_ZERO\n", "t.trace:4:22: empty name between '|' in gfp mask"},
    {"@alloc nodemask=0-x\n",
     "t.trace:4:18: bad 'nodemask': expected a node id (expected a node list like 0-1,3, or none)"},
    {"@alloc cpuset=64\n",
     "t.trace:4:14: bad 'cpuset': node id out of range (max 63) (expected a node list like 0-1,3, "
     "or none)"},
    {"@alloc frozen=maybe\n", "t.trace:4:14: unknown frozen 'maybe' (expected one of: no, yes)"},
    {"@alloc ctx=cma|bogus\n", "t.trace:4:15: unknown alloc_flags field 'bogus'"},
    {"@alloc task=pf_memalloc|sleepy\n",
     "t.trace:4:24: unknown task bit 'sleepy' (expected names joined by '|': in_interrupt, "
     "in_softirq, "
     "pf_memalloc, noio, nofs, pin, oom_victim, rt_task)"},
    {"@alloc nid=-\n", "t.trace:4:11: expected a number (decimal or 0x-hex) for 'nid', got '-'"},
    {"@alloc nid=2147483648\n",
     "t.trace:4:11: 'nid' value '2147483648' is out of range (-2147483648..2147483647)"},
    {"@alloc nid=-2147483649\n",
     "t.trace:4:11: 'nid' value '-2147483649' is out of range (-2147483648..2147483647)"},
    {"@free\n", "t.trace:4:1: op 'free' needs 'id='"},
    {"@free id=18446744073709551616\n",
     "t.trace:4:9: 'id' value '18446744073709551616' is out of range (max 18446744073709551615)"},
    {"@alloc_bulk gfp=GFP_KERNEL\n", "t.trace:4:1: op 'alloc_bulk' needs 'count='"},
    {"@sysctl key=vm.min_free_kbytes value=1\n",
     "t.trace:4:12: unknown sysctl 'vm.min_free_kbytes' (did you mean 'min_free_kbytes'?) "
     "(expected one of: min_free_kbytes, "
     "watermark_scale_factor, watermark_boost_factor, lowmem_reserve_ratio, "
     "percpu_pagelist_high_fraction)"},
    {"@sysctl key=min_free_kbytes\n", "t.trace:4:1: op 'sysctl' needs 'value='"},
    {"@sysctl value=1,2 key=lowmem_reserve_ratio\n",
     "t.trace:4:14: 'lowmem_reserve_ratio' needs 4 comma-separated ratios (one per zone type, like "
     "256,256,32,0)"},
    {"@sysctl key=watermark_scale_factor value=1,2,3,4\n",
     "t.trace:4:41: expected a number (decimal or 0x-hex) for 'value', got '1,2,3,4'"},
    {"@hooks compact=done\n",
     "t.trace:4:15: unknown compact result 'done' (expected one of: skipped, deferred, "
     "partial_skipped, "
     "complete, success)"},
    {"@hooks oom=panic\n",
     "t.trace:4:11: unknown oom behaviour 'panic' (expected one of: default, kill)"},
    {"@dump what=meminfo\n",
     "t.trace:4:11: unknown dump 'meminfo' (expected one of: buddyinfo, pagetypeinfo, zoneinfo, "
     "all)"},
    {"@bad_free kind=triple_free\n",
     "t.trace:4:15: unknown bad_free kind 'triple_free' (expected one of: double_free, "
     "wrong_order, tail, "
     "foreign, refcount)"},
    {"@drain zone=0:Highmem\n",
     "t.trace:4:14: unknown zone type 'Highmem' (expected one of: DMA, DMA32, Normal, Movable)"},
    {"@drain zone=Normal\n",
     "t.trace:4:12: expected a zone as NODE:TYPE (like 0:Normal), got 'Normal'"},
    {"@drain zone=-x\n",
     "t.trace:4:12: expected a number (decimal or 0x-hex) for 'zone', got '-x'"},
    {"@drain zone=x:Normal\n",
     "t.trace:4:12: expected a number (decimal or 0x-hex) for 'zone node', got 'x'"},
    {"@kswapd node=2147483648\n",
     "t.trace:4:13: 'node' value '2147483648' is out of range (-2147483648..2147483647)"},
    {"@dm_set id=0 present=perhaps\n",
     "t.trace:4:21: unknown present 'perhaps' (expected one of: no, yes)"},
    // bytes that are not text
    {"@al\x01loc\n",
     "t.trace:4:1: unknown line 'al\\x01loc' (did you mean 'alloc'?) (expected config, node, zone, "
     "distance, cma or an op: "
     "alloc, "
     "free, alloc_bulk, drain, sysctl, hooks, kswapd, decay_pcp, check, dump, bad_free, dm_set)"},
};

INSTANTIATE_TEST_SUITE_P(Malformed, TraceErrors, ::testing::ValuesIn(kBadCases));

TEST(TraceErrorsExtra, NulByteIsReportedEscaped) {
  std::string text = kHead + "check\nfree id=0" + std::string(1, '\0') + "x\n";
  ParseResult r = parse_trace(text, "t.trace");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(),
            "t.trace:5:9: expected a number (decimal or 0x-hex) for 'id', got '0\\x00x'");
}

TEST(TraceErrorsExtra, LongTokensAreShortenedInMessages) {
  ParseResult r = parse_trace(kHead + std::string(1000, 'z'), "t.trace");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->message.find("'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'"),
            std::string::npos);
  EXPECT_LT(r.error->message.size(), 300u);
}

TEST(TraceFile, MissingFileGivesAClearError) {
  ParseResult r = load_trace_file("/nonexistent/dir/x.trace");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->line, 0u);
  EXPECT_EQ(r.error->to_string(),
            "/nonexistent/dir/x.trace: cannot open trace file: No such file or directory");
  r = load_trace_file("/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(), "/: cannot open trace file: it is a directory");
}

TEST(TraceFile, ErrorsNameTheFile) {
  std::filesystem::path p = std::filesystem::temp_directory_path() / "buddycheck_trace_test.trace";
  {
    std::FILE* f = std::fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string s = kHead + "free id=x\n";
    std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
  }
  ParseResult r = load_trace_file(p.string());
  std::filesystem::remove(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->to_string(),
            p.string() + ":4:9: expected a number (decimal or 0x-hex) for 'id', got 'x'");
}

}  // namespace
}  // namespace buddycheck
