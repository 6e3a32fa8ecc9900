#!/bin/bash
# Checks that archives are the same bytes on another machine, which may have no JDK.
#
#   scripts/cross-machine-check.sh pack FILE   (here) builds devrun/: a trimmed Java 25 runtime
#                                              (jlink), the jar, FILE and its archive made here
#   bash devrun/check.sh                       (there) compresses FILE with every vector width
#                                              and 1 thread, compares with the archive made here,
#                                              decodes that archive, and times training
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${1:-}" = pack ] && [ -f "${2:-}" ] || { echo "usage: $0 pack FILE" >&2; exit 2; }
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ -f target/sharnn.jar ] || ./mvnw -q -B package -DskipTests
rm -rf devrun && mkdir devrun
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.net.http,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output devrun/jre 2>/dev/null
cp target/sharnn.jar devrun/
cp "$2" devrun/input
devrun/jre/bin/java --add-modules jdk.incubator.vector -cp devrun/sharnn.jar sharnn.cli.Main compress -q -f devrun/input devrun/input.here.shr 2>/dev/null
cat > devrun/check.sh <<'CHECK'
#!/bin/bash
cd "$(dirname "$0")"
OUT=${OUT:-/tmp}
J="./jre/bin/java --add-modules jdk.incubator.vector -cp sharnn.jar"
echo "== cpu"; lscpu | grep -E "Model name|^CPU\(s\)"; grep -o -w 'avx512f\|avx2\|asimd' /proc/cpuinfo | sort | uniq -c
for opts in "" "-Dsharnn.vector.bits=256" "-Dsharnn.vector.bits=512"; do
  echo "== compress $opts"
  $J $opts sharnn.cli.Main compress -f input $OUT/a.shr 2>&1 | grep -v WARN | tail -1
  cmp $OUT/a.shr input.here.shr && echo SAME-AS-HERE
done
echo "== compress --threads 1"; $J sharnn.cli.Main compress -f --threads 1 input $OUT/a.shr 2>&1 | grep -v WARN | tail -1
cmp $OUT/a.shr input.here.shr && echo SAME-AS-HERE
echo "== decompress the archive made here"; $J sharnn.cli.Main decompress -f input.here.shr $OUT/back 2>&1 | grep -v WARN | tail -1
cmp $OUT/back input && echo ROUNDTRIP-OK
rm -f $OUT/back $OUT/a.shr
for th in 2 $(nproc); do echo "== bench train small --threads $th"; $J -Xmn64m -XX:+UseParallelGC sharnn.cli.Main bench train --preset small --threads $th --seconds 20 2>&1 | grep -v WARN | tail -3; done
CHECK
chmod +x devrun/check.sh
du -sh devrun
