#!/usr/bin/env bash
# Checks the project's rule "every command in the README works as written": runs each line of each
# ```bash block of README.md, in order, one line one command, in the clone itself (runs/, data/ and
# target/ are git-ignored), with `timeout 600` under `nice -n 10`, and prints a line per command
# (number, PASS/FAIL/SKIP, exit code, seconds, the command) and a summary.
#
#   scripts/check-readme.sh [CLONE]     CLONE: a checkout (default: the one this script lives in);
#                                       best a fresh clone: `git clone . /tmp/fresh`
#   RESULTS=DIR   logs: NN.log (stdout and stderr of command NN), summary.txt (default: a mktemp dir)
#   DATA=FILE     enwik8 or a prefix of it, for data/enwik8 where it cannot be downloaded
#                 (default: ../shared/data/enwik8-4M from CLONE, else /work/shared/data/enwik8-4M)
#   ONLY="3 5"    run only these numbers (the others SKIP): to rerun one after a fix. A line that needs
#                 an earlier one's output (runs/small, enwik8.1M) needs that one run before.
#
# The README's lines write runs/small, runs/small-tuning, runs/paper and, in the root, enwik8.1M, *.shr, copy.1M, page.xml
# and others: a run refuses a CLONE where one of the run directories is already there, and moves the
# untracked files the commands left in the root to RESULTS/left/ at the end, so `git status` stays as
# it was. Exit 0 where nothing failed, 1 where something did, 2 where the check could not start.
set -uo pipefail

# ---- what is changed on a machine without internet and without a GPU: as few as possible ----------
# pattern (a bash glob on the README line) | action | why. Actions: skip; data (below); sub:OLD=>NEW
# (the line with OLD replaced); add:ARGS (ARGS added before the line's comment); nocuda (where no
# libcuda.so.1 is found: PASS only with exit code 2 and one line of output, as the README promises;
# with a driver the line runs as written); nvcc (SKIP without nvcc).
ADAPT=(
  # the stop hook runs the demo in a fresh clone; here it would add 2-3 minutes and check nothing more
  'bin/sharnn demo*|skip|the demo: checked by the stop hook in a fresh clone'
  # the whole suite is .ci/run's (about 6 minutes on 2 cores)
  './mvnw test*|skip|the tests: checked by .ci/run'
  # without network: DATA is copied to data/enwik8 so the later lines have it (run as written where
  # the download site answers, or where data/enwik8 is already the full 100,000,000 bytes)
  'bin/sharnn data enwik8 --dir data*|data|no network: DATA copied to data/enwik8'
  # train small and its resume: a minute each shows the same (training, logging, checkpoint, resume)
  '*--minutes 10*|sub:--minutes 10=>--minutes 1|run with --minutes 1'
  # the paper preset trains about 140 tokens/s on 2 cores: its flags parsed and one 8-byte step run,
  # validated on 1 KiB (the 200,000 bytes of the default validation would take minutes)
  '*--preset paper --out runs/paper --epochs 25*|add:--steps 1 --set batch=1 --set bptt=8 --set evalBytes=1K|run with --steps 1 --set batch=1 --set bptt=8 --set evalBytes=1K'
  # a paper step takes 2-5 minutes on 2 cores (one measured cold: 313 s), so its 1 warm-up and 2
  # measured iterations pass the 600 s limit: the small preset alone, with JMH's iterations as written
  '*sharnn.bench.ModelBench*|add:-p preset=small|run with JMH option -p preset=small'
  # without a GPU these must say so in one line and exit 2
  '*--device cuda*|nocuda|'
  'scripts/gpu/check-kernels.sh*|nocuda|'
  # needs CUDA's nvcc
  'scripts/gpu/build-kernels.sh*|nvcc|no nvcc'
  # needs PyTorch and the original code (cloned from GitHub), and runs about 90 minutes on 2 cores
  'nice scripts/parity.sh*|skip|needs PyTorch, the original code from GitHub and about 90 minutes'
)
# -------------------------------------------------------------------------------------------------

