#!/usr/bin/env bash
# Checks phreg's CUDA path against its CPU path, for a user with a GPU (nobody on the
# project has one). Runs the real training path (`phreg benchmark`) on the same teacher,
# images and seed, first on the CPU, then on the GPU, and compares:
#   - the loss of step 1, which depends only on the teacher's denoised targets and the
#     student's first forward pass: relative difference <= 2e-3 (cuDNN may run the patch
#     convolution in TF32, about 1e-3 relative);
#   - the loss after 3 steps, which adds the backward pass and AdamW: relative <= 1e-2.
# Then it prints the GPU's images/s over 20 timed steps (after 2 warm-up steps).
#
# usage: scripts/gpu-check.sh TEACHER_CHECKPOINT IMAGES_DIR [cuda:N]
# settings (environment): BATCH=4 VIEWS=10 RESOLUTION (default: the teacher's) CHUNK=8
# Needs a built target/phreg.jar (./mvnw -q package -DskipTests) and python3.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
teacher=$1
images=$2
device=${3:-cuda:0}
here=$(cd "$(dirname "$0")/.." && pwd)
jar=${PHREG_JAR:-$here/target/phreg.jar}
out=$(mktemp -d /tmp/phreg-gpu-check.XXXXXX)
settings="--teacher $teacher --images $images --batch ${BATCH:-4} --views ${VIEWS:-10} --teacher-chunk ${CHUNK:-8}
	--seed 0 --log-every 1"
if [ -n "${RESOLUTION:-}" ]; then
	settings="$settings --resolution $RESOLUTION"
fi

run() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	if ! java -Dai.djl.offline=true -jar "$jar" benchmark $settings "$@" 2>"$out/$name.log" | tail -1 >"$out/$name.json"; then
		echo "gpu-check: the $name run failed; its log is $out/$name.log" >&2
		tail -5 "$out/$name.log" >&2
		exit 1
	fi
}

echo "gpu-check: results in $out" >&2
run cpu --device cpu --warmup 0 --steps 3
run gpu --device "$device" --warmup 0 --steps 3
run gpu-speed --device "$device" --warmup 2 --steps 20

python3 - "$out" <<'PY'
import json, re, sys
folder = sys.argv[1]
cpu, gpu, speed = (json.load(open(f"{folder}/{name}.json")) for name in ("cpu", "gpu", "gpu-speed"))
def losses(name):
    return [float(m.group(1)) for m in re.finditer(r"loss (\S+)", open(f"{folder}/{name}.log").read())]
cpu_losses, gpu_losses = losses("cpu"), losses("gpu")
checks = [("step 1 loss (targets + student forward)", cpu_losses[0], gpu_losses[0], 2e-3),
          ("step 3 loss (+ backward, AdamW)", cpu_losses[-1], gpu_losses[-1], 1e-2)]
failed = False
for label, c, g, tolerance in checks:
    relative = abs(c - g) / max(abs(c), 1e-12)
    ok = relative <= tolerance
    failed |= not ok
    print(f"{label:42s} cpu {c:.6f}  gpu {g:.6f}  relative {relative:.2e}  (<= {tolerance:.0e})  {'ok' if ok else 'FAILED'}")
print(f"images/s on {speed['device']}: {speed['images_per_s']:.2f} (cpu, {cpu['steps']} steps: {cpu['images_per_s']:.2f})")
sys.exit(1 if failed else 0)
PY
