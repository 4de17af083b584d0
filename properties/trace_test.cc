// SPDX-License-Identifier: GPL-2.0-or-later
// The text trace format (drive/trace.h): round trips both ways, robustness against
// garbage, and the hand-written corpus under corpus/traces. Exact error positions and
// messages are in trace_errors_test.cc.
#include "drive/trace.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <climits>
#include <filesystem>
#include <string>
#include <vector>

#include "alloc/gfp.h"

namespace buddycheck {
namespace {

// ---- hand-built traces ------------------------------------------------------------

// Every config feature at a non-default value: scalars, holes, reserved ranges, CMA,
// distances, a private node, an initiator-only node, CPUs spread over nodes.
Config rich_config() {
  Config c;
  c.max_page_order = 6;
  c.pageblock_order = 3;
  c.mobility_grouping = false;
  c.min_free_kbytes = 128;
  c.watermark_scale_factor = 100;
  c.watermark_boost_factor = 0;
  c.lowmem_reserve_ratio = {128, 64, 16, 0};
  c.percpu_pagelist_high_fraction = 8;
  c.page_bytes = 0;
  c.direct_map_level = DirectMapLevel::PAGE_4K;
  c.can_set_direct_map = false;
  NodeConfig n0;
  n0.zones.push_back(
      ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 0x1000, .reserved = {{0, 1}}});
  n0.zones.push_back(ZoneConfig{.type = ZONE_NORMAL,
                                .start_pfn = 0x1000,
                                .pages = 0x2000,
                                .holes = {{0x1800, 0x1840}, {0x2000, 0x2010}},
                                .reserved = {{0x2800, 0x2808}}});
  NodeConfig n1{.memory_private = true};
  n1.zones.push_back(ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 0x4000, .pages = 0x1000});
  NodeConfig n2{.generic_initiator = true};
  NodeConfig n3;
  n3.zones.push_back(ZoneConfig{.type = ZONE_MOVABLE, .start_pfn = 0x6000, .pages = 0x800});
  c.nodes = {n0, n1, n2, n3};
  c.cpu_node = {0, 0, 2, 2, 0, 3};
  c.distance = {{10, 20, 30, 40}, {20, 10, 25, 35}, {30, 25, 10, 15}, {40, 35, 15, 10}};
  c.cma = {{0x1100, 0x1200}, {0x2100, 0x2200}};
  return c;
}

Op make(OpKind k) {
  Op op;
  op.kind = k;
  return op;
}

