/**
 * Audio and video encoding names (as in a=rtpmap, compared case-insensitively) that a tenant's codec
 * allow-list may name. A name outside this list is a typo, not a codec: the API refuses it with 422.
 */
export const KNOWN_CODECS = [
  'PCMU', 'PCMA', 'G722', 'G729', 'G723', 'GSM', 'iLBC', 'speex', 'opus', 'AMR', 'AMR-WB', 'L16',
  'H264', 'VP8', 'VP9', 'AV1',
] as const;

/** The canonical spelling of a known codec name, or null. */
export function canonicalCodec(name: string): string | null {
  const lower = name.trim().toLowerCase();
  return KNOWN_CODECS.find((c) => c.toLowerCase() === lower) ?? null;
}
