#!/usr/bin/env bash
# Idempotently installs the Debian packages the tests drive (real SIP peers, TLS tunnel, openssl, sox
# and tcpdump for the media tests, Chromium for the WebRTC browser test) and the media relay
# (rtpengine), and starts PostgreSQL, Redis and rtpengine when they are down. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/rtpengine.sh
need=()
command -v sipp >/dev/null     || need+=(sip-tester)
command -v stunnel4 >/dev/null || need+=(stunnel4)
command -v baresip >/dev/null  || need+=(baresip)
command -v openssl >/dev/null  || need+=(openssl)
command -v psql >/dev/null     || need+=(postgresql-client)
command -v rtpengine >/dev/null || need+=(rtpengine-daemon)
command -v sox >/dev/null      || need+=(sox)
command -v tcpdump >/dev/null  || need+=(tcpdump)
command -v chromium >/dev/null || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
ensure_rtpengine
