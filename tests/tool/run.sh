#!/usr/bin/env bash
# The .NET tool package: `dotnet pack` of the Cli, `dotnet tool install` from that folder into a temporary --tool-path,
# then, from a folder outside the repository (so only the package's own assets can be found), `unravel models` must
# list the shipped models and a small `unravel collect` of the shipped Fashion-MNIST model over the package's own test
# images must write an atlas. Then the README's `dotnet tool install --global --add-source ./nupkg unravel` with HOME and
# DOTNET_CLI_HOME in the temporary folder: `unravel models` from ~/.dotnet/tools, then `dotnet tool uninstall --global`.
# Prints the package size and fails above 64 MiB. SKIPPED where dotnet is missing.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v dotnet >/dev/null || { echo "SKIPPED: tool test: dotnet is missing"; exit 0; }
WORK=$(mktemp -d /tmp/unravel-tool.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAILED: tool test: $*"; exit 1; }
start=$(date +%s)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet pack "$ROOT/src/Unravel.Cli" -c Release -o "$WORK/nupkg" -v quiet -nologo >"$WORK/pack.log" 2>&1 || { tail -n 30 "$WORK/pack.log"; fail "dotnet pack"; }
pkg=$(ls "$WORK"/nupkg/unravel.*.nupkg 2>/dev/null | head -n 1)
[ -n "$pkg" ] || fail "no unravel.*.nupkg in $WORK/nupkg"
bytes=$(stat -c %s "$pkg")
echo "package $(basename "$pkg"): $((bytes / 1024 / 1024)) MiB ($bytes bytes)"
[ "$bytes" -lt $((64 * 1024 * 1024)) ] || fail "the package is over 64 MiB"
dotnet tool install unravel --tool-path "$WORK/tools" --add-source "$WORK/nupkg" --ignore-failed-sources >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log"; fail "dotnet tool install"; }
mkdir -p "$WORK/elsewhere" && cd "$WORK/elsewhere"
unset UNRAVEL_ASSETS
"$WORK/tools/unravel" models >"$WORK/models.out" 2>&1 || { cat "$WORK/models.out"; fail "unravel models"; }
grep -q "fashion-small-resnet" "$WORK/models.out" || { cat "$WORK/models.out"; fail "unravel models does not list the shipped fashion-small-resnet"; }
grep -q "brown-gpt2" "$WORK/models.out" || { cat "$WORK/models.out"; fail "unravel models does not list the shipped brown-gpt2"; }
images=$(find "$WORK/tools/.store" -path "*assets/data/fashion-mnist/t10k-images-idx3-ubyte.gz" | head -n 1)
[ -n "$images" ] || fail "the package carries no Fashion-MNIST test images"
"$WORK/tools/unravel" collect fashion-small-resnet --data "$images" --layers layer3 --limit 64 --k 5 --out "$WORK/elsewhere/atlas" >"$WORK/collect.out" 2>&1 \
  || { cat "$WORK/collect.out"; fail "unravel collect from the installed tool"; }
grep -q "collected 64 inputs" "$WORK/collect.out" || { cat "$WORK/collect.out"; fail "collect did not report 64 inputs"; }
[ -f "$WORK/elsewhere/atlas/atlas.db" ] || fail "collect wrote no atlas.db"
# The README's own install line, `--global`, with the home folder (and so ~/.dotnet/tools) moved into $WORK so that the
# real user's tools are never touched; then `unravel models` by name from PATH, and the uninstall.
cd "$WORK"   # where the package folder is ./nupkg, as in the README
export HOME="$WORK/home" DOTNET_CLI_HOME="$WORK/home"
mkdir -p "$HOME"
dotnet tool install --global --add-source ./nupkg unravel >"$WORK/global.log" 2>&1 || { cat "$WORK/global.log"; fail "dotnet tool install --global (the README's line)"; }
[ -x "$HOME/.dotnet/tools/unravel" ] || { cat "$WORK/global.log"; fail "--global installed no $HOME/.dotnet/tools/unravel"; }
(cd "$WORK/elsewhere" && PATH="$HOME/.dotnet/tools:$PATH" unravel models) >"$WORK/global-models.out" 2>&1 \
  || { cat "$WORK/global-models.out"; fail "unravel models from the global install"; }
grep -q "fashion-small-resnet" "$WORK/global-models.out" || { cat "$WORK/global-models.out"; fail "the global unravel models does not list fashion-small-resnet"; }
dotnet tool uninstall --global unravel >"$WORK/uninstall.log" 2>&1 || { cat "$WORK/uninstall.log"; fail "dotnet tool uninstall --global unravel"; }
[ ! -e "$HOME/.dotnet/tools/unravel" ] || fail "the uninstall left $HOME/.dotnet/tools/unravel"
echo "PASSED: tool test: packed, installed into a tool path, ran models and collect (64 inputs) from the package; installed with the README's --global line into a temporary home, ran models, uninstalled; in $(( $(date +%s) - start )) s"