// At least one op of every kind, and every field of every kind at a non-default value.
std::vector<Op> every_op() {
  std::vector<Op> v;
  Op a = make(OpKind::Alloc);
  a.order = 3;
  a.gfp = GFP_KERNEL | __GFP_ZERO;
  a.nid = 1;
  a.nodemask = Nodemask{0b11};
  a.ctx = AllocFlags{}.set(CTX_cma).set(CTX_managed_node);
  a.cpu = 2;
  a.task = (1u << TASK_BIT_pf_memalloc) | (1u << TASK_BIT_rt_task);
  a.cpuset = Nodemask{0b101};
  a.frozen = true;
  v.push_back(a);
  v.push_back(make(OpKind::Alloc));  // order=0 gfp=GFP_KERNEL still print
  Op odd = make(OpKind::Alloc);      // edge spellings: none, empty masks, unknown bits
  odd.gfp = 0;
  odd.nodemask = Nodemask{};
  odd.ctx = AllocFlags{};
  odd.cpuset = Nodemask{};
  odd.nid = INT_MIN;
  odd.cpu = UINT_MAX;
  v.push_back(odd);
  Op bad = make(OpKind::Alloc);
  bad.gfp = GFP_ATOMIC | 0x80000000u;
  bad.ctx = AllocFlags{uint64_t{1} << 63 | 1};
  bad.task = 0xffffffffu;
  bad.nid = -7;
  bad.order = 11;
  v.push_back(bad);
  for (unsigned b = 0; b < NR_TASK_BITS; b++) {
    Op t = make(OpKind::Alloc);
    t.task = 1u << b;
    v.push_back(t);
  }
  Op f = make(OpKind::Free);
  f.id = 0;
  v.push_back(f);
  f.id = UINT64_MAX;
  f.cpu = 5;
  v.push_back(f);
  Op bulk = make(OpKind::AllocBulk);
  bulk.count = 16;
  bulk.gfp = GFP_NOWAIT;
  bulk.nid = 2;
  bulk.nodemask = Nodemask::of(63);
  bulk.cpu = 1;
  v.push_back(bulk);
  v.push_back(make(OpKind::AllocBulk));
  Op d = make(OpKind::Drain);
  v.push_back(d);
  d.cpu = 3;
  v.push_back(d);
  d = make(OpKind::Drain);
  d.all = true;
  d.zone = 1 * MAX_NR_ZONES + ZONE_NORMAL;
  v.push_back(d);
  for (int z = 0; z < MAX_NR_ZONES; z++) {
    d.zone = z;
    v.push_back(d);
  }
  d.zone = -9;
  v.push_back(d);
  for (SysctlKey k :
       {SysctlKey::min_free_kbytes, SysctlKey::watermark_scale_factor,
        SysctlKey::watermark_boost_factor, SysctlKey::percpu_pagelist_high_fraction}) {
    Op s = make(OpKind::Sysctl);
    s.key = k;
    s.value = k == SysctlKey::min_free_kbytes ? 0 : 12345;
    v.push_back(s);
  }
  Op r = make(OpKind::Sysctl);
  r.key = SysctlKey::lowmem_reserve_ratio;
  r.ratio = {1, 2, 3, 4};
  v.push_back(r);
  r.ratio = {256, 256, 32, 0};
  v.push_back(r);
  v.push_back(make(OpKind::Hooks));
  for (unsigned c = 0; c <= static_cast<unsigned>(CompactResult::SUCCESS); c++) {
    Op h = make(OpKind::Hooks);
    h.hooks.compact = static_cast<CompactResult>(c);
    h.hooks.reclaim = c * 7;
    h.hooks.oom_kill = c % 2;
    v.push_back(h);
  }
  Op k = make(OpKind::Kswapd);
  v.push_back(k);
  k.node = 3;
  v.push_back(k);
  k.node = -2;
  v.push_back(k);
  Op dp = make(OpKind::DecayPcp);
  v.push_back(dp);
  dp.cpu = 4;
  v.push_back(dp);
  v.push_back(make(OpKind::Check));
  for (DumpWhat w :
       {DumpWhat::buddyinfo, DumpWhat::pagetypeinfo, DumpWhat::zoneinfo, DumpWhat::all}) {
    Op du = make(OpKind::Dump);
    du.what = w;
    v.push_back(du);
  }
  for (unsigned b = 0; b <= static_cast<unsigned>(BadFreeKind::refcount); b++) {
    Op bf = make(OpKind::BadFree);
    bf.bad = static_cast<BadFreeKind>(b);
    bf.id = b;
    bf.pfn = b == 3 ? 0x1800 : 0;
    bf.cpu = b;
    v.push_back(bf);
  }
  Op dm = make(OpKind::DmSet);
  v.push_back(dm);
  dm.id = 4;
  dm.present = false;
  v.push_back(dm);
  return v;
}

std::vector<Trace> hand_traces() {
  std::vector<Trace> ts;
  ts.push_back(Trace{configs::single_zone(1024, 5, 2), {}});
  ts.push_back(
      Trace{configs::single_zone(1024, 5, 2, 0x400), {ops::alloc(0, GFP_KERNEL), ops::free(0)}});
  ts.push_back(Trace{configs::pc_like(8192, 16384), every_op()});
  ts.push_back(Trace{configs::numa(3, 2048, 8, 4), every_op()});
  ts.push_back(Trace{rich_config(), every_op()});
  Config c = configs::single_zone(64, 3, 1);
  c.min_free_kbytes = 0;
  c.cpu_node = {0};
  c.direct_map_level = DirectMapLevel::PUD_1G;
  ts.push_back(Trace{c, {ops::drain_all(), ops::check()}});
  return ts;
}

std::string dump_on_fail(const ParseResult& r) { return r.error ? r.error->to_string() : ""; }

TEST(TraceRoundTrip, PrintParseEqualsForHandBuiltTraces) {
  for (const Trace& t : hand_traces()) {
    ASSERT_EQ(validate_config(t.config), "");
    std::string text = print_trace(t);
    ParseResult r = parse_trace(text, "hand.trace");
    ASSERT_TRUE(r.ok()) << dump_on_fail(r) << "\n" << text;
    EXPECT_EQ(*r.trace, t) << text;
    EXPECT_EQ(print_trace(*r.trace), text);
  }
}

