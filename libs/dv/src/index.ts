/**
 * @dvt/dv — the DV node's workflow components. `core` holds the types they share (duties, DV
 * keys, unsigned data sets, clocks, typed subscriptions); each component folder imports only core.
 */
export * from './core/index.js';
export * from './consensus/index.js';
export * from './validator-api/index.js';
export * from './scheduler/index.js';
export * from './fetcher/index.js';
export * from './duty-db/index.js';
export * from './partial-signatures/index.js';
export * from './aggregation/index.js';
export * from './broadcast/index.js';
export * from './node/index.js';
