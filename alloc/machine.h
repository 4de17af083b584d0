// SPDX-License-Identifier: GPL-2.0-or-later
// Machine: one instance of the page allocator with its memory map, nodes, zones,
// per-cpu pagesets and backing memory. No globals: two machines never interact.
//
// The public API mirrors the kernel's entry points (alloc_pages, free_pages, the
// frozen and context variants, alloc_pages_bulk, drains, sysctls) and offers read-only
// views for oracles and dumps. Member functions are spread over files named after the
// kernel concept they implement (buddy.cc, fallback.cc, pcp.cc, watermarks.cc,
// zonelist.cc, highatomic.cc, page_alloc.cc, direct_map.cc, dump.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alloc/config.h"
#include "alloc/direct_map.h"
#include "alloc/page.h"
#include "alloc/pcp.h"
#include "alloc/request.h"
#include "alloc/zone.h"
#include "alloc/zonelist.h"

namespace pagealloc {

struct NodeInfo {
  int id = 0;
  uint32_t states = 0;                // bit per NodeState
  Zonelist zonelists[MAX_ZONELISTS];  // views into Machine::zonelist_refs_
  uint8_t fallback_len = 0;
  uint8_t fallback_nodes[kMaxNodes] = {};
  // The node order of the FALLBACK list.
  std::span<const uint8_t> fallback_order() const { return {fallback_nodes, fallback_len}; }
  bool has(NodeState s) const { return states & (1u << s); }
};

// Machine-wide event counters beyond the per-zone ones.
struct MachineStats {
  uint64_t bad_page_reports = 0;
  uint64_t slowpath_entries = 0;
  uint64_t direct_reclaim_calls = 0;
  uint64_t direct_compact_calls = 0;
  uint64_t oom_calls = 0;
  uint64_t drain_all_calls = 0;
  uint64_t kswapd_wakeups = 0;
};

class MachineCorruptor;  // test-only write access (oracles/corrupt.h)

// PFNs whose metadata changed since the last reset (list links, states, pageblock
// bits): what an incremental checker must look at. Bounded; overflow means "look at
// everything".
struct TouchLog {
  // Sized for a pageblock retype or a pcp refill/drain batch on small machines.
  static constexpr unsigned kCapacity = 256;
  Pfn pfns[kCapacity];
  unsigned n = 0;
  bool overflow = false;
  // A zone-wide value changed without touching a PFN (watermarks, lowmem_reserve, pcp
  // sizes or highs, boosts, zone flags): every zone's counters need a look.
  bool zones = false;
  bool sorted = false;  // pfns ascending without repeats (sort_touched())
};

class Machine {
 public:
  // Throws std::invalid_argument with validate_config()'s message on a bad config.
  explicit Machine(Config config);
  // How boot releases memory (free_boot_memory()): each chunk straight onto its list
  // when that is provably what freeing it pageblock by pageblock ends with, or always
  // through free_one_page() as the kernel does (tests compare the two).
  enum class BootFrees : uint8_t { Direct, ThroughFreeOnePage };
  Machine(Config config, BootFrees how);
  // Non-throwing variant: nullptr and *error set on a bad config.
  static std::unique_ptr<Machine> create(const Config& config, std::string* error);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;
  Machine(Machine&&) noexcept;
  Machine& operator=(Machine&&) noexcept;

  // ---- entry points (page_alloc.cc) ----
  AllocResult alloc_pages(const AllocRequest& req);         // __alloc_pages_noprof
  AllocResult alloc_frozen_pages(const AllocRequest& req);  // __alloc_frozen_pages_noprof
  // __alloc_frozen_pages_context_noprof: AFLAGS's context entry point.
  AllocResult alloc_pages_context(const AllocRequest& req, const AllocFlags* aflags);
  BulkResult alloc_pages_bulk(const AllocRequest& req, int nr_pages);
  FreeResult free_pages(Pfn pfn, unsigned order, unsigned cpu = 0);
  FreeResult free_frozen_pages(Pfn pfn, unsigned order, unsigned cpu = 0);
  // What the context entry point would decide for a request, without allocating.
  AllocResult check_request(const AllocRequest& req, const AllocFlags* aflags) const;

