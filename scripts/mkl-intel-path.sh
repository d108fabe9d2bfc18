#!/usr/bin/env bash
# Builds the shared library of scripts/mkl-intel-path.c (MKL's vendor check answered
# "Intel", so libtorch's bundled MKL uses the AVX2/AVX-512 kernels the CPU has) and
# prints its path. Use it on AMD machines:
#   export LD_PRELOAD=$(scripts/mkl-intel-path.sh)
#   java -jar target/phreg.jar ...
# usage: scripts/mkl-intel-path.sh [OUTPUT_DIR]   (default /tmp/phreg-mkl); needs a C compiler
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/phreg-mkl}
mkdir -p "$out"
library=$out/libmkl-intel-path.so
if [ ! -e "$library" ] || [ "$here/mkl-intel-path.c" -nt "$library" ]; then
	${CC:-cc} -shared -fPIC -O2 -o "$library" "$here/mkl-intel-path.c"
fi
echo "$library"
