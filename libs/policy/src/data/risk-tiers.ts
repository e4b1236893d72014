import type { FraudRange, RiskTier } from '../types';

/**
 * Starting point only: destinations commonly cited in IRSF / toll-fraud reports (CFCA surveys,
 * carrier high-risk lists). Operators override the whole table through `PolicyData.tierData`.
 */
// prettier-ignore
export const DEFAULT_COUNTRY_TIERS: Readonly<Record<string, RiskTier>> = {
  // Non-geographic satellite, international network and premium codes.
  XN: 'fraud', XG: 'fraud', XI: 'fraud', XR: 'fraud', XP: 'high_risk', XS: 'high_risk', XO: 'high_risk',
  // Caribbean (including NANP islands reachable as "+1" numbers).
  CU: 'high_risk', HT: 'high_risk', JM: 'high_risk', DO: 'high_risk', AG: 'high_risk', AI: 'high_risk',
  BB: 'high_risk', BS: 'high_risk', DM: 'high_risk', GD: 'high_risk', KN: 'high_risk', KY: 'high_risk',
  LC: 'high_risk', MS: 'high_risk', TC: 'high_risk', TT: 'high_risk', VC: 'high_risk', VG: 'high_risk',
  GY: 'high_risk', SR: 'high_risk',
  // Pacific islands.
  CK: 'high_risk', FJ: 'high_risk', FM: 'high_risk', KI: 'high_risk', MH: 'high_risk', NC: 'high_risk',
  NR: 'high_risk', NU: 'high_risk', PF: 'high_risk', PG: 'high_risk', PW: 'high_risk', SB: 'high_risk',
  TK: 'high_risk', TO: 'high_risk', TV: 'high_risk', VU: 'high_risk', WF: 'high_risk', WS: 'high_risk',
  // Africa, Indian and South Atlantic Oceans.
  SO: 'high_risk', SL: 'high_risk', GN: 'high_risk', GM: 'high_risk', LR: 'high_risk', GW: 'high_risk',
  ER: 'high_risk', KM: 'high_risk', ST: 'high_risk', TD: 'high_risk', CF: 'high_risk', CG: 'high_risk',
  CD: 'high_risk', ZW: 'high_risk', BI: 'high_risk', MG: 'high_risk', MV: 'high_risk', SC: 'high_risk',
  IO: 'high_risk', SH: 'high_risk', TA: 'high_risk', AC: 'high_risk', FK: 'high_risk',
  // Europe and Asia ranges often abused for revenue share.
  LV: 'high_risk', LT: 'high_risk', BY: 'high_risk', BA: 'high_risk', AL: 'high_risk', MD: 'high_risk',
  KP: 'high_risk', AF: 'high_risk', TL: 'high_risk', MN: 'high_risk',
};

export const DEFAULT_FRAUD_RANGES: readonly FraudRange[] = [
  { prefix: '870', label: 'Inmarsat' },
  { prefix: '8816', label: 'Iridium' },
  { prefix: '8817', label: 'Iridium' },
  { prefix: '8818', label: 'Globalstar' },
  { prefix: '8819', label: 'Globalstar' },
  { prefix: '882', label: 'International networks' },
  { prefix: '883', label: 'International networks' },
  { prefix: '979', label: 'International premium rate' },
  { prefix: '1900', label: 'NANP premium rate' },
  { prefix: '1976', label: 'NANP premium rate' },
  { prefix: '449', label: 'UK premium rate (09)' },
  { prefix: '4470', label: 'UK personal numbering (070)' },
  { prefix: '4487', label: 'UK revenue-share (087)' },
  { prefix: '3389', label: 'France premium rate (089)' },
  { prefix: '49900', label: 'Germany premium rate (0900)' },
  { prefix: '39899', label: 'Italy premium rate (899)' },
  { prefix: '34803', label: 'Spain premium rate (803)' },
  { prefix: '34806', label: 'Spain premium rate (806)' },
  { prefix: '34807', label: 'Spain premium rate (807)' },
];
