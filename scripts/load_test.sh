#!/usr/bin/env bash
# Load test of an orderflow that is already running: GET requests on each path, one after the
# other, with a bearer token; req/s, p50/p90/p99, max and errors per path.
#
# `make bench-http` measures orderflow in a server of its own (one gunicorn worker pinned to a core,
# its own database, baselines in the same run; docs/ops/performance.md). This measures a deployment
# as it stands, from outside: the compose stack, a staging environment behind its load balancer, or
# `make run`. It uses the same load generator and the same figures: wrk with the benchmark's Lua hook
# (scripts/bench_http/load.py) when wrk is installed, else the benchmark's Python generator, whose
# req/s are a floor. Only reads: writes need a new body (and a new Idempotency-Key) per request,
# which `make bench-http` builds against its own data.
#
# The token never appears on a command line: it goes to wrk inside a temporary Lua script (mode 600)
# and to the Python generator through the environment. Do not point this at production.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY="$ROOT/.venv/bin/python"
DEFAULT_PATHS=(/api/v1/users/me /api/v2/orders /api/v2/invoices)

usage() {
	cat <<'EOF'
Usage: scripts/load_test.sh [options] BASE_URL [PATH ...]

Loads BASE_URL + PATH with GET requests, one path after the other, and prints one line per path.
PATHs default to /api/v1/users/me /api/v2/orders /api/v2/invoices; add e.g. /api/v2/orders/<id>.

Options:
  -t, --token TOKEN        bearer token (default: $ORDERFLOW_TOKEN)
  -u, --user EMAIL         sign in as EMAIL first (POST /api/v1/auth/token), the password read from
                           $ORDERFLOW_PASSWORD; sign-in is rate-limited (5 a minute per address)
  -d, --duration SECONDS   measured seconds per path (default 30)
  -w, --warmup SECONDS     unmeasured seconds per path before it (default 5; 0: none)
  -c, --connections N      concurrent connections (default 8)
      --threads N          wrk's threads (default 2; at most the connections)
      --python             use the Python generator even when wrk is installed
  -h, --help               this text

Examples:
  ORDERFLOW_PASSWORD=customer-demo-Passw0rd scripts/load_test.sh -u customer@orderflow.test http://127.0.0.1:8000
  ORDERFLOW_TOKEN=eyJ... scripts/load_test.sh -d 60 -c 32 https://staging.example.com /api/v2/orders
EOF
}

die() {
	echo "load_test: $*" >&2
	exit 2
}

whole_number() { # NAME VALUE [MINIMUM]
	if ! [[ $2 =~ ^[0-9]+$ ]] || ((10#$2 < ${3:-0})); then
		die "$1 must be a whole number of at least ${3:-0}, not '$2'"
	fi
}

token=${ORDERFLOW_TOKEN:-}
user=""
duration=30
warmup=5
connections=8
threads=2
generator=wrk
while (($#)); do
	case $1 in
	-t | --token) token=${2:?$1 needs a value}; shift 2 ;;
	-u | --user) user=${2:?$1 needs a value}; shift 2 ;;
	-d | --duration) duration=${2:?$1 needs a value}; shift 2 ;;
	-w | --warmup) warmup=${2:?$1 needs a value}; shift 2 ;;
	-c | --connections) connections=${2:?$1 needs a value}; shift 2 ;;
	--threads) threads=${2:?$1 needs a value}; shift 2 ;;
	--python) generator=python; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (--help lists them)" ;;
	*) break ;;
	esac
