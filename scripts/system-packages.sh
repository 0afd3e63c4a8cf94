#!/usr/bin/env bash
# Install the Debian packages Tailormed needs when they are missing.
# Runs as root on the project's Debian machines; elsewhere it only reports.
set -euo pipefail
# One Debian package a line in system-packages.txt; '#' starts a comment.
needed=()
for pkg in $(sed -e 's/#.*//' "$(dirname "$0")/system-packages.txt"); do
    dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg")
done
if [ "${#needed[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "tailormed: please install these system packages: ${needed[*]}" >&2
    exit 1
fi
echo "tailormed: installing system packages: ${needed[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
