import { getAddress } from 'ethers';
import { Eth2Error } from './errors.js';

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * Checks an execution-layer address (0x + 40 hex digits; a mixed-case address must carry a valid
 * EIP-55 checksum) and returns it in checksum form. `field` names the value in the error.
 */
export function parseExecutionAddress(address: unknown, field = 'address'): string {
  if (typeof address !== 'string') {
    throw new Eth2Error('INVALID_ADDRESS', `${field}: expected an address string, got ${typeof address}`, { field });
  }
  if (!ADDRESS_RE.test(address)) {
    throw new Eth2Error('INVALID_ADDRESS', `${field}: not an address (0x + 40 hex digits): ${JSON.stringify(address)}`, {
      field,
    });
  }
  try {
    return getAddress(address);
  } catch {
    throw new Eth2Error('INVALID_ADDRESS', `${field}: bad EIP-55 checksum: ${address}`, { field });
  }
}
