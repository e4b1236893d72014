export * from './finding';
export * from './finding-sink';
export * from './playbook';
export * from './webhook-signature';
