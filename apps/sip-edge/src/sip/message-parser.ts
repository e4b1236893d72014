import { parseCSeq, parseNameAddr, parseVia, type Via } from './header-parsers';
import type { SipMessage } from './message';
import { isDigits, isToken, isWhitespace, trimLws } from './sip-grammar';
import { badControlChar, parseStartLine, stripCr, type Problem, type StartLine } from './start-line';
import { SipHeaders, headerKey, splitHeaderList } from './sip-headers';
import { SipLimits, resolveLimits } from './sip-limits';
import { PartialSipMessage, SipParseError } from './sip-parse-error';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Parses one SIP message. Throws only `SipParseError`; its `partial` carries what could be read,
 * so a caller may still answer a bad request (see `buildErrorResponse`).
 */
export function parseMessage(buf: Buffer, limitsIn?: Partial<SipLimits>): SipMessage {
  return parseMessageExtent(buf, limitsIn).msg;
}

/** A parsed message and where it sits in the input: leading CRLFs and datagram bytes past the body excluded. */
export interface ParsedExtent {
  msg: SipMessage;
  start: number;
  end: number;
  /** The top Via as parsed while validating (its own object: a caller may stamp it and write it back). */
  topVia: Via;
}

/** `parseMessage`, also telling which bytes of `buf` the message occupies. */
export function parseMessageExtent(buf: Buffer, limitsIn?: Partial<SipLimits>): ParsedExtent {
  const limits = resolveLimits(limitsIn);
  if (buf.length > limits.maxMessageBytes) throw new SipParseError(513, 'Message Too Large');
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start >= buf.length) throw new SipParseError(400, 'Empty message');

  let hdrEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart = hdrEnd + 4;
  const terminated = hdrEnd >= 0;
  if (!terminated) hdrEnd = bodyStart = buf.length;

  const text = buf.toString('utf8', start, hdrEnd);
  const badChar = badControlChar(text);
  let problem: Problem | undefined = badChar ? [400, badChar] : undefined;
  let nl = text.indexOf('\n');
  const first = stripCr(nl < 0 ? text : text.slice(0, nl));
  if (first.length > limits.maxHeaderLineBytes) throw new SipParseError(400, 'Start line too long');
  const startLine = parseStartLine(first);
  if (Array.isArray(startLine)) {
    // A request with a bad start line can still be answered (400, 505), so keep reading its headers.
    const sp1 = first.indexOf(' ');
    const method = sp1 > 0 ? first.slice(0, sp1) : '';
    if (first.slice(0, 4).toUpperCase() === 'SIP/' || !isToken(method))
      throw new SipParseError(startLine[0], startLine[1]);
    return failWithHeaders(text, nl, limits, { kind: 'request', method }, startLine);
  }

  const headers = new SipHeaders();
  const seen: Essentials = {};
  let curName = '';
  let curValue: string | undefined;
  let pos = nl < 0 ? text.length : nl + 1;
  for (;;) {
    let line: string | undefined;
    if (pos < text.length) {
      nl = text.indexOf('\n', pos);
      line = stripCr(text.slice(pos, nl < 0 ? text.length : nl));
      pos = nl < 0 ? text.length : nl + 1;
      if (line.length > limits.maxHeaderLineBytes) {
        problem ??= [400, 'Header line too long'];
        continue;
      }
      const c0 = line.charCodeAt(0);
      if (c0 === 0x20 || c0 === 0x09) {
        // RFC 3261 §7.3.1 line folding: a continuation line joins the previous value.
        if (curValue === undefined) problem ??= [400, 'Continuation line without a header'];
        else if (curValue.length + line.length > limits.maxHeaderLineBytes)
          problem ??= [400, 'Header line too long'];
        else curValue = curValue.length === 0 ? trimLws(line) : `${curValue} ${trimLws(line)}`;
        continue;
      }
    }
    if (curValue !== undefined) {
      if (headers.size >= limits.maxHeaders) problem ??= [400, 'Too many headers'];
      else problem ??= addHeader(headers, seen, curName, curValue);
      curValue = undefined;
    }
    if (line === undefined) break;
    if (line.length === 0) continue;
    const colon = line.indexOf(':');
    let nameEnd = colon;
    while (nameEnd > 0 && isWhitespace(line.charCodeAt(nameEnd - 1))) nameEnd--;
    if (colon < 0 || !isToken(line, 0, nameEnd)) {
      problem ??= [400, colon < 0 ? 'Malformed header line' : 'Invalid header name'];
      continue;
    }
    curName = line.slice(0, nameEnd);
    curValue = trimLws(line.slice(colon + 1));
  }

  const partial: PartialSipMessage = {
    kind: startLine.kind,
    method: startLine.method,
    uri: startLine.uri,
    status: startLine.status,
    headers,
  };
  if (problem) throw new SipParseError(problem[0], problem[1], partial);
  if (!terminated) throw new SipParseError(400, 'Missing blank line after headers', partial);
  const topVia = validateHeaders(seen, startLine, partial);

  const clValue = seen.contentLength;
  let length = buf.length - bodyStart;
  if (clValue !== undefined) {
    if (!isDigits(clValue) || clValue.length > 10)
      throw new SipParseError(400, 'Malformed Content-Length', partial);
    const cl = Number(clValue);
    // RFC 3261 §18.3: a body shorter than Content-Length is an error; a longer one is truncated.
    if (cl > length) throw new SipParseError(400, 'Content-Length exceeds body', partial);
    length = cl;
  } else if (limits.mode === 'stream') throw new SipParseError(400, 'Missing Content-Length header', partial);
  const body = buf.subarray(bodyStart, bodyStart + length);

  const end = bodyStart + length;
  const msg: SipMessage =
    startLine.kind === 'request'
      ? {
          kind: 'request',
          method: startLine.method ?? '',
          uri: startLine.uri ?? '',
          version: 'SIP/2.0',
          headers,
          body,
        }
      : {
          kind: 'response',
          status: startLine.status ?? 0,
          reason: startLine.reason ?? '',
          version: 'SIP/2.0',
          headers,
          body,
        };
  return { msg, start, end, topVia };
}

