#!/usr/bin/env bash
# Puts `runforge` on PATH: a symlink to this checkout's built binary (dist/cli/bin.cjs) in a bin folder —
# RUNFORGE_BIN_DIR when set, else /usr/local/bin when writable (root), else ~/.local/bin. A symlink
# rather than `npm link`: nothing to install globally, and a rebuild needs no relinking. Safe to run
# again. `runforge demo` prints its closing command as `runforge …` only when PATH finds this link, and
# as `node /abs/dist/cli/bin.cjs …` otherwise, so the command it prints works either way.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
target="$root/dist/cli/bin.cjs"
if [[ ! -f $target ]]; then
  echo "runforge setup: $target not found; build first: npm run build" >&2
  exit 1
fi

dir=${RUNFORGE_BIN_DIR:-}
if [[ -z $dir ]]; then
  if [[ -w /usr/local/bin ]]; then dir=/usr/local/bin; else dir="$HOME/.local/bin"; fi
fi
mkdir -p "$dir"
ln -sfn "$target" "$dir/runforge"
echo "runforge setup: linked $dir/runforge -> $target"

found=$(command -v runforge || true)
if [[ -n $found && $(readlink -f "$found") == "$(readlink -f "$target")" ]]; then
  echo "runforge setup: \`runforge\` is on PATH"
elif [[ -n $found ]]; then
  echo "runforge setup: PATH finds another runforge first ($found); run this one as: node $target"
else
  echo "runforge setup: $dir is not on PATH; add it (export PATH=\"$dir:\$PATH\") or run: node $target"
fi
