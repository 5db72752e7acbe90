#!/usr/bin/env bash
# Runs the cloudformation harness against `kinesis-console local serve` (release build, real clock,
# durable writes) and against moto's server from PyPI (in its own venv, target/moto-venv), each in its
# own process, on the same 40-resource template.
# Usage: benches/moto.sh [ROUNDS] [RESOURCES]
set -euo pipefail

rounds="${1:-5}"
resources="${2:-40}"
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
venv="$root/target/moto-venv"
if [[ ! -x "$venv/bin/moto_server" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'moto[server]' >&2
fi
mport="$(free_port)"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$mport" >"$work/moto.log" 2>&1 &
pids+=($!)

cargo build --release --bin kinesis-console >&2
"$root/target/release/kinesis-console" --data-dir "$work/data" --output json local serve --port 0 \
  >"$work/endpoint.json" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/endpoint.json" 2>/dev/null && break
  sleep 0.1
done
read -r url key secret < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))
print(e["url"], e["access_key_id"], e["secret_access_key"])' "$work/endpoint.json")
for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
  sleep 0.1
done

# moto accepts any credentials, so the local server's pair serves for both.
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  cargo bench --bench cloudformation -- --endpoint-url "$url" --compare-endpoint "http://127.0.0.1:$mport" \
  --rounds "$rounds" --resources "$resources"
