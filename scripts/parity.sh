#!/usr/bin/env bash
# Learning parity with the original code: trains the original SHA-RNN (../shared/tools/ref_bench.py)
# and sharnn on the same bytes with the same stream layout, for several seeds, evaluates both on the
# same held-out bytes and prints a table (per seed, means, standard deviations, difference).
#
#   scripts/parity.sh [key=value ...]
#     seeds=5            seeds 1..N
#     dropout=0.1,0      one table per value (dropout, dropouth and dropouti alike; no embedding dropout)
#     preset=tiny        tiny, small or paper: the same shape and warmup on both sides
#     steps=600          training steps (lr 2e-3, warmup as the preset's, clip 0.25, min-trust LAMB)
#     eval_bytes=154400  the file's last N bytes are held out: both train on the rest and score these,
#                        one stream read in segments of the preset's bptt from a cold start
#     data=../shared/data/enwik8-4M   a plain file
#     threads=2          for both sides
#     device=cpu         the original's device (cuda on the GPU machine); amp=none|bf16|fp16 its precision
#     sharnn_device=     passed to sharnn train and eval as --device (cuda on the GPU machine)
#     sides=original,sharnn   run only one side with sides=original (e.g. where no JDK is installed)
#     vocab=bytes        the original's output classes: bytes = all 256 byte values, as sharnn's (its
#                        trainer copied to $out with that one line changed); seen = only the bytes seen
#                        in training, as ref_bench.py has it (200 in enwik8-4M). The difference matters:
#                        at 600 tiny steps the original with 256 classes ends 0.07-0.08 bpc higher.
#     out=runs/parity-PRESET-STEPS   logs, run directories and results.tsv; rows already there are not
#                        run again (the folder keeps the settings it was made with and refuses others)
#
# The original code is read from $SHA_RNN_DIR and $LAMB_DIR (default ref/sha and ref/lamb, git-ignored),
# cloned from github.com/Smerity/sha-rnn and Smerity/pytorch-lamb where absent; never commit it.
# $PYTHON is a python3 with PyTorch (default: the first of python3, /usr/bin/python3 that has it);
# $REF_BENCH the original's trainer (default ../shared/tools/ref_bench.py), $SHARNN sharnn's launcher
# (default bin/sharnn).
# On a shared CPU run it niced: `nice scripts/parity.sh`; the original runs with OMP_WAIT_POLICY=PASSIVE.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A o=([seeds]=5 [dropout]=0.1,0 [preset]=tiny [steps]=600 [eval_bytes]=154400
              [data]=../shared/data/enwik8-4M [threads]=2 [device]=cpu [amp]=none [sharnn_device]=
              [sides]=original,sharnn [vocab]=bytes [out]=)
for kv in "$@"; do
  k=${kv%%=*}
  if [[ "$kv" != *=* || -z "${o[$k]+set}" ]]; then
    echo "parity: unknown argument '$kv'; keys: ${!o[*]}" >&2; exit 2
  fi
  o[$k]=${kv#*=}
done
case ${o[preset]} in
  tiny)  shape="emsize=64 nhid=256 nlayers=4 batch=8 bptt=64 window=128 warmup=100" ;;
  small) shape="emsize=256 nhid=1024 nlayers=4 batch=16 bptt=256 window=1024 warmup=100" ;;
  paper) shape="emsize=1024 nhid=4096 nlayers=4 batch=16 bptt=1024 window=5000 warmup=800" ;;
  *) echo "parity: preset must be tiny, small or paper: ${o[preset]}" >&2; exit 2 ;;
esac
[[ ${o[vocab]} == bytes || ${o[vocab]} == seen ]] || { echo "parity: vocab must be bytes or seen: ${o[vocab]}" >&2; exit 2; }
data=${o[data]} out=${o[out]:-runs/parity-${o[preset]}-${o[steps]}} bench=${REF_BENCH:-../shared/tools/ref_bench.py} sharnn=${SHARNN:-bin/sharnn}
[[ -f "$data" ]] || { echo "parity: no data file $data" >&2; exit 2; }
IFS=, read -r -a dropouts <<< "${o[dropout]}"
IFS=, read -r -a sides <<< "${o[sides]}"
mkdir -p "$out/logs"
results=$out/results.tsv
touch "$results"
settings="preset=${o[preset]} steps=${o[steps]} eval_bytes=${o[eval_bytes]} data=$(basename "$data") device=${o[device]} amp=${o[amp]} sharnn_device=${o[sharnn_device]}"
[[ -f "$out/settings" ]] || echo "$settings" > "$out/settings"
[[ "$(cat "$out/settings")" == "$settings" ]] ||
  { echo "parity: $out holds results of other settings ($(cat "$out/settings")); choose another out=" >&2; exit 2; }

wants() { [[ ",${o[sides]}," == *",$1,"* ]]; }
if wants original; then
  sha=${SHA_RNN_DIR:-ref/sha} lamb=${LAMB_DIR:-ref/lamb}
  for pair in "$sha https://github.com/Smerity/sha-rnn" "$lamb https://github.com/Smerity/pytorch-lamb"; do
    set -- $pair
    if [[ ! -e "$1" ]]; then echo "parity: fetching $2 into $1" >&2; git clone -q --depth 1 "$2" "$1"; fi
  done
  py=${PYTHON:-}
  if [[ -z "$py" ]]; then
    for c in python3 /usr/bin/python3; do
      if "$c" -c 'import torch' 2>/dev/null; then py=$c; break; fi
    done
  fi
  [[ -n "$py" ]] || { echo "parity: no python3 with PyTorch found; set PYTHON" >&2; exit 1; }
  trainer=$bench
  if [[ ${o[vocab]} == bytes ]]; then
    trainer=$out/ref_bench_bytes.py
    sed 's/^symbols = np.unique(train_raw)$/symbols = np.arange(256)/' "$bench" > "$trainer"
    grep -q '^symbols = np.arange(256)$' "$trainer" ||
      { echo "parity: $bench no longer reads 'symbols = np.unique(train_raw)'; use vocab=seen" >&2; exit 1; }
  fi
