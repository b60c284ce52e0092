#!/bin/sh
# Installs the Debian 12 packages clinicd needs to build and test, when any is missing.
# Runs apt-get as root, or through sudo.
set -eu
PKGS="build-essential cmake ninja-build pkg-config libuv1-dev libprotobuf-c-dev protobuf-c-compiler
libsqlite3-dev libssl-dev sqlite3 openssl clang tzdata e2fsprogs"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
