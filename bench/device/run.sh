#!/usr/bin/env bash
# Issue 11's GPU run, in ONE device-tool call (see bench/device/README.md). Runs from any
# directory on the GPU machine, against the repository it lives in, with the carry that
# bench/device/prepare.sh made (.denobin: Deno xz-compressed, its npm cache, the dataset; .gl:
# Vulkan loader debs). Steps, each bounded in time so the whole ends inside DEVICE_LIMIT_S:
#   1. Vulkan loader and driver; Deno unpacked to /tmp; DENO_WEBGPU_BACKEND=vulkan
#   2. probe: adapter, features, what a device can request, cooperative-matrix configurations
#      (bench/device/probe.ts); stops here (exit 3) on a fallback/software adapter
#   3. golden and matmul tests with every matmul variant forced (HRM_MATMUL=...)
#   4. deno task bench gpu with the time left (bench/gpu.ts --budget)
# Everything lands in $OUT (at most 8 files come back): run.log (all output), probe.json,
# tests.log, gpu_<adapter>.json. Flags: --allow-software (check this script on lavapipe: the
# probe and the bench's --tiny mode instead of a GPU run), --skip-tests, --skip-bench.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
SOFTWARE=0 SKIP_TESTS=0 SKIP_BENCH=0
for a in "$@"; do
  case "$a" in
    --allow-software) SOFTWARE=1 ;;
    --skip-tests) SKIP_TESTS=1 ;;
    --skip-bench) SKIP_BENCH=1 ;;
    *) echo "run.sh: unknown flag $a" >&2; exit 2 ;;
  esac
done
OUT=${OUT:-$ROOT/runs/device-out}
mkdir -p "$OUT"
LIMIT=${DEVICE_LIMIT_S:-570}
T0=$(date +%s)
left() { echo $((LIMIT - ($(date +%s) - T0))); }
exec > >(tee -a "$OUT/run.log") 2>&1
TEE=$!
# Let tee write the last lines before the tool collects $OUT.
trap 'exec 1>&- 2>&-; wait $TEE 2>/dev/null' EXIT
say() { echo "run.sh [$(($(date +%s) - T0))s]: $*"; }
say "start $(date -u +%FT%TZ) on $(hostname), limit ${LIMIT}s, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

# --- 1. Vulkan and Deno -------------------------------------------------------------------------
# (grep without -q: under pipefail an early exit would SIGPIPE ldconfig and fail the check)
if ! ldconfig -p | grep 'libvulkan.so.1' >/dev/null; then
  if compgen -G ".gl/*.deb" >/dev/null; then
    say "no Vulkan loader: unpacking .gl/*.deb"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    say "no Vulkan loader and no .gl/*.deb carried (run bench/device/prepare.sh)"
  fi
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$ICD" ] &&
  ! ls /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>/dev/null | grep -i nvidia >/dev/null; then
  export VK_DRIVER_FILES=$ICD
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  say "VK_DRIVER_FILES=$ICD"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

if [ -x .denobin/deno ]; then
  DENO_BIN=$ROOT/.denobin/deno
elif [ -f .denobin/deno.xz ]; then
  mkdir -p /tmp/hrm-deno
  DENO_BIN=/tmp/hrm-deno/deno
  if command -v xz >/dev/null; then
    xz -dc .denobin/deno.xz >"$DENO_BIN"
  else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
      .denobin/deno.xz "$DENO_BIN"
  fi
  chmod +x "$DENO_BIN"
elif command -v deno >/dev/null; then
  DENO_BIN=$(command -v deno)
else
  say "FAIL: no Deno (carry .denobin from bench/device/prepare.sh)"
  exit 4
fi
export PATH="$(dirname "$DENO_BIN"):$PATH"
export DENO_WEBGPU_BACKEND=vulkan NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
[ -d .denobin/deno_dir ] && export DENO_DIR=$ROOT/.denobin/deno_dir
CACHED=(--cached-only)
[ -d .denobin/deno_dir ] || CACHED=()
say "$(deno --version | head -1); DENO_DIR=${DENO_DIR:-default}"