TEST(TraceRoundTrip, EveryOpKindAndFieldIsCovered) {
  std::vector<bool> kinds(kNrOpKinds);
  uint32_t nondefault = 0;
  for (const Op& op : every_op()) {
    kinds[static_cast<unsigned>(op.kind)] = true;
    // A field is covered when some op prints it: the line names its key.
    std::string line = print_op(op);
#define FIELD(F, key, doc) \
  if (line.find(" " key "=") != std::string::npos) nondefault |= F;
#include "drive/ops.def"
  }
  for (unsigned k = 0; k < kNrOpKinds; k++)
    EXPECT_TRUE(kinds[k]) << op_info(static_cast<OpKind>(k)).name;
  uint32_t all = 0;
#define FIELD(F, key, doc) all |= F;
#include "drive/ops.def"
  EXPECT_EQ(nondefault, all);
}

// Canonical text parses and prints back byte for byte.
TEST(TraceRoundTrip, CanonicalTextIsAFixedPoint) {
  const std::string text =
      "buddycheck-trace 1\n"
      "config max_order=6 pageblock_order=3 mobility=off min_free_kbytes=128 "
      "watermark_scale_factor=100 "
      "watermark_boost_factor=0 lowmem_reserve_ratio=128,64,16,0 percpu_pagelist_high_fraction=8 "
      "page_bytes=0 direct_map=4k can_set_direct_map=no\n"
      "node 0 cpus=0-1,4 private=no initiator=no\n"
      "zone 0 DMA start=0x0 pages=4096 reserved=0x0-0x1\n"
      "zone 0 Normal start=0x1000 pages=8192 holes=0x1800-0x1840,0x2000-0x2010 "
      "reserved=0x2800-0x2808\n"
      "node 1 private=yes initiator=no\n"
      "zone 1 Normal start=0x4000 pages=4096\n"
      "node 2 cpus=2-3 private=no initiator=yes\n"
      "node 3 cpus=5 private=no initiator=no\n"
      "zone 3 Movable start=0x6000 pages=2048\n"
      "distance 0 10 20 30 40\n"
      "distance 1 20 10 25 35\n"
      "distance 2 30 25 10 15\n"
      "distance 3 40 35 15 10\n"
      "cma 0x1100-0x1200\n"
      "cma 0x2100-0x2200\n"
      "alloc order=3 gfp=GFP_KERNEL|__GFP_ZERO nid=1 nodemask=0-1 ctx=cma|managed_node cpu=2 "
      "task=pf_memalloc|rt_task cpuset=0,2 frozen=yes\n"
      "alloc order=0 gfp=none nodemask=none ctx=none cpuset=none\n"
      "free id=0 cpu=1\n"
      "alloc_bulk count=8 gfp=GFP_KERNEL nid=0\n"
      "drain cpu=1 all=yes zone=0:Normal\n"
      "sysctl key=lowmem_reserve_ratio value=256,256,32,0\n"
      "sysctl key=watermark_scale_factor value=200\n"
      "hooks reclaim=4 compact=partial_skipped oom=kill\n"
      "kswapd node=1\n"
      "decay_pcp cpu=3\n"
      "check\n"
      "dump what=zoneinfo\n"
      "bad_free kind=foreign pfn=0x1800\n"
      "dm_set id=2 present=no\n";
  ParseResult r = parse_trace(text, "canon.trace");
  ASSERT_TRUE(r.ok()) << dump_on_fail(r);
  EXPECT_EQ(r.trace->config, rich_config());
  EXPECT_EQ(print_trace(*r.trace), text);
}

