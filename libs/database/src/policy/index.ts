export * from './policy-loader';
export * from './policy-cache';
export * from './evaluate';
export * from './enforce';
