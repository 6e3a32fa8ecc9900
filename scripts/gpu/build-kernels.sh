#!/usr/bin/env bash
# Rebuilds the CUDA fatbins (src/main/cuda/*.cu -> src/main/resources/sharnn/cuda/*.fatbin) and their
# manifest: nvcc's version, the flags, and per source its sha256 and its fatbin's. Needs nvcc (CUDA 13);
# the plain build does not: it uses the committed fatbins. Run from anywhere; commit what changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
NVCC=${NVCC:-nvcc}
# machine code for Ampere and Ada (sm_80 runs on 8.0-8.9) and Hopper, PTX that newer GPUs compile
FLAGS="-fatbin -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
OUT=src/main/resources/sharnn/cuda
mkdir -p "$OUT"
manifest=$OUT/kernels.manifest
{
    echo "# sharnn's CUDA kernels, written by scripts/gpu/build-kernels.sh: source, sha256, fatbin, sha256"
    echo "nvcc: $("$NVCC" --version | grep release)"
    echo "flags: $FLAGS"
    for src in src/main/cuda/*.cu; do
        name=$(basename "$src" .cu)
        # shellcheck disable=SC2086
        "$NVCC" $FLAGS -o "$OUT/$name.fatbin.tmp" "$src"
        mv "$OUT/$name.fatbin.tmp" "$OUT/$name.fatbin"
        echo "$name.cu $(sha256sum < "$src" | cut -d' ' -f1) $name.fatbin $(sha256sum < "$OUT/$name.fatbin" | cut -d' ' -f1)"
    done
} > "$manifest.tmp"
mv "$manifest.tmp" "$manifest"
cat "$manifest"
