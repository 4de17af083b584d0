// SPDX-License-Identifier: GPL-2.0-or-later
// Machine construction: the memmap, zones and node states a boot would set up, the
// boot-time release of memory to the buddy allocator (memblock_free_all), CMA
// pageblocks (init_cma_reserved_pageblock), zonelists, watermarks and pcp sizes.
#include "alloc/machine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <stdexcept>
#include <utility>

#include "alloc/kasan.h"

namespace pagealloc {

const char* zone_name(ZoneType t) {
  static const char* const names[] = {"DMA", "DMA32", "Normal", "Movable"};
  return t < MAX_NR_ZONES ? names[t] : "?";
}

const char* migratetype_name(unsigned mt) {
  static const char* const names[] = {"Unmovable",  "Movable", "Reclaimable",
                                      "HighAtomic", "CMA",     "Isolate"};
  return mt < MIGRATE_TYPES ? names[mt] : "?";
}

const char* freetype_name(unsigned idx) {
  return idx == FREETYPE_UNMAPPED_IDX ? "Unmapped" : migratetype_name(idx);
}

const char* node_state_name(unsigned s) {
  static const char* const names[] = {"memory", "cpu", "initiator", "private"};
  return s < NR_NODE_STATES ? names[s] : "?";
}

const char* page_state_name(PageState s) {
  switch (s) {
    case PageState::Tail:
      return "tail";
    case PageState::Buddy:
      return "buddy";
    case PageState::Pcp:
      return "pcp";
    case PageState::Allocated:
      return "allocated";
    case PageState::Reserved:
      return "reserved";
    case PageState::Absent:
      return "absent";
  }
  return "?";
}

namespace {
template <typename T>
T* zalloc(uint64_t n) {
  // calloc: large requests come from fresh zero pages mapped lazily, so untouched
  // metadata costs nothing at construction.
  void* p = std::calloc(n ? n : 1, sizeof(T));
  if (!p) throw std::bad_alloc();
  return static_cast<T*>(p);
}
}  // namespace

Machine::Machine(Config config) : Machine(std::move(config), BootFrees::Direct) {}

Machine::Machine(Config config, BootFrees how) : config_(std::move(config)) {
  if (std::string err = validate_config(config_); !err.empty()) throw std::invalid_argument(err);
  nr_cpus_ = config_.nr_cpus();
  init_memmap();
  const NumaTopology topology = numa_topology(config_);
  init_zones(topology);
  build_all_zonelists(topology);
  free_boot_memory(how);
  direct_map_.init(base_pfn_, nr_pages_, config_.direct_map_level);
  // init_per_zone_wmark_min(): boot computes min_free_kbytes, a configured value is
  // the sysctl written right after boot.
  calculate_min_free_kbytes();
  if (config_.min_free_kbytes) {
    min_free_kbytes_ = *config_.min_free_kbytes;
    user_min_free_kbytes_ = min_free_kbytes_;
  }
  setup_per_zone_wmarks();
  setup_per_zone_lowmem_reserve();
  gen_ = 1;
  reset_touched();
}

void Machine::sort_touched() {
  std::sort(touch_.pfns, touch_.pfns + touch_.n);
  touch_.n = static_cast<unsigned>(std::unique(touch_.pfns, touch_.pfns + touch_.n) - touch_.pfns);
  touch_.sorted = true;
}

std::unique_ptr<Machine> Machine::create(const Config& config, std::string* error) {
  std::string err = validate_config(config);
  if (!err.empty()) {
    if (error) *error = err;
    return nullptr;
  }
  return std::make_unique<Machine>(config);
}

Machine::~Machine() {
  free_page_data();
  std::free(pages_);
  std::free(pageblock_zone_);
}

size_t Machine::data_chunk_bytes(size_t chunk) const {
  const uint64_t first = uint64_t{chunk} << data_chunk_order_;
  return std::min(uint64_t{1} << data_chunk_order_, nr_pages_ - first) * config_.page_bytes;
}

void Machine::free_page_data() {
  // No unpoisoning first: free() re-poisons a chunk's shadow as freed memory anyway.
  for (uint8_t* chunk : data_) std::free(chunk);
  data_.clear();
}

Machine::Machine(Machine&& o) noexcept { *this = std::move(o); }

Machine& Machine::operator=(Machine&& o) noexcept {
  if (this == &o) return *this;
  free_page_data();
  std::free(pages_);
  std::free(pageblock_zone_);
  config_ = std::move(o.config_);
  base_pfn_ = o.base_pfn_;
  nr_pages_ = o.nr_pages_;
  pages_ = std::exchange(o.pages_, nullptr);
  pageblock_ = std::exchange(o.pageblock_, nullptr);
  pageblock_zone_ = std::exchange(o.pageblock_zone_, nullptr);
  data_ = std::move(o.data_);
  o.data_.clear();
  data_chunk_order_ = o.data_chunk_order_;
  nr_cpus_ = o.nr_cpus_;
  nodes_ = std::move(o.nodes_);  // its zonelists view zonelist_refs_' storage
  zonelist_refs_ = std::move(o.zonelist_refs_);
  std::copy(std::begin(o.node_state_masks_), std::end(o.node_state_masks_), node_state_masks_);
  zones_ = std::move(o.zones_);
  pcp_ = std::move(o.pcp_);
  direct_map_ = std::move(o.direct_map_);
  hooks_ = std::move(o.hooks_);
  stats_ = o.stats_;
  min_free_kbytes_ = o.min_free_kbytes_;
  user_min_free_kbytes_ = o.user_min_free_kbytes_;
  totalreserve_pages_ = o.totalreserve_pages_;
  gen_ = o.gen_;
  touch_ = o.touch_;
  o.nr_pages_ = 0;
  return *this;
}

void Machine::init_memmap() {
  Pfn lo = ~Pfn{0}, hi = 0;
  for (const NodeConfig& n : config_.nodes)
    for (const ZoneConfig& z : n.zones)
      if (z.pages) lo = std::min(lo, z.start_pfn), hi = std::max(hi, z.start_pfn + z.pages);
  // Cover whole MAX_PAGE_ORDER blocks so every buddy lookup stays inside the memmap.
  Pfn mask = (Pfn{1} << config_.max_page_order) - 1;
  base_pfn_ = lo & ~mask;
  nr_pages_ = ((hi + mask) & ~mask) - base_pfn_;
  pages_ = zalloc<Page>(nr_pages_);
  uint64_t nr_blocks = nr_pages_ >> config_.pageblock_order;
  // Both per-pageblock arrays in one allocation (pageblock_zone_ owns it).
  pageblock_zone_ =
      reinterpret_cast<uint16_t*>(zalloc<uint8_t>(nr_blocks * (sizeof(uint16_t) + 1)));
  pageblock_ = reinterpret_cast<uint8_t*>(pageblock_zone_ + nr_blocks);
  if (config_.page_bytes) {
    // Page contents are garbage until allocated (zeroed only for __GFP_ZERO, read only
    // after painting), so the backing needs no zeroing: plain malloc, no memset.
    // Chunks of whole MAX_PAGE_ORDER blocks, up to 64 KiB where blocks allow: ASan's
    // allocator recycles those, while a larger malloc is a fresh mmap whose pages fault
    // in again on every fuzz input.
    unsigned order = config_.max_page_order;
    while (order < 63 && (uint64_t{2} << order) <= nr_pages_ &&
           (uint64_t{2} << order) * config_.page_bytes <= 65536)
      order++;
    data_chunk_order_ = order;
    const size_t chunks = static_cast<size_t>((nr_pages_ + (uint64_t{1} << order) - 1) >> order);
    data_.reserve(chunks);
    for (size_t c = 0; c < chunks; c++) {
      auto* chunk = static_cast<uint8_t*>(std::malloc(data_chunk_bytes(c)));
      if (!chunk) throw std::bad_alloc();
      data_.push_back(chunk);
      kasan::poison(chunk, data_chunk_bytes(c));
    }
  }
}

void Machine::init_zones(const NumaTopology& topology) {
  const size_t nn = config_.nodes.size();
  nodes_.resize(nn);
  zones_.resize(nn * MAX_NR_ZONES);
  pcp_.assign(zones_.size() * nr_cpus_, PerCpuPages{});
  const Pfn pb_mask = pageblock_nr_pages() - 1;

  // PFNs of the memmap outside every zone are holes; pageblocks start as straddling
  // until a zone claims them whole.
  // Boot scratch lives on the stack while it fits: every fuzz input boots a machine.
  std::array<std::byte, 64 * sizeof(PfnRange)> scratch;
  std::pmr::monotonic_buffer_resource arena(scratch.data(), scratch.size());
  std::pmr::vector<PfnRange> spans(&arena);
  spans.reserve(nn * MAX_NR_ZONES);
  for (size_t n = 0; n < nn; n++) {
    NodeInfo& ni = nodes_[n];
    ni.id = static_cast<int>(n);
    for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
      Zone& z = zones_[n * MAX_NR_ZONES + t];
      z.id = zone_id_of(static_cast<int>(n), t);
      z.node = static_cast<int>(n);
      z.type = static_cast<ZoneType>(t);
    }
    for (const ZoneConfig& zc : config_.nodes[n].zones) {
      Zone& z = zones_[n * MAX_NR_ZONES + zc.type];
      if (!zc.pages) continue;
      z.zone_start_pfn = zc.start_pfn;
      z.spanned_pages = zc.pages;
      uint64_t holes = 0, reserved = 0;
      for (const PfnRange& r : zc.holes) {
        holes += r.size();
        for (Pfn p = r.start; p < r.end; p++) pg(p).state = PageState::Absent;
      }
      for (const PfnRange& r : zc.reserved) {
        reserved += r.size();
        for (Pfn p = r.start; p < r.end; p++) pg(p).state = PageState::Reserved;
      }
      z.present_pages = zc.pages - holes;
      z.managed_pages = z.present_pages - reserved;
      spans.push_back(zc.span());
      // memmap_init_range(): every pageblock of the zone starts MIGRATE_MOVABLE.
      for (Pfn p = zc.start_pfn & ~pb_mask; p < zc.start_pfn + zc.pages; p += pb_mask + 1) {
        uint64_t b = (p - base_pfn_) >> config_.pageblock_order;
        Pfn bend = p + pb_mask + 1;
        bool whole = p >= zc.start_pfn && bend <= zc.start_pfn + zc.pages;
        if (pageblock_[b] == 0) {  // unclaimed: MIGRATE_MOVABLE is non-zero once set
          pageblock_zone_[b] = z.id;
          pageblock_[b] = MIGRATE_MOVABLE | (whole ? 0 : PB_straddle);
        } else {
          pageblock_[b] |= PB_straddle;  // a second zone shares this block
        }
      }
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const PfnRange& a, const PfnRange& b) { return a.start < b.start; });
  Pfn cursor = base_pfn_;
  for (const PfnRange& s : spans) {
    for (Pfn p = cursor; p < s.start; p++) pg(p).state = PageState::Absent;
    cursor = s.end;
  }
  for (Pfn p = cursor; p < base_pfn_ + nr_pages_; p++) pg(p).state = PageState::Absent;

