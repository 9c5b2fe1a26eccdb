#!/usr/bin/env bash
#
# Antre local infrastructure, without Docker: Kafka (KRaft), Redis, Kannel + fakesmsc,
# and on request Prometheus. Everything binds 127.0.0.1 (Kannel's box link: 127.0.0.2);
# runtime data, pid files, logs and rendered configs live under $REPO/var (git-ignored).
#
#   deploy/local/infra.sh install              apt packages + Kafka jars (safe to re-run)
#   deploy/local/infra.sh up [component...]     start (idempotent), wait until ready
#   deploy/local/infra.sh down [component...]   stop (SIGTERM, wait, SIGKILL); safe if stopped
#   deploy/local/infra.sh kill [component...]   SIGKILL at once (simulate a crash)
#   deploy/local/infra.sh restart [component...]
#   deploy/local/infra.sh status [component...] one line each; exit 0 if all are ready
#   deploy/local/infra.sh logs [component]      log paths, or the tail of one component's logs
#   deploy/local/infra.sh env                   connection settings, as shell assignments
#   start / stop are aliases of up / down.
#
# Components: kafka redis kannel prometheus. Default for up/down/status: kafka redis kannel
# (down with no argument also stops prometheus if it runs).
#
# Ports (override with the environment variable in brackets):
#   Kafka 9092 [KAFKA_PORT], controller 9093 [KAFKA_CONTROLLER_PORT]
#   KAFKA_NODES=3: a three-node KRaft cluster instead (kafka-1..3 on 9092, 9094, 9096; their
#     controllers on 9093, 9095, 9097), topics with 3 replicas and min.insync.replicas 2.
#     `up kafka` restarts any node that is down; `down kafka` stops whichever Kafka runs.
#   Redis: ticketing's 6379 [REDIS_PORT], the notifier's 6380 [REDIS_NOTIFIER_PORT],
#          the display's 6381 [REDIS_DISPLAY_PORT], the survey's 6382 [REDIS_SURVEY_PORT]
#          (one Redis per service, see below)
#   Kannel admin 13000 [KANNEL_ADMIN_PORT], smsbox 13001 [KANNEL_SMSBOX_PORT],
#          sendsms 13013 [KANNEL_SENDSMS_PORT], fake SMSC 10000 [KANNEL_FAKESMSC_PORT];
#          the bearerbox-smsbox link listens on 127.0.0.2 [KANNEL_BOX_HOST], see below
#   Prometheus 9090 [PROMETHEUS_PORT], config [PROMETHEUS_CONFIG]
#     (default deploy/prometheus/prometheus.yml if it exists, else a generated minimal one)
# Other knobs: KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_READY_TIMEOUT (60 s),
# ANTRE_PYTHON (python with aiokafka; default $REPO/.venv/bin/python, else `uv run`).
#
# Kannel's box link: bearerbox and smsbox (1.4.5) talk over TCP without TCP_NODELAY. With
# delivery reports on, Nagle then waits for the peer's delayed ACK and sendsms replies take up
# to ~40 ms (bench/notifier/kannel_direct.py, the notifier's own requests paced 200/s: p50
# 20.8 ms, p90 37.2 ms, p99 41.4 ms). So the link gets an address of its own, 127.0.0.2, and
# `up kannel` gives that one address a local route with `quickack 1` (p50 0.6 ms, p90 0.8 ms,
# p99 1.1 ms). Nothing else on the machine uses 127.0.0.2; `down kannel` removes the route.
# It needs root (CAP_NET_ADMIN): without it Kannel still works, on the same address, with the
# stall, and `up` warns. `status` shows it; a Kannel started with an older config (box link on
# 127.0.0.1) needs `restart kannel`.
#
# fakesmsc prints every SMS that reaches it to var/log/fakesmsc.log as
#   "... DEBUG: Got message N: <from to text body>"   (line-buffered: tests may tail it).

set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# ANTRE_VAR: another state directory (a test's own cluster beside the running system).
VAR="${ANTRE_VAR:-$REPO/var}"
RUN_DIR="$VAR/run"
LOG_DIR="$VAR/log"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-60}"
# 1: one combined node (the default). 3: a three-node KRaft cluster, node N on client port
# KAFKA_PORT+2(N-1) and controller port one above it (9092/9093, 9094/9095, 9096/9097).
KAFKA_NODES="${KAFKA_NODES:-1}"
REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_NOTIFIER_PORT="${REDIS_NOTIFIER_PORT:-6380}"
REDIS_DISPLAY_PORT="${REDIS_DISPLAY_PORT:-6381}"
REDIS_SURVEY_PORT="${REDIS_SURVEY_PORT:-6382}"
KANNEL_ADMIN_PORT="${KANNEL_ADMIN_PORT:-13000}"
KANNEL_SMSBOX_PORT="${KANNEL_SMSBOX_PORT:-13001}"
KANNEL_SENDSMS_PORT="${KANNEL_SENDSMS_PORT:-13013}"
KANNEL_FAKESMSC_PORT="${KANNEL_FAKESMSC_PORT:-10000}"
KANNEL_ADMIN_PASSWORD="${KANNEL_ADMIN_PASSWORD:-antre-admin}"
KANNEL_BOX_HOST="${KANNEL_BOX_HOST:-127.0.0.2}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
PROMETHEUS_CONFIG="${PROMETHEUS_CONFIG:-$REPO/deploy/prometheus/prometheus.yml}"

