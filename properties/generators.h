// SPDX-License-Identifier: GPL-2.0-or-later
// RapidCheck generators shared by the property tests and the stateful test: machine
// configs (named shapes and random ones), gfp masks, alloc_flags structs, nodemasks,
// task bits, orders and ops from the shared vocabulary (drive/ops.def).
//
// Generators that depend on a machine take a small value snapshot of it (GenContext,
// NodeInfoSnapshot) rather than a reference: RapidCheck may re-run a generator while
// shrinking, long after the machine it was built from has moved on. Everything is
// deterministic given RapidCheck's random source. Named configs stay small (<= 4096
// pages) so a property costs microseconds per op even under ASan. The definitions
// live in generators.cc (compiled once: each test TU would otherwise instantiate
// every generator's RapidCheck machinery again).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <rapidcheck.h>

#include "alloc/config.h"
#include "alloc/gfp.h"
#include "alloc/machine.h"
#include "drive/ops.h"
#include "drive/runner.h"

namespace buddycheck::props {

using namespace pagealloc;

// A uniform choice in [lo, hi) whatever RapidCheck's current size: gen::inRange scales
// its range with the size, which would hide the last CPUs, nodes, zones, orders and
// sysctl keys from every case below size 100. Still shrinks toward lo. (Lengths of op
// sequences keep growing with the size through plain gen::inRange.)
template <typename T>
rc::Gen<T> pick(T lo, T hi) {
  return rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi));
}

// ---- named machine shapes (the config matrix) --------------------------------------

Config tiny_config();          // 1 node, 256 pages, MAX_PAGE_ORDER 3, 4-page pageblocks, 2 CPUs
Config dma_heavy_config();     // big DMA, DMA32, small Normal; low lowmem_reserve ratios
Config numa_unequal_config();  // 4 nodes, asymmetric distances, a memoryless node with a CPU
Config no_grouping_config();   // page_group_by_mobility_disabled
Config private_config();       // node 2 is N_MEMORY_PRIVATE (with a CPU)
Config cma_config();           // CMA pageblocks not aligned to MAX_PAGE_ORDER
Config many_cpus_config();     // 1 node, 4 CPUs, DMA32 + Normal + Movable
Config unmapped_config();      // pageblock_order 2 under MAX_PAGE_ORDER 5, 4 KiB direct map
Config holes_config();         // holes, reserved ranges, zone boundaries inside pageblocks

struct NamedConfig {
  const char* name;
  Config (*make)();
};
// The config matrix every machine property and the stateful test run across.
const std::vector<NamedConfig>& named_configs();

// A random valid machine of at most 4096 pages: 1-4 nodes, any zone types, unequal
// (even asymmetric) distances, private nodes, CMA blocks, holes and reserved ranges,
// 1-4 CPUs and random watermark knobs. An invalid draw falls back to tiny_config().
rc::Gen<Config> gen_random_config();
// A named shape or a random machine.
rc::Gen<Config> gen_config();

// ---- gfp masks, alloc_flags, orders, tasks -------------------------------------------

// A mask the way kernel callers write them: a composite plus a few modifiers.
rc::Gen<gfp_t> gen_kernel_gfp();
// Kernel composites weighted high; random known bits and raw 32-bit words too (often
// invalid: bad zone combinations, MOVABLE|RECLAIMABLE, unknown bits).
rc::Gen<gfp_t> gen_gfp();
// A mask the allocator must accept: known bits only, no bad zone combination, not
// MOVABLE|RECLAIMABLE, no __GFP_UNMAPPED (that one needs a sanitizer verdict).
inline bool gfp_is_valid(gfp_t g) {
  return !(g & ~__GFP_BITS_MASK) && !gfp_zone_bad(g) &&
         (g & GFP_MOVABLE_MASK) != GFP_MOVABLE_MASK && !(g & __GFP_UNMAPPED);
}
rc::Gen<gfp_t> gen_valid_gfp();
// struct alloc_flags: mostly external context bits, sometimes internal ones, rarely
// bits from a newer header.
rc::Gen<AllocFlags> gen_alloc_flags();
// Small orders dominate; MAX_PAGE_ORDER + 1 (invalid) now and then.
rc::Gen<unsigned> gen_order(unsigned max_order);
// Task bits (ops.def TASK_BIT order): usually none, sometimes one, rarely any mix.
rc::Gen<uint32_t> gen_task_bits();

// ---- nodemasks -----------------------------------------------------------------------

// What a nodemask generator needs to know about a machine.
struct NodeInfoSnapshot {
  int nr_nodes = 1;
  Nodemask states[NR_NODE_STATES];
};
NodeInfoSnapshot snapshot_nodes(const Machine& m);

// Nodemasks the way kernel code builds them: random subsets, node_states[] masks, their
// unions and complements, and nodes_remap() of one state mask through two others --
// the route by which a private node sneaks into a mask built from N_CPU or N_MEMORY.
rc::Gen<Nodemask> gen_nodemask(const NodeInfoSnapshot& s);

// ---- ops -----------------------------------------------------------------------------

// The call the runner makes for an alloc op (request_of() is in drive/runner.h), so a
// trace ending in this op replays the same call.
AllocResult perform_alloc(Machine& m, const Op& op);

// A value snapshot of what op generation needs from a runner.
struct GenContext {
  NodeInfoSnapshot nodes;
  unsigned nr_cpus = 1;
  unsigned nr_zones = 0;
  unsigned max_order = 0;
  unsigned pageblock_order = 0;
  Pfn start_pfn = 0, end_pfn = 0;
  std::vector<uint32_t> live, freed;
};
GenContext snapshot(const Runner& r);

// One generator per op kind, valid for the snapshot: ids from its live/freed sets,
// CPUs, nodes and zones that exist, sysctl values the kernel accepts.
rc::Gen<Op> gen_alloc_op(const GenContext& g);  // any request, now and then an invalid one
rc::Gen<Op> gen_unmapped_alloc_op(
    const GenContext& g);                      // ctx=unmapped the sanitizer accepts, any order
rc::Gen<Op> gen_free_op(const GenContext& g);  // needs a live allocation
rc::Gen<Op> gen_bulk_op(const GenContext& g);
rc::Gen<Op> gen_drain_op(const GenContext& g);
rc::Gen<Op> gen_sysctl_op();
rc::Gen<Op> gen_hooks_op();
rc::Gen<Op> gen_kswapd_op(const GenContext& g);
rc::Gen<Op> gen_decay_op(const GenContext& g);
rc::Gen<Op> gen_bad_free_op(const GenContext& g);  // needs a live allocation
rc::Gen<Op> gen_dm_set_op(const GenContext& g);    // needs a live allocation
rc::Gen<Op> gen_simple_op(OpKind kind);            // check, dump

// Any op valid for the runner's current state, weighted toward allocations and frees.
rc::Gen<Op> gen_op(const Runner& r);

// An op list from the vocabulary on a machine from `configs`, built by running the ops
// on a quiet runner as they are drawn (so every id names a real allocation): up to
// `max_ops` ops, growing with RapidCheck's size.
rc::Gen<Trace> gen_trace(rc::Gen<Config> configs, size_t max_ops);

}  // namespace buddycheck::props

// RapidCheck prints counterexamples through showValue() found by ADL: configs and ops
// print as trace lines.
namespace pagealloc {
void showValue(const Config& c, std::ostream& os);
}
namespace buddycheck {
void showValue(const Op& op, std::ostream& os);
}