done
(($#)) || { usage >&2; exit 2; }
base=${1%/}
shift
paths=("$@")
((${#paths[@]})) || paths=("${DEFAULT_PATHS[@]}")

[[ $base =~ ^https?://[^/]+$ ]] || die "BASE_URL is scheme://host[:port] with no path, not '$base'"
whole_number --duration "$duration" 1
whole_number --warmup "$warmup" 0
whole_number --connections "$connections" 1
whole_number --threads "$threads" 1
((threads <= connections)) || threads=$connections
for path in "${paths[@]}"; do
	[[ $path == /* ]] || die "a PATH starts with /, not '$path'"
done
[[ -x $PY ]] || die "no $PY: run 'make install' first (the figures are read by scripts/bench_http/load.py)"
if [[ $generator == wrk ]] && ! command -v wrk >/dev/null 2>&1; then
	echo "load_test: wrk is not installed (Debian's wrk package); the Python generator stands in, its req/s a floor" >&2
	generator=python
fi
if [[ $generator == python && $base == https://* ]]; then
	die "the Python generator speaks plain HTTP only; install wrk for an https:// URL"
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

if [[ -n $user ]]; then
	[[ -n ${ORDERFLOW_PASSWORD:-} ]] || die "--user needs the password in \$ORDERFLOW_PASSWORD"
	token=$(LOAD_URL="$base/api/v1/auth/token" LOAD_USER="$user" "$PY" -c '
import json, os, sys, urllib.error, urllib.request
body = json.dumps({"email": os.environ["LOAD_USER"], "password": os.environ["ORDERFLOW_PASSWORD"]}).encode()
request = urllib.request.Request(os.environ["LOAD_URL"], data=body, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310: the URL the operator gave
        print(json.load(response)["access"])
except urllib.error.HTTPError as exc:
    detail = exc.read().decode(errors="replace")[:300]
    sys.exit(f"load_test: sign-in refused: {exc.code} {detail}")
except OSError as exc:
    sys.exit(f"load_test: sign-in failed: {exc}")
')
fi
[[ -n $token ]] || die "no token: give --token, --user, or set \$ORDERFLOW_TOKEN"
[[ $token =~ ^[A-Za-z0-9._-]+$ ]] || die "the token is not a JWT (letters, digits, '.', '_', '-')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"

if [[ $generator == wrk ]]; then
	lua="$work/load.lua"
	{
		printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token"
		"$PY" -c 'from scripts.bench_http.load import LUA_SCRIPT; print(LUA_SCRIPT)'
	} >"$lua"
	chmod 600 "$lua"
fi

# One load on BASE_URL+PATH for SECONDS; prints the generator's summary line (wrk) or the figures (Python).
load() { # PATH SECONDS
	local url="$base$1"
	if [[ $generator == wrk ]]; then
		wrk --threads "$threads" --connections "$connections" --duration "${2}s" --timeout 10s --script "$lua" "$url"
	else
		LOAD_URL="$url" LOAD_SECONDS="$2" LOAD_CONNECTIONS="$connections" ORDERFLOW_TOKEN="$token" "$PY" -c '
import json, os
from dataclasses import asdict
from scripts.bench_http.load import MARKER, run_python
headers = {"Authorization": "Bearer " + os.environ["ORDERFLOW_TOKEN"]}
result = run_python(os.environ["LOAD_URL"], headers, seconds=float(os.environ["LOAD_SECONDS"]),
                    connections=int(os.environ["LOAD_CONNECTIONS"]))
print(MARKER + json.dumps(asdict(result)))
'
	fi
}

# The figures of one load as one table row, from the BENCH_RESULT line on stdin.
row() { # PATH
	LOAD_PATH="$1" LOAD_GENERATOR="$generator" "$PY" -c '
import json, os, sys
from scripts.bench_http.load import MARKER, LoadResult, parse_wrk
output = sys.stdin.read()
if os.environ["LOAD_GENERATOR"] == "wrk":
    result = parse_wrk(output)
else:
    line = next(line for line in output.splitlines() if line.startswith(MARKER))
    result = LoadResult(**json.loads(line[len(MARKER):]))
path = os.environ["LOAD_PATH"]
print(f"| {path} | {result.rate:,.0f} | {result.p50_ms:.1f} | {result.p90_ms:.1f} | {result.p99_ms:.1f} | "
      f"{result.max_ms:.1f} | {result.requests:,} | {result.errors:,} |")
'
}

echo "orderflow load test: $base, ${duration} s per path after ${warmup} s of warm-up, $connections connections, $generator"
echo "this machine before the load: $(uptime)"
echo
echo "| path | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for path in "${paths[@]}"; do
	if ((warmup > 0)); then
		load "$path" "$warmup" >/dev/null
	fi
	load "$path" "$duration" | row "$path"
done
echo
echo "errors: connection errors, timeouts and responses of status 400 or above (a 401 is an expired token)."