  // ---- pcp (pcp.cc) ----
  void drain_local_pages(unsigned cpu, int zone = -1);  // zone -1: every zone
  void drain_all_pages(int zone = -1, bool force_all_cpus = false);
  void decay_pcp_high(unsigned cpu);  // vmstat worker tick for one CPU

  // ---- sysctls (watermarks.cc, pcp.cc) ----
  // Each returns false, changing nothing, for a value the kernel's handler refuses
  // with -EINVAL (proc_dointvec_minmax ranges).
  bool set_min_free_kbytes(unsigned kbytes);         // 0..INT_MAX
  bool set_watermark_scale_factor(unsigned factor);  // 1..3000
  bool set_watermark_boost_factor(unsigned factor);  // 0..INT_MAX
  bool set_lowmem_reserve_ratio(
      const std::array<unsigned, MAX_NR_ZONES>& ratio);       // each <= INT_MAX
  bool set_percpu_pagelist_high_fraction(unsigned fraction);  // 0 or 8..INT_MAX
  // kswapd's balance_pgdat() end: clear the node's watermark boosts.
  void kswapd_balance(int nid);
  unsigned min_free_kbytes() const { return min_free_kbytes_; }
  uint64_t totalreserve_pages() const { return totalreserve_pages_; }

  // ---- direct map (direct_map.cc) ----
  // The owner of an allocated block flips its direct-map presence (set_direct_map_*).
  // Returns false if pfn is not an allocated head of `order`.
  bool owner_set_direct_map(Pfn pfn, unsigned order, bool present);
  const DirectMap& direct_map() const { return direct_map_; }

  Hooks& hooks() { return hooks_; }

  // ---- read-only views ----
  const Config& config() const { return config_; }
  unsigned nr_nodes() const { return static_cast<unsigned>(nodes_.size()); }
  unsigned nr_cpus() const { return nr_cpus_; }
  unsigned nr_zones() const { return static_cast<unsigned>(zones_.size()); }
  const NodeInfo& node(int nid) const { return nodes_[nid]; }
  Nodemask node_states(NodeState s) const { return node_state_masks_[s]; }
  const Zone& zone(unsigned id) const { return zones_[id]; }
  const Zone& node_zone(int nid, ZoneType t) const { return zones_[nid * MAX_NR_ZONES + t]; }
  const PerCpuPages& pcp(unsigned zone, unsigned cpu) const { return pcp_[zone * nr_cpus_ + cpu]; }
  Zonelist zonelist(int nid, ZonelistKind kind) const { return nodes_[nid].zonelists[kind]; }

  Pfn start_pfn() const { return base_pfn_; }  // first PFN of the memmap
  Pfn end_pfn() const { return base_pfn_ + nr_pages_; }
  bool pfn_in_memmap(Pfn pfn) const { return pfn >= base_pfn_ && pfn - base_pfn_ < nr_pages_; }
  const Page& page(Pfn pfn) const { return pages_[pfn - base_pfn_]; }
  Pfn pfn_of_index(uint32_t idx) const { return base_pfn_ + idx; }
  // Zone of a PFN inside some zone span, or -1.
  int page_zone_id(Pfn pfn) const;
  unsigned max_order() const { return config_.max_page_order; }
  unsigned pageblock_order() const { return config_.pageblock_order; }
  uint64_t pageblock_nr_pages() const { return uint64_t{1} << config_.pageblock_order; }
  unsigned get_pageblock_migratetype(Pfn pfn) const {
    return pageblock_[(pfn - base_pfn_) >> config_.pageblock_order] & PB_migrate_mask;
  }
  bool pageblock_unmapped(Pfn pfn) const {
    return pageblock_[(pfn - base_pfn_) >> config_.pageblock_order] & PB_unmapped;
  }
  // The free list a block in this pageblock belongs on (its freetype index, UNMAP).
  unsigned pageblock_freetype_idx(Pfn pfn) const;
  bool pcp_allowed_order(unsigned order) const {
    return order <= PAGE_ALLOC_COSTLY_ORDER || order == config_.pageblock_order;
  }
  unsigned order_to_pindex(unsigned freetype, unsigned order) const;
  unsigned pindex_to_order(unsigned pindex) const;

