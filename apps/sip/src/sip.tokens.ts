export const SIP_LOGGER = Symbol('SIP_LOGGER');
export const SIP_METRICS = Symbol('SIP_METRICS');
export const SIP_REDIS = Symbol('SIP_REDIS');
export const SRF = Symbol('SRF');