// Comments, blank lines, odd spacing, any field order, hex and defaults spelled out all
// normalize to one canonical form.
TEST(TraceRoundTrip, NonCanonicalTextNormalizes) {
  const std::string text =
      "# leading comment\n\n"
      "  buddycheck-trace   1   # version\n"
      "config\tpageblock_order=2 max_order=0x5\r\n"
      "node 0 initiator=no\n"
      "zone 0 Normal pages=0x400 start=0   # 4 MiB\n"
      "\n"
      "alloc gfp=0xcc0(GFP_KERNEL) order=1 nid=-1 frozen=no   # comment\n"
      "free cpu=0 id=0x10\n"
      "drain all=no\n"
      "dm_set present=yes id=1\n"
      "hooks compact=skipped oom=default reclaim=0\n"
      "dump what=all\n"
      "kswapd node=0\n";
  const std::string canon =
      "buddycheck-trace 1\n"
      "config max_order=5 pageblock_order=2 mobility=on min_free_kbytes=auto "
      "watermark_scale_factor=10 "
      "watermark_boost_factor=15000 lowmem_reserve_ratio=256,256,32,0 "
      "percpu_pagelist_high_fraction=0 "
      "page_bytes=64 direct_map=2m can_set_direct_map=yes\n"
      "node 0 private=no initiator=no\n"
      "zone 0 Normal start=0x0 pages=1024\n"
      "alloc order=1 gfp=GFP_KERNEL\n"
      "free id=16\n"
      "drain\n"
      "dm_set id=1\n"
      "hooks\n"
      "dump\n"
      "kswapd\n";
  ParseResult r = parse_trace(text);
  ASSERT_TRUE(r.ok()) << dump_on_fail(r);
  EXPECT_EQ(r.trace->config, configs::single_zone(1024, 5, 2));
  EXPECT_EQ(print_trace(*r.trace), canon);
}

// A minimal valid config: what follows it starts on line 4.
const std::string kHead = "buddycheck-trace 1\nnode 0\nzone 0 Normal start=0x0 pages=4096\n";

// Every hand-written trace in the corpus parses and is stable under print/parse.
TEST(TraceCorpus, EveryCorpusTraceParses) {
  std::filesystem::path dir = std::filesystem::path(BUDDYCHECK_SOURCE_DIR) / "corpus" / "traces";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".trace") continue;
    n++;
    ParseResult r = load_trace_file(e.path().string());
    ASSERT_TRUE(r.ok()) << r.error->to_string();
    EXPECT_FALSE(r.trace->ops.empty()) << e.path();
    ParseResult again = parse_trace(print_trace(*r.trace));
    ASSERT_TRUE(again.ok()) << dump_on_fail(again);
    EXPECT_EQ(*again.trace, *r.trace) << e.path();
  }
  EXPECT_GE(n, 5u);
}

// ---- properties --------------------------------------------------------------------

// A random op of a random kind with every field it takes at a random value; the others
// stay default as the Op contract requires.
Op random_op() {
  Op op;
  op.kind = static_cast<OpKind>(*rc::gen::inRange(0u, kNrOpKinds));
  const uint32_t f = op_info(op.kind).fields;
  auto mask = []() -> std::optional<Nodemask> {
    if (!*rc::gen::arbitrary<bool>()) return std::nullopt;
    return Nodemask{*rc::gen::arbitrary<uint64_t>()};
  };
  if (f & F_ORDER) op.order = *rc::gen::arbitrary<unsigned>();
  if (f & F_GFP) op.gfp = *rc::gen::arbitrary<gfp_t>();
  if (f & F_NID) op.nid = *rc::gen::arbitrary<int>();
  if (f & F_NODEMASK) op.nodemask = mask();
  if ((f & F_CTX) && *rc::gen::arbitrary<bool>())
    op.ctx = AllocFlags{*rc::gen::arbitrary<uint64_t>()};
  if (f & F_CPU) op.cpu = *rc::gen::arbitrary<unsigned>();
  if (f & F_TASK) op.task = *rc::gen::arbitrary<uint32_t>();
  if (f & F_CPUSET) op.cpuset = mask();
  if (f & F_FROZEN) op.frozen = *rc::gen::arbitrary<bool>();
  if (f & F_ID) op.id = *rc::gen::arbitrary<uint64_t>();
  if (f & F_COUNT) op.count = *rc::gen::arbitrary<uint32_t>();
  if (f & F_ALL) op.all = *rc::gen::arbitrary<bool>();
  if (f & F_ZONE)
    op.zone =
        *rc::gen::oneOf(rc::gen::just(-1), rc::gen::inRange(0, INT_MAX), rc::gen::arbitrary<int>());
  if (f & F_KEY) op.key = static_cast<SysctlKey>(*rc::gen::inRange(0, 5));
  if (f & F_VALUE) {
    if (op.key == SysctlKey::lowmem_reserve_ratio)
      for (unsigned& r : op.ratio) r = *rc::gen::arbitrary<unsigned>();
    else op.value = *rc::gen::arbitrary<uint64_t>();
  }
  if (f & F_RECLAIM) op.hooks.reclaim = *rc::gen::arbitrary<unsigned>();
  if (f & F_COMPACT) op.hooks.compact = static_cast<CompactResult>(*rc::gen::inRange(0, 5));
  if (f & F_OOM) op.hooks.oom_kill = *rc::gen::arbitrary<bool>();
  if (f & F_WHAT) op.what = static_cast<DumpWhat>(*rc::gen::inRange(0, 4));
  if (f & F_KIND) op.bad = static_cast<BadFreeKind>(*rc::gen::inRange(0, 5));
  if (f & F_PFN) op.pfn = *rc::gen::arbitrary<uint64_t>();
  if (f & F_PRESENT) op.present = *rc::gen::arbitrary<bool>();
  if (f & F_NODE) op.node = *rc::gen::arbitrary<int>();
  return op;
}