KAFKA_DIR="$VAR/kafka"
KAFKA_LIBS="$REPO/var/kafka/libs"  # one copy of the jars, whatever ANTRE_VAR says
KAFKA_POM="$HERE/kafka/pom.xml"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_CLUSTER_DIR="$VAR/kafka-cluster"
KAFKA_CLUSTER_SIZE=3
REDIS_DIR="$VAR/redis"
KANNEL_DIR="$VAR/kannel"
KANNEL_CONF="$KANNEL_DIR/kannel.conf"
FAKESMSC_BIN="/usr/lib/kannel/test/fakesmsc"
FAKESMSC_FIFO="$RUN_DIR/fakesmsc.stdin"
PROMETHEUS_DATA="$VAR/prometheus"
PROMETHEUS_GENERATED="$VAR/prometheus.yml"

ALL_COMPONENTS=(kafka redis kannel prometheus)
DEFAULT_COMPONENTS=(kafka redis kannel)
# espeak-ng and sox: the display's hall voice (services/display/src/display/synth.py).
APT_PACKAGES=(redis-server kannel kannel-extras prometheus chromium chromium-driver docker-compose
    espeak-ng sox)

# ---------------------------------------------------------------------------------------
# helpers

say() { printf '%s\n' "$*"; }
warn() { printf 'infra.sh: %s\n' "$*" >&2; }
die() {
    printf 'infra.sh: error: %s\n' "$*" >&2
    exit 1
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

ensure_dirs() { mkdir -p "$RUN_DIR" "$LOG_DIR"; }

# Serialise up/down/install between concurrent callers (two tests, two engineers).
take_lock() {
    ensure_dirs
    exec 9>"$RUN_DIR/infra.lock"
    flock -w 600 9 || die "another infra.sh holds $RUN_DIR/infra.lock for more than 600 s"
}

# A pid is alive while any of its threads is not a zombie. (A Java process killed with -9
# shows its main thread as a zombie while other threads still hold its sockets: checking the
# main thread only would report it dead while its port is still taken.)
pid_alive() {
    local pid=$1 stat state
    [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]] || return 1
    for stat in /proc/"$pid"/task/*/stat; do
        state=$(sed -e 's/^.*) //' "$stat" 2>/dev/null | cut -d' ' -f1) || continue
        [[ -n $state && $state != Z && $state != X ]] && return 0
    done
    return 1
}

cmdline_of() {
    if [[ $1 =~ ^[0-9]+$ ]]; then tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; fi
}

# proc_is PID NEEDLE...: alive and its command line contains every needle.
proc_is() {
    local pid=$1 cmd needle
    shift
    pid_alive "$pid" || return 1
    cmd=$(cmdline_of "$pid")
    for needle in "$@"; do
        [[ $cmd == *"$needle"* ]] || return 1
    done
}

# The identity of each process we run: substrings of its command line.
signature() {
    case $1 in
        kafka) printf '%s\n' "kafka.Kafka" "$KAFKA_PROPS" ;;
        kafka-[1-3]) printf '%s\n' "kafka.Kafka" "$KAFKA_CLUSTER_DIR/node-${1#kafka-}/server.properties" ;;
        redis | redis-notifier | redis-display | redis-survey) printf '%s\n' "redis-server" "$(redis_conf "$1")" ;;
        bearerbox) printf '%s\n' "bearerbox" "$KANNEL_CONF" ;;
        smsbox) printf '%s\n' "smsbox" "$KANNEL_CONF" ;;
        fakesmsc) printf '%s\n' "fakesmsc" "-r $KANNEL_FAKESMSC_PORT" ;;
        prometheus) printf '%s\n' "prometheus" "--storage.tsdb.path=$PROMETHEUS_DATA" ;;
        *) die "no signature for $1" ;;
    esac
}

is_ours() {
    local pid=$1 name=$2 sig=()
    mapfile -t sig < <(signature "$name")
    proc_is "$pid" "${sig[@]}"
}

# running NAME: print the pid of our live NAME process, or fail (and drop a stale pid file).
running() {
    local name=$1 file="$RUN_DIR/$1.pid" pid
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    if is_ours "$pid" "$name"; then
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$file"
    return 1
}

# listener PORT: "pid name" of whatever listens on the TCP port (any address), or nothing.
listener() {
    local line
    line=$(ss -Hltnp "( sport = :$1 )" 2>/dev/null | head -n1) || true
    [[ -n $line ]] || return 0
    if [[ $line =~ \(\"([^\"]*)\",pid=([0-9]+) ]]; then
        printf '%s %s\n' "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
    else
        printf '? unknown\n'
    fi
}

# port_free NAME PORT...: each port must be free, or held by our own NAME process (which is
# then adopted: its pid file is rewritten). Anything else is a conflict and a clear failure.
port_free() {
    local name=$1 port owner pid pname
    shift
    for port in "$@"; do
        owner=$(listener "$port")
        # A socket with no visible owner belongs to a process that is still exiting.
        local tries=0
        while [[ $owner == "? "* ]] && ((tries++ < 50)); do
            sleep 0.2
            owner=$(listener "$port")
        done
        [[ -n $owner ]] || continue
        read -r pid pname <<<"$owner"
        if [[ $pid != "?" ]] && is_ours "$pid" "$name"; then
            echo "$pid" >"$RUN_DIR/$name.pid"
            say "$name: adopted running pid $pid (its pid file was missing)"
            return 0
        fi
        local hint="stop it first"
        case $pname in
            redis-server) hint="if it is Debian's own service: 'service redis-server stop'" ;;
            bearerbox | smsbox) hint="if it is Debian's own service: 'service kannel stop'" ;;
            prometheus) hint="if it is Debian's own service: 'service prometheus stop'" ;;
        esac
        die "port $port (for $name) is already taken by pid $pid ($pname: $(cmdline_of "$pid"))," \
            "which is not Antre's local $name: $hint, or choose another port through the" \
            "environment (see deploy/local/infra.sh help)."
    done
}

# launch NAME LOGFILE STDIN CMD...: start CMD in its own session, in the background, with the
# lock fd closed, and record its pid. setsid does not fork here (a background job of a
# non-interactive shell is no process-group leader), so $! is the program itself.
launch() {
    local name=$1 logfile=$2 stdin=$3
    shift 3
    # Logs are appended across restarts; keep one older generation past 50 MB.
    if [[ -f $logfile ]] && (($(stat -c %s "$logfile") > 50 * 1024 * 1024)); then
        mv -f "$logfile" "$logfile.1"
    fi
    printf '\n===== %s infra.sh: starting %s: %s\n' "$(date '+%F %T')" "$name" "$*" >>"$logfile"
    setsid "$@" <>"$stdin" >>"$logfile" 2>&1 9>&- &
    echo $! >"$RUN_DIR/$name.pid"
}

# stop_proc NAME [TIMEOUT] [SIGNAL]: SIGTERM (or SIGNAL), wait, then SIGKILL.
stop_proc() {
    local name=$1 timeout=${2:-20} signal=${3:-TERM} pid deadline
    pid=$(running "$name") || return 1
    kill -s "$signal" "$pid" 2>/dev/null || true
    deadline=$((SECONDS + timeout))
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if pid_alive "$pid"; then
        warn "$name (pid $pid) ignored SIGTERM for ${timeout}s: SIGKILL"
        kill -s KILL "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 10))
        while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    fi
    pid_alive "$pid" && die "$name (pid $pid) survives SIGKILL"
    rm -f "$RUN_DIR/$name.pid"
    return 0
}

# wait_for DESCRIPTION TIMEOUT PIDNAME LOGFILE CMD...: poll CMD until it succeeds; fail at
# once (with the end of the log) if the process PIDNAME dies meanwhile.
wait_for() {
    local what=$1 timeout=$2 pidname=$3 logfile=$4 deadline
    shift 4
    deadline=$(($(date +%s) + timeout))
    until "$@" >/dev/null 2>&1; do
        if ! running "$pidname" >/dev/null; then
            warn "$pidname died while waiting for $what; end of $logfile:"
            tail -n 25 "$logfile" >&2 || true
            exit 1
        fi
        if (($(date +%s) >= deadline)); then
            warn "timed out after ${timeout}s waiting for $what; end of $logfile:"
            tail -n 25 "$logfile" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
}

# A listening check that does not connect (a probe connection to the fake SMSC port would
# count as an SMSC client for bearerbox).
port_listening() { [[ -n $(ss -Hltn "( sport = :$1 )" 2>/dev/null) ]]; }

# render TEMPLATE OUTPUT KEY=VALUE...: replace each @KEY@ (values must not contain '|').
render() {
    local template=$1 output=$2 kv args=()
    shift 2
    for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
    sed "${args[@]}" "$template" >"$output.tmp"
    if grep -q '@[A-Z_]*@' "$output.tmp"; then
        die "unreplaced placeholder in $output.tmp: $(grep -o '@[A-Z_]*@' "$output.tmp" | head -n1)"
    fi
    mv "$output.tmp" "$output"
}

python_run() {
    if [[ -n ${ANTRE_PYTHON:-} ]]; then
        "$ANTRE_PYTHON" "$@"
    elif [[ -x $REPO/.venv/bin/python ]]; then
        "$REPO/.venv/bin/python" "$@"
    else
        uv run --project "$REPO" python "$@"
    fi
}

http_get() { curl -fsS --max-time 2 "$@"; }

# ---------------------------------------------------------------------------------------
# install

apt_missing() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            printf '%s\n' "$pkg"
    done
}

install_apt() {
    local wanted=("${APT_PACKAGES[@]}") missing=()
    command -v java >/dev/null || wanted+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null || wanted+=(maven)
    command -v curl >/dev/null || wanted+=(curl)
    command -v ss >/dev/null || wanted+=(iproute2)
    mapfile -t missing < <(apt_missing "${wanted[@]}")
    if ((${#missing[@]} == 0)); then
        say "install: apt packages present (${wanted[*]})"
        return 0
    fi
    ((EUID == 0)) || die "apt packages missing (${missing[*]}): run install as root"
    say "install: apt-get install ${missing[*]}"
    # Debian's packages would start their own redis/kannel/prometheus services on our ports;
    # a policy-rc.d that answers 101 stops maintainer scripts from starting any service.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "${missing[@]}"
    if ((made_policy)); then
        rm -f "$policy"
        trap - EXIT
    fi
}

pom_hash() { sha256sum "$KAFKA_POM" | cut -d' ' -f1; }

kafka_jars_ok() {
    [[ -f $KAFKA_LIBS/.complete && $(<"$KAFKA_LIBS/.complete") == "$(pom_hash)" ]]
}

install_kafka_jars() {
    if kafka_jars_ok; then
        say "install: Kafka jars present ($KAFKA_LIBS)"
        return 0
    fi
    command -v mvn >/dev/null || die "mvn missing: run 'deploy/local/infra.sh install'"
    local started
    started=$(now)
    say "install: resolving Kafka jars with Maven into $KAFKA_LIBS"
    rm -rf "$KAFKA_LIBS"
    mkdir -p "$KAFKA_LIBS"
    ensure_dirs
    if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$KAFKA_LIBS" >"$LOG_DIR/kafka-install.log" 2>&1; then
        tail -n 30 "$LOG_DIR/kafka-install.log" >&2
        die "Maven could not resolve the Kafka jars (log: $LOG_DIR/kafka-install.log)"
    fi
    compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null || die "no kafka_2.13 jar in $KAFKA_LIBS"
    compgen -G "$KAFKA_LIBS/slf4j-simple-1.7.*.jar" >/dev/null || die "no slf4j-simple 1.7 jar"
    pom_hash >"$KAFKA_LIBS/.complete"
    say "install: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $(elapsed "$started")"
}

cmd_install() {
    take_lock
    install_apt
    install_kafka_jars
}

# ---------------------------------------------------------------------------------------
# kafka

# The JVM command line, in the array KAFKA_JAVA (then append the main class and arguments).
kafka_java_cmd() {
    local heap=()
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    KAFKA_JAVA=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
        -Djava.awt.headless=true -Dkafka.logs.dir="$LOG_DIR"
        -Dorg.slf4j.simpleLogger.showDateTime=true
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS"
        -Dorg.slf4j.simpleLogger.showThreadName=false
        -Dorg.slf4j.simpleLogger.showShortLogName=true
        -cp "$KAFKA_LIBS/*")
}

kafka_prepare() {
    kafka_jars_ok || install_kafka_jars
    command -v java >/dev/null || die "java missing: run 'deploy/local/infra.sh install'"
    mkdir -p "$KAFKA_DATA"
    render "$HERE/kafka/server.properties.in" "$KAFKA_PROPS" \
        "KAFKA_PORT=$KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT" \
        "KAFKA_DATA_DIR=$KAFKA_DATA"
    if [[ -f $KAFKA_DATA/meta.properties ]]; then
        # Formatted already: keep the id file in step with the data (it is informative only).
        [[ -f $KAFKA_DIR/cluster.id ]] ||
            sed -n 's/^cluster\.id=//p' "$KAFKA_DATA/meta.properties" >"$KAFKA_DIR/cluster.id"
        return 0
    fi
    # A Kafka Uuid: 16 random bytes, base64url without padding (what random-uuid prints). Like
    # Kafka's Uuid.randomUuid, draw again when it starts with "-": StorageTool's parser would
    # read `-t -abc…` as an option (1 run in 64 failed so; a file left by such a run is redrawn).
    while [[ ! -s $KAFKA_DIR/cluster.id || $(<"$KAFKA_DIR/cluster.id") == -* ]]; do
        head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$KAFKA_DIR/cluster.id"
    done
    say "kafka: formatting $KAFKA_DATA (cluster id $(<"$KAFKA_DIR/cluster.id"))"
    kafka_java_cmd
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -g --standalone \
        -t "$(<"$KAFKA_DIR/cluster.id")" -c "$KAFKA_PROPS" </dev/null >>"$LOG_DIR/kafka-format.log" 2>&1 ||
        {
            tail -n 20 "$LOG_DIR/kafka-format.log" >&2
            die "kafka storage format failed (log: $LOG_DIR/kafka-format.log)"
        }
}

kafka_ready() {
    python_run "$HERE/kafka_ready.py" --bootstrap "$(kafka_bootstrap)" "$@"
}

up_kafka() {
    [[ $KAFKA_NODES == 1 || $KAFKA_NODES == 3 ]] || die "KAFKA_NODES must be 1 or 3, not '$KAFKA_NODES'"
    if [[ $KAFKA_NODES == 3 ]]; then
        up_kafka_cluster
        return
    fi
    local pid started
    started=$(now)
    running kafka >/dev/null || port_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
    if pid=$(running kafka); then
        kafka_ready --quiet --timeout "$KAFKA_READY_TIMEOUT" ||
            die "kafka (pid $pid) runs but is not ready; see $LOG_DIR/kafka.log"
        say "kafka: already running (pid $pid), ready on 127.0.0.1:$KAFKA_PORT"
        return 0
    fi
    kafka_prepare
    kafka_java_cmd
    launch kafka "$LOG_DIR/kafka.log" /dev/null "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_PROPS"
    pid=$(<"$RUN_DIR/kafka.pid")
    wait_for "kafka port $KAFKA_PORT" "$KAFKA_READY_TIMEOUT" kafka "$LOG_DIR/kafka.log" \
        port_listening "$KAFKA_PORT"
    kafka_ready --quiet --timeout "$KAFKA_READY_TIMEOUT" || {
        tail -n 25 "$LOG_DIR/kafka.log" >&2
        die "kafka did not become ready in ${KAFKA_READY_TIMEOUT}s (log: $LOG_DIR/kafka.log)"
    }
    say "kafka: started (pid $pid), ready on 127.0.0.1:$KAFKA_PORT in $(elapsed "$started")"
}

down_kafka() {
    # A single combined node shuts down in a few seconds; 30 s before SIGKILL.
    if [[ $KAFKA_NODES != 3 ]]; then
        if stop_proc kafka 30 "${1:-TERM}"; then say "kafka: stopped"; else say "kafka: not running"; fi
        return 0
    fi
    # The cluster's nodes get the signal together: one by one, the last would wait for a
    # controller quorum that has already left.
    local n pid pids=()
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
        pid=$(running "kafka-$n") && kill -s "${1:-TERM}" "$pid" 2>/dev/null && pids+=("kafka-$n")
    done
    for n in "${pids[@]}"; do
        stop_proc "$n" 20 "${1:-TERM}" || true
        say "$n: stopped"
    done
    ((${#pids[@]})) || say "kafka: no cluster node running"
}

# The three-node cluster (KAFKA_NODES=3): processes kafka-1..3, data in var/kafka-cluster.
kafka_node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
kafka_node_controller_port() { echo $((KAFKA_PORT + 2 * ($1 - 1) + 1)); }

kafka_cluster_bootstrap() {
    local n list=()
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do list+=("127.0.0.1:$(kafka_node_port "$n")"); done
    local IFS=,
    echo "${list[*]}"
}

kafka_bootstrap() {
    if [[ $KAFKA_NODES == 3 ]]; then kafka_cluster_bootstrap; else echo "127.0.0.1:$KAFKA_PORT"; fi
}

kafka_cluster_prepare() {
    kafka_jars_ok || install_kafka_jars
    command -v java >/dev/null || die "java missing: run 'deploy/local/infra.sh install'"
    local n voters=() dir
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do voters+=("$n@127.0.0.1:$(kafka_node_controller_port "$n")"); done
    mkdir -p "$KAFKA_CLUSTER_DIR"
    while [[ ! -s $KAFKA_CLUSTER_DIR/cluster.id || $(<"$KAFKA_CLUSTER_DIR/cluster.id") == -* ]]; do
        head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$KAFKA_CLUSTER_DIR/cluster.id"
    done
    kafka_java_cmd
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
        dir="$KAFKA_CLUSTER_DIR/node-$n"
        mkdir -p "$dir/data"
        render "$HERE/kafka/cluster.properties.in" "$dir/server.properties" "NODE_ID=$n" \
            "KAFKA_PORT=$(kafka_node_port "$n")" \
            "KAFKA_CONTROLLER_PORT=$(kafka_node_controller_port "$n")" \
            "KAFKA_DATA_DIR=$dir/data" "QUORUM_VOTERS=$(IFS=,; echo "${voters[*]}")"
        [[ -f $dir/data/meta.properties ]] && continue
        say "kafka-$n: formatting $dir/data (cluster id $(<"$KAFKA_CLUSTER_DIR/cluster.id"))"
        # A static quorum (controller.quorum.voters): formatted with neither --standalone nor
        # --initial-controllers.
        "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$(<"$KAFKA_CLUSTER_DIR/cluster.id")" \
            -c "$dir/server.properties" </dev/null >>"$LOG_DIR/kafka-format.log" 2>&1 ||
            {
                tail -n 20 "$LOG_DIR/kafka-format.log" >&2
                die "kafka-$n storage format failed (log: $LOG_DIR/kafka-format.log)"
            }
    done
}

# Start every node that is not running (so `up kafka` also brings back one that was killed),
# then wait for the whole cluster: metadata, and topics with three replicas and min ISR 2.
up_kafka_cluster() {
    local n pid started name missing=0
    started=$(now)
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
        name="kafka-$n"
        running "$name" >/dev/null || port_free "$name" "$(kafka_node_port "$n")" "$(kafka_node_controller_port "$n")"
        running "$name" >/dev/null || missing=1
    done
    if ((missing)); then
        kafka_cluster_prepare
        kafka_java_cmd
        for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
            name="kafka-$n"
            running "$name" >/dev/null && continue
            launch "$name" "$LOG_DIR/$name.log" /dev/null "${KAFKA_JAVA[@]}" kafka.Kafka \
                "$KAFKA_CLUSTER_DIR/node-$n/server.properties"
            say "$name: starting (pid $(<"$RUN_DIR/$name.pid")) on 127.0.0.1:$(kafka_node_port "$n")"
        done
    fi
    for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
        wait_for "kafka-$n port" "$KAFKA_READY_TIMEOUT" "kafka-$n" "$LOG_DIR/kafka-$n.log" \
            port_listening "$(kafka_node_port "$n")"
    done
    kafka_ready --quiet --timeout "$KAFKA_READY_TIMEOUT" --replication-factor 3 --min-insync 2 ||
        die "the Kafka cluster did not become ready in ${KAFKA_READY_TIMEOUT}s (logs: $LOG_DIR/kafka-N.log)"
    say "kafka: cluster of $KAFKA_CLUSTER_SIZE ready on $(kafka_cluster_bootstrap) in $(elapsed "$started")"
}

# One status line for a component with a single process: stopped, or running and (not) ready.
report_status() {  # name endpoint ready-check...
    local name=$1 endpoint=$2 pid
    shift 2
    if pid=$(running "$name"); then
        if "$@"; then
            say "$(printf '%-14s' "$name") running (pid $pid)  ready      $endpoint"
            return 0
        fi
        say "$(printf '%-14s' "$name") running (pid $pid)  NOT ready  $endpoint"
        return 1
    fi
    say "$(printf '%-14s' "$name") stopped"
    return 1
}

kafka_check() { kafka_ready --check --quiet --timeout 5 2>/dev/null; }
status_kafka() {
    if [[ $KAFKA_NODES == 3 ]]; then
        local n rc=0
        for n in $(seq 1 "$KAFKA_CLUSTER_SIZE"); do
            report_status "kafka-$n" "127.0.0.1:$(kafka_node_port "$n")" kafka_check || rc=1
        done
        return "$rc"
    fi
    report_status kafka "127.0.0.1:$KAFKA_PORT" kafka_check
}

# ---------------------------------------------------------------------------------------
# redis

# Four Redis servers, one per service, each owned by its service (DESIGN: "a Redis per
# service"): `redis` alone means all four.
#   redis            ticketing's: the queues and the outbox. Durable: AOF, fsync always.
#   redis-notifier   the notifier's claims and budgets. Durable: AOF, fsync every second.
#   redis-display    the board projection and its Kafka offsets, written in one script: after
#                    a crash both roll back together and Kafka replays the rest, so it needs
#                    no fsync per write (AOF, fsync every second, only to restart quickly).
#   redis-survey     who may answer, the answers and their outbox to Kafka. Durable: AOF,
#                    fsync always (an answer acknowledged must be counted and published).
REDIS_INSTANCES=(redis redis-notifier redis-display redis-survey)

redis_port() {
    case $1 in
        redis) echo "$REDIS_PORT" ;;
        redis-notifier) echo "$REDIS_NOTIFIER_PORT" ;;
        redis-display) echo "$REDIS_DISPLAY_PORT" ;;
        redis-survey) echo "$REDIS_SURVEY_PORT" ;;
    esac
}

redis_fsync() { [[ $1 == redis || $1 == redis-survey ]] && echo always || echo everysec; }

redis_dir() { [[ $1 == redis ]] && echo "$REDIS_DIR" || echo "$VAR/$1"; }

redis_conf() { echo "$(redis_dir "$1")/redis.conf"; }

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$(redis_port "${1:-redis}")" ping 2>/dev/null) == PONG ]]; }

up_redis_one() {
    local name=$1 pid started port dir
    started=$(now)
    port=$(redis_port "$name")
    dir=$(redis_dir "$name")
    running "$name" >/dev/null || port_free "$name" "$port"
    if pid=$(running "$name"); then
        redis_ping "$name" || wait_for "$name PONG" 30 "$name" "$LOG_DIR/$name.log" redis_ping "$name"
        say "$name: already running (pid $pid), ready on 127.0.0.1:$port"
        return 0
    fi
    mkdir -p "$dir"
    cat >"$(redis_conf "$name")" <<EOF
# Generated by deploy/local/infra.sh: edits are lost at the next 'up'.
port $port
bind 127.0.0.1
protected-mode yes
daemonize no
logfile ""
set-proc-title no
dir $dir
appendonly yes
appendfsync $(redis_fsync "$name")
# No RDB snapshots (as in docker-compose.yml): the AOF is the durable copy, and a snapshot
# forks Redis every minute under load, stalling the always-fsync writes behind it.
save ""
EOF
    launch "$name" "$LOG_DIR/$name.log" /dev/null /usr/bin/redis-server "$(redis_conf "$name")"
    pid=$(<"$RUN_DIR/$name.pid")
    wait_for "$name PONG" 30 "$name" "$LOG_DIR/$name.log" redis_ping "$name"
    say "$name: started (pid $pid), ready on 127.0.0.1:$port in $(elapsed "$started")"
}

up_redis() {
    command -v redis-server >/dev/null || die "redis-server missing: run 'deploy/local/infra.sh install'"
    local name
    for name in "${REDIS_INSTANCES[@]}"; do up_redis_one "$name"; done
}

down_redis() {
    local name
    for name in "${REDIS_INSTANCES[@]}"; do
        if stop_proc "$name" 20 "${1:-TERM}"; then say "$name: stopped"; else say "$name: not running"; fi
    done
}

status_redis() {
    local name rc=0
    for name in "${REDIS_INSTANCES[@]}"; do
        report_status "$name" "127.0.0.1:$(redis_port "$name")" redis_ping "$name" || rc=1
    done
    return "$rc"
}

# ---------------------------------------------------------------------------------------
# kannel: bearerbox, smsbox, fakesmsc

kannel_status_text() {
    http_get "http://127.0.0.1:$KANNEL_ADMIN_PORT/status.txt?password=$KANNEL_ADMIN_PASSWORD"
}

bearerbox_answers() { kannel_status_text >/dev/null; }

# Ready: the fake SMSC is online (fakesmsc connected), an smsbox is connected to bearerbox,
# and sendsms answers HTTP (a request without credentials: no message is sent).
kannel_ready() {
    local text
    text=$(kannel_status_text) || return 1
    grep -Eq '^ *fake\[fake\].*\(online' <<<"$text" || return 1
    grep -Eq '^ *smsbox:.*on-line' <<<"$text" || return 1
    curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms" 2>/dev/null
}

kannel_render() {
    mkdir -p "$KANNEL_DIR"
    render "$HERE/kannel/kannel.conf" "$KANNEL_CONF" \
        "ADMIN_PORT=$KANNEL_ADMIN_PORT" "ADMIN_PASSWORD=$KANNEL_ADMIN_PASSWORD" \
        "SMSBOX_PORT=$KANNEL_SMSBOX_PORT" "SENDSMS_PORT=$KANNEL_SENDSMS_PORT" \
        "FAKESMSC_PORT=$KANNEL_FAKESMSC_PORT" "LOG_DIR=$LOG_DIR" "DATA_DIR=$KANNEL_DIR" \
        "BOX_HOST=$KANNEL_BOX_HOST"
}

# The box link's own route with quickack (see "Kannel's box link" in the header). Only an
# address of 127.0.0.0/8 other than 127.0.0.1 will do: the route replaces the kernel's own for
# that one address, and `down` deletes it.
box_host_valid() {
    [[ $KANNEL_BOX_HOST =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
        [[ $KANNEL_BOX_HOST != 127.0.0.1 ]] &&
        ((BASH_REMATCH[1] < 256 && BASH_REMATCH[2] < 256 && BASH_REMATCH[3] < 256))
}
box_route() { ip route show table local "$KANNEL_BOX_HOST/32" 2>/dev/null; }
box_quickack_on() { grep -q "quickack 1" <<<"$(box_route)"; }
# bearerbox listens for smsbox on the box address (not an older config on 127.0.0.1).
box_link_listening() { ss -Hltn "sport = :$KANNEL_SMSBOX_PORT" 2>/dev/null | grep -qF "$KANNEL_BOX_HOST:"; }

box_route_up() {
    box_quickack_on && return 0
    if ip route replace local "$KANNEL_BOX_HOST" dev lo table local proto static scope host \
        src "$KANNEL_BOX_HOST" quickack 1 2>/dev/null; then
        return 0
    fi
    warn "no quickack route for Kannel's box link on $KANNEL_BOX_HOST (needs root and" \
        "iproute2): sendsms replies with delivery reports may wait up to ~40 ms"
}

box_route_down() {
    # Only our own route (proto static); without root it stays, harmless, until reboot.
    if box_quickack_on; then
        ip route del local "$KANNEL_BOX_HOST" dev lo table local proto static 2>/dev/null || true
    fi
}

box_link_text() {
    if box_quickack_on && box_link_listening; then
        echo "box link $KANNEL_BOX_HOST quickack on"
    elif box_link_listening; then
        echo "box link $KANNEL_BOX_HOST quickack OFF (needs root)"
    else
        echo "box link NOT on $KANNEL_BOX_HOST (an older config: restart kannel)"
    fi
}

up_kannel() {
    local started fresh_bearerbox=0 bb sb fs
    started=$(now)
    command -v bearerbox >/dev/null || die "kannel missing: run 'deploy/local/infra.sh install'"
    [[ -x $FAKESMSC_BIN ]] || die "$FAKESMSC_BIN missing (package kannel-extras): run install"
    box_host_valid || die "KANNEL_BOX_HOST=$KANNEL_BOX_HOST: use an address of 127.0.0.0/8 other than 127.0.0.1"
    if bb=$(running bearerbox) && sb=$(running smsbox) && fs=$(running fakesmsc) && kannel_ready; then
        box_link_listening && box_route_up
        say "kannel: already running (bearerbox $bb, smsbox $sb, fakesmsc $fs), ready; sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT; $(box_link_text)"
        return 0
    fi
    kannel_render
    box_route_up
    if ! running bearerbox >/dev/null; then
        port_free bearerbox "$KANNEL_ADMIN_PORT" "$KANNEL_SMSBOX_PORT" "$KANNEL_FAKESMSC_PORT"
    fi
    if ! running bearerbox >/dev/null; then
        launch bearerbox "$LOG_DIR/kannel-bearerbox.log" /dev/null \
            /usr/sbin/bearerbox -v 2 "$KANNEL_CONF"
        fresh_bearerbox=1
    fi
    wait_for "bearerbox admin port $KANNEL_ADMIN_PORT" 20 bearerbox \
        "$LOG_DIR/kannel-bearerbox.log" bearerbox_answers
    wait_for "fake SMSC port $KANNEL_FAKESMSC_PORT" 20 bearerbox \
        "$LOG_DIR/kannel-bearerbox.log" port_listening "$KANNEL_FAKESMSC_PORT"
    if ((fresh_bearerbox)); then
        # Their connections went with the old bearerbox: start them afresh.
        stop_proc smsbox 10 >/dev/null || true
        stop_proc fakesmsc 5 >/dev/null || true
    fi
    if ! running smsbox >/dev/null; then
        port_free smsbox "$KANNEL_SENDSMS_PORT"
    fi
    if ! running smsbox >/dev/null; then
        launch smsbox "$LOG_DIR/kannel-smsbox.log" /dev/null /usr/sbin/smsbox -v 2 "$KANNEL_CONF"
    fi
    if ! running fakesmsc >/dev/null; then
        # fakesmsc is interactive: its standard input must stay open. A FIFO opened read-write
        # never reaches end-of-file. stdbuf keeps its output line-buffered for tests to tail.
        [[ -p $FAKESMSC_FIFO ]] || { rm -f "$FAKESMSC_FIFO" && mkfifo "$FAKESMSC_FIFO"; }
        # -m 0: send no mobile-originated message of its own (the message argument is required).
        launch fakesmsc "$LOG_DIR/fakesmsc.log" "$FAKESMSC_FIFO" \
            stdbuf -oL -eL "$FAKESMSC_BIN" -H 127.0.0.1 -r "$KANNEL_FAKESMSC_PORT" -m 0 \
            "6281100000000 antre text antre-local-fakesmsc"
    fi
    wait_for "smsbox sendsms port $KANNEL_SENDSMS_PORT" 20 smsbox "$LOG_DIR/kannel-smsbox.log" \
        port_listening "$KANNEL_SENDSMS_PORT"
    wait_for "fakesmsc online in bearerbox status" 20 fakesmsc "$LOG_DIR/fakesmsc.log" kannel_ready
    say "kannel: started (bearerbox $(running bearerbox), smsbox $(running smsbox), fakesmsc $(running fakesmsc)), ready in $(elapsed "$started"); sendsms on 127.0.0.1:$KANNEL_SENDSMS_PORT; $(box_link_text)"
}

down_kannel() {
    local signal=${1:-TERM} any=0
    stop_proc fakesmsc 5 "$signal" && any=1
    stop_proc smsbox 10 "$signal" && any=1
    stop_proc bearerbox 20 "$signal" && any=1
    box_host_valid && box_route_down
    if ((any)); then say "kannel: stopped"; else say "kannel: not running"; fi
}

status_kannel() {
    local parts=() name pid stopped=0
    for name in bearerbox smsbox fakesmsc; do
        if pid=$(running "$name"); then parts+=("$name $pid"); else
            parts+=("$name stopped")
            stopped=$((stopped + 1))
        fi
    done
    local joined
    joined=$(printf '%s, ' "${parts[@]}")
    joined=${joined%, }
    if ((stopped == 3)); then
        say "kannel      stopped"
        return 1
    fi
    if ((stopped == 0)) && kannel_ready; then
        say "kannel      running ($joined)  ready      sendsms 127.0.0.1:$KANNEL_SENDSMS_PORT, $(box_link_text)"
        return 0
    fi
    say "kannel      running ($joined)  NOT ready  sendsms 127.0.0.1:$KANNEL_SENDSMS_PORT, $(box_link_text)"
    return 1
}

# ---------------------------------------------------------------------------------------
# prometheus

prometheus_config() {
    if [[ -f $PROMETHEUS_CONFIG ]]; then
        printf '%s\n' "$PROMETHEUS_CONFIG"
        return 0
    fi
    cat >"$PROMETHEUS_GENERATED" <<EOF
# Generated by deploy/local/infra.sh because $PROMETHEUS_CONFIG does not exist.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PROMETHEUS_PORT"]
EOF
    printf '%s\n' "$PROMETHEUS_GENERATED"
}

prometheus_ready() { http_get -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }

up_prometheus() {
    local pid started config
    started=$(now)
    command -v prometheus >/dev/null || die "prometheus missing: run 'deploy/local/infra.sh install'"
    running prometheus >/dev/null || port_free prometheus "$PROMETHEUS_PORT"
    if pid=$(running prometheus); then
        wait_for "prometheus /-/ready" 30 prometheus "$LOG_DIR/prometheus.log" prometheus_ready
        say "prometheus: already running (pid $pid), ready on 127.0.0.1:$PROMETHEUS_PORT"
        return 0
    fi
    mkdir -p "$PROMETHEUS_DATA"
    config=$(prometheus_config)
    launch prometheus "$LOG_DIR/prometheus.log" /dev/null /usr/bin/prometheus \
        "--config.file=$config" "--storage.tsdb.path=$PROMETHEUS_DATA" \
        "--web.listen-address=127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
    pid=$(<"$RUN_DIR/prometheus.pid")
    say "prometheus: config $config"
    wait_for "prometheus /-/ready" 60 prometheus "$LOG_DIR/prometheus.log" prometheus_ready
    say "prometheus: started (pid $pid), ready on 127.0.0.1:$PROMETHEUS_PORT in $(elapsed "$started")"
}

down_prometheus() {
    if stop_proc prometheus 20 "${1:-TERM}"; then say "prometheus: stopped"; else say "prometheus: not running"; fi
}

status_prometheus() { report_status prometheus "127.0.0.1:$PROMETHEUS_PORT" prometheus_ready; }

# ---------------------------------------------------------------------------------------
# commands

components() {
    local c ok
    for c in "$@"; do
        ok=0
        for known in "${ALL_COMPONENTS[@]}"; do [[ $c == "$known" ]] && ok=1; done
        ((ok)) || die "unknown component '$c' (known: ${ALL_COMPONENTS[*]})"
    done
}

cmd_up() {
    local list=("$@")
    ((${#list[@]})) || list=("${DEFAULT_COMPONENTS[@]}")
    components "${list[@]}"
    take_lock
    local c
    for c in "${list[@]}"; do "up_$c"; done
}

cmd_down() {
    local signal=$1 list
    shift
    list=("$@")
    ((${#list[@]})) || list=(prometheus kannel redis kafka)
    components "${list[@]}"
    take_lock
    local c
    for c in "${list[@]}"; do "down_$c" "$signal"; done
}

cmd_status() {
    local list=("$@") c rc=0 shown=("${ALL_COMPONENTS[@]}")
    ((${#list[@]})) || list=("${DEFAULT_COMPONENTS[@]}")
    (($#)) && shown=("$@")
    components "${shown[@]}"
    ensure_dirs
    for c in "${shown[@]}"; do
        if ! "status_$c"; then
            [[ " ${list[*]} " == *" $c "* ]] && rc=3
        fi
    done
    return "$rc"
}

cmd_logs() {
    ensure_dirs
    if (($# == 0)); then
        say "logs under $LOG_DIR:"
        say "  kafka       $LOG_DIR/kafka.log  (storage format: kafka-format.log)"
        say "  redis       $LOG_DIR/redis.log $LOG_DIR/redis-notifier.log $LOG_DIR/redis-display.log $LOG_DIR/redis-survey.log"
        say "  kannel      $LOG_DIR/kannel-bearerbox.log $LOG_DIR/kannel-smsbox.log"
        say "              (warnings only: Kannel's INFO lines carry phone numbers)"
        say "  fakesmsc    $LOG_DIR/fakesmsc.log  (lines 'Got message N: <from to text body>')"
        say "  prometheus  $LOG_DIR/prometheus.log"
        say "tail one: deploy/local/infra.sh logs COMPONENT  (LINES=N, default 40)"
        return 0
    fi
    local files=()
    case $1 in
        kafka) files=("$LOG_DIR/kafka.log" "$LOG_DIR"/kafka-[1-3].log) ;;
        redis) files=("$LOG_DIR/redis.log" "$LOG_DIR/redis-notifier.log" "$LOG_DIR/redis-display.log" "$LOG_DIR/redis-survey.log") ;;
        kannel) files=("$LOG_DIR/kannel-bearerbox.log" "$LOG_DIR/kannel-smsbox.log" "$LOG_DIR/fakesmsc.log") ;;
        fakesmsc) files=("$LOG_DIR/fakesmsc.log") ;;
        prometheus) files=("$LOG_DIR/prometheus.log") ;;
        *) die "unknown component '$1'" ;;
    esac
    local f
    for f in "${files[@]}"; do
        [[ -f $f ]] || continue
        say "==> $f <=="
        tail -n "${LINES:-40}" "$f"
    done
}

cmd_env() {
    say "KAFKA_BOOTSTRAP_SERVERS=$(kafka_bootstrap)"
    say "TICKETING_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    say "NOTIFIER_REDIS_URL=redis://127.0.0.1:$REDIS_NOTIFIER_PORT/0"
    say "DISPLAY_REDIS_URL=redis://127.0.0.1:$REDIS_DISPLAY_PORT/0"
    say "KANNEL_SENDSMS_URL=http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms"
    say "KANNEL_USERNAME=antre"
    say "KANNEL_PASSWORD=antre-dev"
    say "KANNEL_ADMIN_URL=http://127.0.0.1:$KANNEL_ADMIN_PORT/status.txt?password=$KANNEL_ADMIN_PASSWORD"
    say "FAKESMSC_LOG=$LOG_DIR/fakesmsc.log"
    say "PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT"
}

usage() { sed -n '3,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

main() {
    local cmd=${1:-help}
    (($#)) && shift
    case $cmd in
        install) cmd_install ;;
        up | start) cmd_up "$@" ;;
        down | stop) cmd_down TERM "$@" ;;
        kill) cmd_down KILL "$@" ;;
        restart)
            cmd_down TERM "$@"
            cmd_up "$@"
            ;;
        status) cmd_status "$@" ;;
        logs) cmd_logs "$@" ;;
        env) cmd_env ;;
        tune) die "'tune' is gone: Kannel's box link has a quickack route of its own (see help). To undo an old 'tune': ip route change local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 table local (and the same for 127.0.0.1)" ;;
        help | -h | --help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
