#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The buddycheck command as a user meets it: one ctest per case (cli/tests.cmake runs
# `cli_test.sh CASE BUDDYCHECK MUTANT SOURCE_DIR`). Each case runs the real binary and
# checks exit code and message; a case prints what it expected and got when it fails.
set -uo pipefail
CASE=$1
BC=$2      # buddycheck
MUT=$3     # buddycheck-expand-wrong-list (buddycheck linked against a broken expand())
SRC=$4     # the source tree
T=$(mktemp -d "${TMPDIR:-/tmp}/buddycheck-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
TRACE=$SRC/corpus/traces/pcp_drain.trace
MTRACE=$SRC/corpus/mutants/expand_wrong_list.trace
MOPS=$SRC/corpus/mutants/ops-expand_wrong_list

fail() { echo "FAIL ($CASE): $*"; exit 1; }
# run EXPECTED_EXIT CMD...: runs CMD, stdout in $T/out, stderr in $T/err.
run() {
  local want=$1; shift
  "$@" > "$T/out" 2> "$T/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "exit $rc, expected $want: $*
stdout: $(head -c 2000 "$T/out")
stderr: $(head -c 2000 "$T/err")"
}
# has FILE REGEX: the file (out or err) has a line matching the extended regex.
has() { grep -Eq -- "$2" "$T/$1" || fail "$1 has no line matching /$2/: $(head -c 2000 "$T/$1")"; }
hasnt() { ! grep -Eq -- "$2" "$T/$1" || fail "$1 has a line matching /$2/: $(head -c 2000 "$T/$1")"; }
head_trace() {  # a small machine, then the ops given as arguments, one per line
  printf 'buddycheck-trace 1\nconfig max_order=4 pageblock_order=2 page_bytes=16\nnode 0 cpus=0-1\n'
  printf 'zone 0 Normal start=0x0 pages=256\n'
  for op in "$@"; do printf '%s\n' "$op"; done
}

case "$CASE" in
unknown_subcommand)
  run 2 "$BC" frobnicate x
  has err "^buddycheck: unknown subcommand 'frobnicate'; subcommands: run, replay, explain, minimize, gtest, gfp, dump, sanitize-check$"
  run 2 "$BC" rnu "$TRACE"
  has err "unknown subcommand 'rnu' \(did you mean 'run'\?\)"
  run 2 "$BC"
  has err "which subcommand\? \(run, replay"
  ;;
unknown_option)
  run 2 "$BC" run --twcie "$TRACE"
  has err "^buddycheck run: unknown option '--twcie' \(did you mean '--twice'\?\)"
  run 2 "$BC" minimize --outptu x "$MTRACE"
  has err "unknown option '--outptu' \(did you mean '--output'\?\)"
  run 2 "$BC" run "$TRACE" extra
  has err "^buddycheck run: unexpected argument 'extra'"
  ;;
did_you_mean_gfp)
  run 2 "$BC" gfp 'GFP_KERNL|__GFP_ZERO'
  has err "^buddycheck gfp: MASK, column 1: unknown gfp flag 'GFP_KERNL' \(did you mean 'GFP_KERNEL'\?\)$"
  head_trace 'alloc order=0 gfp=GFP_KERNEL|__GFP_ZEOR' > "$T/t.trace"
  run 2 "$BC" run "$T/t.trace"
  has err "^$T/t.trace:5:30: unknown gfp flag '__GFP_ZEOR' \(did you mean '__GFP_ZERO'\?\)$"
  run 2 "$BC" gfp GFP_KERNEL --task pf_memaloc
  has err "^buddycheck gfp: --task: unknown task bit 'pf_memaloc' \(did you mean 'pf_memalloc'\?\)"
  ;;
file_errors_say_why)
  run 2 "$BC" run "$T/missing.trace"
  has err "^$T/missing.trace: cannot open trace file: No such file or directory$"
  run 2 "$BC" replay "$T/ops/missing"
  has err "^$T/ops/missing: cannot open: No such file or directory$"
  run 2 "$BC" explain "$T"
  has err "^$T: cannot read: it is a directory$"
  run 2 "$BC" sanitize-check "$T/missing.rules"
  has err "^$T/missing.rules: cannot open: No such file or directory$"
  head_trace > "$T/ro.trace"
  run 2 "$BC" gtest -o "$T/no/such/dir/x_test.cc" "$T/ro.trace"
  has err "^buddycheck gtest: -o: $T/no/such/dir/x_test.cc: cannot write: No such file or directory$"
  ;;
flag_not_blamed_on_file)
  # A bad option value names the option, never the trace file that follows it.
  run 2 "$BC" run --check-every=x "$TRACE"
  has err "^buddycheck run: --check-every: expected a number, got 'x'"
  hasnt err "$TRACE"
  run 2 "$BC" dump --what=budyinfo "$TRACE"
  has err "^buddycheck dump: --what: unknown dump 'budyinfo' \(did you mean 'buddyinfo'\?\)"
  run 2 "$BC" replay --target opss "$MOPS"
  has err "^buddycheck replay: --target: unknown target 'opss' \(did you mean 'ops'\?\)"
  run 2 "$BC" run --max-memory lots "$TRACE"
  has err "^buddycheck run: --max-memory: 'lots' is not a size"
  run 2 "$BC" gfp GFP_KERNEL --order=x
  has err "^buddycheck gfp: --order: expected a number"
  ;;
