/** @type {import('jest').Config} */
const swcrc = JSON.parse(require('fs').readFileSync(`${__dirname}/.swcrc`, 'utf8'));
const libs = ['common', 'config', 'database', 'policy', 'call-control', 'fraud'];
// swc rewrites the @pbx/* aliases at compile time, which also covers globalSetup (outside moduleNameMapper's reach).
const paths = Object.fromEntries(libs.flatMap((l) => [[`@pbx/${l}`, [`libs/${l}/src`]], [`@pbx/${l}/*`, [`libs/${l}/src/*`]]]));
const swc = ['@swc/jest', { ...swcrc, jsc: { ...swcrc.jsc, baseUrl: __dirname, paths } }];
const base = { rootDir: __dirname, transform: { '^.+\\.ts$': swc }, testEnvironment: 'node' };
module.exports = {
  // A global option (ignored inside projects): SIP and HTTP e2e suites wait on real sockets.
  testTimeout: 60000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      setupFiles: ['<rootDir>/test/setup-env.ts'],
    },
  ],
};
