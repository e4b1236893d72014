export * from './logger';
export * from './ops-server';
export * from './shutdown';
export * from './rbac';
export * from './redis';
export * from './audit-chain';
export * from './queues';
export * from './redis-keys';
