#!/usr/bin/env bash
# Installs what RunForge needs outside npm: the Python packages of the built-in trainer
# (scikit-learn, pandas, joblib, PyTorch), pytest for its tests, and Chromium for the dashboard's
# browser tests. Debian/Ubuntu as root: apt packages. Otherwise: pip --user from python/requirements.txt.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3 python3-sklearn python3-pandas python3-joblib python3-torch python3-pytest chromium)

missing_apt() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
  missing=$(missing_apt)
  if [[ -n $missing ]]; then
    echo "runforge setup: installing Debian packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing
  else
    echo "runforge setup: Debian packages already installed"
  fi
elif command -v apt-get >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  missing=$(missing_apt)
  if [[ -n $missing ]]; then
    export DEBIAN_FRONTEND=noninteractive
    sudo -E apt-get update
    # shellcheck disable=SC2086
    sudo -E apt-get install -y --no-install-recommends $missing
  fi
else
  echo "runforge setup: not root on Debian; installing the trainer's packages with pip --user"
  python3 -m pip install --user -r python/requirements.txt
fi