# --- 2. Probe -----------------------------------------------------------------------------------
PROBE_FLAGS=()
[ "$SOFTWARE" = 1 ] && PROBE_FLAGS=(--allow-software)
timeout 120 deno run -A "${CACHED[@]}" bench/device/probe.ts --out "$OUT/probe.json" "${PROBE_FLAGS[@]}"
rc=$?
if [ $rc = 3 ] && [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$ICD" ]; then
  # The loader found only a software driver: name NVIDIA's ICD and ask again.
  export VK_DRIVER_FILES=$ICD
  say "software adapter only: retrying the probe with VK_DRIVER_FILES=$ICD"
  timeout 120 deno run -A "${CACHED[@]}" bench/device/probe.ts --out "$OUT/probe.json" "${PROBE_FLAGS[@]}"
  rc=$?
fi
if [ $rc = 3 ]; then
  say "FAIL: the adapter is a fallback/software adapter: no GPU numbers (see probe.json)"
  exit 3
elif [ $rc = 2 ]; then
  say "FAIL: no WebGPU adapter (see above)"
  exit 2
elif [ $rc != 0 ]; then
  # The probe's experiments (cooperative matrices) may crash a driver; the rest still runs.
  say "the probe exited $rc (see above and probe.json); going on with the tests and the bench"
fi

# --- 3. Tests with every matmul variant forced -------------------------------------------------
TESTS=(tests/model/hrm_golden_test.ts tests/model/trm_golden_test.ts tests/ops/matmul_test.ts)
[ -f tests/ops/f16_test.ts ] && TESTS+=(tests/ops/f16_test.ts)
VARIANTS=$(sed -n 's/^export const MATMUL_VARIANTS[^=]*= \[\(.*\)\];.*/\1/p' lib/gpu/variants.ts |
  tr -d '" ' | tr ',' ' ')
if [ "$SKIP_TESTS" = 0 ]; then
  for v in $VARIANTS; do
    [ "$(left)" -lt 400 ] && { say "tests HRM_MATMUL=$v skipped: under 400 s left, kept for the bench"; continue; }
    say "tests HRM_MATMUL=$v: ${TESTS[*]}"
    log=$(mktemp)
    HRM_MATMUL=$v timeout 90 deno test -A --no-check "${CACHED[@]}" --parallel=false "${TESTS[@]}" \
      >"$log" 2>&1
    rc=$?
    { echo "=== HRM_MATMUL=$v: exit $rc"; cat "$log"; } >>"$OUT/tests.log"
    say "tests HRM_MATMUL=$v: exit $rc$([ $rc = 124 ] && echo ' (timed out)') $(grep -E '^(ok|FAILED) \|' "$log" | tail -1)"
  done
fi

# --- 4. The benchmark ---------------------------------------------------------------------------
if [ "$SKIP_BENCH" = 0 ]; then
  DATA=.denobin/data/sudoku-gpu-bench
  BENCH=(--data "$DATA")
  if [ "$SOFTWARE" = 1 ]; then
    DATA=runs/bench-gpu/sudoku-tiny
    [ -f "$DATA/test/dataset.json" ] || deno run -A "${CACHED[@]}" cli.ts gen sudoku --out "$DATA" \
      --train 16 --test 8 --aug 2 --mix 1 --workers 0
    BENCH=(--data "$DATA" --allow-software --tiny)
  elif [ ! -f "$DATA/test/dataset.json" ]; then
    DATA=data/sudoku-gpu-bench
    BENCH=(--data "$DATA")
    say "no carried dataset: generating $DATA on $(nproc) threads"
    timeout 150 deno run -A "${CACHED[@]}" cli.ts gen sudoku --out "$DATA" --train 1000 --test 500 \
      --aug 40 --workers "$(nproc)"
  fi
  BUDGET=$(($(left) - 25))
  say "bench gpu, budget ${BUDGET}s"
  mark=$(mktemp)
  timeout $((BUDGET + 20)) deno run -A "${CACHED[@]}" bench/gpu.ts --budget "$BUDGET" "${BENCH[@]}"
  say "bench gpu: exit $?"
  find bench/results runs/bench-gpu -maxdepth 1 -name 'gpu_*.json' -newer "$mark" \
    -exec cp {} "$OUT/" \; 2>/dev/null
fi
say "done; files in \$OUT: $(ls "$OUT" | tr '\n' ' ')"
