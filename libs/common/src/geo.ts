import { createRequire } from 'node:module';

interface GeoipCountry {
  lookup(ip: string): { country?: string } | null;
}

let geoip: GeoipCountry | undefined;

/**
 * ISO country of an IP address from geoip-country's bundled database, or undefined when it is not
 * listed: private, loopback, link-local and unallocated addresses have no country. The policy
 * treats an unknown source country as matching no deny list and failing every allow list.
 * The database (a few MB) is loaded on first use, not at import.
 */
export function countryOfIp(ip: string): string | undefined {
  // geoip-country ships no type declarations; this is its documented CommonJS entry point.
  geoip ??= createRequire(__filename)('geoip-country') as GeoipCountry;
  const country = geoip.lookup(ip)?.country;
  return country && /^[A-Z]{2}$/.test(country) ? country : undefined;
}
