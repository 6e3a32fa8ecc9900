#!/usr/bin/env bash
# Rebuilds the demo corpus shipped in the jar: text the project owns (its README, docs and Java sources).
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/main/resources/sharnn/demo/corpus.txt
{
  cat README.md
  if [ -d docs ]; then find docs -name '*.md' | sort | xargs -r cat; fi
  find src/main/java -name '*.java' | sort | xargs cat
} > "$out.tmp"
mv "$out.tmp" "$out"
wc -c "$out"
