import { SlashingProtectionError } from './errors.js';

export const INTERCHANGE_FORMAT_VERSION = '5';

export interface InterchangeBlock {
  slot: string;
  signing_root?: string;
}
export interface InterchangeAttestation {
  source_epoch: string;
  target_epoch: string;
  signing_root?: string;
}
export interface InterchangeValidator {
  pubkey: string;
  signed_blocks: InterchangeBlock[];
  signed_attestations: InterchangeAttestation[];
}
/** EIP-3076 interchange format, version 5. */
export interface Interchange {
  metadata: { interchange_format_version: string; genesis_validators_root: string };
  data: InterchangeValidator[];
}

function invalid(path: string, message: string): never {
  throw new SlashingProtectionError('INVALID_INTERCHANGE', `${path}: ${message}`, { path });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hexField(value: unknown, path: string, bytes: number): string {
  if (typeof value !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(value)) {
    invalid(path, `expected 0x-prefixed ${bytes}-byte hex, got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

function uintField(value: unknown, path: string): string {
  if (typeof value !== 'string' || !/^(0|[1-9]\d*)$/.test(value)) {
    invalid(path, `expected a decimal integer string, got ${JSON.stringify(value)}`);
  }
  if (BigInt(value) > BigInt(Number.MAX_SAFE_INTEGER)) invalid(path, `${value} is out of range`);
  return value;
}

function arrayField(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) invalid(path, 'expected an array');
  return value;
}

/** Validates an EIP-3076 v5 document (already JSON-parsed); throws INVALID_INTERCHANGE naming the path. */
export function parseInterchange(json: unknown): Interchange {
  if (!isObject(json)) invalid('$', 'expected an object');
  const metadata = json['metadata'];
  if (!isObject(metadata)) invalid('metadata', 'expected an object');
  const version = metadata['interchange_format_version'];
  if (version !== INTERCHANGE_FORMAT_VERSION) {
    invalid('metadata.interchange_format_version', `expected "5", got ${JSON.stringify(version)}`);
  }
  const root = hexField(metadata['genesis_validators_root'], 'metadata.genesis_validators_root', 32);
  const data = arrayField(json['data'], 'data').map((entry, i): InterchangeValidator => {
    const at = `data[${i}]`;
    if (!isObject(entry)) invalid(at, 'expected an object');
    const pubkey = hexField(entry['pubkey'], `${at}.pubkey`, 48);
    const blocks = arrayField(entry['signed_blocks'] ?? [], `${at}.signed_blocks`).map((b, j) => {
      const bat = `${at}.signed_blocks[${j}]`;
      if (!isObject(b)) invalid(bat, 'expected an object');
      const block: InterchangeBlock = { slot: uintField(b['slot'], `${bat}.slot`) };
      if (b['signing_root'] !== undefined) block.signing_root = hexField(b['signing_root'], `${bat}.signing_root`, 32);
      return block;
    });
    const attestations = arrayField(entry['signed_attestations'] ?? [], `${at}.signed_attestations`).map((a, j) => {
      const aat = `${at}.signed_attestations[${j}]`;
      if (!isObject(a)) invalid(aat, 'expected an object');
      const attestation: InterchangeAttestation = {
        source_epoch: uintField(a['source_epoch'], `${aat}.source_epoch`),
        target_epoch: uintField(a['target_epoch'], `${aat}.target_epoch`),
      };
      if (a['signing_root'] !== undefined) attestation.signing_root = hexField(a['signing_root'], `${aat}.signing_root`, 32);
      return attestation;
    });
    return { pubkey, signed_blocks: blocks, signed_attestations: attestations };
  });
  return { metadata: { interchange_format_version: INTERCHANGE_FORMAT_VERSION, genesis_validators_root: root }, data };
}