fi
# the original's rows are told apart by its vocabulary
original=original
[[ ${o[vocab]} == seen ]] && original=original-seen
dev=()
[[ -n "${o[sharnn_device]}" ]] && dev=(--device "${o[sharnn_device]}")

# one row of results.tsv: side, dropout, seed, bpc, seconds
run() {
  local side=$1 d=$2 seed=$3 start bpc
  [[ $side == original ]] && side=$original
  local log="$out/logs/$side-d$d-s$seed.log"
  if awk -F'\t' -v s="$side" -v d="$d" -v e="$seed" '$1 == s && $2 == d && $3 == e { f = 1 } END { exit !f }' "$results"; then
    return
  fi
  start=$(date +%s)
  if [[ $side == original* ]]; then
    OMP_WAIT_POLICY=PASSIVE "$py" "$trainer" "$sha" "$lamb" "$data" $shape \
      steps="${o[steps]}" seconds=1000000000 seed="$seed" dropout="$d" eval_bytes="${o[eval_bytes]}" threads="${o[threads]}" \
      device="${o[device]}" amp="${o[amp]}" log=100 >"$log" 2>&1 || { echo "parity: the original failed, see $log" >&2; exit 1; }
    bpc=$(tail -n 1 "$log" | sed -n 's/.*"eval_bpc": \([0-9.]*\).*/\1/p')
  else
    local dir="$out/sharnn-d$d-s$seed"
    rm -rf "$dir"
    { $sharnn train --data "$data" --preset "${o[preset]}" --out "$dir" --steps "${o[steps]}" --threads "${o[threads]}" \
        "${dev[@]}" --set seed="$seed" --set dropout="$d" --set heldOut="${o[eval_bytes]}" --set evalEvery=0 \
        --set checkpointEvery=0 --set logEvery=100 --json &&
      $sharnn eval --checkpoint "$dir/last.safetensors" --data "$data" --split "last:${o[eval_bytes]}" --streams 1 \
        --threads "${o[threads]}" "${dev[@]}" --json; } >"$log" 2>&1 || { echo "parity: sharnn failed, see $log" >&2; exit 1; }
    bpc=$(tail -n 1 "$log" | sed -n 's/.*"bpc":\([0-9.]*\).*/\1/p')
  fi
  [[ -n "$bpc" ]] || { echo "parity: no bpc in $log" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\n' "$side" "$d" "$seed" "$bpc" $(( $(date +%s) - start )) >> "$results"
  echo "parity: $side dropout $d seed $seed: $bpc bpc ($(( $(date +%s) - start )) s)" >&2
}

for d in "${dropouts[@]}"; do
  for seed in $(seq 1 "${o[seeds]}"); do
    for side in "${sides[@]}"; do run "$side" "$d" "$seed"; done
  done
done

python3 - "$results" "$original" "${o[preset]}" "${o[steps]}" "${o[eval_bytes]}" "${o[seeds]}" "${dropouts[@]}" <<'EOF'
import math, statistics, sys
results, original, preset, steps, held, seeds, dropouts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7:]
bpc = {}
for line in open(results):
    side, d, seed, value, _ = line.rstrip('\n').split('\t')
    bpc[side, d, int(seed)] = float(value)
for d in dropouts:
    classes = 'all 256 byte values' if original == 'original' else 'the bytes seen in training'
    print(f'\n{preset}, {steps} steps, dropout {d}: bpc on the last {held:,} bytes ({held - 1:,} predicted, one stream);'
          f' the original\'s output: {classes}')
    print(f'{"seed":>6} {"original":>9} {"sharnn":>9} {"difference":>11}')
    cols = {s: [bpc.get((r, d, k)) for k in range(1, seeds + 1)] for s, r in (('original', original), ('sharnn', 'sharnn'))}
    for k in range(seeds):
        a, b = cols['original'][k], cols['sharnn'][k]
        cell = lambda v: f'{v:9.4f}' if v is not None else f'{"-":>9}'
        print(f'{k + 1:>6} {cell(a)} {cell(b)} {f"{b - a:+11.4f}" if a is not None and b is not None else "":>11}')
    got = {s: [v for v in cols[s] if v is not None] for s in cols}
    if any(len(v) < 2 for v in got.values()):
        continue
    m = {s: statistics.mean(v) for s, v in got.items()}
    sd = {s: statistics.stdev(v) for s, v in got.items()}
    print(f'{"mean":>6} {m["original"]:9.4f} {m["sharnn"]:9.4f} {m["sharnn"] - m["original"]:+11.4f}')
    print(f'{"sd":>6} {sd["original"]:9.4f} {sd["sharnn"]:9.4f}')
    se = math.sqrt(sum(sd[s] ** 2 / len(got[s]) for s in got))
    diff = m['sharnn'] - m['original']
    print(f'difference of means {diff:+.4f}, standard error {se:.4f}: '
          f'{"within" if abs(diff) <= 2 * se else "NOT within"} two standard errors')
EOF
