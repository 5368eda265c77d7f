/**
 * @dvt/dv — the DV node's workflow components. `core` holds the types they share (duties, DV
 * keys, unsigned data sets, clocks, typed subscriptions); each component folder imports only core.
 */
export * from './core/index.js';
export * from './consensus/index.js';
export * from './validator-api/index.js';
