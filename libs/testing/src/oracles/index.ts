export {
  type MockOracleBehaviour,
  type MockOracleOptions,
  type MockOracleDecision,
  type MockOracleSetOptions,
  type MockOracleSet,
  MockOracle,
  mockOracleWallets,
  oraclePublicKey,
  exitSignaturesCid,
  startMockOracles,
} from './mock-oracle.js';
