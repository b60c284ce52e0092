#!/bin/bash
# Measures clinicd against its anchors on this machine (issue 3): builds Release clinicd and
# clinic-bench, makes a fresh clinic in a temporary directory, serves it on a free 127.0.0.1 port,
# then alternates ../shared/bench/anchors.sh (Redis over TLS, PostgreSQL durable INSERTs) with the
# clinic-bench workloads for a number of rounds, prints every figure and the medians with their
# ratios and targets, and stops everything it started.
#
# usage: scripts/bench.sh [--rounds N] [--seconds S] [--out DIR] [--only "NAME ..."] [--no-anchors]
#                        [--generate PATIENTS [--appointments N]]
#   --rounds N    rounds of workloads, each preceded by the anchors, plus the anchors once more at
#                 the end (default 3)
#   --seconds S   each workload's run time (default 10)
#   --out DIR     keep results.jsonl, anchors.txt, summary.txt and clinicd.log in DIR
#   --only LIST   run only these runs (names below), e.g. --only "ping msg-send"
#   --no-anchors  skip the anchors (quick checks; the summary then has no ratios)
#   --generate P  before serving, fill the fresh clinic with P patients (and --appointments N
#                 appointments) with `clinic-bench --generate` (issue 4's search on 1,000,000)
# Runs (name workload connections): ping ping 50, whoami whoami 50, msg-send msg-send 50,
#   msg-send-1/-10/-200 (the group-commit batch at other loads), connect connect 50 (TLS
#   sessions resumed, as libclinic does), connect-full connect 50 (--full-handshakes),
#   idle idle 5000, fanout fanout 1000; front desk (issue 4): book book 50, search search 50,
#   board board 50, board-1 board 1, frontdesk frontdesk 100 (--think-ms 100), frontdesk-sat
#   frontdesk 100 (no pause).
# Environment: BUILD_DIR (default build-bench in the repository); ANCHORS (default
# ../shared/bench/anchors.sh beside the repository).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANCHORS=${ANCHORS:-"$(cd "$(dirname "$0")" && pwd)/../../shared/bench/anchors.sh"}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
ROUNDS=3
SECONDS_PER=10
OUT=""
ONLY=""
WITH_ANCHORS=1
RUNS="ping:ping:50 whoami:whoami:50 msg-send:msg-send:50 msg-send-1:msg-send:1
msg-send-10:msg-send:10 msg-send-200:msg-send:200 connect:connect:50
connect-full:connect:50 idle:idle:5000
fanout:fanout:1000 book:book:50 search:search:50 board:board:50 board-1:board:1
frontdesk:frontdesk:100 frontdesk-sat:frontdesk:100"
GENERATE=0
APPOINTMENTS=0

die() { echo "bench.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --no-anchors) WITH_ANCHORS=0; shift ;;
    --generate) GENERATE=$2; shift 2 ;;
    --appointments) APPOINTMENTS=$2; shift 2 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
done
case "$ROUNDS$SECONDS_PER$GENERATE$APPOINTMENTS" in *[!0-9]*) die "--rounds and --seconds take whole numbers" ;; esac
if [ "$ROUNDS" -lt 1 ] || [ "$SECONDS_PER" -lt 1 ]; then
    die "--rounds and --seconds must be at least 1"
fi
[ "$WITH_ANCHORS" = 0 ] || [ -f "$ANCHORS" ] || die "no anchors script at $ANCHORS"

# --- build (Release, no sanitizers: these binaries are for measuring) ----------------------------
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target clinicd clinic-bench >/dev/null
CLINICD="$BUILD_DIR/bin/clinicd"
BENCH="$BUILD_DIR/bin/clinic-bench"

# --- a fresh clinic, served on a free loopback port ------------------------------------------------
T=$(mktemp -d /tmp/clinic-bench.XXXXXX)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$OUT" ] && [ -d "$T" ]; then
        mkdir -p "$OUT"
        cp "$T"/results.jsonl "$T"/anchors.txt "$T"/summary.txt "$T"/clinicd.log \
            "$T"/generate.json "$OUT"/ 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DATA="$T/data"
