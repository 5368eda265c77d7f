import { describe, expect, it } from '@jest/globals';
import { bumpedFees, feesUnderCap } from './fees.js';

const GWEI = 1_000_000_000n;

describe('EIP-1559 fees under a cap', () => {
  it('2 × base fee + tip, clipped to the cap', () => {
    expect(feesUnderCap(10n * GWEI, 2n * GWEI, 100n * GWEI)).toEqual({ maxFeePerGas: 22n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    expect(feesUnderCap(40n * GWEI, 2n * GWEI, 50n * GWEI)).toEqual({ maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
  });

  it('refuses to send when base fee + tip exceed the cap (retried later)', () => {
    expect(() => feesUnderCap(99n * GWEI, 2n * GWEI, 100n * GWEI)).toThrow(
      expect.objectContaining({ code: 'GAS_PRICE_TOO_HIGH', message: expect.stringMatching(/base fee 99 \+ tip 2 gwei exceeds MAX_FEE_PER_GAS_GWEI 100/) }),
    );
  });

  it('a replacement raises both fields by more than 10 %, never above the cap', () => {
    const next = bumpedFees({ maxFeePerGas: 40n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, 100n * GWEI)!;
    expect(next.maxFeePerGas * 10n).toBeGreaterThan(40n * GWEI * 11n);
    expect(next.maxPriorityFeePerGas * 10n).toBeGreaterThan(2n * GWEI * 11n);
    expect(bumpedFees({ maxFeePerGas: 95n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, 100n * GWEI)).toBeNull();
  });
});
