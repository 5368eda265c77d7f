export { DvtError, InvalidInputError } from './errors.js';
export { hexToBytes, bytesToHex, bytesToBareHex, equalBytes, concatBytes, abbreviate } from './hex.js';