PW="$T/password"
(umask 077 && echo "clinic-bench-password" >"$PW")
# A clinic at $DATA (made anew: any old one is removed) with workstation "bench" ($T/ws) and the
# bench's own user.
make_clinic() {
    rm -rf "$DATA" "$T/ws"
    # The default scrypt cost (scrypt_log2_n 15): the login figure is the one a clinic pays.
    "$CLINICD" init --data "$DATA" --clinic-name "clinic-bench" --admin-password-file "$PW" \
        --listen "127.0.0.1:$PORT" >/dev/null 2>>"$T/setup.log" || die "init failed: $(tail -3 "$T/setup.log")"
    "$CLINICD" workstation add bench --data "$DATA" --out "$T/ws" >/dev/null 2>>"$T/setup.log"
    # The bench's own user: an admin (ServerStatus needs it) whose name is not a role, so that
    # msg-send to it is a note to self; the front-desk workloads set up the schedule (scheduler),
    # register and book (front_desk), room and take vitals (clinician) and read the board.
    "$CLINICD" user add bench --data "$DATA" --roles admin,scheduler,front_desk,clinician,manager \
        --full-name "clinic-bench" \
        --password-file "$PW" >/dev/null 2>>"$T/setup.log"
    # idle holds 5,000 connections (the default limit is 10,000); every clinic-bench run logs in
    # once with the password from 127.0.0.1, more often than a person would.
    printf 'max_connections = 12000\nlogin_attempts_per_minute = 600\n' >>"$DATA/clinicd.conf"
}
make_clinic

if [ "$GENERATE" -gt 0 ]; then
    echo "generating $GENERATE patients and $APPOINTMENTS appointments into the fresh clinic"
    "$BENCH" --generate "$DATA" --patients "$GENERATE" --appointments "$APPOINTMENTS" \
        | tee "$T/generate.json" || die "the generator failed"
fi

start_server() {
    "$CLINICD" serve --data "$DATA" 2>>"$T/clinicd.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || die "clinicd did not start: $(tail -3 "$T/clinicd.log")"
        sleep 0.1
    done
    die "clinicd does not answer on 127.0.0.1:$PORT"
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
start_server

SCRYPT=$(awk -F= '/^[ \t]*scrypt_log2_n[ \t]*=/{gsub(/[ \t]/,"",$2); v=$2} END{print v ? v : 15}' \
    "$DATA/clinicd.conf")
: >"$T/results.jsonl"
: >"$T/anchors.txt"

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')," \
    "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clinicd on 127.0.0.1:$PORT (Release, scrypt_log2_n $SCRYPT); $ROUNDS rounds of ${SECONDS_PER} s runs"

run_anchors() { # ROUND
    [ "$WITH_ANCHORS" = 1 ] || return 0
    local out
    out=$(bash "$ANCHORS" all 2>&1 | grep '^anchor ' || true)
    [ -n "$out" ] || { echo "  anchors: no figures (see $ANCHORS)"; return 0; }
    printf '%s\n' "$out" | sed "s/^/  [$1] /"
    printf '%s\n' "$out" | sed "s/^anchor /anchor round=$1 /" >>"$T/anchors.txt"
}

run_workloads() { # ROUND
    local spec name workload conns line flags
    for spec in $RUNS; do
        IFS=: read -r name workload conns <<<"$spec"
        flags=""
        [ "$name" = connect-full ] && flags=--full-handshakes
        # frontdesk: each workstation pauses 50-150 ms after every reply (10 requests a second,
        # far busier than a clerk); frontdesk-sat: no pause, the server's saturation.
        [ "$name" = frontdesk ] && flags="--think-ms 100"
        if [ -n "$ONLY" ] && ! printf ' %s ' "$ONLY" | grep -q " $name "; then
            continue
        fi
        # RSS per connection is measured from a fresh process: memory that earlier runs freed
        # stays in the allocator and would hide what the connections take.
        if [ "$workload" = idle ]; then
            stop_server
            start_server
        fi
        # The front-desk workloads each get a fresh clinic (issue 4: "each sets up what it needs
        # on a fresh clinic"): today's board must not hold the earlier runs' bookings. Not on a
        # generated clinic, which is what those runs are for.
        case "$workload" in book | search | board | frontdesk)
            if [ "$GENERATE" -eq 0 ]; then
                stop_server
                make_clinic
                start_server
            fi ;;
        esac
        line=$("$BENCH" --server "127.0.0.1:$PORT" --ca "$T/ws/ca.crt" --cert "$T/ws/bench.crt" \
            --key "$T/ws/bench.key" --user bench --password-file "$PW" --workload "$workload" \
            --connections "$conns" --seconds "$SECONDS_PER" --server-conf "$DATA/clinicd.conf" \
            --json $flags 2>>"$T/bench.err" | tail -1) || true
        if [ -z "$line" ]; then
            echo "  [$1] $name: clinic-bench failed: $(tail -1 "$T/bench.err" 2>/dev/null)"
            continue
        fi
        line="{\"round\":$1,\"name\":\"$name\",${line#\{}"
        echo "$line" >>"$T/results.jsonl"
        echo "  [$1] $line"
        kill -0 "$SERVER_PID" 2>/dev/null || die "clinicd died: $(tail -3 "$T/clinicd.log")"
    done
}

