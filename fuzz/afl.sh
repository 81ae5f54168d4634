#!/usr/bin/env bash
# Coverage-guided fuzzing of Unravel.IO and Unravel.Atlas with AFL++ (Debian: apt-get install afl++) and SharpFuzz
# (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0). See fuzz/README.md.
# usage: fuzz/afl.sh [TARGET...]   (default: every target)
# env:   EXECS (default 1000000) executions per target, SECONDS_CAP (default 1800) wall-clock cap per target,
#        OUT (default /tmp/unravel-afl) for the instrumented build and AFL's output folders.
#        NICE (default 19) the fuzzer's nice level (19 on a shared box, 0 on an idle one).
set -euo pipefail
cd "$(dirname "$0")/.."
EXECS=${EXECS:-1000000}
SECONDS_CAP=${SECONDS_CAP:-1800}
NICE=${NICE:-19}
OUT=${OUT:-/tmp/unravel-afl}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(safetensors pth pickle pth-pickle npy idx png jpeg hf-folder tokenizer brown atlas-manifest atlas-db atlas-record)
SHARPFUZZ=$(command -v sharpfuzz || echo "$HOME/.dotnet/tools/sharpfuzz")

rm -rf "$OUT/bin"
dotnet publish fuzz/Unravel.Fuzz -c Release -o "$OUT/bin" >/dev/null
"$SHARPFUZZ" "$OUT/bin/Unravel.IO.dll"      # inserts AFL's edge counters into the libraries under test
"$SHARPFUZZ" "$OUT/bin/Unravel.Atlas.dll"

# A malicious file must not make the parser allocate without bound: the GC heap is capped at 1 GiB, so an
# unbounded allocation ends in OutOfMemoryException, which escapes the target and is saved as a crash.
export DOTNET_GCHeapHardLimit=0x40000000
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
for t in "${TARGETS[@]}"; do
  rm -rf "$OUT/$t"
  nice -n "$NICE" afl-fuzz -i "fuzz/corpus/$t" -o "$OUT/$t" -t 10000 -m none -E "$EXECS" -V "$SECONDS_CAP" \
    -- dotnet "$OUT/bin/Unravel.Fuzz.dll" afl "$t" > "$OUT/$t.log" 2>&1 || true
  s="$OUT/$t/default/fuzzer_stats"
  if [ -f "$s" ]; then
    printf '%s: execs %s, %s/s, %s s, crashes %s, hangs %s, edges %s, bitmap %s, corpus %s\n' "$t" \
      "$(awk '/^execs_done/{print $3}' "$s")" "$(awk '/^execs_per_sec/{print $3}' "$s")" "$(awk '/^run_time/{print $3}' "$s")" \
      "$(awk '/^saved_crashes/{print $3}' "$s")" "$(awk '/^saved_hangs/{print $3}' "$s")" \
      "$(awk '/^edges_found/{print $3}' "$s")" "$(awk '/^bitmap_cvg/{print $3}' "$s")" "$(awk '/^corpus_count/{print $3}' "$s")"
  else
    echo "$t: afl-fuzz did not start; see $OUT/$t.log"
  fi
done
