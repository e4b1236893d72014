import Srf from 'drachtio-srf';

/** Bench B2BUA: every INVITE is bridged to B_LEG with createB2BUA; a BYE on one leg ends the other. */
const bLeg = process.env.B_LEG ?? '';
const srf = new Srf();
srf.connect({ host: '127.0.0.1', port: Number(process.env.ADMIN_PORT), secret: process.env.EDGE_SECRET ?? '' });
srf.on('connect', (err: unknown) => process.send?.(err ? { error: String(err) } : { ready: true }));
srf.on('error', () => undefined);
srf.use('invite', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
  srf
    .createB2BUA(req, res, bLeg, { localSdpB: req.body })
    .then(({ uas, uac }) => {
      uas.on('destroy', () => uac.destroy());
      uac.on('destroy', () => uas.destroy());
    })
    .catch(() => undefined);
});
