#!/usr/bin/env bash
# The device check of the CUDA path, about 5 minutes on one H200 (see scripts/gpu/bundle.sh):
#  1. the machine: GPU, driver, PyTorch;
#  2. every kernel against its Java twin on random inputs with poisoned outputs;
#  2b. the golden file of the original code on the GPU in fp32 (TF32 off): forward/backward, 3 LAMB steps;
#  3. one paper-shape training segment pair, CPU against GPU, dropout on;
#  3b. the persistent LSTM recurrence against the per-step path at the paper shape (B 16), µs per step of each;
#  4. the paper preset's training speed: sharnn on the GPU (fp32), the original in fp32 and bf16.
# Everything is teed to $OUT/check.log (or /tmp/check.log); the summary comes last.
set -uo pipefail
cd "$(dirname "$0")/../.."
log=${OUT:-/tmp}/check.log
exec > >(tee "$log") 2>&1
tee_pid=$!
trap 'exec >&- 2>&-; wait "$tee_pid"' EXIT   # the summary reaches the log and stdout before the script ends
b=gpu-bundle
[ -f $b/sharnn.jar ] || { echo "check: no $b/sharnn.jar: run scripts/gpu/bundle.sh first (and carry gpu-bundle)"; exit 2; }
tar -xzf $b/jre.tgz -C /tmp
J="/tmp/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx32g -cp $b/sharnn.jar"
# cuBLAS may live outside the loader's path: PyTorch's nvidia wheels (site-packages/nvidia/cu13/lib, where
# python3 says), CUDA's lib64, or anywhere under the usual roots
if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.13'; then
  found=$(timeout 30 python3 -c '
import glob, os, site, sys
for r in site.getsitepackages() + [site.getusersitepackages()] + sys.path:
    for p in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib", "libcublas.so.13"))):
        print(p); sys.exit()' 2>/dev/null)
  [ -n "$found" ] || found=$(timeout 30 find /usr/local /usr/lib /opt /root /home /workspace -name 'libcublas.so.13' 2>/dev/null | head -1)
  if [ -n "$found" ]; then export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; echo "cuBLAS: $found"
  else echo "cuBLAS: no libcublas.so.13 found (the GPU stages will say 'no CUDA')"; fi
fi
# Every stage runs under `within SECONDS`: its own limit, cut to what is left of the whole check's
# budget (CHECK_SECONDS, default 480: run it with a device timeout_s of 520 or more), then killed outright 10 s
# after its TERM (a JVM blocked in the driver, e.g. a grid barrier whose blocks are not all resident,
# may not stop on TERM). A stage with under 15 s left is skipped, and the summary still prints.
deadline=$(( $(date +%s) + ${CHECK_SECONDS:-480} ))
within() {
  local want=$1 left; shift
  left=$(( deadline - $(date +%s) - 15 ))
  if [ "$left" -lt 15 ]; then echo "(skipped: the check's time is spent)"; return 124; fi
  [ "$want" -lt "$left" ] || want=$left
  timeout -k 10 "$want" "$@"
}
summary=()
step() { echo; echo "== $*"; }
# verdict NAME SECONDS COMMAND...: runs it within its time, a line of the summary says how it ended
verdict() {
  local name=$1 rc; shift
  within "$@"; rc=$?
  case $rc in
    0) summary+=("$name: PASS") ;;
    124|137) summary+=("$name: NO RESULT (timed out or skipped: exit $rc)") ;;
    *) summary+=("$name: FAIL (exit $rc)") ;;
  esac
  return $rc
}

step "machine"
within 20 nvidia-smi -L; within 20 nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader
within 60 python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), torch.cuda.get_device_name(0))'
within 30 $J sharnn.cli.Main info --device cuda 2>&1 | grep -v 'incubator modules' || true

step "kernels against their Java twins"
verdict "kernels vs twins" 90 $J sharnn.cuda.KernelCheck

step "golden files on the GPU, fp32"
# golden and segment on the per-step recurrence (the reference); the persistent kernels are compared with it next
verdict "golden fp32" 120 $J -Dsharnn.recurrence=per-step sharnn.cuda.DeviceCheck golden \
  src/test/resources/golden/sharnn-tiny-golden.safetensors

step "paper-shape segment, CPU against GPU"
verdict "segment CPU vs GPU" 180 $J -Dsharnn.recurrence=per-step sharnn.cuda.DeviceCheck segment 4

step "persistent LSTM recurrence against the per-step path, paper shape"
recurrence=persistent
verdict "persistent recurrence vs per step" 120 $J sharnn.cuda.DeviceCheck recurrence 16 || recurrence=per-step

step "sharnn bench train --preset paper --device cuda (fp32, $recurrence recurrence)"
within 150 $J -Dsharnn.recurrence=$recurrence sharnn.cli.Main bench train --preset paper --device cuda --seconds 30 --json 2>&1 \
  | grep -v 'incubator modules' | tee /tmp/sharnn-fp32.json
sharnn_fp32=$(grep -o '"tokens_per_s":[0-9]*' /tmp/sharnn-fp32.json | cut -d: -f2)

for amp in none bf16; do
  step "original code, paper config, amp=$amp"
  PYTHONUNBUFFERED=1 within 150 python3 $b/ref_bench.py $b/ref/sha $b/ref/lamb $b/enwik8-4M device=cuda amp=$amp seconds=30 \
    2>&1 | tail -n 3 | tee /tmp/ref-$amp.txt
  eval "ref_$amp=\$(grep -o '\"tokens_per_s\": *[0-9.]*' /tmp/ref-$amp.txt | grep -o '[0-9.]*\$' | cut -d. -f1)"
done

step "summary"
printf '%s\n' "${summary[@]}"
printf '%-34s %12s\n' "paper preset, training" "tokens/s"
printf '%-34s %12s\n' "sharnn, GPU fp32" "${sharnn_fp32:-?}"
printf '%-34s %12s\n' "original, fp32 (amp=none)" "${ref_none:-?}"
printf '%-34s %12s\n' "original, bf16" "${ref_bf16:-?}"
