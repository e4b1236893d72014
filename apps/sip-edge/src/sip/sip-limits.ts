/** Bounds applied while parsing; every one of them protects memory or CPU against hostile input. */
export interface SipLimits {
  /** Whole message (start line + headers + body). UDP datagrams cannot exceed 65,535 bytes anyway. */
  maxMessageBytes: number;
  maxHeaders: number;
  /** One header line after unfolding. */
  maxHeaderLineBytes: number;
  /**
   * `datagram`: a missing Content-Length means "the rest of the packet" and extra bytes are cut off
   * (RFC 3261 §18.3). `stream`: the framer already cut the message at Content-Length, which is mandatory.
   */
  mode: 'datagram' | 'stream';
}

export const DEFAULT_SIP_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageBytes: 64 * 1024,
  maxHeaders: 256,
  maxHeaderLineBytes: 8 * 1024,
  mode: 'datagram',
});

export function resolveLimits(limits?: Partial<SipLimits>): SipLimits {
  if (!limits) return DEFAULT_SIP_LIMITS;
  // Callers on the hot path pass complete limits: no copy per message then.
  if (
    limits.maxMessageBytes !== undefined &&
    limits.maxHeaders !== undefined &&
    limits.maxHeaderLineBytes !== undefined &&
    limits.mode !== undefined
  )
    return limits as SipLimits;
  return { ...DEFAULT_SIP_LIMITS, ...limits };
}
