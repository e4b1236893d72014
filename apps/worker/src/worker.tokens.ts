export const WORKER_LOGGER = Symbol('WORKER_LOGGER');
export const WORKER_METRICS = Symbol('WORKER_METRICS');
export const WORKER_REDIS = Symbol('WORKER_REDIS');
/** The FindingSink (libs/fraud) the call-events scorer hands its findings to: the FindingResponder. */
export const FINDING_SINK = Symbol('FINDING_SINK');
