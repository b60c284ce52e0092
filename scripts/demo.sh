#!/bin/sh
# The README's run command: installs the Debian 12 packages that are missing, builds, makes a demo
# clinic in ./demo (a user of every role, this machine enrolled as a workstation, the client's
# configuration), then runs clinicd in the foreground. Running it again reuses ./demo.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# --- packages: only what is missing, apt-get update once ---------------------------------------
PKGS="build-essential cmake ninja-build pkg-config libuv1-dev libprotobuf-c-dev
protobuf-c-compiler libsqlite3-dev libssl-dev"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "demo: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update
    # shellcheck disable=SC2086 # the list is meant to split into words
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
fi

# --- build --------------------------------------------------------------------------------------
cmake -S . -B build -G Ninja
cmake --build build
CLINICD="$ROOT/build/bin/clinicd"

# --- the demo clinic ------------------------------------------------------------------------------
DEMO="$ROOT/demo"
DATA="$DEMO/data"
PASSWORD_FILE="$DEMO/password"
WS_DIR="$DEMO/workstation"
mkdir -p "$DEMO"
chmod 0700 "$DEMO"
if [ ! -f "$PASSWORD_FILE" ]; then
    (umask 077 && echo "demo-password-1" >"$PASSWORD_FILE")
fi
chmod 0600 "$PASSWORD_FILE"

if [ ! -f "$DATA/clinic.db" ]; then
    "$CLINICD" init --data "$DATA" --clinic-name "Maple Street Family Practice" \
        --admin-password-file "$PASSWORD_FILE"
fi

# One user per role, all with the demo password; users already there are kept as they are.
existing=$("$CLINICD" user list --data "$DATA" | awk 'NR > 1 { print $1 }')
add_user() { # USERNAME ROLES FULL_NAME
    if ! printf '%s\n' "$existing" | grep -qxF "$1"; then
        "$CLINICD" user add "$1" --data "$DATA" --roles "$2" --full-name "$3" \
            --password-file "$PASSWORD_FILE"
    fi
}
add_user morgan manager "Morgan Reyes"
add_user frontdesk front_desk "Frankie Ortiz"
add_user sam scheduler "Sam Patel"
add_user billie biller "Billie Chen"
add_user drlee clinician "Dr. Dana Lee"
add_user nurse clinician "Nora Nurse"
add_user stacy staff "Stacy Brooks"
# Only scripts/demo.sh's seeding logs in as this one (build/bin/clinic-seed needs all four roles).
add_user demo-seed scheduler,front_desk,clinician,manager "Demo seeding"

# This machine as a workstation (names: letters, digits, '.', '_', '-'; at most 64).
WS=$(hostname | tr -c 'A-Za-z0-9._\n-' '-' | cut -c1-64)
[ -n "$WS" ] || WS=demo-workstation
if [ ! -f "$WS_DIR/$WS.crt" ] || [ ! -f "$WS_DIR/$WS.key" ]; then
    if "$CLINICD" workstation list --data "$DATA" | awk 'NR > 1 { print $1 }' | grep -qxF "$WS"; then
        echo "demo: workstation $WS is enrolled but its files are gone from $WS_DIR;" \
            "remove $DEMO to start over" >&2
        exit 1
    fi
    "$CLINICD" workstation add "$WS" --data "$DATA" --out "$WS_DIR"
fi

# The client's configuration, where `clinic` looks for it.
CONF_DIR="${CLINIC_CONFIG_DIR:-${XDG_CONFIG_HOME:-$HOME/.config}/clinic}"
CONF="$CONF_DIR/clinic.conf"
mkdir -p "$CONF_DIR"
chmod 0700 "$CONF_DIR"
NEW_CONF=$(cat <<EOF
# Written by scripts/demo.sh for the demo clinic in $DEMO.
server = 127.0.0.1:7470
ca = $WS_DIR/ca.crt
cert = $WS_DIR/$WS.crt
key = $WS_DIR/$WS.key
EOF
)
if [ -f "$CONF" ] && [ "$(cat "$CONF")" != "$NEW_CONF" ] && [ ! -f "$CONF.bak" ]; then
    cp -p "$CONF" "$CONF.bak"
    echo "demo: kept your previous $CONF as $CONF.bak"
fi
(umask 077 && printf '%s\n' "$NEW_CONF" >"$CONF")

# --- the demo practice: rooms, providers, 500 patients, today's schedule -----------------------
# Seeded once over the wire (every validation and audit applies) by clinicd run in the background
# on a free loopback port, then stopped; clinic-seed itself does nothing on a clinic with providers.
SEEDED="$DEMO/seeded"
if [ ! -f "$SEEDED" ]; then
    SEED_LOG="$DEMO/seed-serve.log"
    "$CLINICD" serve --data "$DATA" --listen 127.0.0.1:0 >"$SEED_LOG" 2>&1 &
    SEED_PID=$!
    trap 'kill -TERM "$SEED_PID" 2>/dev/null; wait "$SEED_PID" 2>/dev/null; exit 130' INT TERM
    seed_addr=""
    tries=0
    while [ -z "$seed_addr" ] && [ "$tries" -lt 300 ] && kill -0 "$SEED_PID" 2>/dev/null; do
        sleep 0.1
        tries=$((tries + 1))
        seed_addr=$(sed -n 's/.*listening on \(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$SEED_LOG" |
            head -n 1)
    done
    seed_rc=1
    if [ -n "$seed_addr" ]; then
        seed_rc=0
        "$ROOT/build/bin/clinic-seed" --server "$seed_addr" --ca "$WS_DIR/ca.crt" \
            --cert "$WS_DIR/$WS.crt" --key "$WS_DIR/$WS.key" --user demo-seed \
            --password-file "$PASSWORD_FILE" || seed_rc=$?
    else
        echo "demo: clinicd did not start for seeding; its output:" >&2
        cat "$SEED_LOG" >&2
    fi
    kill -TERM "$SEED_PID" 2>/dev/null || true
    serve_rc=0
    wait "$SEED_PID" || serve_rc=$?
    trap - INT TERM
    if [ "$seed_rc" -ne 0 ] || [ "$serve_rc" -ne 0 ]; then
        echo "demo: seeding the demo clinic failed (clinic-seed $seed_rc, clinicd $serve_rc);" \
            "clinicd's output is in $SEED_LOG" >&2
        exit 1
    fi
    rm -f "$SEED_LOG"
    : >"$SEEDED"
fi

cat <<EOF

Demo clinic ready: $DATA
Users: admin, morgan (manager), frontdesk, sam (scheduler), billie (biller), drlee and nurse
(clinicians), stacy (staff), demo-seed (only for the seeding); every password is in
demo/password.
Seeded practice: 3 providers, 5 rooms, 500 patients and today's schedule; 15 staff members,
a published week of shifts, and requests waiting for the manager's approval.
Client configuration: $CONF.
clinicd now runs in the foreground; stop it with Ctrl-C. In a second terminal, type:

  build/bin/clinic login --user frontdesk --password-file demo/password
  build/bin/clinic board                  # today's patient flow (as frontdesk or drlee)
  build/bin/clinic patient find smi
  build/bin/clinic login --user morgan --password-file demo/password
  build/bin/clinic approvals --watch      # the manager's inbox, live
  build/bin/clinic shift coverage         # this week's desks, with the gaps flagged

EOF
exec "$CLINICD" serve --data "$DATA"