for round in $(seq "$ROUNDS"); do
    echo "round $round: anchors"
    run_anchors "$round"
    echo "round $round: clinic-bench"
    run_workloads "$round"
done
echo "closing anchors"
run_anchors "$((ROUNDS + 1))"

# --- medians, ratios, targets ---------------------------------------------------------------------
python3 - "$T/results.jsonl" "$T/anchors.txt" "$SCRYPT" >"$T/summary.txt" <<'EOF'
import json, statistics, sys
results = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
anchors = {}      # name -> [values]
anchor_p99 = {}   # name -> [p99 ms]: how noisy the machine's own tail is
by_round = {}     # (name, round) -> value
for line in open(sys.argv[2]):
    f = line.split()
    kv = dict(x.split("=", 1) for x in f[1:] if "=" in x)
    name = [x for x in f[1:] if "=" not in x][0]
    v = kv.get("rps") or kv.get("tps")
    if kv.get("p99_ms"):
        anchor_p99.setdefault(name, []).append(float(kv["p99_ms"]))
    if v:
        anchors.setdefault(name, []).append(float(v))
        by_round[(name, int(kv["round"]))] = float(v)
def med(xs):
    return statistics.median(xs) if xs else None
runs = {}
for r in results:
    runs.setdefault(r["name"], []).append(r)
def m(name, key):
    return med([r[key] for r in runs.get(name, []) if key in r])
A = {k: med(v) for k, v in anchors.items()}
print("medians over %d rounds (anchors over %d runs)" % (
    max([r["round"] for r in results] or [0]), max([len(v) for v in anchors.values()] or [0])))
for k in sorted(A):
    print("  anchor %-14s %10.0f /s   (runs: %s)%s" % (
        k, A[k], ", ".join("%.0f" % x for x in anchors[k]),
        "; p99 %.3f ms" % med(anchor_p99[k]) if k in anchor_p99 else ""))
print("  %-13s %5s %10s %8s %8s %8s %6s %9s %9s  %s" % (
    "run", "conns", "rate/s", "p50 ms", "p99 ms", "p999 ms", "errors", "srv cpu", "batch", "extra"))
for name, rs in runs.items():
    extra = ""
    if name == "idle":
        extra = "rss/conn %.1f KiB" % ((m(name, "rss_per_connection_bytes") or 0) / 1024)
    elif name == "fanout":
        extra = "deliveries %.0f missed %.0f" % (m(name, "deliveries") or 0, m(name, "missed") or 0)
    elif name.startswith("connect"):
        extra = "login %.0f ms (scrypt_log2_n %s)" % (m(name, "login_ms") or 0, sys.argv[3])
    elif name == "book":
        extra = "booked %.1f/s, conflicts %.0f, double bookings %.0f" % (
            m(name, "booked_rps") or 0, m(name, "conflicts") or 0, m(name, "double_bookings") or 0)
    elif name == "search":
        extra = "hits %.1f/search" % (m(name, "hits_mean") or 0)
    elif name.startswith("frontdesk"):
        extra = "worst op p99 %.3f ms, think %s ms" % (
            max(o["p99_ms"] for o in rs[0]["ops"].values()), rs[0].get("think_ms", 0))
    elif name.startswith("board"):
        extra = "%.0f appointments" % (m(name, "board_appointments") or 0)
    print("  %-13s %5d %10.1f %8.3f %8.3f %8.3f %6.0f %9.2f %9.2f  %s" % (
        name, rs[0]["connections"], m(name, "rps"), m(name, "p50_ms"), m(name, "p99_ms"),
        m(name, "p999_ms"), m(name, "errors"), m(name, "server_cpu_s") or 0,
        m(name, "mean_batch") or 0, extra))
def ratio(name, anchor, key="rps"):
    """The median over rounds of (the run's rate / the mean of the anchor runs just before and
    just after it), so that each run is compared with the machine as it was at that time."""
    rs = []
    for r in runs.get(name, []):
        around = [by_round[k] for k in ((anchor, r["round"]), (anchor, r["round"] + 1)) if k in by_round]
        if around:
            rs.append(r[key] / (sum(around) / len(around)))
    return med(rs)
def show(label, ok, text):
    print("  %-4s %-9s %s" % ("PASS" if ok else "MISS", label, text))
