// SPDX-License-Identifier: GPL-2.0-or-later
// Properties of N_MEMORY_PRIVATE nodes (PRIV v4): a private node's pages go only to
// callers that opted in (__GFP_PRIVATE or the context's managed_node), whatever the
// preferred node, nodemask (remapped ones included), cpuset or task.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "drive/trace.h"
#include "properties/generators.h"
#include "properties/prop_check.h"

namespace buddycheck::props {
namespace {

// A request that did not opt in, often aimed straight at a private node.
rc::Gen<Op> gen_not_opted_in(const GenContext& g) {
  return rc::gen::exec([g] {
    Op op = *rc::gen::weightedOneOf<Op>({{4, gen_alloc_op(g)}, {1, gen_bulk_op(g)}});
    op.gfp &= ~__GFP_PRIVATE;
    if (op.ctx) op.ctx->set(CTX_managed_node, false);
    const Nodemask priv = g.nodes.states[N_MEMORY_PRIVATE];
    if (!priv.empty() && *rc::gen::arbitrary<bool>()) {
      std::vector<int> nodes;
      for (int n = 0; n < g.nodes.nr_nodes; n++)
        if (priv.test(n)) nodes.push_back(n);
      op.nid = *rc::gen::elementOf(nodes);
      if (*rc::gen::arbitrary<bool>()) op.nodemask = *gen_nodemask(g.nodes) | priv;
    }
    return op;
  });
}

// props-private-optin-1: Expect no allocation (single or bulk) that lacks
// __GFP_PRIVATE and managed_node to return a page on an N_MEMORY_PRIVATE node, in any
// state, even when preferred node, nodemask and cpuset all name the private node.
void optin_1(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const int rounds = *pick(1, 6);
  for (int k = 0; k < rounds; k++) {
    drive(r, *rc::gen::inRange<size_t>(0, 30));
    const uint32_t first = r.next_id();
    const Op op = *gen_not_opted_in(snapshot(r));
    const StepResult s = r.step(op);
    if (s.error) fail_property(r, "GENERATOR", *s.error);
    for (uint32_t id = first; id < r.next_id(); id++) {
      const AllocRecord& rec = r.record(id);
      const int node = r.machine().zone(rec.zone).node;
      if (r.machine().node(node).has(N_MEMORY_PRIVATE))
        fail_property(
            r, "props-private-optin-1",
            fmt::format("`{}` got pfn {:#x} (allocation {}) on private node {} without opting in",
                        print_op(op), rec.pfn, id, node));
    }
  }
}

// props-private-optin-2: Expect a request that opted in with GFP_PRIVATE
// (__GFP_PRIVATE|__GFP_THISNODE) on a private node to get pages only from that node.
void optin_2(const Config& cfg) {
  Runner r(cfg, quiet_options());
  const Nodemask priv = r.machine().node_states(N_MEMORY_PRIVATE);
  RC_PRE(!priv.empty());
  drive(r, *rc::gen::inRange<size_t>(0, 30));
  Op op = *gen_alloc_op(snapshot(r));
  op.gfp = (op.gfp & ~GFP_ZONEMASK & ~__GFP_RECLAIMABLE) | GFP_PRIVATE;
  op.nid = priv.first();
  op.ctx.reset();
  const uint32_t first = r.next_id();
  if (const StepResult s = r.step(op); s.error) fail_property(r, "GENERATOR", *s.error);
  for (uint32_t id = first; id < r.next_id(); id++) {
    const int node = r.machine().zone(r.record(id).zone).node;
    if (node != op.nid)
      fail_property(r, "props-private-optin-2",
                    fmt::format("`{}` got a page on node {}", print_op(op), node));
  }
}

class props_private : public ConfigMatrix {};

TEST_P(props_private, optin_1) {
  check(Budget{.runs = 75, .max_size = 50}, [cfg = config()] { optin_1(cfg); });
}
BUDDYCHECK_CONFIG_MATRIX(props_private);

TEST(props_private_random, optin_1) {
  check(Budget{.runs = 180, .max_size = 50}, [] { optin_1(*gen_random_config()); });
}

TEST(props_private_node, optin_2) {
  check(Budget{.runs = 120, .max_size = 50}, [] { optin_2(private_config()); });
}

}  // namespace
}  // namespace buddycheck::props
