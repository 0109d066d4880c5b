#!/bin/sh
# run.sh: ssed's benchmark.  Starts the built ssed (--auth=none, a free
# loopback port, a private control socket), runs each scenario against a
# fresh daemon with bench/sseload, and prints one table.  Only 127.0.0.1
# is used; every step is bounded; on exit only the processes this script
# started are stopped, by pid.
#
#   make bench                       # from the build directory
#   BENCH_QUICK=1 make bench         # small sizes, about 20-30 s
#   builddir=. srcdir=.. SCENARIOS="fanout lat" sh ../bench/run.sh
#
# Scenarios (SCENARIOS, default all) and their sizes (environment):
#   idle      IDLE_SUBS [10000] idle streams held IDLE_HOLD [10] s: memory
#             per stream, server CPU while idle
#   fanout    FAN_SUBS [1000] streams on one topic, FAN_EVENTS [1000] events
#   wide      WIDE_SUBS [10000] streams on one topic, WIDE_EVENTS [100]
#   lat       LAT_SUBS [10000] streams, LAT_EVENTS [20] at LAT_RATE [5]/s
#   topics    TOPICS [10000] topics with one stream each, TOPIC_EVENTS
#             [10000] events round robin from TOPIC_PUBS [8] publishers
#   pub-http  PUB_EVENTS [50000] POSTs from one keep-alive publisher
#   pub-ctl   CTL_EVENTS [200000] events over the control socket, by
#             sseload (CTL_BATCH [1000] per request) and by
#             "seq 1 N | ssectl notify --lines", one stream attached
#   scale     SCALE_SUBS ["1000 5000 10000 19000"] streams on one topic,
#             SCALE_EVENTS [200] events each: CPU per delivery; the sizes
#             are run in turn SCALE_REPEAT [3] times and the summary takes
#             the median of each size (one run can land in a slow spell)
# Publishers send the next event when the last is answered, except lat.
# Common: SIZE [64] payload bytes, SCEN_MAX [120] s per scenario,
# SERVER_CPUS [0], LOAD_CPUS [1] (taskset), LOAD_THREADS [cores of
# LOAD_CPUS], SRC_IPS [4] source addresses 127.0.0.1..4, BENCH_OUT [a new
# directory under ${TMPDIR:-/tmp}] for logs, SSED, SSECTL, SSELOAD.
# SSED_ARGS: more options for ssed (e.g. "--conn-memory 2K").
set -u

: "${builddir:=.}" "${srcdir:=$(dirname "$0")/..}"
: "${SSED:=$builddir/ssed/ssed}" "${SSECTL:=$builddir/ssectl/ssectl}"
: "${SSELOAD:=$builddir/bench/sseload}"
: "${SCENARIOS:=idle fanout wide lat topics pub-http pub-ctl scale}"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	: "${IDLE_SUBS:=500}" "${IDLE_HOLD:=2}" "${FAN_SUBS:=100}"
	: "${FAN_EVENTS:=200}" "${WIDE_SUBS:=1000}" "${WIDE_EVENTS:=20}"
	: "${LAT_SUBS:=1000}" "${LAT_EVENTS:=10}" "${LAT_RATE:=10}"
	: "${TOPICS:=500}" "${TOPIC_EVENTS:=2000}" "${PUB_EVENTS:=5000}"
	: "${CTL_EVENTS:=20000}" "${SCALE_SUBS:=100 500 1000 2000}"
	: "${SCALE_EVENTS:=50}" "${SCALE_REPEAT:=1}"
fi
: "${IDLE_SUBS:=10000}" "${IDLE_HOLD:=10}" "${FAN_SUBS:=1000}"
: "${FAN_EVENTS:=1000}" "${WIDE_SUBS:=10000}" "${WIDE_EVENTS:=100}"
: "${LAT_SUBS:=10000}" "${LAT_EVENTS:=20}" "${LAT_RATE:=5}"
: "${TOPICS:=10000}" "${TOPIC_EVENTS:=10000}" "${TOPIC_PUBS:=8}"
: "${PUB_EVENTS:=50000}" "${CTL_EVENTS:=200000}" "${CTL_BATCH:=1000}"
: "${SCALE_SUBS:=1000 5000 10000 19000}" "${SCALE_EVENTS:=200}"
: "${SCALE_REPEAT:=3}"
: "${SIZE:=64}" "${SCEN_MAX:=120}" "${SERVER_CPUS:=0}" "${LOAD_CPUS:=1}"
: "${LOAD_THREADS:=0}" "${SRC_IPS:=4}"
: "${BENCH_OUT:=$(mktemp -d "${TMPDIR:-/tmp}/ssed-bench.XXXXXX")}"

