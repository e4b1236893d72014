/** Always-reachable short codes by ISO country; 112 and 911 are added for every country. */
export const EMERGENCY_NUMBERS_BY_COUNTRY: Readonly<Record<string, readonly string[]>> = {
  AU: ['000', '106'],
  BR: ['190', '192', '193'],
  CA: ['911'],
  CN: ['110', '119', '120', '122'],
  DE: ['110'],
  ES: ['061', '062', '080', '091', '092'],
  FR: ['15', '17', '18', '114', '115', '119'],
  GB: ['999'],
  HK: ['999'],
  IE: ['999'],
  IN: ['100', '101', '102', '108'],
  IT: ['113', '115', '118'],
  JP: ['110', '118', '119'],
  KR: ['119', '112'],
  MX: ['060', '065', '066', '080'],
  NZ: ['111'],
  RU: ['101', '102', '103', '104'],
  SG: ['995', '999'],
  US: ['911', '933'],
  ZA: ['10111', '10177'],
};

export const UNIVERSAL_EMERGENCY_NUMBERS: readonly string[] = ['112', '911'];

export function emergencyNumbersFor(country: string): string[] {
  const local = EMERGENCY_NUMBERS_BY_COUNTRY[country.toUpperCase()] ?? [];
  return [...new Set([...UNIVERSAL_EMERGENCY_NUMBERS, ...local])];
}