  for (size_t i = 0; i < config_.cma.size(); i++)
    for (Pfn p = config_.cma[i].start; p < config_.cma[i].end; p += pb_mask + 1)
      set_pageblock_migratetype(p, MIGRATE_CMA);

  // Node states (check_for_memory() at boot) from the topology the zonelists are built
  // from, so the two can never disagree.
  for (unsigned s = 0; s < NR_NODE_STATES; s++) {
    node_state_masks_[s] = topology.node_states[s];
    for (size_t n = 0; n < nn; n++)
      if (topology.has(static_cast<int>(n), static_cast<NodeState>(s))) nodes_[n].states |= 1u << s;
  }
}

// A boot chunk (greedy: the largest aligned block that fits) whose pageblocks share
// one type merges back into itself when split_large_buddy() frees it pageblock by
// pageblock, and its own buddy is not free (else greedy would have taken the parent):
// __free_one_page() ends with the chunk at the tail of its list, which this does in one
// step. Both conditions are checked, not assumed; false leaves the chunk to the caller.
bool Machine::boot_chunk_direct(Zone& z, Pfn pfn, unsigned order) {
  const unsigned ft = pageblock_freetype_idx(pfn);
  const Pfn pb = pageblock_nr_pages();
  for (Pfn q = pfn + pb; q < pfn + (Pfn{1} << order); q += pb)
    if (pageblock_freetype_idx(q) != ft) return false;
  if (order < config_.max_page_order && page_is_buddy(pfn ^ (Pfn{1} << order), z, order))
    return false;
  account_freepages(z, int64_t{1} << order, ft);
  _add_to_free_list(pfn, z, order, ft, /*tail=*/true);
  z.events.pgfree += uint64_t{1} << order;
  return true;
}

