// SPDX-License-Identifier: GPL-2.0-or-later
// Rendering a Finding like a kernel bug report: the invariant ID and rule, PFNs and
// zone, expected versus actual, an ASCII map of the neighbourhood, the /proc dumps, the
// op that triggered it, the trace of the whole run so far and the replay command.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "alloc/machine.h"
#include "oracles/finding.h"

namespace buddycheck {

// The ASCII map of the pageblocks around `pfn`: one line per pageblock with its type,
// one character per page (or per 2^k pages for big blocks):
//   '.' free (buddy)  'p' per-cpu list  'A' allocated head  'a' allocated tail
//   'r' reserved  ' ' hole  '*' the PFNs of the finding
std::string ascii_map(const pagealloc::Machine& m, pagealloc::Pfn pfn, unsigned radius_blocks = 2,
                      const std::vector<pagealloc::Pfn>& marks = {});

// `op_line` is the trace line of the op after which the finding fired (empty: none);
// `trace_text` the whole run so far as a text trace. The driver that ran the ops
// supplies both (drive/runner.h), so the judges need not know the trace format.
std::string render_report(const Finding& f, const pagealloc::Machine& m, std::string_view op_line,
                          std::string_view trace_text, const std::string& replay_command = "");

}  // namespace buddycheck
