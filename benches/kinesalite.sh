#!/usr/bin/env bash
# Runs the kinesis_ingest harness against `kinesis-console local serve` (release build, limits off,
# durable writes) and against kinesalite from npm, each in its own process, so both peak RSS figures
# are the server's alone.
# Usage: benches/kinesalite.sh [SECONDS] [WRITERS]
set -euo pipefail

seconds="${1:-10}"
writers="${2:-8}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cd "$root"
cargo build --release --bin kinesis-console >&2
"$root/target/release/kinesis-console" --data-dir "$work/data" --output json local serve --port 0 --no-limits \
  >"$work/endpoint.json" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/endpoint.json" 2>/dev/null && break
  sleep 0.1
done
read -r url key secret pid < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
print(e["url"], e["access_key_id"], e["secret_access_key"], e["pid"])' "$work/endpoint.json")

compare=()
if command -v npm >/dev/null; then
  (cd "$work" && npm install --silent --no-audit --no-fund kinesalite >&2)
  kport="$(free_port)"
  node "$work/node_modules/kinesalite/cli.js" --port "$kport" --shardLimit 100 \
    --createStreamMs 0 --deleteStreamMs 0 --updateStreamMs 0 >"$work/kinesalite.log" 2>&1 &
  kpid=$!
  pids+=("$kpid")
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$kport") 2>/dev/null && break
    sleep 0.1
  done
  compare=(--compare-endpoint "http://127.0.0.1:$kport" --compare-pid "$kpid")
else
  echo "npm not found: measuring kinesis-console only" >&2
fi

AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  cargo bench --bench kinesis_ingest -- --endpoint-url "$url" --server-pid "$pid" "${compare[@]}" \
  --seconds "$seconds" --writers "$writers"
