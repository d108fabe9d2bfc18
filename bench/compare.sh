#!/usr/bin/env bash
# Runs the PyTorch reference loop and phreg's training path back to back, A-B-A
# (reference, phreg, reference), with the same teacher, images and settings, and prints
# images/s and per-phase ratios. Only a ratio from one sitting means anything on a shared
# machine: look at the load averages it prints, and discard the sitting when the two
# reference runs differ by more than about 5 %.
#
# usage: bench/compare.sh TEACHER_HF_DIR IMAGES_DIR
# settings (environment, shared by both sides): STEPS=5 WARMUP=1 BATCH=4 VIEWS=10
#   RESOLUTION=224 THREADS=1 CHUNK=8 (view-images per teacher pass; 0 = all B*V) SEED=0
# PHREG_ARGS: extra options for phreg only, such as "--target-cache on --view-sets 4"
# REF_ARGS: extra options for the reference only
# PHREG_PRELOAD: a library to preload into phreg only, such as the one
#   scripts/mkl-intel-path.sh builds (on AMD CPUs, MKL's AVX2/AVX-512 kernels)
# Needs python3-torch, python3-pil and OpenBLAS as ../shared/bench/README.md explains
# (OPENBLAS points at the unpacked libopenblas0-openmp), and a built target/phreg.jar.
set -euo pipefail

if [ $# -ne 2 ]; then
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
teacher=$1
images=$2
here=$(cd "$(dirname "$0")/.." && pwd)
reference=${PHREG_REFERENCE:-$here/../shared/bench/phreg_reference.py}
jar=${PHREG_JAR:-$here/target/phreg.jar}
openblas=${OPENBLAS:-/tmp/ob/usr/lib/x86_64-linux-gnu/openblas-openmp}
out=${OUT:-$(mktemp -d /tmp/phreg-compare.XXXXXX)}
settings="--steps ${STEPS:-5} --warmup ${WARMUP:-1} --batch ${BATCH:-4} --views ${VIEWS:-10}
	--resolution ${RESOLUTION:-224} --threads ${THREADS:-1} --teacher-chunk ${CHUNK:-8} --seed ${SEED:-0}
	--registers 16 --shift 0.15 --unlock default"

for needed in "$reference" "$jar" "$openblas"; do
	if [ ! -e "$needed" ]; then
		echo "compare.sh: $needed is missing; see the comment at the top of this script" >&2
		exit 1
	fi
done

run_reference() {
	# shellcheck disable=SC2086
	LD_LIBRARY_PATH=$openblas /usr/bin/python3 "$reference" --teacher "$teacher" --images "$images" \
		$settings ${REF_ARGS:-} 2>"$out/$1.log" | tail -1 >"$out/$1.json"
}

run_phreg() {
	# shellcheck disable=SC2086
	LD_PRELOAD=${PHREG_PRELOAD:-} java -Dai.djl.offline=true -jar "$jar" benchmark --teacher "$teacher" --images "$images" \
		$settings ${PHREG_ARGS:-} 2>"$out/$1.log" | tail -1 >"$out/$1.json"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); results in $out; phreg preloads: ${PHREG_PRELOAD:-nothing}" >&2
run_reference reference-a
run_phreg phreg
run_reference reference-b

/usr/bin/python3 - "$out" <<'PY'
import json, sys
folder = sys.argv[1]
a, p, b = (json.load(open(f"{folder}/{name}.json")) for name in ("reference-a", "phreg", "reference-b"))
ref_ips = (a["images_per_s"] + b["images_per_s"]) / 2
spread = abs(a["images_per_s"] - b["images_per_s"]) / ref_ips
def per(result, phase, count):
    return result["phase_s"][phase] / max(1, result[count])
def mean(key, count):
    return (per(a, key, count) + per(b, key, count)) / 2
print(f"settings: batch {p['batch']}, views {p['views']}, {p['resolution']} px, teacher chunk {p['teacher_chunk']},"
      f" threads {p['threads']}, {p['steps']} timed steps, phreg mode {p['mode']}")
for name, r in (("reference A", a), ("phreg", p), ("reference B", b)):
    print(f"{name:12s} {r['images_per_s']:8.3f} images/s  wall {r['wall_s']:8.2f} s  loadavg"
          f" {r['loadavg_start'][0]:.2f} -> {r['loadavg_end'][0]:.2f}  peak RSS {r['max_rss_mb']} MB")
print(f"reference runs differ by {100 * spread:.1f} %" + ("  (over 5 %: discard this sitting)" if spread > 0.05 else ""))
print(f"images/s phreg / reference: {p['images_per_s'] / ref_ips:.2f}x")
rows = [("data per image", "data", "images"),
        ("teacher forward per view-image", "teacher_forward", "teacher_view_images"),
        ("teacher TTA per image", "teacher_tta", "images"),
        ("student fwd+bwd per image", "student_fwd_bwd", "images"),
        ("optimizer per step", "optimizer", "steps")]
for label, phase, count in rows:
    ours, theirs = per(p, phase, count), mean(phase, count)
    ratio = f"{theirs / ours:.2f}x faster" if ours > 0 and theirs > 0 else "n/a"
    print(f"  {label:32s} phreg {1e3 * ours:9.2f} ms  reference {1e3 * theirs:9.2f} ms  {ratio}")
PY
