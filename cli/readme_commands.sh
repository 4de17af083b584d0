#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every command of README.md as written, so the README cannot drift from the tool
# (ctest readme_commands). Usage: cli/readme_commands.sh SOURCE_DIR BUILD_DIR
#
# Each line of a ```sh block is a command, run from the top of a scratch copy of the
# tree (build/<preset> links to BUILD_DIR) in one shell, so `B=...` lines set variables
# for the lines below. A trailing comment may say "(exit N)": the exit code expected
# (default 0); and a "quoted text..." the output must contain. Two commands are not
# run, with the reason printed: ci/test (it runs this very test) and ci/fuzz (minutes
# of fuzzing; its --help is run instead). A ``` block that starts with the trace
# header is run as a trace with `buddycheck run`.
set -uo pipefail
SRC=$(cd "$1" && pwd)
BUILD=$(cd "$2" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/buddycheck-readme.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp -r "$SRC/corpus" "$SRC/rules" "$SRC/docs" "$SRC/ci" "$SRC/fuzz" "$W/"
mkdir -p "$W/properties" "$W/build"
ln -s "$BUILD" "$W/build/$(basename "$BUILD")"
cd "$W"

# The commands: expected exit, expected text and command per line, split by \037 (a byte
# no command holds; a tab would collapse an empty field); traces as files.
awk -v traces="$W/readme" '
  /^```sh$/ { sh = 1; next }
  /^```$/ && !sh && !tr { tr = 1; n++; file = traces "-" n ".trace"; first = 1; next }
  /^```/ { if (tr) close(file); sh = 0; tr = 0; next }
  tr { if (first && $0 !~ /^buddycheck-trace /) { tr = 0; next } first = 0; print > file; next }
  sh {
    line = $0
    sub(/^[ \t]+/, "", line)
    if (line == "" || line ~ /^#/) next
    cmd = line; comment = ""
    if ((i = index(line, " #")) > 0) { cmd = substr(line, 1, i - 1); comment = substr(line, i + 2) }
    sub(/[ \t]+$/, "", cmd)
    code = 0
    if (match(comment, /\(exit [0-9]\)/)) code = substr(comment, RSTART + 6, 1)
    text = ""
    if (match(comment, /"[^"]*"/)) { text = substr(comment, RSTART + 1, RLENGTH - 2); sub(/\.\.\.$/, "", text) }
    printf "%s\037%s\037%s\n", code, text, cmd
  }
' "$SRC/README.md" > "$W/commands.tsv"

ran=0
while IFS=$'\037' read -r code text cmd; do
  case "$cmd" in
    ci/test*) echo "not run: $cmd (it runs this very ctest)"; bash -n ci/test || exit 1; continue ;;
    ci/fuzz*)
      echo "not run: $cmd (minutes of fuzzing); ci/fuzz --help instead"
      ci/fuzz --help > "$W/out" 2>&1 || { cat "$W/out"; exit 1; }
      continue ;;
  esac
  eval "$cmd" > "$W/out" 2>&1 < /dev/null
  rc=$?
  if [ "$rc" != "$code" ]; then
    echo "README command exits $rc, expected $code: $cmd"; head -c 3000 "$W/out"; exit 1
  fi
  if [ -n "$text" ] && ! grep -qF -- "$text" "$W/out"; then
    echo "README command output lacks \"$text\": $cmd"; head -c 3000 "$W/out"; exit 1
  fi
  echo "ok (exit $rc): $cmd"
  ran=$((ran + 1))
done < "$W/commands.tsv"

for t in "$W"/readme-*.trace; do
  [ -f "$t" ] || continue
  "$BUILD/bin/buddycheck" run "$t" > "$W/out" 2>&1 || { echo "README trace does not run:"; cat "$t" "$W/out"; exit 1; }
  echo "ok: the README's example trace runs"
  ran=$((ran + 1))
done
echo "$ran README commands and traces ran as written"
[ "$ran" -ge 15 ]
