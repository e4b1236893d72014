import type Srf from 'drachtio-srf';
import { onMethod } from './srf-app';

export const APP_SDP = ['v=0', 'o=app 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

export interface CallLog {
  events: string[];
}

function userOf(uri: string): string {
  return /^sips?:([^@;]+)@/.exec(uri)?.[1] ?? '';
}

/**
 * An srf app whose behaviour depends on the Request-URI user: `answer`, `hangup` (app BYE after 300 ms),
 * `reinvite` (answers re-INVITEs recvonly), `ring` (180 and waits), `quiet` (never answers), or any
 * 3-digit user, which is used as the final status.
 */
export function installCallApp(srf: Srf): CallLog {
  const log: CallLog = { events: [] };
  onMethod(srf, 'invite', (req, res) => {
    const user = userOf(req.uri);
    req.on('cancel', () => log.events.push(`cancel:${user}`));
    if (/^\d{3}$/.test(user)) {
      res.send(Number(user));
      log.events.push(`rejected:${user}`);
      return;
    }
    if (user === 'ring') return void res.send(180);
    if (user === 'quiet') return;
    srf
      .createUAS(req, res, { localSdp: APP_SDP })
      .then((dialog) => {
        log.events.push(`answered:${user}`);
        dialog.on('destroy', () => log.events.push(`destroyed-by-peer:${user}`));
        dialog.on('modify', (mreq: Srf.SrfRequest, mres: Srf.SrfResponse) => {
          log.events.push(`modify:${user}`);
          mres.send(200, { body: APP_SDP.replace('a=rtpmap:0 PCMU/8000', 'a=recvonly') });
          void mreq;
        });
        if (user === 'hangup') {
          setTimeout(() => {
            dialog.destroy(undefined, (err: unknown) => log.events.push(err ? `hangup-failed:${String(err)}` : `hung-up:${user}`));
          }, 300);
        }
      })
      .catch((err: unknown) => log.events.push(`uas-failed:${user}:${String(err)}`));
  });
  return log;
}
