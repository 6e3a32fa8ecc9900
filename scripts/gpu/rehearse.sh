#!/usr/bin/env bash
# The device check rehearsed on this machine, without a GPU, before a device run: scripts/gpu/check.sh
# as the GPU machine runs it (the bundle's jlinked runtime and jar, the log, the summary, the exit
# code), its CUDA path over a fake libcuda.so.1 and libcublas.so.13 (src/test/c, built by
# sharnn.cuda.FakeCuda) whose kernels are the CUDA C itself, compiled for the CPU by the emulator of
# src/test/cuda. Needs g++ on x86-64; not part of CI.
#
#   scripts/gpu/rehearse.sh
#
# REHEARSE_STAGES: check.sh's stages to run, by default all but quality (300 paper steps beside the
# original code: hours emulated, and PyTorch) and sanitizer (no compute-sanitizer without a GPU). The model stages (segment, recurrence, recurrence-bf16,
# graphs, bf16), bench and resume run on a tiny model (check.sh's CHECK_MODEL=tiny: E 24, segments of
# 6 bytes, 3 graph steps, bench for a second, 4 resume steps; bench's rows of the original code stay
# "?" without PyTorch and a GPU), about 1 to 3 minutes in all; e.g. only the first two:
#   REHEARSE_STAGES="kernels golden" scripts/gpu/rehearse.sh
# FAKE_CUDA_SMS: the fake GPU's multiprocessors (132); 0 leaves no room for the persistent kernels, whose
# rows then say so (check.sh's reading of DeviceCheck's exit code 3):
#   FAKE_CUDA_SMS=0 REHEARSE_STAGES="recurrence recurrence-bf16 profile" scripts/gpu/rehearse.sh
# The bundle is made (scripts/gpu/bundle.sh) where it is missing or older than the sources; the original
# code goes in only where ref/sha and ref/lamb (or $SHA_RNN_DIR and $LAMB_DIR) or the fetched mirrors that
# bundle.sh reads exist: nothing is downloaded.
# The log: $OUT/check.log (default target/rehearsal). Exit code: check.sh's (0 when every stage passed).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

stale=$( [ -f gpu-bundle/sharnn.jar ] && [ -f gpu-bundle/BUILD ] && find pom.xml src/main -newer gpu-bundle/sharnn.jar -print -quit || echo missing)
mirror=${REF_MIRROR:-/work/.mirror}
if [ -n "$stale" ]; then
  echo "rehearse: making the bundle ($stale is newer)"
  if { [ -e "${SHA_RNN_DIR:-ref/sha}" ] || [ -d "$mirror/Smerity+sha-rnn/repo" ]; } &&
     { [ -e "${LAMB_DIR:-ref/lamb}" ] || [ -d "$mirror/Smerity+pytorch-lamb/repo" ]; }; then scripts/gpu/bundle.sh
  else echo "rehearse: no ref/sha and ref/lamb: the bundle goes without the original code"; BUNDLE_REFERENCE=none scripts/gpu/bundle.sh
  fi
fi
# the fakes are built by a test class (compiled here, where bundle.sh did not just do it)
./mvnw -q -B -o test-compile
fakes=$("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp target/test-classes:target/classes sharnn.cuda.FakeCuda)
echo "rehearse: the fake CUDA driver and cuBLAS: $fakes"

export LD_LIBRARY_PATH="$fakes${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OUT=${OUT:-target/rehearsal} CHECK_WORK=${CHECK_WORK:-/tmp/sharnn-rehearsal}
export CHECK_ONLY=${REHEARSE_STAGES:-kernels golden segment recurrence recurrence-bf16 profile graphs bf16 bench resume}
export CHECK_MODEL=tiny
mkdir -p "$OUT"
rc=0
bash scripts/gpu/check.sh || rc=$?
echo "rehearse: check.sh exited with $rc; its log is $OUT/check.log"
exit $rc
