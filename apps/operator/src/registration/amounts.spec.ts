import { describe, expect, it } from '@jest/globals';
import { depositAmounts, fundingAmounts, stakeableGwei } from './amounts.js';

const ETH = 1_000_000_000n;

describe('deposit amounts', () => {
  it('0x01: one 32 ETH deposit per 32 ETH, up to the batch limit', () => {
    expect(depositAmounts(31n * ETH, '0x01', 2048n * ETH)).toEqual([]);
    expect(depositAmounts(100n * ETH, '0x01', 2048n * ETH)).toEqual([32e9, 32e9, 32e9]);
    expect(depositAmounts(100n * ETH, '0x01', 2048n * ETH, 2)).toEqual([32e9, 32e9]);
  });

  it('0x02: full validators at the max balance, then the remainder when it reaches 32 ETH', () => {
    expect(depositAmounts(100n * ETH, '0x02', 2048n * ETH)).toEqual([100e9]);
    expect(depositAmounts(100n * ETH, '0x02', 40n * ETH)).toEqual([40e9, 40e9]);
    expect(depositAmounts(112n * ETH, '0x02', 40n * ETH)).toEqual([40e9, 40e9, 32e9]);
    expect(depositAmounts(4200n * ETH, '0x02', 2048n * ETH, 1)).toEqual([2048e9]);
  });

  it('stakeable assets: withdrawable wei less the vault minimum, never negative', () => {
    expect(stakeableGwei(33n * 10n ** 18n + 7n, 1n * ETH)).toBe(32n * ETH);
    expect(stakeableGwei(1n * 10n ** 18n, 2n * ETH)).toBe(0n);
  });

  it('top-ups: fullest validator first, up to the max balance, skipping rooms below the minimum deposit', () => {
    const balances = new Map([
      ['0xa', 2040e9],
      ['0xb', 64e9],
      ['0xc', 100e9],
    ]);
    expect(fundingAmounts(balances, 50n * ETH, 2048n * ETH, 10n * ETH)).toEqual([{ publicKey: '0xc', amountGwei: 50e9 }]);
    expect(fundingAmounts(balances, 3000n * ETH, 2048n * ETH, 10n * ETH)).toEqual([
      { publicKey: '0xc', amountGwei: 1948e9 },
      { publicKey: '0xb', amountGwei: 1052e9 },
    ]);
    expect(fundingAmounts(balances, 5n * ETH, 2048n * ETH, 10n * ETH)).toEqual([]);
    expect(fundingAmounts(balances, 3000n * ETH, 2048n * ETH, 1n * ETH, 1)).toEqual([{ publicKey: '0xa', amountGwei: 8e9 }]);
  });
});
