// ESM + TypeScript through SWC (decorator metadata on, for NestJS DI).
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

// Suites that run whole clusters against wall-clock slots (several processes or 8 components in one)
// measure liveness: they run one at a time after the others (`--selectProjects realtime --runInBand`),
// so that a neighbouring suite's CPU burst cannot push a 2 s slot past its deadline.
const REALTIME = ['<rootDir>/test/dv-node/', '<rootDir>/test/devnet/', '<rootDir>/test/dv-consensus/'];

const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@dvt/([a-z0-9-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  testTimeout: 30000,
  maxWorkers: 2,
  projects: [
    {
      ...base,
      displayName: 'suite',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', ...REALTIME],
    },
    {
      ...base,
      displayName: 'realtime',
      testMatch: REALTIME.map((dir) => `${dir}**/*.test.ts`),
      testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    },
  ],
};
