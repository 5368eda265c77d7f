import { InvalidInputError, hexToBytes } from '@dvt/common';

/** A non-negative integer option (validator index, epoch, threshold). */
export function parseUint(value: string, option: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidInputError(`${option}: expected a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidInputError(`${option}: ${value} is too large`);
  return n;
}

/** `<index>:<hex>` as given to --share and --public-key-share. */
export function parseIndexed(value: string, option: string, length: number): { index: number; bytes: Uint8Array } {
  const colon = value.indexOf(':');
  if (colon < 1) throw new InvalidInputError(`${option}: expected <share index>:<hex>, got "${value}"`);
  const index = parseUint(value.slice(0, colon), `${option} share index`);
  if (index === 0) throw new InvalidInputError(`${option}: share index 0 is not allowed (share indexes start at 1)`);
  return { index, bytes: hexToBytes(value.slice(colon + 1), `${option} ${index}`, length) };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
