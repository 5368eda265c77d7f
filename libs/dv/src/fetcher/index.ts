export {
  Fetcher,
  FetcherError,
  checkAttesterValue,
  checkProposerValue,
  type CheckProposerValueOptions,
  type FetcherErrorCode,
  type FetcherOptions,
} from './fetcher.js';
