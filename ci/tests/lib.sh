# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the ci/fuzz tests (sourced): a throw-away git corpus, runs of ci/fuzz in
# their own session, waiting for a step, and checks of a corpus folder.
#   ROOT  the checkout    T  the test's temporary folder (removed on exit)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/buddycheck-citest.XXXXXX")
export TMPDIR="$T/tmp"  # ci/fuzz's work folders, also those of killed runs
mkdir -p "$TMPDIR"
SESSIONS=()
cleanup() {
  local s
  for s in "${SESSIONS[@]}"; do kill -KILL -- -"$s" 2>/dev/null; done
  if [ -n "${BUDDYCHECK_KEEP_TEST:-}" ]; then echo "  (kept $T)"; else rm -rf "$T"; fi
}
trap cleanup EXIT  # BUDDYCHECK_KEEP_TEST=1 keeps $T
fail=0
bad() { echo "    FAIL: $*"; fail=1; }

# make_corpus "TARGET..." N: $T/corpus, a git repository whose TARGET/ folders each hold
# N committed seeds of corpus/TARGET plus seed-copy-1 and -2, copies of the first seed
# (a merge always prunes them), a README and a regressions/ input (never touched).
make_corpus() {
  local t f
  rm -rf "$T/corpus"
  for t in $1; do
    mkdir -p "$T/corpus/$t/regressions"
    find "$ROOT/corpus/$t" -maxdepth 1 -type f ! -name 'README*' | sort | head -n "$2" \
      | while read -r f; do cp "$f" "$T/corpus/$t/"; done
    f=$(find "$T/corpus/$t" -maxdepth 1 -type f | sort | head -1)
    cp "$f" "$T/corpus/$t/seed-copy-1" && cp "$f" "$T/corpus/$t/seed-copy-2"
    echo "test corpus" > "$T/corpus/$t/README.md"
    cp "$(find "$ROOT/corpus/$t" -maxdepth 1 -type f ! -name 'README*' | sort | tail -1)" \
      "$T/corpus/$t/regressions/kept"
  done
  git -C "$T/corpus" init -q
  git -C "$T/corpus" add .
  git -C "$T/corpus" -c user.name=t -c user.email=t@localhost commit -qm seeds
}
reset_corpus() { git -C "$T/corpus" reset -q --hard && git -C "$T/corpus" clean -qfdx; }
# The committed inputs of TARGET/ (names), one a line.
committed() { git -C "$T/corpus" ls-files -- "$1" | grep -v -e '/README' -e '/regressions/' | sed "s|^$1/||" | sort; }
live() { find "$T/corpus/$1" -maxdepth 1 -type f ! -name 'README*' ! -name '.*' -printf '%f\n' | sort; }

# start_fuzz LOG ENV... -- ARGS...: ci/fuzz in a session of its own (so a test can
# signal or kill all of it); sets PID (= its session and process group).
start_fuzz() {
  local log=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  # A job started with & has SIGINT ignored, which bash could not trap: restore it.
  setsid env --default-signal=INT "${envs[@]}" "$ROOT/ci/fuzz" --no-build --jobs 1 --corpus "$T/corpus" \
    --out "$T/out" "$@" > "$log" 2>&1 &
  PID=$!
  SESSIONS+=("$PID")
}
# wait_stopped PID: until some process of the session is stopped (SIGSTOP at a hook);
# fails if the session ends first.
wait_stopped() {
  local i
  for i in $(seq 600); do
    ps -o stat= -s "$1" 2>/dev/null | grep -q '^T' && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# wait_step FILE STEP: until FILE has a line for STEP.
wait_step() {
  local i
  for i in $(seq 600); do
    grep -q "^$2 " "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_exit PID SECONDS: reaps it; sets ST; fails if it runs longer.
ST=""
wait_exit() {
  local i
  for i in $(seq $(($2 * 10))); do
    if ! kill -0 "$1" 2>/dev/null; then wait "$1"; ST=$?; return 0; fi
    sleep 0.1
  done
  return 1
}
# Zombies do not count: they wait for init to reap them.
no_processes_left() { ! ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'; }

# check_files TARGET: every live input is committed and unchanged, or a complete merge
# output (libFuzzer names those by the SHA-1 of their content); no .part files.
check_files() {
  local t=$1 f ok=0
  if git -C "$T/corpus" status --porcelain -- "$t" | grep -q '^ M'; then
    bad "$t: a committed input was changed"; ok=1
  fi
  while read -r f; do
    git -C "$T/corpus" ls-files --error-unmatch "$t/$f" >/dev/null 2>&1 && continue
    [ "$(sha1sum < "$T/corpus/$t/$f" | cut -c1-40)" = "$f" ] || { bad "$t/$f: not committed, not a complete merge output"; ok=1; }
  done < <(live "$t")
  if find "$T/corpus" -name '*.part' | grep -q .; then bad "a .part file in the corpus"; ok=1; fi
  [ -f "$T/corpus/$t/README.md" ] && [ -f "$T/corpus/$t/regressions/kept" ] \
    || { bad "$t: README.md or regressions/ lost"; ok=1; }
  return $ok
}
# strays: folders the merge leaves only while it runs.
strays() { find "$T/corpus" -mindepth 1 -maxdepth 1 \( -name '.*.merge-*' -o -name '*.old.*' \) -printf '%f\n'; }

# make_standin TARGET N: $T/bin, fuzzers for ci/fuzz's BUDDYCHECK_FUZZ_BIN whose
# "fuzzing" adds N fixed inputs of corpus/TARGET (others than make_corpus commits) to
# the new-inputs folder at once; -merge=1 and everything else run the real fuzzer,
# and buddycheck is the real one. Makes a merge quick and the same every time.
make_standin() {
  local t=$1 n=$2 real="$ROOT/build/clang-asan/bin/${1}_fuzzer"
  mkdir -p "$T/bin" "$T/newsrc"
  find "$ROOT/corpus/$t" -maxdepth 1 -type f ! -name 'README*' | sort | tail -n "$((n + 1))" | head -n "$n" \
    | while read -r f; do cp "$f" "$T/newsrc/"; done
  ln -sf "$ROOT/build/clang-asan/bin/buddycheck" "$T/bin/buddycheck"
  cat > "$T/bin/${t}_fuzzer" <<STANDIN
#!/usr/bin/env bash
case " \$* " in *" -merge=1 "*) exec "$real" "\$@" ;; esac
for a in "\$@"; do case "\$a" in -*) ;; *) cp "$T/newsrc/"* "\$a/"; break ;; esac; done
echo "#$n: cov: 1 ft: 1 corp: $n exec/s: $n oom/timeout/crash: 0/0/0 time: 1s job: 1 dft_time: 0"
STANDIN
  chmod +x "$T/bin/${t}_fuzzer"
}