void Machine::free_boot_memory(BootFrees how) {
  // memblock_free_all() -> __free_pages_memory(): each free range goes out in the
  // largest naturally aligned chunks, to the tail of the lists (FPI_TO_TAIL), in
  // ascending PFN order. The model frees per zone so no chunk crosses a zone, and works
  // from the configured ranges so untouched tail pages stay untouched.
  const Pfn pb = pageblock_nr_pages();
  for (size_t n = 0; n < config_.nodes.size(); n++) {
    for (const ZoneConfig& zc : config_.nodes[n].zones) {
      if (!zc.pages) continue;
      Zone& z = zones_[n * MAX_NR_ZONES + zc.type];
      std::array<std::byte, 32 * sizeof(PfnRange)> scratch;
      std::pmr::monotonic_buffer_resource arena(scratch.data(), scratch.size());
      std::pmr::vector<PfnRange> skip(zc.holes.begin(), zc.holes.end(), &arena);
      skip.reserve(zc.holes.size() + zc.reserved.size() + config_.cma.size() + 1);
      skip.insert(skip.end(), zc.reserved.begin(), zc.reserved.end());
      for (const PfnRange& r : config_.cma)
        if (r.overlaps(zc.span())) skip.push_back(r);
      std::sort(skip.begin(), skip.end(),
                [](const PfnRange& a, const PfnRange& b) { return a.start < b.start; });
      Pfn cursor = zc.start_pfn;
      skip.push_back({zc.start_pfn + zc.pages, zc.start_pfn + zc.pages});
      for (const PfnRange& s : skip) {
        for (Pfn p = cursor; p < s.start;) {
          unsigned order = p ? std::min<unsigned>(config_.max_page_order, std::countr_zero(p))
                             : config_.max_page_order;
          while (p + (Pfn{1} << order) > s.start) order--;
          if (how == BootFrees::ThroughFreeOnePage || !boot_chunk_direct(z, p, order))
            free_one_page(z, p, order, /*to_tail=*/true);
          p += Pfn{1} << order;
        }
        cursor = std::max(cursor, s.end);
      }
    }
  }
  // cma_init_reserved_areas() -> init_cma_reserved_pageblock(): each CMA pageblock is
  // released as one pageblock-order block of type CMA.
  for (const PfnRange& r : config_.cma)
    for (Pfn p = r.start; p < r.end; p += pb) {
      Zone& z = zone_of(p);
      z.cma_pages += pb;
      free_one_page(z, p, config_.pageblock_order, /*to_tail=*/false);
    }
}