sanitize_check_default_rules)
  # From another directory, no RULES argument: the source tree's table is found.
  (cd "$T" && run 0 "$BC" sanitize-check --diff "$SRC/rules/proposals/cma_reject.rules")
  has out "cma_reject"
  ;;
help)
  run 0 "$BC" --help
  for want in "Exit codes:" "  1  a finding" "  2  bad input or usage" "  3  buddycheck itself crashed" \
              "BUDDYCHECK_MAX_MEMORY" "docs/trace-format.md" "docs/rules.md" "docs/properties.md"; do
    has out "$want"
  done
  for sub in run replay explain minimize gtest gfp dump sanitize-check; do
    run 0 "$BC" "$sub" --help
    has out "^Examples:"
    has out "^Exit"
    has out "^  3  buddycheck itself crashed"
  done
  run 0 "$BC" help gfp
  has out "buddycheck gfp 'GFP_KERNEL\|__GFP_ZERO'"
  ;;
progress_on_terminal_only)
  # On a terminal (a pseudo-terminal from script(1)) minimize and sanitize-check draw a
  # progress line on stderr; through a pipe they print none.
  run 0 script -qec "'$MUT' minimize -o '$T/m1.trace' '$MOPS'" "$T/typescript"
  has out "minimize: [0-9]+% \([0-9]+/4000\), [0-9]+ ops kept"
  run 0 "$MUT" minimize -o "$T/m2.trace" "$MOPS"
  hasnt err "minimize:"
  cmp -s "$T/m1.trace" "$T/m2.trace" || fail "the progress line changed the result"
  run 0 script -qec "'$BC' sanitize-check '$SRC/rules/alloc_flags.rules' > /dev/null" "$T/typescript"
  has out "sanitize-check: [0-9]+% \([0-9]+/[0-9]+\), gfp classes"
  ;;
progress_long_properties)
  # BUDDYCHECK_LONG property runs show which case they are at, on a terminal only.
  P=$(dirname "$BC")/properties_gfp_test
  run 0 script -qec "BUDDYCHECK_LONG=2 '$P' --gtest_filter=props_gfp.zone_1" "$T/typescript"
  has out "props_gfp/zone_1: [0-9]+% \([0-9]+/[0-9]+\)"
  run 0 script -qec "'$P' --gtest_filter=props_gfp.zone_1" "$T/typescript"
  hasnt out "props_gfp/zone_1: [0-9]+%"
  BUDDYCHECK_LONG=2 run 0 "$P" --gtest_filter=props_gfp.zone_1
  hasnt err "props_gfp/zone_1: [0-9]+%"
  ;;
dump_labels)
  head_trace 'alloc order=0 gfp=GFP_KERNEL' 'dump what=buddyinfo' 'free id=0' '# a comment' \
    'dump what=buddyinfo' > "$T/t.trace"
  run 0 "$BC" run "$T/t.trace"
  has out "^---- op #1 \(line 6\): dump what=buddyinfo$"
  has out "^---- op #3 \(line 9\): dump what=buddyinfo$"
  ;;
replay_names_binary)
  # The replay command a report prints names the binary that printed it, and works.
  mkdir -p "$T/bin"
  cp "$MUT" "$T/bin/my-buddycheck"
  (cd "$T" && run 1 bin/my-buddycheck run "$MTRACE")
  has out "^replay: bin/my-buddycheck run $MTRACE$"
  replay=$(sed -n 's/^replay: //p' "$T/out")
  (cd "$T" && run 1 sh -c "$replay")
  has out "^buddycheck: INV-HYGIENE"
  # Found on $PATH: the report names the binary itself.
  run 1 env PATH="$T/bin:$PATH" my-buddycheck replay "$MOPS"
  has out "^replay: $T/bin/my-buddycheck replay --target ops $MOPS$"
  ;;
runner_errors_name_line)
  head_trace 'alloc order=0 gfp=GFP_KERNEL' '' 'free cpu=1 id=12' > "$T/t.trace"
  run 2 "$BC" run "$T/t.trace"
  has err "^$T/t.trace:7:12: op #1 \(free id=12 cpu=1\): id 12 is not a live allocation$"
  head_trace 'alloc order=0 gfp=GFP_KERNEL' 'drain cpu=7' > "$T/t.trace"
  run 2 "$BC" run "$T/t.trace"
  has err "^$T/t.trace:6:7: op #1 \(drain cpu=7\): cpu 7 does not exist$"
  run 2 "$BC" dump "$T/t.trace"
  has err "^$T/t.trace:6:7: op #1 \(drain cpu=7\): cpu 7 does not exist$"
  head_trace 'sysctl key=watermark_scale_factor value=0' > "$T/t.trace"
  run 2 "$BC" run "$T/t.trace"
  has err "^$T/t.trace:5:35: op #0 \(sysctl key=watermark_scale_factor value=0\): sysctl"
  ;;
