# Development TLS for `npm run up` (sourced by up.sh, after stack-lib.sh and the environment):
# a local CA ($TLS_DIR/ca.crt, key 0600) that issues the edge's certificate (SAN localhost, 127.0.0.1,
# ::1), so a softphone or browser is told to trust one file, the CA, and keeps trusting it when the
# edge's certificate is renewed. A certificate the CA did not issue and that is not an old self-signed
# development one (say, a real one in EDGE_TLS_CERT) is left alone.
RENEW_BEFORE_SECONDS=$((30 * 24 * 3600))

self_issued() {
  [ "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$1" | cut -d= -f2-)" = \
    "$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$1" | cut -d= -f2-)" ]
}
valid_for_a_while() { openssl x509 -noout -checkend "$RENEW_BEFORE_SECONDS" -in "$1" >/dev/null; }

make_dev_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=PBX development CA ($(hostname))/O=PBX development" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" 2>/dev/null
  chmod 600 "$TLS_DIR/ca.key"
  chmod 644 "$TLS_DIR/ca.crt"
  echo "created a development CA: $TLS_DIR/ca.crt (trust it on development phones only)"
}

issue_edge_cert() {
  local key=$1 crt=$2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" -keyout "$key" 2>/dev/null |
    openssl x509 -req -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" -set_serial "0x$(openssl rand -hex 16)" -days 825 \
      -extfile <(printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' 'basicConstraints=critical,CA:FALSE' \
        'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth,clientAuth') -out "$crt" 2>/dev/null
  chmod 600 "$key"
  chmod 644 "$crt"
  echo "issued the edge's certificate for localhost, 127.0.0.1 and ::1: $crt"
}

ensure_dev_tls() {
  local key=${EDGE_TLS_KEY:-$TLS_DIR/edge.key} crt=${EDGE_TLS_CERT:-$TLS_DIR/edge.crt}
  mkdir -p "$TLS_DIR" "$(dirname "$key")" "$(dirname "$crt")"
  if [ -f "$key" ] && [ -f "$crt" ] && [ -z "$(dev_ca_file)" ] && ! self_issued "$crt"; then
    echo "$crt was not issued by the development CA: left alone (phones trust its issuer)"
    return 0
  fi
  if [ -f "$key" ] && [ -f "$crt" ] && [ -n "$(dev_ca_file)" ] && valid_for_a_while "$crt"; then
    echo "present: $crt, issued by $TLS_DIR/ca.crt"
    return 0
  fi
  # Here: no pair yet, an old self-signed one (before the CA), or one that expires within 30 days.
  if [ ! -f "$TLS_DIR/ca.key" ] || [ ! -f "$TLS_DIR/ca.crt" ] || ! valid_for_a_while "$TLS_DIR/ca.crt"; then
    make_dev_ca
  fi
  issue_edge_cert "$key" "$crt"
}
