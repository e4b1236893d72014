export * from './finding';
export * from './context';
export * from './state';
export * from './detectors';
export { emptyBaseline, threshold, type Baseline, type BaselineSpec } from './detectors/baseline';
