/**
 * Preloaded into the benchmarked edge (`node --expose-gc -r …`): SIGUSR2 runs a full GC, so the bench can
 * tell retained memory from garbage that V8 simply has not collected yet on an idle process.
 */
const collect = (globalThis as { gc?: () => void }).gc;
if (collect) process.on('SIGUSR2', () => collect());

export {};