int Machine::page_zone_id(Pfn pfn) const {
  if (!pfn_in_memmap(pfn)) return -1;
  uint64_t b = (pfn - base_pfn_) >> config_.pageblock_order;
  if (!(pageblock_[b] & PB_straddle)) return pageblock_zone_[b];
  for (const Zone& z : zones_)
    if (z.spanned_pages && z.spans(pfn)) return z.id;
  return -1;
}

unsigned Machine::pageblock_freetype_idx(Pfn pfn) const {
  uint8_t bits = pageblock_[(pfn - base_pfn_) >> config_.pageblock_order];
  if (bits & PB_unmapped) return FREETYPE_UNMAPPED_IDX;
  return bits & PB_migrate_mask;
}

void Machine::set_pageblock_migratetype(Pfn pfn, unsigned mt) {
  uint8_t& bits = pageblock_[(pfn - base_pfn_) >> config_.pageblock_order];
  bits = static_cast<uint8_t>((bits & ~PB_migrate_mask) | mt);
  touch(pfn);
  bump();
}

void Machine::set_pageblock_unmapped(Pfn pfn, bool unmapped) {
  uint8_t& bits = pageblock_[(pfn - base_pfn_) >> config_.pageblock_order];
  bits = static_cast<uint8_t>(unmapped ? (bits | PB_unmapped) : (bits & ~PB_unmapped));
  touch(pfn);
  bump();
}

void Machine::list_add(ListHead& l, Pfn pfn) {
  uint32_t i = idx(pfn);
  Page& p = pages_[i];
  p.prev = kNil;
  p.next = l.head;
  if (l.head != kNil) pages_[l.head].prev = i;
  else l.tail = i;
  l.head = i;
  l.count++;
  touch(pfn);
  bump();
}

void Machine::list_add_tail(ListHead& l, Pfn pfn) {
  uint32_t i = idx(pfn);
  Page& p = pages_[i];
  p.next = kNil;
  p.prev = l.tail;
  if (l.tail != kNil) pages_[l.tail].next = i;
  else l.head = i;
  l.tail = i;
  l.count++;
  touch(pfn);
  bump();
}

void Machine::list_del(ListHead& l, Pfn pfn) {
  uint32_t i = idx(pfn);
  Page& p = pages_[i];
  if (p.prev != kNil) pages_[p.prev].next = p.next;
  else l.head = p.next;
  if (p.next != kNil) pages_[p.next].prev = p.prev;
  else l.tail = p.prev;
  p.next = p.prev = 0;
  l.count--;
  touch(pfn);
  bump();
}

unsigned Machine::order_to_pindex(unsigned ft, unsigned order) const {
  // order_to_pindex(): the THP order gets its own pair of lists; the unmapped bank
  // follows the mapped lists.
  if (ft == FREETYPE_UNMAPPED_IDX)
    return order <= PAGE_ALLOC_COSTLY_ORDER ? NR_PCP_LISTS_MAPPED + order : NR_PCP_THP_UNMAPPED;
  if (order > PAGE_ALLOC_COSTLY_ORDER)
    return MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1) + (ft == MIGRATE_MOVABLE);
  return MIGRATE_PCPTYPES * order + ft;
}

unsigned Machine::pindex_to_order(unsigned pindex) const {
  if (pindex >= NR_PCP_LISTS_MAPPED)
    return pindex == NR_PCP_THP_UNMAPPED ? config_.pageblock_order : pindex - NR_PCP_LISTS_MAPPED;
  if (pindex >= MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1)) return config_.pageblock_order;
  return pindex / MIGRATE_PCPTYPES;
}

}  // namespace pagealloc