  // Backing memory of a page (page_bytes bytes; nullptr when page_bytes is 0). A
  // MAX_PAGE_ORDER block's pages are contiguous: chunks hold whole blocks.
  uint8_t* page_data(Pfn pfn) {
    return const_cast<uint8_t*>(static_cast<const Machine*>(this)->page_data(pfn));
  }
  const uint8_t* page_data(Pfn pfn) const {
    if (data_.empty()) return nullptr;
    const uint64_t i = pfn - base_pfn_;
    const uint64_t in_chunk = i & ((uint64_t{1} << data_chunk_order_) - 1);
    return data_[i >> data_chunk_order_] + in_chunk * config_.page_bytes;
  }

  const MachineStats& stats() const { return stats_; }
  // Bumped by every state change; equal generations mean an identical machine.
  uint64_t generation() const { return gen_; }
  const TouchLog& touched() const { return touch_; }
  void reset_touched() {
    touch_.n = 0;
    touch_.overflow = false;
    touch_.zones = false;
    touch_.sorted = false;
  }
  // Sorts the log's PFNs and drops repeats, once for every checker that reads it.
  void sort_touched();

  // /proc formats (dump.cc).
  std::string buddyinfo() const;
  std::string pagetypeinfo() const;
  std::string zoneinfo() const;

 private:
  friend class MachineCorruptor;
  struct AllocContext;

  // machine.cc
  void init_memmap();
  size_t data_chunk_bytes(size_t chunk) const;
  void free_page_data();
  void init_zones(const NumaTopology& topology);
  void free_boot_memory(BootFrees how);
  bool boot_chunk_direct(Zone& z, Pfn pfn, unsigned order);
  Page& pg(Pfn pfn) { return pages_[pfn - base_pfn_]; }
  uint32_t idx(Pfn pfn) const { return static_cast<uint32_t>(pfn - base_pfn_); }
  void list_add(ListHead& l, Pfn pfn);
  void list_add_tail(ListHead& l, Pfn pfn);
  void list_del(ListHead& l, Pfn pfn);
  Pfn list_first(const ListHead& l) const { return l.head == kNil ? kNoPfn : base_pfn_ + l.head; }
  Pfn list_last(const ListHead& l) const { return l.tail == kNil ? kNoPfn : base_pfn_ + l.tail; }
  void set_pageblock_migratetype(Pfn pfn, unsigned mt);
  void set_pageblock_unmapped(Pfn pfn, bool unmapped);
  Zone& zone_of(Pfn pfn) { return zones_[page_zone_id(pfn)]; }
  PerCpuPages& pcp_mut(unsigned zone, unsigned cpu) { return pcp_[zone * nr_cpus_ + cpu]; }

