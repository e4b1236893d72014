import Srf from 'drachtio-srf';
import { Client } from 'rtpengine-client';
import { ngMediaOptions } from '../../../libs/call-control/src/media/anchor';

/**
 * Bench B2BUA: every INVITE is bridged to B_LEG with createB2BUA; a BYE on one leg ends the other.
 * With RTPENGINE_NG_PORT set it anchors each call's media in that rtpengine the way apps/sip does
 * (offer for the B leg, answer for the A leg, delete at the end; SDES-SRTP on both legs), so the
 * bench can print rtpengine's cost beside the same B2BUA with its media unanchored.
 */
const bLeg = process.env.B_LEG ?? '';
const ngPort = Number(process.env.RTPENGINE_NG_PORT ?? 0);
const rtp = ngPort ? new Client({ timeout: 1500 }) : null;
rtp?.on('error', () => undefined);
const ng = { host: '127.0.0.1', port: ngPort };
const srf = new Srf();
srf.connect({ host: '127.0.0.1', port: Number(process.env.ADMIN_PORT), secret: process.env.EDGE_SECRET ?? '' });
srf.on('connect', (err: unknown) => process.send?.(err ? { error: String(err) } : { ready: true }));
srf.on('error', () => undefined);

async function sdpOrThrow(reply: Promise<{ result: string; sdp?: string; 'error-reason'?: string }>): Promise<string> {
  const r = await reply;
  if (r.result !== 'ok' || !r.sdp) throw new Error(r['error-reason'] ?? r.result);
  return r.sdp;
}

srf.use('invite', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
  const ids = { 'call-id': req.get('Call-ID'), 'from-tag': req.getParsedHeader('from').params?.tag as string };
  const media = ngMediaOptions('sdes');
  const anchored = rtp
    ? sdpOrThrow(rtp.offer(ng, { ...ids, ...media, sdp: req.body }))
    : Promise.resolve(req.body);
  const release = () => (rtp ? void rtp.delete(ng, ids).catch(() => undefined) : undefined);
  anchored
    .then((localSdpB) =>
      srf.createB2BUA(req, res, bLeg, {
        localSdpB,
        localSdpA: rtp
          ? (sdp: string, uacRes: Srf.SrfResponse) =>
              sdpOrThrow(rtp.answer(ng, { ...ids, ...media, 'to-tag': uacRes.getParsedHeader('To').params?.tag, sdp }))
          : undefined,
      }),
    )
    .then(({ uas, uac }) => {
      uas.on('destroy', () => (uac.destroy(), release()));
      uac.on('destroy', () => (uas.destroy(), release()));
    })
    .catch(() => {
      release();
      if (!res.finalResponseSent) res.send(503);
    });
});