print("targets")
checks = []
if "ping" in runs:
    r = ratio("ping", "redis_tls_get")
    show("ping", r is not None and r >= 1.0 and m("ping", "p99_ms") < 2,
         "%s x Redis TLS GET (>= 1.0), p99 %.3f ms (< 2)" % ("%.2f" % r if r else "n/a", m("ping", "p99_ms")))
if "whoami" in runs:
    r = ratio("whoami", "redis_tls_get")
    show("whoami", r is not None and r >= 0.8, "%s x Redis TLS GET (>= 0.8)" % ("%.2f" % r if r else "n/a"))
if "msg-send" in runs:
    r = ratio("msg-send", "pg_insert")
    show("msg-send", r is not None and r >= 2 and m("msg-send", "p99_ms") < 10,
         "%s x PostgreSQL INSERT (>= 2), p99 %.3f ms (< 10)" % ("%.2f" % r if r else "n/a", m("msg-send", "p99_ms")))
for name in ("connect", "connect-full"):
    if name in runs:
        show(name, m(name, "rps") >= 400, "%.0f connections/s (>= 400)" % m(name, "rps"))
if "idle" in runs:
    per = (m("idle", "rss_per_connection_bytes") or 0) / 1024
    show("idle", m("idle", "connections_ok") >= 5000 and 0 < per <= 48,
         "%.0f connections held, %.1f KiB RSS each (5000, <= 48)" % (m("idle", "connections_ok"), per))
if "fanout" in runs:
    show("fanout", m("fanout", "subscribers") >= 1000 and m("fanout", "missed") == 0 and m("fanout", "p99_ms") < 20,
         "%.0f subscribers, %.0f missed, p99 %.3f ms (1000, 0, < 20)" % (
             m("fanout", "subscribers"), m("fanout", "missed"), m("fanout", "p99_ms")))
if "book" in runs:
    # Only the bookings made count against PostgreSQL's INSERTs; a CONFLICT writes nothing.
    r = ratio("book", "pg_insert", "booked_rps")
    show("book", r is not None and r >= 1.5 and m("book", "p99_ms") < 10 and m("book", "double_bookings") == 0,
         "%s x PostgreSQL INSERT in bookings made (>= 1.5), p99 %.3f ms (< 10), %.0f double bookings (0)" % (
             "%.2f" % r if r else "n/a", m("book", "p99_ms"), m("book", "double_bookings")))
if "search" in runs:
    show("search", m("search", "rps") >= 10000 and m("search", "p99_ms") < 5,
         "%.0f searches/s (>= 10000), p99 %.3f ms (< 5); %s" % (
             m("search", "rps"), m("search", "p99_ms"),
             "%.0f patients registered by the setup" % m("search", "registered_patients")
             if m("search", "registered_patients") else "a generated clinic"))
for name in ("board", "board-1"):
    if name in runs:
        show(name, m(name, "p99_ms") < 2, "%.0f appointments, p99 %.3f ms (< 2) at %d connections" % (
            m(name, "board_appointments") or 0, m(name, "p99_ms"), runs[name][0]["connections"]))
if "frontdesk" in runs:
    rs = runs["frontdesk"]
    ops = {k: med([r["ops"][k]["p99_ms"] for r in rs if r["ops"][k]["count"]])
           for k in rs[0]["ops"]}
    ops = {k: v for k, v in ops.items() if v is not None}
    worst = max(ops.items(), key=lambda kv: kv[1])
    show("frontdesk", worst[1] < 10,
         "%d workstations (think %s ms), every operation's p99 < 10 ms (medians over rounds): %s "
         "(worst %s %.3f ms)" % (rs[0]["connections"], rs[0].get("think_ms", 0),
                                 ", ".join("%s %.1f" % kv for kv in ops.items()), worst[0], worst[1]))
    chs = [r["changes"] for r in rs if r.get("changes")]
    if chs:
        missed = sum(c["expected"] - c["delivered"] for c in chs)
        p99 = med([c["p99_ms"] for c in chs])
        show("changes", missed == 0 and p99 < 10,
             "%d of %d flow-step events reached the other workstations, p99 %.3f ms after the "
             "reply (median over rounds; all, < 10)" % (
                 sum(c["delivered"] for c in chs), sum(c["expected"] for c in chs), p99))
batch = [(rs[0]["connections"], m(n, "mean_batch"), m(n, "rps")) for n, rs in runs.items()
         if n.startswith("msg-send")]
if batch:
    print("group commit (msg-send): " + "; ".join(
        "%d conns: %.1f requests/commit, %.0f/s" % (c, b or 0, v) for c, b, v in sorted(batch)))
EOF
echo
cat "$T/summary.txt"
