#!/usr/bin/env bash
# Builds the carry folder that lets bench/gpu/run.sh run on a machine without Node.js (and without network):
#   bench/gpu/carry/node.xz      this machine's Node binary (process.execPath), xz-compressed
#   bench/gpu/carry/app.tar.xz   dist/src, dist/bench/{gpu,graph/resnet.js}, bench/gpu/*.{sh,py}, and the pruned
#                                node_modules the bench loads: onnxruntime-node (package files + linux/x64 binaries
#                                only, with any CUDA/TensorRT provider libraries present) and onnxruntime-common
# Usage: bench/gpu/pack.sh [CARRY_DIR]   (default bench/gpu/carry; SKIP_BUILD=1 uses dist/ as built). Fails if the folder would exceed 60 MB.
# The CUDA provider libraries (node install.js --cuda) are several hundred MB; when present they are packed too
# and the size check will say the folder is too large: carry them separately (copy into
# node_modules/onnxruntime-node/bin/napi-v6/linux/x64 on the GPU machine's unpacked app) or set MAX_MB.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CARRY="${1:-$HERE/carry}"
MAX_MB="${MAX_MB:-60}"
cd "$ROOT"
[ -n "${SKIP_BUILD:-}" ] || node node_modules/typescript/bin/tsc -p tsconfig.json
NODE_BIN="$(node -p process.execPath)"
ORT="$(node -p "require('path').dirname(require.resolve('onnxruntime-node/package.json'))")"
COMMON="$ORT/node_modules/onnxruntime-common"; [ -d "$COMMON" ] || COMMON="$(dirname "$ORT")/onnxruntime-common"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/dist/bench/graph" "$STAGE/bench/gpu" "$STAGE/node_modules/onnxruntime-node/bin/napi-v6/linux" "$STAGE/node_modules/onnxruntime-common"
cp -r dist/src "$STAGE/dist/src"
find "$STAGE/dist/src" -name '*.d.ts' -delete -o -name '*.map' -delete
cp -r dist/bench/gpu "$STAGE/dist/bench/gpu"
cp dist/bench/graph/resnet.js "$STAGE/dist/bench/graph/"
cp bench/gpu/*.sh bench/gpu/*.py "$STAGE/bench/gpu/"
cp package.json "$STAGE/"
# onnxruntime-node: its JS and the linux/x64 binaries only (other platforms and the install scripts are not needed)
(cd "$ORT" && cp -r package.json dist "$STAGE/node_modules/onnxruntime-node/")
[ -d "$ORT/lib" ] && cp -r "$ORT/lib" "$STAGE/node_modules/onnxruntime-node/"
cp -r "$ORT/bin/napi-v6/linux/x64" "$STAGE/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
(cd "$COMMON" && cp -r package.json dist "$STAGE/node_modules/onnxruntime-common/")
find "$STAGE/node_modules" -name '*.map' -delete -o -name '*.d.ts' -delete
# check that the staged app loads with nothing else (no other node_modules reachable from the temp dir)
node -e "process.chdir('$STAGE'); require('$STAGE/dist/bench/graph/resnet.js'); require('$STAGE/node_modules/onnxruntime-node')" \
  || { echo "pack.sh: the staged app does not load on its own" >&2; exit 1; }
mkdir -p "$CARRY"
rm -f "$CARRY/node.xz" "$CARRY/app.tar.xz"
xz -T0 -9 -c "$NODE_BIN" > "$CARRY/node.xz"
tar -C "$STAGE" -cf - . | xz -T0 -9 -c > "$CARRY/app.tar.xz"
BYTES=$(du -cb "$CARRY/node.xz" "$CARRY/app.tar.xz" | tail -1 | cut -f1)
MB=$(( (BYTES + 1048575) / 1048576 ))
echo "carry folder $CARRY: node.xz $(du -h "$CARRY/node.xz" | cut -f1), app.tar.xz $(du -h "$CARRY/app.tar.xz" | cut -f1); ${MB} MB in all (limit ${MAX_MB} MB)"
echo "node $("$NODE_BIN" --version) from $NODE_BIN; onnxruntime-node $(node -p "require('$ORT/package.json').version"); provider libraries: $(ls "$ORT/bin/napi-v6/linux/x64" | tr '\n' ' ')"
if [ "$MB" -gt "$MAX_MB" ]; then echo "pack.sh: the carry folder is ${MB} MB, over ${MAX_MB} MB" >&2; exit 1; fi
