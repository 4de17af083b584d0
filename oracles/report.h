// Rendering a Finding like a kernel bug report: the invariant ID and rule, PFNs and
// zone, expected versus actual, an ASCII map of the neighbourhood, the /proc dumps, the
// op that triggered it, the trace of the whole run so far and the replay command.
#pragma once

#include <string>

#include "alloc/machine.h"
#include "oracles/finding.h"
#include "oracles/ops.h"

namespace buddycheck {

// The ASCII map of the pageblocks around `pfn`: one line per pageblock with its type,
// one character per page (or per 2^k pages for big blocks):
//   '.' free (buddy)  'p' per-cpu list  'A' allocated head  'a' allocated tail
//   'r' reserved  ' ' hole  '*' the PFNs of the finding
std::string ascii_map(const pagealloc::Machine& m, pagealloc::Pfn pfn, unsigned radius_blocks = 2,
                      const std::vector<pagealloc::Pfn>& marks = {});

std::string render_report(const Finding& f, const pagealloc::Machine& m, const Trace& trace,
                          const std::string& replay_command = "");

}  // namespace buddycheck
