#!/bin/sh
# The long crash-safety run (docs/STORAGE.md, "Crash safety"): runs test_crash's kill cases over
# and over with fresh seeds for a number of minutes (each run kills the daemon three times under
# load and checks everything after every restart), then prints what the runs added up to. A
# failing run's log is kept with its seed, to rerun with CLINIC_CRASH_SEED.
#
#   scripts/crash-soak.sh [--minutes N] [--build DIR] [--case NAME]...
#
# Defaults: 5 minutes; the ASan+UBSan build in build-crash (configured and built when missing);
# the cases sigkill_under_load_loses_nothing_acknowledged and sigkill_during_checkpoint, in turn.
set -eu
cd "$(dirname "$0")/.."

MINUTES=5
BUILD=build-crash
CASES=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --case) CASES="$CASES $2"; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "crash-soak: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$CASES" ] || CASES="sigkill_under_load_loses_nothing_acknowledged sigkill_during_checkpoint"
# Only test_crash's cases can be soaked: a name it lacks would fail every run, not crash anything.
for case in $CASES; do
    if ! grep -q "^CL_TEST($case)" tests/integration/test_crash.c; then
        echo "crash-soak: test_crash has no case '$case'; its cases are:" >&2
        sed -n 's/^CL_TEST(\([a-z0-9_]*\)).*/  \1/p' tests/integration/test_crash.c >&2
        exit 2
    fi
done

if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCLINIC_ASAN=ON -DCLINIC_UBSAN=ON >/dev/null
fi
cmake --build "$BUILD" --target clinicd test_crash >/dev/null
BIN=$(cd "$BUILD/bin" && pwd)
export CLINICD="$BIN/clinicd" CLINIC="$BIN/clinic"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

LOGS=$(mktemp -d /tmp/crash-soak.XXXXXX)
SUMMARY="$LOGS/summary"
: >"$SUMMARY"
runs=0
failed=0
start=$(date +%s)
end=$((start + MINUTES * 60))
echo "crash soak: $MINUTES min of:$CASES"
while [ "$(date +%s)" -lt "$end" ]; do
    for case in $CASES; do
        seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
        seed=$((seed % 1000000000 + 1))
        log="$LOGS/$case-$seed.log"
        runs=$((runs + 1))
        if CLINIC_CRASH_SEED=$seed "$BIN/test_crash" "$case" >"$log" 2>&1; then
            grep '^crash-summary ' "$log" >>"$SUMMARY"
            rm -f "$log"
        else
            failed=$((failed + 1))
            echo "FAILED: $case seed $seed (log: $log):"
            grep -E 'LOST|test_crash.c:[0-9]+:' "$log" | head -5 | sed 's/^/  /'
        fi
    done
done

# Sum the key=value fields of every passing run's summary line.
awk -v runs="$runs" -v failed="$failed" -v secs="$(($(date +%s) - start))" '
{ for (i = 2; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2] } }
END {
    printf "crash soak: %d runs in %d s, %d failed\n", runs, secs, failed
    printf "  %d SIGKILLs of the daemon under load, %d of them inside a WAL checkpoint\n",
        sum["kills"], sum["checkpoint_kills"]
    printf "  %d messages sent, %d acknowledged: every acknowledged one there after every restart, once\n",
        sum["sent"], sum["acked"]
    printf "  in flight at the kills, unanswered: %d committed whole, %d absent whole, 0 half there\n",
        sum["unacked_present"], sum["unacked_absent"]
    printf "  refused by the server: %d; audit chain verified and change feed gap-free after every restart\n",
        sum["refused"]
}' "$SUMMARY"
if [ "$failed" -ne 0 ]; then
    echo "logs of the failed runs: $LOGS"
    exit 1
fi
rm -rf "$LOGS"
