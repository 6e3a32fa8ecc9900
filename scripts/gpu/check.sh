#!/usr/bin/env bash
# The device check of the CUDA path, about 5 minutes on one H200 (see scripts/gpu/bundle.sh):
#  1. the machine: GPU, driver, PyTorch;
#  2. every kernel against its Java twin on random inputs with poisoned outputs;
#  2b. the golden file of the original code on the GPU in fp32 (TF32 off): forward/backward, 3 LAMB steps;
#  3. one paper-shape training segment pair, CPU against GPU, dropout on;
#  3b. the persistent LSTM recurrence against the per-step path at the paper shape (B 16), µs per step of each;
#  3c. 10 paper-shape training steps on CUDA graphs against the same launched one by one, ms a step of each;
#  4. the paper preset's training speed: sharnn on the GPU (fp32), the original in fp32 and bf16.
# Everything is teed to $OUT/check.log (or /tmp/check.log); the summary comes last.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=${OUT:-/tmp}/check.log
exec > >(tee "$log") 2>&1
b=gpu-bundle
[ -f $b/sharnn.jar ] || { echo "check: no $b/sharnn.jar: run scripts/gpu/bundle.sh first (and carry gpu-bundle)"; exit 2; }
tar -xzf $b/jre.tgz -C /tmp
J="/tmp/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx32g -cp $b/sharnn.jar"
# cuBLAS may live outside the loader's path (CUDA's lib64, or a Python wheel's nvidia/cublas/lib)
if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.13'; then
  found=$(find /usr/local /usr/lib /opt /root /home -name 'libcublas.so.13' 2>/dev/null | head -1 || true)
  [ -n "$found" ] && export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && echo "cuBLAS: $found"
fi
summary=()
step() { echo; echo "== $*"; }

step "machine"
nvidia-smi -L; nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), torch.cuda.get_device_name(0))'
$J sharnn.cli.Main info --device cuda 2>&1 | grep -v 'incubator modules' || true

step "kernels against their Java twins"
if timeout 90 $J sharnn.cuda.KernelCheck; then
  summary+=("kernels vs twins: PASS"); else summary+=("kernels vs twins: FAIL"); fi

step "golden files on the GPU, fp32"
# golden and segment on the per-step recurrence (the reference); the persistent kernels are compared with it next
if timeout 120 $J -Dsharnn.recurrence=per-step sharnn.cuda.DeviceCheck golden src/test/resources/golden/sharnn-tiny-golden.safetensors; then
  summary+=("golden fp32: PASS"); else summary+=("golden fp32: FAIL"); fi

step "paper-shape segment, CPU against GPU"
if timeout 180 $J -Dsharnn.recurrence=per-step sharnn.cuda.DeviceCheck segment 4; then
  summary+=("segment CPU vs GPU: PASS"); else summary+=("segment CPU vs GPU: FAIL"); fi

step "persistent LSTM recurrence against the per-step path, paper shape"
recurrence=persistent
if timeout 120 $J sharnn.cuda.DeviceCheck recurrence 16; then
  summary+=("persistent recurrence vs per step: PASS"); else summary+=("persistent recurrence vs per step: FAIL"); recurrence=per-step; fi

step "training steps on CUDA graphs against launches one by one, paper shape ($recurrence recurrence)"
graphs=on
if timeout 120 $J -Dsharnn.recurrence=$recurrence sharnn.cuda.DeviceCheck graphs 16; then
  summary+=("graphs vs direct launches: PASS"); else summary+=("graphs vs direct launches: FAIL"); graphs=off; fi

step "sharnn bench train --preset paper --device cuda (fp32, $recurrence recurrence, graphs $graphs)"
timeout 150 $J -Dsharnn.recurrence=$recurrence -Dsharnn.graphs=$graphs sharnn.cli.Main bench train --preset paper --device cuda --seconds 30 --json 2>&1 \
  | grep -v 'incubator modules' | tee /tmp/sharnn-fp32.json
sharnn_fp32=$(grep -o '"tokens_per_s":[0-9]*' /tmp/sharnn-fp32.json | cut -d: -f2)

for amp in none bf16; do
  step "original code, paper config, amp=$amp"
  PYTHONUNBUFFERED=1 timeout 150 python3 $b/ref_bench.py $b/ref/sha $b/ref/lamb $b/enwik8-4M device=cuda amp=$amp seconds=30 \
    2>&1 | tail -n 3 | tee /tmp/ref-$amp.txt
  eval "ref_$amp=\$(grep -o '\"tokens_per_s\": *[0-9.]*' /tmp/ref-$amp.txt | grep -o '[0-9.]*\$' | cut -d. -f1)"
done

step "summary"
printf '%s\n' "${summary[@]}"
printf '%-34s %12s\n' "paper preset, training" "tokens/s"
printf '%-34s %12s\n' "sharnn, GPU fp32" "${sharnn_fp32:-?}"
printf '%-34s %12s\n' "original, fp32 (amp=none)" "${ref_none:-?}"
printf '%-34s %12s\n' "original, bf16" "${ref_bf16:-?}"
