#!/usr/bin/env bash
# Every CUDA kernel against its Java twin on random inputs with poisoned outputs, on GPU cuda:N
# (default cuda:0), printed as one table. Exit 0 all equal, 1 a kernel differs, 2 no CUDA here.
# JAVA: the java to run (default: java on PATH); JAR: sharnn's jar (default target/sharnn.jar).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${JAVA:-java}" --enable-native-access=ALL-UNNAMED -cp "${JAR:-target/sharnn.jar}" sharnn.cuda.KernelCheck "$@"