script_root="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clone="$(cd -P "${1:-$script_root}" 2>/dev/null && pwd)" || { echo "check-readme: no directory ${1:-}" >&2; exit 2; }
[[ -f "$clone/README.md" && -x "$clone/bin/sharnn" ]] || { echo "check-readme: $clone is not a sharnn checkout" >&2; exit 2; }
results="${RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/check-readme.XXXXXX")}"
mkdir -p "$results" && results="$(cd -P "$results" && pwd)" || exit 2
data="${DATA:-}"
if [[ -z "$data" ]]; then
  for d in "$clone/../shared/data/enwik8-4M" /work/shared/data/enwik8-4M; do [[ -f "$d" ]] && { data="$d"; break; }; done
fi
[[ -z "$data" || -f "$data" ]] || { echo "check-readme: DATA=$data is no file" >&2; exit 2; }
[[ -n "$data" ]] && data="$(cd -P "$(dirname "$data")" && pwd)/$(basename "$data")"
[[ -n "${JAVA_HOME:-}" ]] || echo "check-readme: JAVA_HOME is not set (the README's JMH lines use it)" >&2
cd "$clone" || exit 2

# the lines: each line of each ```bash block, comment-only and empty lines left out
mapfile -t cmds < <(awk '/^```bash[[:space:]]*$/ { inb = 1; next } /^```/ { inb = 0; next }
  inb && $0 !~ /^[[:space:]]*(#.*)?$/ { print }' README.md)
(( ${#cmds[@]} > 0 )) || { echo "check-readme: no bash blocks in $clone/README.md" >&2; exit 2; }

# a run directory that a line to run creates with --out must not be there yet (train refuses one)
for i in "${!cmds[@]}"; do
  c="${cmds[$i]}"
  [[ -n "${ONLY:-}" && " $ONLY " != *" $((i + 1)) "* ]] && continue
  if [[ "$c" =~ --out[[:space:]=]+([^[:space:]]+) && -e "${BASH_REMATCH[1]}" ]]; then
    echo "check-readme: $clone/${BASH_REMATCH[1]} exists (a README line creates it): use a fresh clone or move it away" >&2
    exit 2
  fi
done

have_cuda() { ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' || [[ -e /usr/lib/x86_64-linux-gnu/libcuda.so.1 ]]; }
online() { timeout 10 curl -sfI -o /dev/null http://mattmahoney.net/dc/enwik8.zip 2>/dev/null; }

tracked_before="$(git status --porcelain --untracked-files=no 2>/dev/null)"
untracked_before="$(git status --porcelain --untracked-files=all 2>/dev/null | sed -n 's/^?? //p')"
echo "check-readme: $clone ($(git log -1 --format=%h 2>/dev/null)), ${#cmds[@]} commands, logs in $results" | tee "$results/summary.txt"

ran=0 failed=0 skipped=0 start_all=$SECONDS
for i in "${!cmds[@]}"; do
  n=$((i + 1)) cmd="${cmds[$i]}" run_cmd="${cmds[$i]}" action="" reason="" note="" expect=0
  for row in "${ADAPT[@]}"; do
    IFS='|' read -r pat act why <<< "$row"
    # shellcheck disable=SC2053
    if [[ "$cmd" == $pat ]]; then action=$act reason=$why; break; fi
  done
  case "$action" in
    skip) ;;
    data)
      if [[ "$(stat -c %s data/enwik8 2>/dev/null)" == 100000000 ]] || online; then action="" reason=""
      elif [[ -z "$data" ]]; then reason="no network and no DATA"
      else mkdir -p data && { [[ -e data/enwik8 ]] || cp "$data" data/enwik8; } && reason="$reason ($data)"; fi ;;
    sub:*) old=${action#sub:}; new=${old#*=>}; old=${old%%=>*}; run_cmd="${cmd/"$old"/"$new"}"; note=" ($reason)" ;;
    add:*)
      args=${action#add:} code="$cmd" comment=""
      if [[ "$cmd" =~ ^(.*[^[:space:]])([[:space:]]+#[[:space:]].*)$ ]]; then code=${BASH_REMATCH[1]} comment=${BASH_REMATCH[2]}; fi
      run_cmd="$code $args$comment" note=" ($reason)" ;;
    nocuda) if have_cuda; then action=""; else expect=2 note=" (no CUDA: exit 2 in one line expected)"; fi ;;
    nvcc) if command -v "${NVCC:-nvcc}" >/dev/null; then action=""; fi ;;
  esac
  label="$(printf '%.100s' "$cmd")"; (( ${#cmd} > 100 )) && label="$label..."
  if [[ "$action" == skip || "$action" == data || "$action" == nvcc ]] ||
     [[ -n "${ONLY:-}" && " $ONLY " != *" $n "* ]]; then
    [[ -n "${ONLY:-}" && " $ONLY " != *" $n "* ]] && reason="not in ONLY"
    skipped=$((skipped + 1))
    printf '[%2d] SKIP  rc=-    %5ss  %s  (%s)\n' "$n" - "$label" "$reason" | tee -a "$results/summary.txt"
    continue
  fi
  log="$results/$(printf %02d "$n").log" pipe="$results/$(printf %02d "$n").pipe"
  t0=$SECONDS
  # the line as written, then its pipeline's statuses kept (a failure before a | shows there only)
  CHECK_README_PIPE="$pipe" timeout -k 30 600 nice -n 10 bash -c "$run_cmd"$'\n''__s=("${PIPESTATUS[@]}"); echo "${__s[*]}" > "$CHECK_README_PIPE"; exit "${__s[-1]}"' \
    </dev/null >"$log" 2>&1
  rc=$? secs=$((SECONDS - t0)) ran=$((ran + 1)) status=PASS why=""
  if (( rc == 124 || rc == 137 )); then status=FAIL why=" [timed out at 600 s]"
  elif (( expect == 2 )); then
    lines=$(wc -l < "$log")
    (( rc == 2 && lines == 1 )) || { status=FAIL why=" [expected exit 2 and one line, got $lines lines]"; }
  elif (( rc != 0 )); then status=FAIL
  else
    # a command before a | may end with 141 (SIGPIPE: its reader stopped, as `| head` does)
    for s in $(cat "$pipe" 2>/dev/null); do
      [[ "$s" == 0 || "$s" == 141 ]] || { status=FAIL why=" [its pipeline's exit codes: $(cat "$pipe")]"; }
    done
  fi
  rm -f "$pipe"
  tracked_now="$(git status --porcelain --untracked-files=no 2>/dev/null)"
  if [[ "$tracked_now" != "$tracked_before" ]]; then
    status=FAIL why="$why [changed tracked files: $(diff <(echo "$tracked_before") <(echo "$tracked_now") | sed -n 's/^> //p' | tr '\n' ' ')]"
    tracked_before="$tracked_now"
  fi
  [[ $status == FAIL ]] && failed=$((failed + 1))
  printf '[%2d] %-4s  rc=%-3s %5ss  %s%s%s\n' "$n" "$status" "$rc" "$secs" "$label" "$note" "$why" | tee -a "$results/summary.txt"
  [[ $status == FAIL ]] && tail -n 3 "$log" | sed 's/^/       | /' | cut -c1-200
done

# the untracked files the lines left in the root (enwik8.1M, *.shr, ...) go to RESULTS/left/
left=()
while IFS= read -r f; do
  [[ -n "$f" ]] && ! grep -qxF -- "$f" <<< "$untracked_before" && left+=("$f")
done < <(git status --porcelain --untracked-files=all 2>/dev/null | sed -n 's/^?? //p')
if (( ${#left[@]} > 0 )); then
  mkdir -p "$results/left" && mv -f -- "${left[@]}" "$results/left/" &&
    echo "moved ${#left[@]} untracked files the commands left to $results/left/: ${left[*]}" | tee -a "$results/summary.txt"
fi
echo "$ran run, $failed failed, $skipped skipped, $((SECONDS - start_all)) s" | tee -a "$results/summary.txt"
(( failed == 0 ))
