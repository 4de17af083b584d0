// SPDX-License-Identifier: GPL-2.0-or-later
// Test-only write access to a Machine's internals, to prove every oracle fires. Not
// part of alloc/'s API: the Machine befriends this class and nothing else.
#pragma once

#include "alloc/machine.h"

namespace pagealloc {

class MachineCorruptor {
 public:
  explicit MachineCorruptor(Machine& m) : m_(m) {}
  Page& page(Pfn pfn) { return m_.pg(pfn); }
  // Writing a zone's or a pcp's fields is a zone-wide change: flag it the way the
  // Machine does (TouchLog::zones), so the incremental check looks at the counters.
  Zone& zone(unsigned id) {
    m_.touch_.zones = true;
    return m_.zones_[id];
  }
  PerCpuPages& pcp(unsigned zone, unsigned cpu) {
    m_.touch_.zones = true;
    return m_.pcp_mut(zone, cpu);
  }
  uint8_t& pageblock_bits(Pfn pfn) {
    return m_.pageblock_[(pfn - m_.base_pfn_) >> m_.config_.pageblock_order];
  }
  // List surgery that keeps links consistent (so only the intended rule breaks).
  void list_del(ListHead& l, Pfn pfn) { m_.list_del(l, pfn); }
  void list_add(ListHead& l, Pfn pfn) { m_.list_add(l, pfn); }
  void touch(Pfn pfn) { m_.touch(pfn); }
  DirectMap& direct_map() { return m_.direct_map_; }
  // The Machine owns the zonerefs; its lists are read-only views of them.
  std::span<Zoneref> zonelist(int nid, ZonelistKind kind) {
    const Zonelist zl = m_.nodes_[nid].zonelists[kind];
    return {m_.zonelist_refs_.data() + (zl.data() - m_.zonelist_refs_.data()), zl.size()};
  }
  MachineStats& stats() { return m_.stats_; }

 private:
  Machine& m_;
};

}  // namespace pagealloc
