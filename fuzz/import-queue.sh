#!/usr/bin/env bash
# Copies the AFL++ queue entries that reached new coverage (+cov), up to 2 KiB each and 40 per target, into
# fuzz/corpus/<target>/afl-<id>, so that later runs and the CI smoke loop start from them.
# usage: OUT=/tmp/unravel-afl fuzz/import-queue.sh TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/unravel-afl}
for t in "$@"; do
  q="$OUT/$t/default/queue"
  n=0
  for f in "$q"/id:*+cov*; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 2048 ] || continue
    id=$(basename "$f" | sed -E 's/^id:([0-9]+),.*/\1/')
    cp "$f" "fuzz/corpus/$t/afl-$id"
    n=$((n + 1))
    [ "$n" -ge 40 ] && break
  done
  echo "$t: $n inputs imported"
done
