export * from './finding';
export * from './context';
export * from './state';
export * from './detectors';
export { emptyBaseline, threshold, type Baseline, type BaselineSpec } from './detectors/baseline';
export * from './finding-sink';
export * from './playbook';
export * from './webhook-signature';
