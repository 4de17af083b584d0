// SPDX-License-Identifier: GPL-2.0-or-later
// A brute-force build of the zonelists from the kernel's rules (build_zonelists(),
// find_next_best_node(), build_zonerefs_node() in mm/page_alloc.c, and PRIV v4 04/27's
// private-node rules), kept apart
// from alloc/zonelist.cc so the two can be compared (zonelist fuzzer, properties).
// The reference reads plain facts (present pages, private flags, CPUs, distances) from
// a Machine's zones or straight from a Config, never alloc's numa_topology().
#pragma once

#include <optional>

#include "alloc/machine.h"
#include "alloc/zonelist.h"
#include "oracles/finding.h"

namespace buddycheck {

using namespace pagealloc;

// The zonelist every node should have, computed from the machine's zones and config.
std::vector<Zoneref> spec_zonelist(const Machine& m, int nid, ZonelistKind kind);

// ZONELIST-ORDER: every node's FALLBACK and NOFALLBACK list equals spec_zonelist().
std::optional<Finding> check_zonelists(const Machine& m);
// The same for lists built without a Machine from a valid config (the zonelist
// fuzzer: _build_all_zonelists(numa_topology(c))); zone ids are Zone::id's numbering.
std::optional<Finding> check_zonelists(const Config& c, const BuiltZonelists& built);

// The iterator under test as a function, so tests can hand the checker a broken one.
using FirstZonesFn = size_t (*)(const Zonelist&, size_t, unsigned, const Nodemask*);

// ZONELIST-ITERATE: Machine::first_zones_zonelist(zl, from, h, mask) against a
// straightforward scan of the node's zonelist.
std::optional<Finding> check_first_zones(const Machine& m, int nid, ZonelistKind kind, size_t from,
                                         unsigned highest_zoneidx, const Nodemask* nodemask,
                                         FirstZonesFn first_zones = &Machine::first_zones_zonelist);
// The same over a given list: `zl` is node nid's `kind` list (named in the finding).
std::optional<Finding> check_first_zones(const Zonelist& zl, int nid, ZonelistKind kind,
                                         size_t from, unsigned highest_zoneidx,
                                         const Nodemask* nodemask,
                                         FirstZonesFn first_zones = &Machine::first_zones_zonelist);

}  // namespace buddycheck
