#!/usr/bin/env bash
# Debian/Ubuntu packages Affiliate Desk needs beside its Python packages.
#   scripts/system-deps.sh run   -> what a desktop session needs to show the Qt window (xcb)
#   scripts/system-deps.sh test  -> what the offscreen test suite needs (fonts, GL, PDF and spreadsheet tools)
# Installs the missing ones when run as root with apt-get; otherwise prints the one line to run.
set -euo pipefail
mode=${1:-run}

common=(libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libglib2.0-0 fonts-dejavu-core)
gui=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-randr0 libxcb-render-util0
     libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-image0)
tests=(poppler-utils xvfb libreoffice-calc-nogui)

case "$mode" in
  run) wanted=("${common[@]}" "${gui[@]}") ;;
  test) wanted=("${common[@]}" "${gui[@]}" "${tests[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure Qt's runtime libraries are installed." >&2
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: Qt needs these Debian packages. Run once:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  [ "$mode" = "test" ] && exit 1
fi
exit 0
