#!/usr/bin/env bash
# Prepares, on the CPU side, everything bench/device/run.sh needs on a GPU machine that reaches
# no network, then prints the device-tool call to make. All of it goes to git-ignored folders that
# the call carries:
#   .denobin/deno.xz      this Deno (xz, ~30 MB; the machine has none)
#   .denobin/deno_dir     DENO_DIR with the npm packages the entry points import (JavaScript only)
#   .denobin/data/...     the Sudoku-Extreme-like dataset of the training section, made once per
#                         machine in ~/.cache/hrm-bench (skip: --no-data; run.sh then generates it
#                         on the GPU machine's 16 cores, about a minute of device time)
#   .gl/*.deb             the Vulkan loader (libvulkan1), unpacked there if the image lacks it
# and checks that the tree that travels plus the carry stay under the tool's 64 MiB.
# Usage: bash bench/device/prepare.sh [--no-data] [--workers N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DATA=1 WORKERS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --no-data) DATA=0 ;;
    --workers) WORKERS=$2; shift ;;
    *) echo "prepare.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done
say() { echo "prepare.sh: $*" >&2; }
for p in .denobin .gl; do
  git check-ignore -q "$p/x" || { say "$p is not git-ignored (the device tool carries ignored paths only)"; exit 1; }
done
mkdir -p .denobin .gl

# Deno, compressed (only when the binary changed).
DENO=$(readlink -f "$(command -v deno)")
if [ ! -f .denobin/deno.xz ] || [ "$DENO" -nt .denobin/deno.xz ] ||
  [ "$(cat .denobin/deno.version 2>/dev/null)" != "$(deno --version | head -1)" ]; then
  say "compressing $DENO"
  xz -T2 -6 -c "$DENO" >.denobin/deno.xz.tmp && mv .denobin/deno.xz.tmp .denobin/deno.xz
  deno --version | head -1 >.denobin/deno.version
fi

# npm packages of every entry point run.sh uses (cached so --cached-only finds them).
ENTRIES=(cli.ts bench/gpu.ts bench/_gpu_*.ts bench/device/probe.ts tests/model/hrm_golden_test.ts
  tests/model/trm_golden_test.ts tests/ops/matmul_test.ts)
[ -f tests/ops/f16_test.ts ] && ENTRIES+=(tests/ops/f16_test.ts)
say "caching ${#ENTRIES[@]} entry points into .denobin/deno_dir"
DENO_DIR=.denobin/deno_dir deno cache --quiet "${ENTRIES[@]}"
# Only the JavaScript runs there (deno run / deno test --no-check): drop the emit cache and the
# packages' TypeScript sources, declarations and source maps (15 MB -> 5 MB of the 64 MiB).
rm -rf .denobin/deno_dir/gen
find .denobin/deno_dir/npm -type f \( -name '*.ts' -o -name '*.cts' -o -name '*.mts' -o -name '*.map' \) -delete

# The Vulkan loader, for an image without one (amd64: the GPU machines are x86-64).
if ! compgen -G ".gl/libvulkan1_*.deb" >/dev/null; then
  say "downloading libvulkan1 (amd64)"
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  mkdir -p /tmp/amd64/partial
  apt-get "${o[@]}" update -qq
  (cd .gl && apt-get "${o[@]}" download libvulkan1)
fi

# The training section's dataset (same command as bench/gpu.ts names), generated once per machine
# into a cache outside the checkout (the same --seed gives the same bytes) and copied into the carry.
D=.denobin/data/sudoku-gpu-bench
CACHE=${HRM_BENCH_CACHE:-$HOME/.cache/hrm-bench}/sudoku-gpu-bench
if [ "$DATA" = 1 ] && [ ! -f "$D/test/dataset.json" ]; then
  if [ ! -f "$CACHE/test/dataset.json" ]; then
    say "generating $CACHE on $WORKERS threads (1500 puzzles: 55 min on a 2-core machine under a load average of ~20)"
    rm -rf "$CACHE"
    mkdir -p "$(dirname "$CACHE")"
    deno run -A cli.ts gen sudoku --out "$CACHE" --train 1000 --test 500 --aug 40 --workers "$WORKERS"
  fi
  mkdir -p "$(dirname "$D")"
  cp -r "$CACHE" "$D"
fi

# What travels: tracked and untracked-not-ignored files, plus the carry.
tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
carry=$(du -cb .denobin .gl | tail -1 | cut -f1)
total=$((tree + carry))
say "travels: tree $((tree >> 20)) MiB + carry $((carry >> 20)) MiB = $((total >> 20)) MiB (limit 64)"
if [ $total -gt $((64 << 20)) ]; then
  say "too large for one call: use --no-data, or remove what does not need to travel"
  exit 1
fi
cat <<'EOF'

Device-tool call (one run; kind left out = nvidia-h100-x1; then give_back):
  command:   bash bench/device/run.sh
  carry:     [".denobin", ".gl"]
  timeout_s: 600
Results come back in the reply's files: run.log, probe.json, tests.log, gpu_<adapter>.json.
Copy gpu_<adapter>.json into bench/results/ and report it in docs/benchmarks.md.
EOF
