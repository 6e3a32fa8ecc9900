#!/usr/bin/env bash
# Fills gpu-bundle/ (git-ignored) with what scripts/gpu/check.sh needs on the GPU machine, which has
# no Java: a trimmed Java runtime (jlink, no java.desktop: nothing on the device path plots), the jar,
# the first 4 MB of enwik8 and the original code with its trainer (never committed).
#
#   scripts/gpu/bundle.sh        then, on the GPU machine, from the repository root:
#   bash scripts/gpu/check.sh    (output teed to $OUT/check.log where OUT is set)
#
# The original code is read from $SHA_RNN_DIR and $LAMB_DIR (default ref/sha and ref/lamb), cloned where
# absent from the search tool's fetched mirrors ($REF_MIRROR/Smerity+sha-rnn/repo and
# Smerity+pytorch-lamb/repo, REF_MIRROR default /work/.mirror: `fetch` brings them), else from
# github.com; BUNDLE_REFERENCE=none leaves it out (a rehearsal, scripts/gpu/rehearse.sh: check.sh's
# rows of the original then cannot run). gpu-bundle/BUILD records the commit and whether it is in.
set -euo pipefail
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
data=${DATA:-../shared/data/enwik8-4M}
bench=${REF_BENCH:-../shared/tools/ref_bench.py}
sha=${SHA_RNN_DIR:-ref/sha} lamb=${LAMB_DIR:-ref/lamb}
for f in "$data" "$bench"; do [ -f "$f" ] || { echo "bundle: $f is missing" >&2; exit 1; }; done
reference=${BUNDLE_REFERENCE:-yes}
mirror=${REF_MIRROR:-/work/.mirror}
[ "$reference" = none ] || for pair in "$sha sha-rnn" "$lamb pytorch-lamb"; do
  set -- $pair
  [ -e "$1" ] && continue
  if [ -d "$mirror/Smerity+$2/repo" ]; then echo "bundle: $1 from $mirror/Smerity+$2" >&2; git clone -q "$mirror/Smerity+$2/repo" "$1"
  else echo "bundle: fetching github.com/Smerity/$2 into $1" >&2; git clone -q --depth 1 "https://github.com/Smerity/$2" "$1"; fi
done
./mvnw -q -B -DskipTests package
rm -rf gpu-bundle && mkdir -p gpu-bundle/ref
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output gpu-bundle/jre
tar -czf gpu-bundle/jre.tgz -C gpu-bundle jre && rm -rf gpu-bundle/jre
cp target/sharnn.jar "$data" "$bench" gpu-bundle/
if [ "$reference" != none ]; then
  cp -r "$sha" gpu-bundle/ref/sha && cp -r "$lamb" gpu-bundle/ref/lamb
  rm -rf gpu-bundle/ref/*/.git gpu-bundle/ref/lamb/images
  # what check.sh runs of it: without these its rows would read "?" after their time on the GPU
  for f in ref/sha/model.py ref/lamb/pytorch_lamb/lamb.py; do
    [ -f "gpu-bundle/$f" ] || { echo "bundle: gpu-bundle/$f is missing: the original code is incomplete" >&2; exit 1; }
  done
fi
{ echo "bundle: commit $(git rev-parse --short HEAD) ($(git status --porcelain | wc -l) files changed or new since)," \
    "made $(date -u '+%Y-%m-%d %H:%M UTC'), original code: $([ "$reference" = none ] && echo none || echo in)"; } > gpu-bundle/BUILD
cat gpu-bundle/BUILD
du -sh gpu-bundle
