// RFC 4028 header rules and drachtio's limits for session timers, as pure functions and constants.

/** drachtio's fixed Min-SE (SipDialog m_nMinSE): the floor for a UAS interval and for an in-dialog refresh. */
export const MIN_SE = 90;

/**
 * The longest interval the edge runs (a day). A larger Session-Expires or Min-SE is read as this: the edge
 * then refreshes (or expects a refresh) at least once a day, and a timer is never armed for longer.
 */
export const MAX_SE = 86400;

/** drachtio refreshes at half the interval ± up to 5 s (SipDialog::setSessionTimer). */
export const JITTER_MS = 5000;

/** While an INVITE transaction is in progress in the dialog (RFC 3261 §14.1), the refresh waits this long. */
export const BUSY_RETRY_MS = 2000;

/** A refresh that failed (other than 408, 481, 422, 491) is tried again only with this much of the session left. */
export const RETRY_MIN_REMAINING_MS = 32_000;

export interface SessionExpires {
  secs: number;
  /** The `refresher` parameter as written (`uac`, `uas`), or '' when absent. */
  refresher: string;
}

/** delta-seconds (RFC 4028 §4), at most 10 digits, clamped to MAX_SE; undefined unless a positive number. */
function deltaSeconds(digits: string): number | undefined {
  const n = Math.min(MAX_SE, parseInt(digits, 10));
  return n > 0 ? n : undefined;
}

/**
 * Parses `Session-Expires: <delta-seconds>[;refresher=uac|uas]` (RFC 4028 §4). A value that does not parse
 * (more than 10 digits, 0, garbage) is treated as absent, as sofia does for a header it cannot parse (the
 * request goes on without a session timer; no 400). A value above MAX_SE counts as MAX_SE.
 */
export function parseSessionExpires(value: string | undefined): SessionExpires | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d{1,10})\s*((?:;.*)?)$/.exec(value);
  const secs = m ? deltaSeconds(m[1]) : undefined;
  if (!m || secs === undefined) return undefined;
  const refresher = /;\s*refresher\s*=\s*([^;\s]+)/i.exec(m[2])?.[1]?.toLowerCase() ?? '';
  return { secs, refresher };
}

/** Parses `Min-SE: <delta-seconds>` the same way (undefined when absent or invalid). */
export function parseMinSE(value: string | undefined): number | undefined {
  const m = value ? /^\s*(\d{1,10})\s*(?:;.*)?$/.exec(value) : null;
  return m ? deltaSeconds(m[1]) : undefined;
}

/** Whether an option tag (`timer`) is in a list of Supported/Require values. */
export function hasOption(values: string[], tag: string): boolean {
  return values.some((v) => v.split(',').some((t) => t.trim().toLowerCase() === tag));
}
