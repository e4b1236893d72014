import { CAPS, capRecord } from '../state';
import { finding, isOutboundStart, quiet, type Detector } from './types';

/** Registrations a device needs before a new country means something (a new phone learns first). */
export const KNOWN_AFTER_REGISTRATIONS = 3;

/**
 * Account takeover: a device that has registered from the same countries registers (or calls) from
 * a new one. A new network in a known country (home office, new ISP lease) is learned silently.
 */
export const detectTakeover: Detector = (ev, _ctx, state) => {
  const d = state.device;
  if (!d || !ev.sourceCountry || (ev.type !== 'device.registered' && !isOutboundStart(ev))) return quiet(state);
  const reg = d.registrations;
  const known = reg.n >= KNOWN_AFTER_REGISTRATIONS;
  const findings =
    known && !(ev.sourceCountry in reg.countries)
      ? [
          finding(ev, 'account-takeover', 'critical', `${ev.type === 'device.registered' ? 'registration' : 'call'} from ${ev.sourceCountry}, never seen for this device`, {
            sourceCountry: ev.sourceCountry,
            knownCountries: Object.keys(reg.countries).sort().join(','),
            network: ev.network ?? 'unknown',
            newNetwork: ev.network !== null && !(ev.network in reg.networks),
          }),
        ]
      : [];
  // Only a registration teaches where the device lives; a call from elsewhere stays suspicious.
  if (ev.type !== 'device.registered') return { findings, nextState: state };
  const registrations = {
    countries: capRecord({ ...reg.countries, [ev.sourceCountry]: ev.at }, CAPS.registrationCountries),
    networks: ev.network ? capRecord({ ...reg.networks, [ev.network]: ev.at }, CAPS.networks) : reg.networks,
    n: Math.min(1000, reg.n + 1),
  };
  return { findings, nextState: { device: { ...d, registrations }, tenant: state.tenant } };
};
