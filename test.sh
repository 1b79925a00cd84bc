#!/usr/bin/env bash
# Restores, builds and runs every test of Aztp (dotnet test Aztp.sln).
# Installs the test peers the suites talk to when they are missing:
#   PostgreSQL server (Debian: postgresql), Python grpcio (Debian: python3-grpcio, python3-grpc-tools),
#   Python cryptography for the independent audit verifier (Debian: python3-cryptography),
#   the Cedar reference engine (npm: @cedar-policy/cedar-wasm, into tests/peers/node_modules).
# With AZTP_REQUIRE_PEERS=1 (CI) a peer that cannot be installed fails its tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"

log() { printf '[test.sh] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || { log "apt-get not available; cannot install $*"; return 1; }
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

install_peers() {
  # PostgreSQL: the test fixture runs initdb/pg_ctl itself on a free port.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing postgresql"; apt_install postgresql || log "could not install postgresql"
  fi
  # Python grpcio, the independent gRPC peer (Debian's python3, not the one first on PATH).
  if ! /usr/bin/python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
    log "installing python3-grpcio python3-grpc-tools"; apt_install python3 python3-grpcio python3-grpc-tools || log "could not install grpcio"
  fi
  # Python cryptography, for the independent audit verifier (tests/Aztp.Audit.Tests/python/verify_audit.py).
  if ! /usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1; then
    log "installing python3-cryptography"; apt_install python3 python3-cryptography || log "could not install python3-cryptography"
  fi
  # Cedar reference engine for the differential tests.
  if [ ! -d "$ROOT/tests/peers/node_modules/@cedar-policy/cedar-wasm" ]; then
    if command -v npm >/dev/null 2>&1; then
      log "installing @cedar-policy/cedar-wasm"
      (cd "$ROOT/tests/peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) || log "could not install cedar-wasm"
    else
      log "npm not available; cannot install cedar-wasm"
    fi
  fi
}

if [ "${AZTP_SKIP_PEER_INSTALL:-0}" != "1" ] && [ -f "$ROOT/tests/peers/package.json" ]; then install_peers; fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rm -rf "$ROOT/TestResults"
log "restore"
dotnet restore Aztp.sln --nologo -v q
log "build"
dotnet build Aztp.sln --nologo --no-restore -c Release -v q -clp:ErrorsOnly
log "test"
set +e
dotnet test Aztp.sln --nologo --no-build -c Release -v q \
  --logger "console;verbosity=normal" --logger "trx" --results-directory "$ROOT/TestResults" 2>&1 | tee "$ROOT/TestResults.log" | grep -vE '^\s+Passed ' 
status=${PIPESTATUS[0]}
set -e

# One summary line over all test assemblies: "N passed, N failed, N skipped".
python_bin=/usr/bin/python3; command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3
"$python_bin" - "$ROOT/TestResults" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
ns = {'t': 'http://microsoft.com/schemas/VisualStudio/TeamTest/2010'}
p = f = s = 0
for path in glob.glob(sys.argv[1] + '/*.trx'):
    c = ET.parse(path).getroot().find('t:ResultSummary/t:Counters', ns)
    if c is None: continue
    p += int(c.get('passed', 0)); f += int(c.get('failed', 0)) + int(c.get('error', 0)) + int(c.get('timeout', 0)) + int(c.get('aborted', 0))
    s += int(c.get('notExecuted', 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit "$status"
