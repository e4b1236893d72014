import { randomInt, randomUUID } from 'node:crypto';

export const CRLF = '\r\n';

/** Version we report on authenticate. srf only pings servers that report at least v0.8.2. */
export const EDGE_VERSION = 'v0.9.10-sip-edge';

let idPrefix = '';
let idCounter = 0;
let idEnd = 0;

/**
 * A UUID-shaped id (message and transaction ids on the wire). Several are made for every SIP message, so
 * instead of a fresh randomUUID each time (a random draw and a string built from 16 pieces) a random UUID's
 * first four groups are reused with the last group counting up; ids stay unique per process and across
 * restarts. They were never secrets: an app can only act on transactions of its own connection.
 */
export function newId(): string {
  if (idCounter >= idEnd) {
    idPrefix = randomUUID().slice(0, 24);
    idCounter = randomInt(0x1000000);
    idEnd = idCounter + 0x100000000;
  }
  return idPrefix + (idCounter++).toString(16).padStart(12, '0');
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** `HH:MM:SS.uuuuuu`, UTC time of day, like sofia's su_now() in drachtio's meta lines. */
let cachedSecond = -1;
let cachedPrefix = '';

export function wireTime(now = performance.timeOrigin + performance.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecond = second;
    cachedPrefix = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.`;
  }
  return cachedPrefix + String(Math.floor((now - second * 1000) * 1000)).padStart(6, '0');
}

/** Network description of a SIP message, as carried in `sip` frames and `OK|...` replies. */
export interface WireMeta {
  source: 'network' | 'application';
  bytes: number;
  proto: string;
  address: string;
  port: number;
  txnId: string;
  dialogId: string;
  /** Only on new out-of-dialog requests: the local address/port the request arrived on. */
  receivedOn?: { address: string; port: number };
}

/** Server→app `sip` frame payload (without the message id), as in [T03]/[T04]. */
export function sipFramePayload(meta: WireMeta, sip: string): string {
  const local = meta.receivedOn ? `${meta.receivedOn.address}|${meta.receivedOn.port}|` : '';
  return (
    `sip|${meta.source}|${meta.bytes}|${meta.proto}|${meta.address}|${meta.port}|${wireTime()}|` +
    `${meta.txnId}|${meta.dialogId}|${local}${CRLF}${sip}`
  );
}

/** `OK` data for an app request that was sent: our own address/port, the new txn id, `Msg sent:` [T09]. */
export function requestSentData(meta: WireMeta): string {
  return `application|${meta.bytes}|${meta.proto}|${meta.address}|${meta.port}|${wireTime()}|${meta.txnId}|Msg sent:|`;
}

/** `OK` data for an app response that was sent: the peer's address, txn id, dialog id, empty field [T04]. */
export function responseSentData(meta: WireMeta): string {
  return (
    `application|${meta.bytes}|${meta.proto}|${meta.address}|${meta.port}|${wireTime()}|` +
    `${meta.txnId}|${meta.dialogId}||Msg sent:|`
  );
}

/** `OK` data for each final response of a proxied request when the app asked for fullResponse [T11]. */
export function proxyResponseData(meta: WireMeta): string {
  return `network|${meta.bytes}|${meta.proto}|${meta.address}|${meta.port}|${wireTime()}|||continue`;
}
