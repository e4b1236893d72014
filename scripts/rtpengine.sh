# Sourced by scripts/ensure-services.sh: rtpengine, the media relay every call's media goes through
# (issue 11). Debian's rtpengine-daemon in userspace only (--table=-1: no kernel module, none needed
# on a developer's machine or CI), the ng control port on loopback. Settings, from the environment
# (or .env, which up.sh reads first) with these defaults:
#   RTPENGINE_NG_HOST=127.0.0.1 RTPENGINE_NG_PORT=22222   ng control socket (never expose it)
#   RTPENGINE_INTERFACE=127.0.0.1                          address media is relayed on (the public one in production)
#   RTPENGINE_PORT_MIN=35000 RTPENGINE_PORT_MAX=35999      media port range (2 ports per leg)
#   RTPENGINE_TIMEOUT_SECONDS=60                           rtpengine's own RTP timeout, a backstop behind the SIP app's
# Idempotent and quick: when the ng port answers a ping, nothing is done.

rtpengine_ping() {
  node -e '
    const s = require("dgram").createSocket(process.argv[1].includes(":") ? "udp6" : "udp4");
    setTimeout(() => process.exit(1), 400);
    s.on("message", (m) => process.exit(/pong/.test(String(m)) ? 0 : 1));
    s.send("ensure d7:command4:pinge", Number(process.argv[2]), process.argv[1]);
  ' "$1" "$2"
}

ensure_rtpengine() {
  local host=${RTPENGINE_NG_HOST:-127.0.0.1} port=${RTPENGINE_NG_PORT:-22222}
  local var_dir=${PBX_VAR_DIR:-var}
  if rtpengine_ping "$host" "$port"; then
    echo "rtpengine: answering on $host:$port"
    return 0
  fi
  mkdir -p "$var_dir/log" "$var_dir/run"
  local log="$var_dir/log/rtpengine.log"
  (umask 027 && touch "$log")
  # setsid: outlives this shell; --foreground so the pid file names the process we started.
  setsid rtpengine --config-file=none --table=-1 \
    --interface="${RTPENGINE_INTERFACE:-127.0.0.1}" \
    --listen-ng="$host:$port" \
    --port-min="${RTPENGINE_PORT_MIN:-35000}" --port-max="${RTPENGINE_PORT_MAX:-35999}" \
    --timeout="${RTPENGINE_TIMEOUT_SECONDS:-60}" \
    --foreground --log-stderr --log-level="${RTPENGINE_LOG_LEVEL:-5}" >>"$log" 2>&1 </dev/null &
  echo $! >"$var_dir/run/rtpengine.pid"
  for _ in $(seq 1 50); do
    if rtpengine_ping "$host" "$port"; then
      echo "rtpengine: started on $host:$port (media ${RTPENGINE_INTERFACE:-127.0.0.1}:${RTPENGINE_PORT_MIN:-35000}-${RTPENGINE_PORT_MAX:-35999}, log $log)"
      return 0
    fi
    sleep 0.1
  done
  echo "rtpengine: not answering on $host:$port after 5 s; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  return 1
}
