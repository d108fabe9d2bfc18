#!/usr/bin/env bash
# Peak resident memory while loading a ViT-g sized checkpoint (DINOv2 ViT-g/14 shapes,
# 1.1 billion parameters, Hugging Face layout, BF16, 1 GB shards with
# model.safetensors.index.json, about 2.2 GB), against the float32 model it becomes. The
# checkpoint is generated with phreg's own writer in one JVM, loaded in a fresh one, and
# deleted afterwards.
#
# usage: bench/large-checkpoint.sh [WORK_DIR]   (default: a new folder under /tmp;
#   needs about 2.3 GB free there and about 6 GB of memory)
# Builds target/phreg.jar and the test classes first (offline).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${1:-/tmp}/phreg-large-checkpoint.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$here" && ./mvnw -o -q -DskipTests package)
unzip -q -o "$here/target/phreg.jar" 'BOOT-INF/*' -d "$work/jar"
classpath="$work/jar/BOOT-INF/classes:$work/jar/BOOT-INF/lib/*:$here/target/test-classes"
main=ai.phreg.checkpoint.LargeCheckpointBenchmark

java -Xmx3g -cp "$classpath" "$main" generate "$work/vit-g"
du -sh "$work/vit-g"
java -Dai.djl.offline=true -cp "$classpath" "$main" load "$work/vit-g"