RC_GTEST_PROP(TraceProps, RandomOpsRoundTrip, ()) {
  Trace t{configs::numa(*rc::gen::inRange(1, 5), 1024, 6, 3), {}};
  const int n = *rc::gen::inRange(0, 40);
  for (int i = 0; i < n; i++) t.ops.push_back(random_op());
  std::string text = print_trace(t);
  ParseResult r = parse_trace(text);
  RC_ASSERT(r.ok());
  RC_ASSERT(*r.trace == t);
  RC_ASSERT(print_trace(*r.trace) == text);
}

// Whatever the input, the parser returns a trace or a positioned error; a trace it
// accepts prints to canonical text that parses back to the same trace.
void check_any(const std::string& text) {
  ParseResult r = parse_trace(text, "fuzz");
  RC_ASSERT(r.ok() != r.error.has_value());
  if (!r.ok()) {
    RC_ASSERT(r.error->line >= 1);
    RC_ASSERT(r.error->col >= 1);
    RC_ASSERT(!r.error->message.empty());
    return;
  }
  std::string canon = print_trace(*r.trace);
  ParseResult again = parse_trace(canon);
  RC_ASSERT(again.ok());
  RC_ASSERT(*again.trace == *r.trace);
  RC_ASSERT(print_trace(*again.trace) == canon);
}

RC_GTEST_PROP(TraceProps, GarbageNeverCrashes, (const std::string& s)) { check_any(s); }

RC_GTEST_PROP(TraceProps, GarbageAfterHeaderNeverCrashes, (const std::vector<uint8_t>& bytes)) {
  check_any(kHead + std::string(bytes.begin(), bytes.end()));
}

// Mutations of a rich valid trace: byte edits, interesting tokens, swapped lines.
RC_GTEST_PROP(TraceProps, MutatedTracesNeverCrash, ()) {
  std::string text = print_trace(Trace{rich_config(), every_op()});
  const std::vector<std::string> tokens = {"=",
                                           "0x",
                                           "-",
                                           ",",
                                           ":",
                                           "|",
                                           "#",
                                           "\n",
                                           " ",
                                           std::string(1, '\0'),
                                           "none",
                                           "yes",
                                           "99999999999999999999999",
                                           "0xffffffffffffffff",
                                           "-2147483649",
                                           "node 9",
                                           "cma 0x0-0x8",
                                           "distance 0 10",
                                           "zone 0 DMA start=0 pages=1",
                                           "alloc ",
                                           "free id=",
                                           "GFP_KERNEL|",
                                           "0:Normal",
                                           "4294967296"};
  const int n = *rc::gen::inRange(1, 6);
  for (int i = 0; i < n; i++) {
    size_t at = *rc::gen::inRange<size_t>(0, text.size() + 1);
    switch (*rc::gen::inRange(0, 5)) {
      case 0:
        text.insert(at, 1, *rc::gen::arbitrary<char>());
        break;
      case 1:
        text.erase(at, *rc::gen::inRange<size_t>(0, 16));
        break;
      case 2:
        if (at < text.size()) text[at] = *rc::gen::arbitrary<char>();
        break;
      case 3: {
        text.insert(at, *rc::gen::elementOf(tokens));
        break;
      }
      case 4: {  // duplicate the line containing `at` at another line start
        size_t b = text.rfind('\n', at ? at - 1 : 0);
        b = b == std::string::npos ? 0 : b + 1;
        size_t e = text.find('\n', b);
        std::string line = text.substr(b, e == std::string::npos ? std::string::npos : e - b + 1);
        size_t to = text.find('\n', *rc::gen::inRange<size_t>(0, text.size()));
        text.insert(to == std::string::npos ? text.size() : to + 1, line);
        break;
      }
    }
  }
  check_any(text);
}

}  // namespace
}  // namespace buddycheck
