// SPDX-License-Identifier: GPL-2.0-or-later
// Freeing: free_pages / free_frozen_pages, free_pages_prepare(), and the bad_page()
// reports for frees the kernel would refuse (free_page_is_bad()). A refused free leaves the
// machine exactly as it was: the page is neither freed nor reused.
#include <fmt/format.h>

#include "alloc/kasan.h"
#include "alloc/machine.h"

namespace pagealloc {

const char* free_error_name(FreeError e) {
  switch (e) {
    case FreeError::None:
      return "none";
    case FreeError::OutOfRange:
      return "pfn-out-of-range";
    case FreeError::Absent:
      return "pfn-is-a-hole";
    case FreeError::Reserved:
      return "page-reserved";
    case FreeError::NotAllocated:
      return "double-free";
    case FreeError::OnPcp:
      return "double-free-pcp";
    case FreeError::TailPage:
      return "not-a-head";
    case FreeError::WrongOrder:
      return "wrong-order";
    case FreeError::Refcount:
      return "refcount";
    case FreeError::DirectMapNotRestored:
      return "direct-map-not-restored";
  }
  return "?";
}

namespace {

const char* reason_text(FreeError e) {
  switch (e) {
    case FreeError::OutOfRange:
      return "pfn outside the memmap (pfn_valid fails)";
    case FreeError::Absent:
      return "pfn is a hole (no struct page)";
    case FreeError::Reserved:
      return "PageReserved: page was never handed out";
    case FreeError::NotAllocated:
      return "page is already free in the buddy allocator (PageBuddy)";
    case FreeError::OnPcp:
      return "page is already free on a per-cpu list";
    case FreeError::TailPage:
      return "not the head of an allocation";
    case FreeError::WrongOrder:
      return "order does not match the allocation (compound order mismatch)";
    case FreeError::Refcount:
      return "nonzero _refcount";
    case FreeError::DirectMapNotRestored:
      return "direct map changed by the owner and not restored";
    default:
      return "";
  }
}

}  // namespace

// bad_page(): "BUG: Bad page state" with the page's state and why it was dumped.
// Formatted into one buffer: a fuzz input makes a few refused frees, and each string
// is a malloc under ASan. Out of line: free_common()'s frame stays small.
[[gnu::noinline, gnu::cold]] static std::string bad_page_report(const Machine& m, Pfn pfn,
                                                                unsigned order, bool frozen,
                                                                FreeError e, unsigned cpu) {
  fmt::memory_buffer out;
  auto put = std::back_inserter(out);
  fmt::format_to(put, "BUG: Bad page state: {}({:#x}, order {})\n",
                 frozen ? "free_frozen_pages" : "free_pages", pfn, order);
  if (m.pfn_in_memmap(pfn)) {
    const Page& p = m.page(pfn);
    int zid = m.page_zone_id(pfn);
    fmt::format_to(put, "page: pfn:{:#x} state:{} order:{} refcount:{} ", pfn,
                   page_state_name(p.state), p.order, p.refcount);
    if (zid < 0) fmt::format_to(put, "no zone");
    else fmt::format_to(put, "node:{} zone:{}", m.zone(zid).node, zone_name(m.zone(zid).type));
    fmt::format_to(put, " pageblock:{}\n", freetype_name(m.pageblock_freetype_idx(pfn)));
    if (p.state == PageState::Tail) {
      // Name the block this page belongs to.
      for (unsigned k = 1; k <= m.max_order(); k++) {
        Pfn head = pfn & ~((Pfn{1} << k) - 1);
        const Page& h = m.page(head);
        if (h.state != PageState::Tail && h.order >= k && head + (Pfn{1} << h.order) > pfn) {
          fmt::format_to(put, "page is part of the {} block at pfn:{:#x} order:{}\n",
                         page_state_name(h.state), head, h.order);
          break;
        }
      }
    }
  }
  fmt::format_to(put, "page dumped because: {}\n", reason_text(e));
  if (cpu >= m.nr_cpus()) fmt::format_to(put, "(cpu {} does not exist)\n", cpu);
  return fmt::to_string(out);
}

// free_pages_prepare(): the head stops being an allocation, KASAN poisons the memory.
void Machine::free_pages_prepare(Pfn pfn, unsigned order) {
  Page& p = pg(pfn);
  p.state = PageState::Tail;
  p.order = 0;
  p.refcount = 0;
  p.flags = 0;
  touch(pfn);
  if (!data_.empty()) kasan::poison(page_data(pfn), (size_t{1} << order) * config_.page_bytes);
  bump();
}

FreeResult Machine::free_common(Pfn pfn, unsigned order, unsigned cpu, bool frozen) {
  FreeResult r;
  r.pfn = pfn;
  r.order = order;
  FreeError e = FreeError::None;
  if (!pfn_in_memmap(pfn) || cpu >= nr_cpus_ || order > config_.max_page_order) {
    e = FreeError::OutOfRange;
  } else {
    const Page& p = page(pfn);
    switch (p.state) {
      case PageState::Absent:
        e = FreeError::Absent;
        break;
      case PageState::Reserved:
        e = FreeError::Reserved;
        break;
      case PageState::Buddy:
        e = FreeError::NotAllocated;
        break;
      case PageState::Pcp:
        e = FreeError::OnPcp;
        break;
      case PageState::Tail:
        e = FreeError::TailPage;
        break;
      case PageState::Allocated:
        if (p.order != order) e = FreeError::WrongOrder;
        else if (p.refcount != (frozen ? 0 : 1)) e = FreeError::Refcount;
        else if (p.flags & PG_dm_changed) e = FreeError::DirectMapNotRestored;
        break;
    }
  }
  if (e != FreeError::None) {
    r.error = e;
#ifdef BUDDYCHECK_MUTANT_BAD_FREE_RESETS_PAGE  // mutant build only (properties/mutants)
    if (pfn_in_memmap(pfn)) {
      pg(pfn).refcount = 0;  // "repairs" the page it refuses, and says so
      bump();
    }
#endif
    stats_.bad_page_reports++;
    r.report = bad_page_report(*this, pfn, order, frozen, e, cpu);
    return r;
  }
  free_pages_prepare(pfn, order);
  free_unref_page(pfn, order, cpu);
  return r;
}

FreeResult Machine::free_pages(Pfn pfn, unsigned order, unsigned cpu) {
  return free_common(pfn, order, cpu, false);
}

FreeResult Machine::free_frozen_pages(Pfn pfn, unsigned order, unsigned cpu) {
  return free_common(pfn, order, cpu, true);
}

}  // namespace pagealloc