for f in "$SSED" "$SSECTL" "$SSELOAD"; do
	[ -x "$f" ] || { echo "run.sh: $f is not built (make bench builds" \
	    "it; or set SSED, SSECTL, SSELOAD)" >&2; exit 2; }
done
mkdir -p "$BENCH_OUT" || exit 2
RESULTS=$BENCH_OUT/results.txt
: >"$RESULTS"
CTL=$BENCH_OUT/ctl.sock
server_pid='' port='' bg_pid=''

# The hard open-files limit is the most either process may hold.
# shellcheck disable=SC3045	# dash and bash both have -H and -n
ulimit -n "$(ulimit -Hn)" 2>/dev/null

# "taskset -c CPUS" when it exists and there is more than one CPU.  Used
# as a plain command prefix, so that "$! " of a background run is the pid
# of the program itself (taskset execs it).
pin_prefix() {
	if [ -n "$1" ] && command -v taskset >/dev/null 2>&1 &&
	    [ "$(nproc)" -gt 1 ]; then
		echo "taskset -c $1"
	fi
}
PIN_SERVER=$(pin_prefix "$SERVER_CPUS")
PIN_LOAD=$(pin_prefix "$LOAD_CPUS")
TIMEOUT=
command -v timeout >/dev/null 2>&1 && TIMEOUT="timeout -k 5 $((SCEN_MAX + 30))"