  // buddy.cc
  void account_freepages(Zone& z, int64_t nr, unsigned ft);
  void _add_to_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft, bool tail);
  void move_to_free_list(Pfn pfn, Zone& z, unsigned order, unsigned old_ft, unsigned new_ft);
  void _del_page_from_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft);
  void del_page_from_free_list(Pfn pfn, Zone& z, unsigned order, unsigned ft);
  bool page_is_buddy(Pfn buddy, const Zone& z, unsigned order) const;
  bool buddy_merge_likely(Pfn pfn, Pfn buddy_pfn, const Zone& z, unsigned order) const;
  void change_pageblock_range(Pfn pfn, unsigned start_order, unsigned mt);
  void _free_one_page(Pfn pfn, Zone& z, unsigned order, unsigned ft, bool to_tail);
  void split_large_buddy(Zone& z, Pfn pfn, unsigned order, bool to_tail);
  void free_one_page(Zone& z, Pfn pfn, unsigned order, bool to_tail);
  unsigned expand(Zone& z, Pfn pfn, unsigned low, unsigned high, unsigned ft);
  void page_del_and_expand(Zone& z, Pfn pfn, unsigned low, unsigned high, unsigned ft);
  Pfn _rmqueue_smallest(Zone& z, unsigned order, unsigned ft);
  bool prep_move_freepages_block(Zone& z, Pfn pfn, Pfn* start, int* num_free, int* num_movable);
  int _move_freepages_block(Zone& z, Pfn start, unsigned old_ft, unsigned new_mt);
  int move_freepages_block(Zone& z, Pfn pfn, unsigned old_mt, unsigned new_mt);

  // fallback.cc
  bool boost_watermark(Zone& z);
  Pfn try_to_claim_block(Zone& z, Pfn page, unsigned current_order, unsigned order,
                         unsigned start_type, unsigned block_type, unsigned alloc_flags);
  int find_suitable_fallback(const Zone& z, unsigned order, unsigned start_ft,
                             bool* can_claim) const;
  Pfn _rmqueue_claim(Zone& z, unsigned order, unsigned start_ft, unsigned alloc_flags);
  Pfn _rmqueue_steal(Zone& z, unsigned order, unsigned start_ft);
  enum class RmqueueMode : uint8_t { NORMAL, CMA, CLAIM, STEAL };
  Pfn _rmqueue(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags, RmqueueMode* mode);
  Pfn rmqueue_buddy(Zone& z, unsigned order, unsigned alloc_flags, unsigned ft);

  // highatomic.cc
  void reserve_highatomic_pageblock(Pfn pfn, unsigned order, Zone& z);
  bool unreserve_highatomic_pageblock(const AllocContext& ac, bool force);

  // watermarks.cc
  void calculate_min_free_kbytes();
  void setup_per_zone_wmarks();
  void setup_per_zone_lowmem_reserve();
  void calculate_totalreserve_pages();
  uint64_t nr_free_buffer_pages() const;

 public:
  // watermark predicates, exposed for oracles (watermarks.cc)
  int64_t _zone_watermark_unusable_free(const Zone& z, unsigned order, unsigned alloc_flags) const;
  bool _zone_watermark_ok(const Zone& z, unsigned order, uint64_t mark, unsigned highest_zoneidx,
                          unsigned alloc_flags, int64_t free_pages) const;
  bool zone_watermark_ok(const Zone& z, unsigned order, uint64_t mark, unsigned highest_zoneidx,
                         unsigned alloc_flags) const {
    return _zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, z.nr_free_pages);
  }
  bool zone_watermark_fast(const Zone& z, unsigned order, uint64_t mark, unsigned highest_zoneidx,
                           unsigned alloc_flags) const;
  // numa_zone_alloc_allowed() (PRIV patch 03) + cpuset_zone_allowed().
  bool zone_alloc_allowed(const Zone& z, gfp_t gfp, unsigned alloc_flags,
                          const TaskContext& task) const;
  // alloc_flags_nofragment() for a preferred zone.
  unsigned alloc_flags_nofragment(const Zone* preferred, gfp_t gfp) const;

 private:
  // pcp.cc
  int zone_batchsize(const Zone& z) const;
  int zone_highsize(const Zone& z, int batch, int cpu_online, unsigned high_fraction) const;
  void zone_set_pageset_high_and_batch(Zone& z, int cpu_online);
  int nr_pcp_alloc(PerCpuPages& pcp, const Zone& z, unsigned order);
  int rmqueue_bulk(Zone& z, unsigned order, int count, ListHead& list, unsigned ft,
                   unsigned alloc_flags, unsigned cpu, unsigned pindex);
  Pfn _rmqueue_pcplist(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags, PerCpuPages& pcp,
                       unsigned pindex, unsigned cpu);
  Pfn rmqueue_pcplist(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags, unsigned cpu);
  int nr_pcp_free(const PerCpuPages& pcp, int batch, int high, bool free_high) const;
  int nr_pcp_high(PerCpuPages& pcp, const Zone& z, int batch, bool free_high);
  void free_unref_page_commit(Zone& z, PerCpuPages& pcp, Pfn pfn, unsigned ft, unsigned order,
                              unsigned cpu);
  void free_pcppages_bulk(Zone& z, int count, PerCpuPages& pcp, int pindex);
  void drain_pages_zone(unsigned cpu, Zone& z);
  void free_unref_page(Pfn pfn, unsigned order, unsigned cpu);

  // zonelist.cc
  void build_all_zonelists(
      const NumaTopology& topology);  // copies pagealloc::_build_all_zonelists()

 public:
  // first_zones_zonelist(): index of the first zoneref with zone_idx <= highest and node
  // in nodemask (nodemask nullptr: any); zl.size() when none.
  static size_t first_zones_zonelist(const Zonelist& zl, size_t from, unsigned highest_zoneidx,
                                     const Nodemask* nodemask);

 private:
  // page_alloc.cc
  AllocResult alloc_common(const AllocRequest& req, const AllocFlags* aflags, bool frozen);
  bool validate_request(const AllocRequest& req, const AllocFlags* aflags, AllocFlags* sanitized,
                        AllocResult* r) const;
  bool prepare_alloc_pages(gfp_t gfp, unsigned order, int preferred_nid, const Nodemask* nodemask,
                           AllocContext* ac, gfp_t* alloc_gfp, unsigned* alloc_flags);
  Pfn get_page_from_freelist(gfp_t gfp, unsigned order, unsigned alloc_flags,
                             const AllocContext& ac, AllocResult* out);
  Pfn rmqueue(Zone& preferred, Zone& z, unsigned order, gfp_t gfp, unsigned alloc_flags,
              unsigned ft, unsigned cpu, bool* from_pcp);
  void prep_new_page(Pfn pfn, unsigned order, gfp_t gfp, unsigned alloc_flags, bool frozen);
  Pfn _alloc_pages_slowpath(gfp_t gfp, unsigned order, AllocContext& ac, AllocResult* out);
  Pfn _alloc_pages_cpuset_fallback(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                   const AllocContext& ac, AllocResult* out);
  Pfn _alloc_pages_may_oom(gfp_t gfp, unsigned order, const AllocContext& ac,
                           uint64_t* did_some_progress, AllocResult* out);
  Pfn _alloc_pages_direct_reclaim(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                  const AllocContext& ac, uint64_t* did_some_progress,
                                  AllocResult* out);
  Pfn _alloc_pages_direct_compact(gfp_t gfp, unsigned order, unsigned alloc_flags,
                                  const AllocContext& ac, CompactResult* result, AllocResult* out);
  bool should_reclaim_retry(gfp_t gfp, unsigned order, const AllocContext& ac, unsigned alloc_flags,
                            bool did_some_progress, int* no_progress_loops);
  FreeResult free_common(Pfn pfn, unsigned order, unsigned cpu, bool frozen);
  void free_pages_prepare(Pfn pfn, unsigned order);
  ReclaimContext reclaim_context(gfp_t gfp, unsigned order, const AllocContext& ac) const;

  // direct_map.cc
  Pfn _rmqueue_direct_map(Zone& z, unsigned order, unsigned ft, unsigned alloc_flags);
  bool flip_direct_map(Zone& z, Pfn start, unsigned order, bool unmap);

  void bump() { gen_++; }
  // A state change not tied to a PFN (see TouchLog::zones).
  void bump_zones() {
    gen_++;
    touch_.zones = true;
  }
  void touch(Pfn pfn) {
    // A page is touched several times in a row (list_del, state, list_add; a buddy
    // pair while merging): one entry each keeps the log short and rarely overflowing.
    const unsigned n = touch_.n;
    if ((n && touch_.pfns[n - 1] == pfn) || (n > 1 && touch_.pfns[n - 2] == pfn)) return;
    if (n < TouchLog::kCapacity) touch_.pfns[touch_.n++] = pfn;
    else touch_.overflow = true;
    touch_.sorted = false;
  }

  Config config_;
  Pfn base_pfn_ = 0;
  uint64_t nr_pages_ = 0;
  Page* pages_ = nullptr;               // calloc'ed memmap
  uint8_t* pageblock_ = nullptr;        // pageblock bits, after pageblock_zone_ in its allocation
  uint16_t* pageblock_zone_ = nullptr;  // zone id of each pageblock's first zone PFN
  // Backing memory, page_bytes per page, in chunks of 2^data_chunk_order_ pages (the
  // last one shorter): see init_memmap().
  std::vector<uint8_t*> data_;
  unsigned data_chunk_order_ = 0;
  unsigned nr_cpus_ = 1;
  std::vector<NodeInfo> nodes_;
  std::vector<Zoneref> zonelist_refs_;  // every node's zonelists, back to back
  Nodemask node_state_masks_[NR_NODE_STATES];
  std::vector<Zone> zones_;
  std::vector<PerCpuPages> pcp_;
  DirectMap direct_map_;
  Hooks hooks_;
  MachineStats stats_;
  unsigned min_free_kbytes_ = 0;
  unsigned user_min_free_kbytes_ = 0;
  uint64_t totalreserve_pages_ = 0;
  uint64_t gen_ = 0;
  TouchLog touch_;
};

}  // namespace pagealloc
