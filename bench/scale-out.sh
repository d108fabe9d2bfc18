#!/usr/bin/env bash
# Times the targets step of one job scaled out to N worker processes on this machine, for each
# N given (default: 1 2), in one sitting, and prints one line per N and the ratio to the first.
# For each N: a fresh PostgreSQL database and storage root (an empty target cache), a manager
# and N workers of the same jar, a warm-up job (its own seed, so its targets are other cache
# files) whose shards reach every worker once (RabbitMQ hands requests round robin to idle
# consumers: each worker loads libtorch, a teacher and runs the same code once), then the timed
# job. The time is the targets step's END_TIME - START_TIME in the job repository: from the
# first shard request to the last shard's end, teacher loads included (every worker loads the
# timed job's teacher once, in parallel).
#
# usage: bench/scale-out.sh [N ...]
# settings (environment): IMAGES=24 (photos of the job) GRID=8 (phreg.targets.grid-size)
#   VIEWS=4 VIEW_SETS=1 DETERMINISTIC=false (true: one libtorch thread per worker)
#   PHOTOS=../shared/datasets/photos PHREG_JAR=target/phreg.jar
# Needs PostgreSQL (127.0.0.1:5432, user postgres, no password) and RabbitMQ (127.0.0.1:5672,
# guest) running, no other consumer on the queue phreg.targets.requests, and a built jar
# (./mvnw -o -q package -DskipTests).
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 2)
here=$(cd "$(dirname "$0")/.." && pwd)
jar=${PHREG_JAR:-$here/target/phreg.jar}
photos=${PHOTOS:-$here/../shared/datasets/photos}
images=${IMAGES:-24}
grid=${GRID:-8}
queue=phreg.targets.requests
work=$(mktemp -d /tmp/phreg-scale-out.XXXXXX)
pids=()

if [ ! -f "$jar" ]; then
	echo "scale-out.sh: $jar is missing: ./mvnw -o -q package -DskipTests" >&2
	exit 1
fi

stop_all() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}
trap stop_all EXIT

sql() {
	psql -h 127.0.0.1 -U postgres -d "$1" -Atqc "$2"
}

# Waits (up to 10 min) until a URL answers 2xx.
await_url() {
	for _ in $(seq 600); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 1
	done
	echo "scale-out.sh: $1 did not answer" >&2
	exit 1
}

consumers() {
	rabbitmqctl -q list_queues name consumers 2>/dev/null | awk -v q="$queue" '$1 == q { print $2 }'
}

# Submits a job and waits for it to end; prints its id.
run_job() {
	local port=$1 seed=$2 id state
	id=$(curl -fsS -X POST "http://127.0.0.1:$port/api/v1/jobs" -H 'Content-Type: application/json' -d "{
		\"teacher\": \"demo\", \"images\": \"$work/photos\", \"registers\": 4, \"views\": ${VIEWS:-4},
		\"batchSize\": 4, \"steps\": 1, \"seed\": $seed, \"device\": \"cpu\", \"evaluationImages\": 2,
		\"deterministic\": ${DETERMINISTIC:-false}, \"targetCache\": \"on\", \"viewSets\": ${VIEW_SETS:-1}}" |
		sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
	[ -n "$id" ] || { echo "scale-out.sh: the job was refused" >&2; exit 1; }
	for _ in $(seq 7200); do
		state=$(curl -fsS "http://127.0.0.1:$port/api/v1/jobs/$id" | sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p')
		case $state in
			COMPLETED) echo "$id"; return 0 ;;
			FAILED | STOPPED) echo "scale-out.sh: job $id $state" >&2; exit 1 ;;
		esac
		sleep 1
	done
	echo "scale-out.sh: job $id did not end" >&2
	exit 1
}

mkdir -p "$work/photos"
find "$photos" -maxdepth 1 -name '*.jpg' | sort | head -n "$images" | xargs -I{} cp {} "$work/photos/"

declare -A seconds
for n in "${counts[@]}"; do
	if [ "$(consumers)" != "0" ] && [ -n "$(consumers)" ]; then
		echo "scale-out.sh: $queue already has $(consumers) consumer(s): stop them first" >&2
		exit 1
	fi
	db=phreg_bench_$$_$n
	root=$work/root-$n
	mkdir -p "$root"
	sql postgres "create database $db"
	common=(--spring.datasource.url="jdbc:postgresql://127.0.0.1:5432/$db" --spring.datasource.username=postgres
		--spring.datasource.password= --phreg.storage-root="$root" --phreg.allowed-roots="$work/photos")
	java -jar "$jar" --spring.profiles.active=manager --server.port=18080 --phreg.targets.grid-size="$grid" \
		--phreg.targets.poll-interval=500ms "${common[@]}" >"$work/manager-$n.log" 2>&1 &
	pids+=($!)
	await_url http://127.0.0.1:18080/actuator/health/readiness
	for i in $(seq "$n"); do
		java -jar "$jar" --spring.profiles.active=worker --server.port=$((18080 + i)) "${common[@]}" \
			>"$work/worker-$n-$i.log" 2>&1 &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		await_url http://127.0.0.1:$((18080 + i))/actuator/health/readiness
	done
	[ "$(consumers)" = "$n" ] || { echo "scale-out.sh: $(consumers) consumers, expected $n" >&2; exit 1; }

	run_job 18080 1000 >/dev/null
	for i in $(seq "$n"); do
		grep -q "Targets shard" "$work/worker-$n-$i.log" ||
			echo "scale-out.sh: warning: worker $i ran no warm-up shard" >&2
	done
	load_before=$(cut -d' ' -f1-3 /proc/loadavg)
	run_job 18080 1 >/dev/null
	load_after=$(cut -d' ' -f1-3 /proc/loadavg)
	row=$(sql "$db" "select extract(epoch from s.end_time - s.start_time),
		(select count(*) from batch_step_execution p where p.job_execution_id = s.job_execution_id
			and p.step_name like 'targetsWorker:%')
		from batch_step_execution s where s.step_name = 'targets'
		and s.job_execution_id = (select max(job_execution_id) from batch_job_execution)")
	seconds[$n]=${row%%|*}
	printf 'N=%d workers: targets step %.1f s (%d photos, %s shards; loadavg %s -> %s)\n' "$n" "${seconds[$n]}" \
		"$images" "${row##*|}" "$load_before" "$load_after"
	stop_all
	sql postgres "drop database $db with (force)"
done
first=${counts[0]}
for n in "${counts[@]:1}"; do
	awk -v a="${seconds[$first]}" -v b="${seconds[$n]}" -v f="$first" -v n="$n" \
		'BEGIN { printf "ratio N=%d / N=%d: %.2f (speed-up of N=%d over N=%d)\n", f, n, a / b, n, f }'
done
echo "logs: $work"