stop_pid() {	# stop_pid PID: TERM, then KILL after 10 s
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	stop_pid "$bg_pid"
	stop_pid "$server_pid"
	bg_pid='' server_pid=''
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Start ssed on the first free port from a random one below the
# ephemeral range (so client ports never take it).
server_start() {
	log=$BENCH_OUT/ssed-$1.log
	tries=0
	port=$((20000 + $$ % 5000))
	while [ $tries -lt 20 ]; do
		rm -f "$CTL"
		# shellcheck disable=SC2086
		# All load comes from one address: no per-address limit.
		$PIN_SERVER "$SSED" --auth=none --control "$CTL" \
		    --max-conns-per-user 0 --listen "127.0.0.1:$port" \
		    ${SSED_ARGS:-} >"$log" 2>&1 &
		server_pid=$!
		i=0
		while [ $i -lt 100 ] && kill -0 "$server_pid" 2>/dev/null; do
			grep -q 'try: ssecat' "$log" && return 0
			sleep 0.05
			i=$((i + 1))
		done
		stop_pid "$server_pid"
		server_pid=
		port=$((port + 1))
		tries=$((tries + 1))
	done
	echo "run.sh: ssed did not start (see $log)" >&2
	return 1
}

load() {	# load LABEL MODE ARGS...: one sseload run, its RESULT kept
	# (its output in $BENCH_OUT/$run.out, where run defaults to LABEL)
	label=$1
	run=${run:-$label}
	shift
	mode=$1
	shift
	# shellcheck disable=SC2086
	$PIN_LOAD $TIMEOUT "$SSELOAD" "$mode" -q -L "$label" \
	    --pid "$server_pid" -d "$SCEN_MAX" -z "$SIZE" -j "$LOAD_THREADS" \
	    -S "$SRC_IPS" --url "http://127.0.0.1:$port/sse/updates/{topic}" \
	    --pub-url "http://127.0.0.1:$port/sse/notify/{topic}" "$@" \
	    >"$BENCH_OUT/$run.out" 2>"$BENCH_OUT/$run.err"
	sed 's/^/   /' "$BENCH_OUT/$run.out" | grep -v '^   RESULT' >&2
	grep '^RESULT' "$BENCH_OUT/$run.out" >>"$RESULTS" ||
	    echo "RESULT label=$label no_result=1" >>"$RESULTS"
	run=
}

# seq | ssectl notify --lines, timed, with one sseload stream counting.
ssectl_lines() {
	ready=$BENCH_OUT/ready
	rm -f "$ready"
	# shellcheck disable=SC2086
	$PIN_LOAD "$SSELOAD" sub -q -L ssectl-lines -c 1 -a \
	    -x "$CTL_EVENTS" -R "$ready" --pid "$server_pid" -d "$SCEN_MAX" \
	    --url "http://127.0.0.1:$port/sse/updates/{topic}" \
	    >"$BENCH_OUT/ssectl.out" 2>"$BENCH_OUT/ssectl.err" &
	bg_pid=$!
	i=0
	while [ ! -e "$ready" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	seq 1 "$CTL_EVENTS" | $PIN_LOAD "$SSECTL" -s "$CTL" notify \
	    --lines t0 >/dev/null
	st=$?
	t1=$(date +%s.%N)
	[ "$st" = 0 ] || t1=$t0	# a failed run has no rate
	wait "$bg_pid"
	bg_pid=
	rate=$(echo "$t0 $t1" | awk -v n="$CTL_EVENTS" \
	    '{ printf("%.0f", ($2 > $1) ? n / ($2 - $1) : 0) }')
	echo "   ssectl notify --lines: $CTL_EVENTS events in" \
	    "$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') s (exit $st)" >&2
	sed 's/^/   /' "$BENCH_OUT/ssectl.out" | grep -v '^   RESULT' >&2
	line=$(grep '^RESULT' "$BENCH_OUT/ssectl.out") ||
	    line="RESULT label=ssectl-lines no_result=1"
	echo "RESULT pub_ev_per_s=$rate ${line#RESULT }" >>"$RESULTS"
}

scenario() {
	case $1 in
	idle)	load idle sub -c "$IDLE_SUBS" -s 2 -H "$IDLE_HOLD" ;;
	fanout)	load fanout sub -c "$FAN_SUBS" -e "$FAN_EVENTS" ;;
	wide)	load wide sub -c "$WIDE_SUBS" -e "$WIDE_EVENTS" ;;
	lat)	load lat sub -c "$LAT_SUBS" -e "$LAT_EVENTS" -r "$LAT_RATE" ;;
	topics)	load topics sub -c "$TOPICS" -T "$TOPICS" -e "$TOPIC_EVENTS" \
		    -k "$TOPIC_PUBS" ;;
	pub-http) load pub-http pub-http -c 1 -e "$PUB_EVENTS" ;;
	pub-ctl) load pub-ctl pub-ctl -c 1 -e "$CTL_EVENTS" \
		    -b "$CTL_BATCH" --ctl "$CTL"
		stop_pid "$server_pid"
		server_pid=
		server_start pub-ctl2 && ssectl_lines ;;
	*)	echo "run.sh: unknown scenario $1" >&2 ;;
	esac
}

for s in $SCENARIOS; do
	if [ "$s" = scale ]; then
		for r in $(seq 1 "$SCALE_REPEAT"); do
			for n in $SCALE_SUBS; do
				echo ">> scale-$n ($r of $SCALE_REPEAT)" >&2
				server_start "scale-$n-$r" || continue
				run=scale-$n-$r
				load "scale-$n" sub -c "$n" -e "$SCALE_EVENTS"
				stop_pid "$server_pid"
				server_pid=
			done
		done
		continue
	fi
	echo ">> $s" >&2
	server_start "$s" || continue
	scenario "$s"
	stop_pid "$server_pid"
	server_pid=
done

{
	echo "# $("$SSED" --version 2>/dev/null | head -1), $(uname -sr)," \
	    "$(nproc) cpus, server on cpu ${SERVER_CPUS:-any}, sseload on" \
	    "cpu ${LOAD_CPUS:-any}, payload ${SIZE} B"
	awk -f "$srcdir/bench/table.awk" "$RESULTS"
} | tee "$BENCH_OUT/table.txt"
echo "logs and raw results: $BENCH_OUT" >&2
