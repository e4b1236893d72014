export * from './logger';
export * from './ops-server';
export * from './shutdown';
