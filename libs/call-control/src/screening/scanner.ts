/** What a request shows of its sender, for recognising SIP scanners. */
export interface RequestFingerprint {
  userAgent?: string;
  from?: string;
  to?: string;
}

/**
 * User agents of SIP scanners and war-dialers seen in the wild (SIPVicious and its forks announce
 * themselves as friendly-scanner; sipcli, sundayddr, VaxSIPUserAgent, iWar, SIPScan, smap, sipsak
 * as pen-testing default, PortSIP's demo UA is left out because real softphones use it).
 */
const SCANNER_UA =
  /friendly-scanner|sipvicious|sip-?cli|sundayddr|vaxsipuseragent|\biwar\b|sip-?scan|\bsmap\b|sipsak|pplsip|\bsvwar\b|\bsvmap\b|\bsvcrack\b|voiper|sipptk|\bsip\s?pentest/i;
/** Signatures of SIPVicious-style probes that hide their user agent: their default From display names. */
const SCANNER_FROM = /^\s*"?(sipvicious|friendly-scanner|svwar|svcrack)"?\s*</i;

/** The name of the scanner signature the request matches, or null. */
export function scannerSignature(r: RequestFingerprint): string | null {
  const ua = r.userAgent?.match(SCANNER_UA);
  if (ua) return `user-agent:${ua[0].toLowerCase()}`;
  const from = r.from?.match(SCANNER_FROM);
  if (from) return `from:${from[1].toLowerCase()}`;
  return null;
}
