#!/usr/bin/env bash
# A real single-node Slurm cluster for the scale-out path: starts munged, slurmctld and slurmd on 127.0.0.1 from a
# generated slurm.conf and munge key in a temporary folder, writes the job scripts with `unravel slurm collect`
# (a 4-task array of `unravel collect --shard auto` plus the merge job with --dependency=afterok), submits them with
# the generated submit.sh, waits, and checks the merged atlas against a single-process `unravel collect` of the same
# inputs: every array file byte-equal (mean/std to 1e-6, merged in float64 by Chan et al.'s formula) and every
# atlas.db row equal. Stops the daemons whatever happens. Where it cannot run (not root, Slurm or munge missing) it
# prints SKIPPED with the reason and exits 0.
#   tests/slurm/run.sh [IMAGES]   (default: the shipped Fashion-MNIST test images, first 256)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIPPED: slurm test: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root to run munged, slurmctld and slurmd (run as root, or in CI)"
for b in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
  command -v "$b" >/dev/null || skip "$b is missing (apt-get install slurm-wlm munge)"
done
command -v dotnet >/dev/null || skip "dotnet is missing"

IMAGES=${1:-$ROOT/assets/data/fashion-mnist/t10k-images-idx3-ubyte.gz}
LIMIT=${LIMIT:-256}
WORK=$(mktemp -d /tmp/unravel-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ] || [ "${FAILED:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAILED: slurm test: $*"; FAILED=1; for f in "$WORK"/slurmctld.log "$WORK"/slurmd.log "$WORK"/atlas.slurm/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -n 20 "$f"; }; done; exit 1; }
start=$(date +%s)

DLL="$ROOT/src/Unravel.Cli/bin/Release/net10.0/unravel.dll"
# CI has built the solution in Release before this runs; build only when the tool is absent.
if [ ! -f "$DLL" ]; then
  echo "== building unravel"
  dotnet build "$ROOT/src/Unravel.Cli" -c Release -v quiet -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "unravel does not build"; }
fi
UNRAVEL="dotnet $DLL"

echo "== starting munged, slurmctld, slurmd in $WORK"
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool"
chmod 700 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
munged --force --foreground --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" --pid-file="$WORK/munge/munged.pid" \
  --seed-file="$WORK/munge/munged.seed" --log-file="$WORK/munge/munged.log" >"$WORK/munge/munged.out" 2>&1 &
PIDS+=($!)
port=$((20000 + RANDOM % 20000))
cpus=$(nproc)
export SLURM_CONF="$WORK/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=unravelci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.socket
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
NodeName=unravel0 NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=unravel0 Default=YES MaxTime=INFINITE State=UP
CONF
for i in $(seq 50); do [ -S "$WORK/munge/munge.socket" ] && break; sleep 0.2; done
[ -S "$WORK/munge/munge.socket" ] || fail "munged did not start ($(cat "$WORK/munge/munged.log" 2>/dev/null))"
slurmctld -D -c -f "$SLURM_CONF" >"$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N unravel0 -f "$SLURM_CONF" >"$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
for i in $(seq 60); do
  state=$(sinfo -h -n unravel0 -o %t 2>/dev/null)
  [ "$state" = "idle" ] && break
  sleep 0.5
done
[ "$state" = "idle" ] || fail "the node did not become idle (state '$state')"
echo "node unravel0 idle after $(( $(date +%s) - start )) s"

echo "== writing and submitting the job array"
cd "$WORK"
COLLECT=(fashion-small-resnet --data "$IMAGES" --layers layer2,layer3 --k 8 --batch 32 --limit "$LIMIT")
$UNRAVEL slurm collect "${COLLECT[@]}" --out "$WORK/atlas" --shards 4 --partition ci --time 10:00 --cpus 1 --unravel "$UNRAVEL" || fail "unravel slurm collect"
bash "$WORK/atlas.slurm/submit.sh" | tee "$WORK/submit.out" || fail "submit.sh"
array=$(sed -n 's/^submitted collection array \([0-9]*\) .*/\1/p' "$WORK/submit.out")
echo "== single-process reference while the jobs run"
$UNRAVEL collect "${COLLECT[@]}" --out "$WORK/single" >"$WORK/single.log" 2>&1 || { cat "$WORK/single.log"; fail "single collect"; }
for i in $(seq 300); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 150 s: $(squeue)"
grep -h "^shard " "$WORK"/atlas.slurm/collect-*.log
[ -d "$WORK/atlas" ] || fail "the merge job wrote no atlas"
for t in 0 1 2 3; do
  grep -q "^shard $t/4 from Slurm job array (SLURM_ARRAY_TASK_ID=$t, SLURM_ARRAY_TASK_COUNT=4" "$WORK"/atlas.slurm/collect-"${array}"_"$t".log \
    || fail "task $t did not resolve its shard from the Slurm environment"
done

echo "== comparing the merged atlas with the single-process one"
bad=0
while IFS= read -r f; do
  other="$WORK/atlas/${f#"$WORK/single/"}"
  [ -f "$other" ] || { echo "missing in merged: ${f#"$WORK/single/"}"; bad=1; continue; }
  case "$(basename "$f")" in
    mean.npy|std.npy) ;;   # compared through the atlas.db rows below (6 significant digits)
    *) cmp -s "$f" "$other" || { echo "differs: ${f#"$WORK/single/"}"; bad=1; } ;;
  esac
done < <(find "$WORK/single/layers" -name '*.npy' | sort)
for table in neurons layers; do
  $UNRAVEL query "$WORK/single" "SELECT * FROM $table ORDER BY 1, 2" >"$WORK/single.$table"
  $UNRAVEL query "$WORK/atlas" "SELECT * FROM $table ORDER BY 1, 2" >"$WORK/merged.$table"
  diff -q "$WORK/single.$table" "$WORK/merged.$table" >/dev/null || { echo "atlas.db $table rows differ:"; diff "$WORK/single.$table" "$WORK/merged.$table" | head; bad=1; }
done
[ "$bad" -eq 0 ] || fail "the merged atlas differs from the single-process run"
echo "PASSED: slurm test: 4-task array + afterok merge over $LIMIT images equals one process ($(find "$WORK/single/layers" -name '*.npy' | wc -l) arrays, $(wc -l <"$WORK/single.neurons") neuron rows) in $(( $(date +%s) - start )) s"
