// SPDX-License-Identifier: GPL-2.0-or-later
// Target `alloc_flags`: random gfp masks and struct alloc_flags contexts on a fixed
// machine (two nodes, the second private; a CMA block). The runner checks the
// slow-path translation against the oracle's and sanitize_alloc_flags()'s own properties
// (idempotent, no internal bit survives, REJECT fields refused) on every alloc, the
// context entry point's accept/refuse decision against eligibility(), and every allocation
// the entry point hands out. The decoded input is a two-op trace: the request through
// the context entry point, then the same request through alloc_pages.
#include <fuzzer/FuzzedDataProvider.h>

#include "drive/trace.h"
#include "fuzz/decode.h"
#include "fuzz/targets.h"

namespace buddycheck::fuzz {

Config alloc_flags_machine(bool mobility_grouping, uint8_t version) {
  // Version 1 inputs boot the machine twice this size (640 pages).
  const Pfn s = version == 1 ? 2 : 1;
  Config c;
  c.mobility_grouping = mobility_grouping;
  c.max_page_order = 4;
  c.pageblock_order = 2;
  c.page_bytes = 16;
  NodeConfig n0;
  // Small on purpose: every input boots it. Each zone type, a CMA block, a private node.
  n0.zones = {ZoneConfig{.type = ZONE_DMA, .start_pfn = 0, .pages = 32 * s},
              ZoneConfig{.type = ZONE_DMA32, .start_pfn = 32 * s, .pages = 64 * s},
              ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 96 * s, .pages = 128 * s}};
  NodeConfig n1;
  n1.memory_private = true;
  n1.zones = {ZoneConfig{.type = ZONE_NORMAL, .start_pfn = 224 * s, .pages = 64 * s}};
  c.nodes.reserve(2);
  c.nodes.push_back(std::move(n0));
  c.nodes.push_back(std::move(n1));
  c.cpu_node = {0, 1};
  c.cma = {{128 * s, 136 * s}};
  return c;
}

std::optional<Trace> decode_alloc_flags_trace(const uint8_t* data, size_t size) {
  if (size < 2 || data[0] < 1 || data[0] > kFlagsVersion) return std::nullopt;
  FuzzedDataProvider fdp(data + 1, size - 1);
  Op op;
  op.kind = OpKind::Alloc;
  op.gfp = decode_gfp(fdp);
  op.order = fdp.ConsumeIntegralInRange<unsigned>(0, 6);
  uint32_t bits = fdp.ConsumeIntegral<uint32_t>();
  op.ctx = AllocFlags{fdp.ConsumeBool() ? bits : bits & ((1u << NR_CTX_FIELDS) - 1)};
  if (fdp.ConsumeBool()) op.task = fdp.ConsumeIntegral<uint8_t>() & ((1u << NR_TASK_BITS) - 1);
  op.nid = fdp.ConsumeIntegralInRange<int>(-1, 2);
  op.cpu = fdp.ConsumeIntegralInRange<unsigned>(0, 1);
  const bool grouping = fdp.ConsumeIntegralInRange<unsigned>(0, 7) != 0;
  Trace t;
  t.config = alloc_flags_machine(grouping, data[0]);
  Op plain = op;
  plain.ctx.reset();
  t.ops = {op, plain};
  return t;
}

TargetOutcome run_alloc_flags(const uint8_t* data, size_t size, const InputInfo& in) {
  TargetOutcome o;
  std::optional<Trace> t = decode_alloc_flags_trace(data, size);
  if (!t) {
    o.status = Outcome::BadInput;
    o.report = not_an_input(in, "alloc_flags",
                            "needs at least 2 bytes starting with version byte 0x01 or 0x02");
    return o;
  }
  RunOptions opts;
  opts.state_hash = false;
  RunResult r = run_trace(std::move(*t), opts, replay_command(in, "alloc_flags"));
  if (r.error) {
    o.status = Outcome::Finding;
    Finding f;
    f.id = "DECODER-INVALID-OP";
    f.summary = *r.error;
    o.finding = f;
    o.report = "buddycheck: DECODER-INVALID-OP " + *r.error + "\n";
  } else if (r.finding) {
    o.status = Outcome::Finding;
    o.finding = r.finding;
    o.report = r.report;
  }
  // The run took the decoded config over; decoding is deterministic, so decode again.
  if (o.status == Outcome::Finding) o.trace = print_trace(*decode_alloc_flags_trace(data, size));
  return o;
}

}  // namespace buddycheck::fuzz

namespace buddycheck::fuzz {
std::optional<std::string> explain_alloc_flags(const uint8_t* data, size_t size) {
  std::optional<Trace> t = decode_alloc_flags_trace(data, size);
  if (!t) return std::nullopt;
  return print_trace(*t);
}
}  // namespace buddycheck::fuzz
