// SPDX-License-Identifier: GPL-2.0-or-later
// The oracle checks of checks.def that the shadow, reference and liveness tests do not
// reach: each fires with exactly its own ID on a state corrupted on purpose, or on the
// broken function handed to its checker, and stays quiet on the real one. Where only a
// broken allocator can trip a check (a refused free that still changes the machine),
// the test runs against the mutant of properties/mutants (mutant.bad_free_resets_page)
// and asserts the quiet case in the normal build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iterator>
#include <set>
#include <string>
#include <utility>

#include "alloc/machine.h"
#include "drive/runner.h"
#include "oracles/checks.h"
#include "oracles/corrupt.h"
#include "oracles/flags_check.h"
#include "oracles/zonelist_ref.h"

namespace buddycheck {
namespace {

uint64_t bit(CtxField f) { return uint64_t{1} << f; }

std::string id_of(const std::optional<Finding>& f) { return f ? f->id : "no finding"; }

// ---- flag machinery ---------------------------------------------------------------

// check-fires-flags-slowpath: Expect FLAGS-SLOWPATH when gfp_to_alloc_flags() forgets
// ALLOC_CPUSET, and nothing for the real translation.
TEST(checks_fire, flags_slowpath) {
  const TaskContext task{};
  EXPECT_EQ(check_slow_flags(GFP_KERNEL, 0, task, true), std::nullopt);
  auto forgets_cpuset = [](gfp_t gfp, unsigned order, const TaskContext& t, bool grouping) {
    return gfp_to_alloc_flags(gfp, order, t, grouping) & ~unsigned{ALLOC_CPUSET};
  };
  EXPECT_EQ(id_of(check_slow_flags(GFP_KERNEL, 0, task, true, forgets_cpuset)), "FLAGS-SLOWPATH");
}

// check-fires-sanitize-field-verdict: Expect SANITIZE-FIELD-VERDICT from a sanitizer that
// accepts the REJECT field no_watermarks.
TEST(checks_fire, sanitize_field_verdict) {
  const AllocFlags in{bit(CTX_no_watermarks)};
  EXPECT_EQ(check_sanitizer(in, GFP_KERNEL, 0, true), std::nullopt);
  auto accepts_all = [](AllocFlags*, gfp_t, unsigned, bool) { return SanitizeResult{}; };
  EXPECT_EQ(id_of(check_sanitizer(in, GFP_KERNEL, 0, true, accepts_all)), "SANITIZE-FIELD-VERDICT");
}

// check-fires-sanitize-internal-leak: Expect SANITIZE-INTERNAL-LEAK from a sanitizer that
// accepts a struct without clearing its internal cpuset bit (a CLEAR field).
TEST(checks_fire, sanitize_internal_leak) {
  const AllocFlags in{bit(CTX_cpuset)};
  EXPECT_EQ(check_sanitizer(in, GFP_KERNEL, 0, true), std::nullopt);
  auto keeps_bits = [](AllocFlags*, gfp_t, unsigned, bool) { return SanitizeResult{}; };
  EXPECT_EQ(id_of(check_sanitizer(in, GFP_KERNEL, 0, true, keeps_bits)), "SANITIZE-INTERNAL-LEAK");
}

// check-fires-sanitize-idempotent: Expect SANITIZE-IDEMPOTENT from a sanitizer that
// toggles the external cma bit on every call.
TEST(checks_fire, sanitize_idempotent) {
  const AllocFlags in{bit(CTX_cma)};
  EXPECT_EQ(check_sanitizer(in, GFP_HIGHUSER_MOVABLE, 0, true), std::nullopt);
  auto toggles_cma = [](AllocFlags* f, gfp_t gfp, unsigned order, bool grouping) {
    SanitizeResult r = sanitize_alloc_flags(f, gfp, order, grouping);
    f->bits ^= uint64_t{1} << CTX_cma;
    return r;
  };
  EXPECT_EQ(id_of(check_sanitizer(in, GFP_HIGHUSER_MOVABLE, 0, true, toggles_cma)),
            "SANITIZE-IDEMPOTENT");
}

// ---- zonelists ----------------------------------------------------------------------

// check-fires-zonelist-order: Expect ZONELIST-ORDER once node 0's FALLBACK list has its
// first two zonerefs swapped (node 0 before node 1 becomes node 1 first).
TEST(checks_fire, zonelist_order) {
  Machine m(configs::numa(2, 1024, 4, 2));
  ASSERT_EQ(check_zonelists(m), std::nullopt);
  std::span<Zoneref> zl = MachineCorruptor(m).zonelist(0, ZONELIST_FALLBACK);
  ASSERT_GE(zl.size(), 2u);
  std::swap(zl[0], zl[1]);
  EXPECT_EQ(id_of(check_zonelists(m)), "ZONELIST-ORDER");
}

// check-fires-zonelist-order-built: Expect ZONELIST-ORDER from the Machine-free
// overload (the zonelist fuzzer's) once the built node 0 FALLBACK list has its first two
// zonerefs swapped.
TEST(checks_fire, zonelist_order_built) {
  const Config c = configs::numa(2, 1024, 4, 2);
  BuiltZonelists built;
  _build_all_zonelists(numa_topology(c), &built);
  ASSERT_EQ(check_zonelists(c, built), std::nullopt);
  ASSERT_GE(built.list(0, ZONELIST_FALLBACK).size(), 2u);
  std::swap(built.refs[0], built.refs[1]);  // node 0's FALLBACK list comes first
  EXPECT_EQ(id_of(check_zonelists(c, built)), "ZONELIST-ORDER");
}

// check-fires-zonelist-iterate: Expect ZONELIST-ITERATE from a first_zones_zonelist()
// that ignores the nodemask, asked for node 1 only.
TEST(checks_fire, zonelist_iterate) {
  Machine m(configs::numa(2, 1024, 4, 2));
  Nodemask only1;
  only1.set(1);
  EXPECT_EQ(check_first_zones(m, 0, ZONELIST_FALLBACK, 0, ZONE_NORMAL, &only1), std::nullopt);
  auto ignores_mask = [](const Zonelist& zl, size_t from, unsigned highest, const Nodemask*) {
    return Machine::first_zones_zonelist(zl, from, highest, nullptr);
  };
  EXPECT_EQ(id_of(check_first_zones(m, 0, ZONELIST_FALLBACK, 0, ZONE_NORMAL, &only1, ignores_mask)),
            "ZONELIST-ITERATE");
}

// ---- frees judged by the runner -----------------------------------------------------

Op alloc_op(unsigned order) {
  Op op;
  op.kind = OpKind::Alloc;
  op.gfp = GFP_KERNEL;
  op.order = order;
  return op;
}

Op free_op(uint64_t id) {
  Op op;
  op.kind = OpKind::Free;
  op.id = id;
  return op;
}

// check-fires-shadow-free-refused: Expect SHADOW-FREE-REFUSED when a legal free is
// refused: the live allocation's refcount was corrupted to 3, so bad_page() refuses it.
TEST(checks_fire, shadow_free_refused) {
  Runner r(configs::single_zone(1024, 4, 2));
  ASSERT_TRUE(r.step(alloc_op(2)).ok());
  const Pfn pfn = r.record(0).pfn;
  MachineCorruptor(r.machine()).page(pfn).refcount = 3;
  EXPECT_EQ(id_of(r.step(free_op(0)).finding), "SHADOW-FREE-REFUSED");
}

// check-fires-shadow-badfree-accepted: Expect SHADOW-BADFREE-ACCEPTED when the owner
// unmapped its allocation and the machine lost track of it (PG_dm_changed cleared), so
// the free that bad_page() must refuse goes through.
TEST(checks_fire, shadow_badfree_accepted) {
  Runner r(configs::single_zone(1024, 4, 2));
  ASSERT_TRUE(r.step(alloc_op(0)).ok());
  Op unmap;
  unmap.kind = OpKind::DmSet;
  unmap.id = 0;
  unmap.present = false;
  ASSERT_TRUE(r.step(unmap).ok());
  const Pfn pfn = r.record(0).pfn;
  MachineCorruptor(r.machine()).page(pfn).flags &= ~PG_dm_changed;
  EXPECT_EQ(id_of(r.step(free_op(0)).finding), "SHADOW-BADFREE-ACCEPTED");
}

// check-fires-shadow-badfree-changed: Expect a free with the wrong order to be refused
// without a finding, and -- against the mutant whose bad_page() "repairs" the page it
// refuses (mutant.bad_free_resets_page) -- SHADOW-BADFREE-CHANGED.
TEST(checks_fire, shadow_badfree_changed) {
  const char* mutant = std::getenv("BUDDYCHECK_MUTANT");
  const bool against_mutant = mutant && std::string(mutant) == "BAD_FREE_RESETS_PAGE";
  Runner r(configs::single_zone(1024, 4, 2));
  ASSERT_TRUE(r.step(alloc_op(2)).ok());
  Op bad;
  bad.kind = OpKind::BadFree;
  bad.bad = BadFreeKind::wrong_order;
  bad.id = 0;
  const StepResult s = r.step(bad);
  if (against_mutant) EXPECT_EQ(id_of(s.finding), "SHADOW-BADFREE-CHANGED");
  else EXPECT_TRUE(s.ok()) << id_of(s.finding);
}

// ---- the checklist -------------------------------------------------------------------

// Where each check of checks.def is made to fire (this file or the named one).
const char* const kFireTested[] = {
    "SHADOW-ZONE",
    "SHADOW-THISNODE",
    "SHADOW-NODEMASK",
    "SHADOW-CPUSET",
    "SHADOW-CMA",  // shadow_test.cc
    "SHADOW-PRIVATE",
    "SHADOW-UNMAPPED",
    "SHADOW-WATERMARK",
    "SHADOW-HIGHATOMIC",  // shadow_test.cc
    "SHADOW-ORDER",
    "SHADOW-PFMEMALLOC",
    "SHADOW-PAINT",
    "SHADOW-ZERO",
    "SHADOW-REFUSED",           // shadow_test.cc
    "SHADOW-ACCEPTED-INVALID",  // shadow_test.cc
    "REF-OVERLAP",
    "REF-STATE",
    "REF-FREE-COUNT",
    "LIVE-FAIL",  // reference_test.cc
    "SHADOW-FREE-REFUSED",
    "SHADOW-BADFREE-ACCEPTED",
    "SHADOW-BADFREE-CHANGED",  // here
    "FLAGS-SLOWPATH",
    "SANITIZE-IDEMPOTENT",
    "SANITIZE-INTERNAL-LEAK",  // here
    "SANITIZE-FIELD-VERDICT",
    "ZONELIST-ORDER",
    "ZONELIST-ITERATE",  // here
};
// Self-checks of the fuzz harness, not of the allocator: a parser whose printed trace
// does not reparse, a decoder that emits an op the runner rejects. Only a bug in
// drive/trace*.cc or fuzz/decode.cc trips them; the trace and replay tests cover both.
const char* const kHarnessOnly[] = {"TRACE-ROUNDTRIP", "DECODER-INVALID-OP"};

// check-fires-table-1: Expect every check of checks.def to be listed exactly once above.
TEST(checks_fire, every_check_is_listed) {
  std::set<std::string> listed(std::begin(kFireTested), std::end(kFireTested));
  listed.insert(std::begin(kHarnessOnly), std::end(kHarnessOnly));
  ASSERT_EQ(listed.size(), std::size(kFireTested) + std::size(kHarnessOnly))
      << "an ID is listed twice";
  for (unsigned i = 0; i < static_cast<unsigned>(Check::kCount); i++) {
    const std::string id(check_info(static_cast<Check>(i)).id);
    EXPECT_EQ(listed.erase(id), 1u) << id << " has no firing test";
  }
  EXPECT_TRUE(listed.empty()) << "listed but not in checks.def: " << *listed.begin();
}

}  // namespace
}  // namespace buddycheck