fuzz_inputs_name_file)
  mkdir -p "$T/ops" "$T/trace"
  printf '\x09' > "$T/ops/short"
  run 2 "$BC" replay "$T/ops/short"
  has err "^$T/ops/short:1:1: not an 'ops' input: needs at least 2 bytes"
  run 2 "$BC" explain --target alloc_flags "$T/ops/short"
  has err "^$T/ops/short:1:1: not an 'alloc_flags' input"
  printf 'garbage\n' > "$T/trace/crash-1"
  run 2 "$BC" explain "$T/trace/crash-1"
  has err "^$T/trace/crash-1:1:1: expected the header"
  hasnt err "<input>"
  run 2 "$BC" minimize "$T/ops/short"
  has err "^$T/ops/short:1:1: not an 'ops' input"
  ;;
memory_limit)
  # 2^26 pages of 64-byte backing: about 5.4 GiB, refused before anything is built.
  printf 'buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=0x4000000\nalloc order=0 gfp=GFP_KERNEL\n' > "$T/huge.trace"
  run 2 "$BC" run "$T/huge.trace"
  has err "^$T/huge.trace:4:1: the machine needs an estimated 5\.[0-9] GiB \(memmap 1 GiB, page backing 4 GiB, .*\), more than the memory limit of 1 GiB; .*--max-memory SIZE or BUDDYCHECK_MAX_MEMORY=SIZE$"
  # The limit moves both ways: the 32768-page pcp_drain machine needs about 2.8 MiB.
  BUDDYCHECK_MAX_MEMORY=1M run 2 "$BC" run "$TRACE"
  has err "more than the memory limit of 1 MiB"
  BUDDYCHECK_MAX_MEMORY=1M run 0 "$BC" run --max-memory 64M "$TRACE"
  BUDDYCHECK_MAX_MEMORY=lots run 2 "$BC" run "$TRACE"
  has err "^buddycheck: BUDDYCHECK_MAX_MEMORY: 'lots' is not a size"
  # The runner's books count too: allocations past the limit are an error, not an abort.
  head_trace > "$T/many.trace"
  for i in $(seq 0 999); do printf 'alloc order=0 gfp=GFP_KERNEL\nfree id=%d\n' "$i"; done >> "$T/many.trace"
  run 2 "$BC" run --max-memory 64K "$T/many.trace"
  has err "^$T/many.trace:[0-9]+:1: op #[0-9]+ \(alloc order=0 gfp=GFP_KERNEL\): the run has made [0-9]+ allocations; .* more than the memory limit of 64 KiB"
  ;;
allocation_failure_exits_2)
  # An allocation that still fails (here: ASan refuses any over 8 MiB; 2^20 pages need a
  # 16 MiB memmap) is exit 2 with a message, not an abort.
  printf 'buddycheck-trace 1\nnode 0\nzone 0 Normal start=0 pages=0x100000\n' > "$T/big.trace"
  ASAN_OPTIONS=max_allocation_size_mb=8 run 2 "$BC" run "$T/big.trace"
  has err "^$T/big.trace:3:1: out of memory building the machine \(estimated 87 MiB .*\): "
  ;;
long_trace_streams)
  # A million ops run in bounded memory: the trace is read a line at a time and the
  # runner keeps no op list (under 300 MB here with ASan; holding the ops took 560 MB).
  head_trace > "$T/long.trace"
  awk 'BEGIN { for (i = 0; i < 500000; i++) printf "alloc order=0 gfp=GFP_KERNEL\nfree id=%d\n", i }' >> "$T/long.trace"
  ASAN_OPTIONS=quarantine_size_mb=16:hard_rss_limit_mb=300 run 0 "$BC" run --check-every 0 "$T/long.trace"
  has out "^ok: 1000000 ops, state hash"
  # A report after more ops than it repeats names the input instead of reprinting it.
  head_trace > "$T/longfind.trace"
  awk 'BEGIN { for (i = 0; i < 70000; i++) print "drain cpu=1" }' >> "$T/longfind.trace"
  echo "alloc order=0 gfp=GFP_KERNEL" >> "$T/longfind.trace"
  run 1 "$MUT" run --check-every 0 "$T/longfind.trace"
  has out "^buddycheck: INV-HYGIENE"
  has out "^  after op #70000: alloc order=0 gfp=GFP_KERNEL   \(trace line 70005\)$"
  has out "^\(not repeated: 70001 ops, more than the 65536 a report repeats; $T/longfind.trace replays the run up to line 70005\)$"
  ;;
gtest_needs_output)
  run 2 "$BC" gtest "$MTRACE"
  has err "^buddycheck gtest: --output is required"
  ;;
*)
  fail "no such case"
  ;;
esac
echo "ok: $CASE"
