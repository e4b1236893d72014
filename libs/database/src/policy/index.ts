export * from './policy-loader';
