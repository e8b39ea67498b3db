#!/usr/bin/env bash
# A short tour of the queue on a throw-away workspace: enqueue a sweep (CPU and GPU runs), look at the
# queue, pause, retry, cancel. Set RUNFORGE_TOUR_DIR to keep the workspace somewhere.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rf() { echo "\$ runforge $*"; local status=0; node "$repo/dist/cli/bin.cjs" "$@" || status=$?; echo; return $status; }

ws="${RUNFORGE_TOUR_DIR:-$(mktemp -d -t runforge-tour-XXXXXX)}"
mkdir -p "$ws/data"
cd "$ws"
cat > plan.json <<JSON
{
  "version": 1,
  "kind": "sweep_plan",
  "created_at": "$(date -Iseconds)",
  "created_by": "tour@1",
  "workspace": "$ws",
  "group": { "name": "tour: C x device", "notes": "made by scripts/tour.sh" },
  "base_request": {
    "version": 1,
    "preset": "balanced",
    "dataset": { "path": "data/train.csv", "label_column": "target" },
    "device": { "type": "cpu" },
    "command": ["sh", "-c", "echo '[RF:PROGRESS=1/2 steps]'; sleep 0.5; echo '[RF:PROGRESS=2/2 steps]'; sleep 0.5"],
    "created_at": "$(date -Iseconds)",
    "created_by": "tour@1"
  },
  "strategy": {
    "type": "grid",
    "parameters": [
      { "path": "model.hyperparameters.C", "values": [0.1, 1, 10] },
      { "path": "device.type", "values": ["cpu", "gpu"] }
    ]
  },
  "execution": { "max_parallel": 2, "fail_fast": false, "stop_on_cancel": true }
}
JSON

echo "Workspace: $ws"
echo
rf validate plan.json
rf enqueue-sweep --plan plan.json
gid=$(ls .runforge/groups | head -n 1)
rf queue-status
rf pause-group --group-id "$gid"
rf groups
rf resume-group --group-id "$gid"
rf cancel-run --run-id "$gid-run-006"
echo "\$ runforge daemon --max-parallel 2 --gpu-slots 1   (in the background)"
node "$repo/dist/cli/bin.cjs" daemon --max-parallel 2 --gpu-slots 1 --heartbeat-interval 1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  node "$repo/dist/cli/bin.cjs" queue-status --json | grep -q '"queued": 0,' && \
    node "$repo/dist/cli/bin.cjs" queue-status --json | grep -q '"running": 0,' && break
  sleep 0.3
done
rf queue-status
rf daemon-stop
wait "$daemon_pid" || true
rf groups
echo "Broken input gets one clear line and changes nothing:"
echo '{"version": 1, "kind": "sweep_plan"' > broken.json
rf enqueue-sweep --plan broken.json || echo "(exit $?)"
