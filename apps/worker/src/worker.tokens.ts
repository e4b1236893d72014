export const WORKER_LOGGER = Symbol('WORKER_LOGGER');
export const WORKER_METRICS = Symbol('WORKER_METRICS');
export const WORKER_REDIS = Symbol('WORKER_REDIS');