/** The few headers the parser itself checks, captured while reading so nothing is scanned twice. */
interface Essentials {
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  cseq?: string;
  contentLength?: string;
  maxForwards?: string;
  duplicate?: string;
  badContact?: boolean;
}

function addHeader(headers: SipHeaders, seen: Essentials, name: string, value: string): Problem | undefined {
  const key = headerKey(name);
  switch (key) {
    case 'via':
      if (value.indexOf(',') >= 0) {
        for (const v of splitHeaderList(value, true)) {
          if (v.length === 0) return [400, 'Malformed Via header'];
          headers.pushRaw(name, key, v);
          seen.via ??= v;
        }
        return undefined;
      }
      seen.via ??= value;
      break;
    case 'from':
      if (seen.from !== undefined) seen.duplicate ??= 'From';
      seen.from = value;
      break;
    case 'to':
      if (seen.to !== undefined) seen.duplicate ??= 'To';
      seen.to = value;
      break;
    case 'call-id':
      if (seen.callId !== undefined) seen.duplicate ??= 'Call-ID';
      seen.callId = value;
      break;
    case 'cseq':
      if (seen.cseq !== undefined) seen.duplicate ??= 'CSeq';
      seen.cseq = value;
      break;
    case 'max-forwards':
      if (seen.maxForwards !== undefined) seen.duplicate ??= 'Max-Forwards';
      seen.maxForwards = value;
      break;
    case 'content-length':
      if (seen.contentLength !== undefined && seen.contentLength !== value)
        return [400, 'Conflicting Content-Length headers'];
      seen.contentLength = value;
      break;
    case 'contact':
      // An addr-spec Contact cannot carry URI headers (RFC 3261 §20.10, RFC 4475 §3.1.2.13).
      if (value.indexOf('?') >= 0 && value.indexOf('<') < 0) seen.badContact = true;
      break;
  }
  headers.pushRaw(name, key, value);
  return undefined;
}

function hasWhitespace(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isWhitespace(s.charCodeAt(i))) return true;
  return false;
}

/** Throws on a missing or malformed essential header; returns the parsed top Via. */
function validateHeaders(seen: Essentials, startLine: StartLine, partial: PartialSipMessage): Via {
  const fail = (reason: string): never => {
    throw new SipParseError(400, reason, partial);
  };
  if (seen.via === undefined) fail('Missing Via header');
  if (seen.from === undefined) fail('Missing From header');
  if (seen.to === undefined) fail('Missing To header');
  if (seen.callId === undefined) fail('Missing Call-ID header');
  if (seen.cseq === undefined) fail('Missing CSeq header');
  if (seen.duplicate) fail(`Multiple ${seen.duplicate} headers`);
  const callId = seen.callId ?? '';
  if (callId.length === 0 || hasWhitespace(callId)) fail('Malformed Call-ID');
  const cseq = parseCSeq(seen.cseq ?? '');
  if (!cseq) return fail('Malformed CSeq');
  if (startLine.kind === 'request' && cseq.method !== startLine.method)
    fail('CSeq method does not match request method');
  const via = parseVia(seen.via ?? '');
  if (!via) return fail('Malformed Via header');
  if (!parseNameAddr(seen.from ?? '')) fail('Malformed From header');
  if (!parseNameAddr(seen.to ?? '')) fail('Malformed To header');
  if (seen.badContact) fail('Malformed Contact header');
  const mf = seen.maxForwards;
  if (mf !== undefined && (!isDigits(mf) || mf.length > 10 || Number(mf) > 255))
    fail('Malformed Max-Forwards');
  return via;
}

function failWithHeaders(
  text: string,
  nl: number,
  limits: SipLimits,
  partial: PartialSipMessage,
  problem: Problem,
): never {
  const headers = new SipHeaders();
  let pos = nl < 0 ? text.length : nl + 1;
  while (pos < text.length && headers.size < limits.maxHeaders) {
    const next = text.indexOf('\n', pos);
    const line = stripCr(text.slice(pos, next < 0 ? text.length : next));
    pos = next < 0 ? text.length : next + 1;
    const colon = line.indexOf(':');
    if (colon > 0 && line.length <= limits.maxHeaderLineBytes && isToken(line, 0, colon)) {
      headers.append(trimLws(line.slice(0, colon)), trimLws(line.slice(colon + 1)));
    }
  }
  throw new SipParseError(problem[0], problem[1], { ...partial, headers });
}
