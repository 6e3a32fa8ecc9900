#!/usr/bin/env bash
# Every CUDA kernel against its Java twin on random inputs with poisoned outputs, on GPU cuda:N
# (default cuda:0), printed as one table. Exit 0 all equal, 1 a kernel differs, 2 no CUDA here.
# JAVA: the java to run (default: JAVA_HOME's, as bin/sharnn takes it, else java on PATH); JAR: sharnn's jar
# (default target/sharnn.jar).
set -euo pipefail
cd "$(dirname "$0")/../.."
# cuBLAS may live outside the loader's path (CUDA's lib64, or a Python wheel's nvidia/cublas/lib)
if ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.13'; then
    found=$(find /usr/local /usr/lib /opt /root /home -name 'libcublas.so.13' 2>/dev/null | head -1 || true)
    if [ -n "$found" ]; then
        export LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        echo "cuBLAS: $found"
    fi
fi
default_java=java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && default_java="$JAVA_HOME/bin/java"
exec "${JAVA:-$default_java}" --enable-native-access=ALL-UNNAMED -cp "${JAR:-target/sharnn.jar}" sharnn.cuda.KernelCheck "$@"
