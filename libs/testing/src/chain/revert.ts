import { type Interface, isError } from 'ethers';
import { LocalChainError } from './errors.js';

/**
 * Names why a call reverted, decoding the revert data with the given contract interfaces: the custom
 * error name (e.g. "AccessDenied"), the Error(string) reason, "Panic(0x11)", or null when the error is
 * not a revert or the data matches none of the interfaces.
 */
export function revertReason(error: unknown, ...interfaces: readonly Interface[]): string | null {
  if (!isError(error, 'CALL_EXCEPTION')) return null;
  if (error.revert?.name === 'Error') return String(error.revert.args[0]);
  if (error.revert?.name === 'Panic') return `Panic(0x${BigInt(error.revert.args[0] as bigint).toString(16)})`;
  if (error.revert) return error.revert.name;
  const data = error.data;
  if (!data || data === '0x') return null;
  for (const iface of interfaces) {
    const parsed = iface.parseError(data);
    if (parsed) return parsed.name;
  }
  return null;
}

/** Awaits `action`, which must revert, and returns revertReason of the rejection. */
export async function expectRevert(action: Promise<unknown>, ...interfaces: readonly Interface[]): Promise<string | null> {
  try {
    await action;
  } catch (error) {
    const reason = revertReason(error, ...interfaces);
    if (reason === null) throw error;
    return reason;
  }
  throw new LocalChainError('EXPECTED_REVERT', 'expected a revert, but the call succeeded');
}
