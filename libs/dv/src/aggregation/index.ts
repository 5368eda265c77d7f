export { AggregatedSignatureDb } from './aggregated-signature-db.js';
export { AggregationBatcher, type AggregationBatcherOptions } from './aggregation-batcher.js';
export { SignatureAggregator, type AggregationFailure, type SignatureAggregatorObserver, type SignatureAggregatorOptions } from './signature-aggregator.js';
