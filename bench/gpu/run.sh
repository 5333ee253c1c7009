#!/usr/bin/env bash
# flowbook GPU bench (issue 8): ResNet-101 inference (batch 1, 16, 64) and a training step (batch 32) per provider
# (webgpu, cuda, tensorrt; each "not available: <reason>" when it cannot run), as speed-up tables (eager, graph,
# + AMP, + fusions) with images/s, plus PyTorch on the same GPU when it is installed there. No network needed.
#
#   bench/gpu/run.sh            the full run (about 7 minutes at most; BUDGET_S=420 for the flowbook part)
#   bench/gpu/run.sh --quick    small sizes (ResNet-18 at 64x64, CPU included): checks the script on any machine
#   bench/gpu/run.sh --cpu      also measure the CPU provider in a full run
#
# Node.js: uses `node` from PATH when it is there; otherwise the carry folder made by bench/gpu/pack.sh
# (bench/gpu/carry/: a compressed Node binary plus dist/ and the pruned node_modules), unpacked into a temp dir.
# Output: printed, and the raw numbers in $OUT/gpu_bench.json (or /tmp/flowbook-gpu-bench.json).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
START=$(date +%s)
OUT_DIR="${OUT:-/tmp}"
mkdir -p "$OUT_DIR"
export OUT_JSON="${OUT_JSON:-$OUT_DIR/$( [ -n "${OUT:-}" ] && echo gpu_bench.json || echo flowbook-gpu-bench.json )}"
export BUDGET_S="${BUDGET_S:-420}"
QUICK=0
for a in "$@"; do case "$a" in --quick) QUICK=1 ;; --cpu) ;; -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; *) echo "run.sh: unknown option $a (use --quick, --cpu)" >&2; exit 2 ;; esac; done

echo "== flowbook GPU bench, $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
echo "uptime: $(uptime)"
if command -v nvidia-smi >/dev/null 2>&1; then
  echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -4 | tr '\n' ';')"
else
  echo "GPU: nvidia-smi not found (no NVIDIA driver tools on this machine)"
fi

# ---- Node.js: from PATH, or from the carry folder -------------------------------------------------------------
NODE="$(command -v node || true)"
[ -n "${FLOWBOOK_FORCE_CARRY:-}" ] && NODE=""   # test the carry path on a machine that has node
APP="$ROOT"
if [ -z "$NODE" ]; then
  CARRY="${FLOWBOOK_CARRY:-$HERE/carry}"
  if [ ! -f "$CARRY/node.xz" ] || [ ! -f "$CARRY/app.tar.xz" ]; then
    echo "not available: Node.js is not installed here and there is no carry folder at $CARRY (make it with bench/gpu/pack.sh on a machine with Node.js, copy it along)" >&2
    exit 3
  fi
  command -v xz >/dev/null 2>&1 || { echo "not available: the carry folder is xz-compressed and this machine has no xz" >&2; exit 3; }
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/flowbook-carry.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  xz -dc "$CARRY/node.xz" > "$TMP/node" && chmod +x "$TMP/node"
  mkdir -p "$TMP/app" && xz -dc "$CARRY/app.tar.xz" | tar -x -C "$TMP/app"
  NODE="$TMP/node"; APP="$TMP/app"
  echo "Node.js: not installed here; using the carry folder ($("$NODE" --version))"
else
  echo "Node.js: $NODE ($("$NODE" --version))"
  [ -f "$ROOT/dist/bench/gpu/gpu_bench.js" ] || { echo "building (npx tsc)..."; (cd "$ROOT" && "$NODE" node_modules/typescript/bin/tsc -p tsconfig.json) || exit 1; }
fi

# ---- flowbook ---------------------------------------------------------------------------------------------------
ARGS=("$@")
FLOW_LIMIT=$(( BUDGET_S + 60 ))
timeout --kill-after=10 "$FLOW_LIMIT" "$NODE" "$APP/dist/bench/gpu/gpu_bench.js" "${ARGS[@]}"
rc=$?
[ $rc -eq 124 ] && echo "flowbook bench: stopped after ${FLOW_LIMIT} s (time limit)"

# ---- PyTorch on the same GPU, if installed ----------------------------------------------------------------------
ELAPSED=$(( $(date +%s) - START ))
LEFT=$(( 470 - ELAPSED ))
PY=""
for p in python3 /usr/bin/python3; do if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch, torchvision" >/dev/null 2>&1; then PY="$p"; break; fi; done
echo
if [ -z "$PY" ]; then
  echo "## PyTorch: not available: no python3 with torch and torchvision here"
elif [ "$LEFT" -lt 30 ]; then
  echo "## PyTorch: skipped: only ${LEFT} s of the 8-minute budget left"
else
  timeout --kill-after=5 "$LEFT" "$PY" "$HERE/torch_gpu.py" $( [ $QUICK = 1 ] && echo --quick ) || echo "PyTorch bench: stopped or failed (status $?)"
fi
echo
echo "== done in $(( $(date +%s) - START )) s; uptime: $(uptime)"
exit $rc
