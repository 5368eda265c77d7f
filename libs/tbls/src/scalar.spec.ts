import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CURVE_ORDER, bytesToScalar, evaluatePolynomial, invert, lagrangeCoefficientsAtZero, mod, randomScalar, scalarToBytes } from './scalar.js';

const scalar = fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n });

describe('Fr arithmetic', () => {
  it('inverts every non-zero scalar and refuses zero', () => {
    fc.assert(fc.property(scalar, (a) => mod(a * invert(a)) === 1n));
    expect(() => invert(0n)).toThrow(RangeError);
    expect(() => invert(CURVE_ORDER)).toThrow(RangeError);
  });

  it('encodes scalars as 32 big-endian bytes', () => {
    fc.assert(fc.property(scalar, (a) => bytesToScalar(scalarToBytes(a)) === a));
    expect(Buffer.from(scalarToBytes(258n)).toString('hex')).toBe('0'.repeat(60) + '0102');
  });

  it('draws random scalars in [1, r)', () => {
    for (let i = 0; i < 50; i++) {
      const v = randomScalar();
      expect(v > 0n && v < CURVE_ORDER).toBe(true);
    }
  });

  it('Lagrange weights at 0 interpolate any polynomial of degree < number of points', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }), { minLength: 1, maxLength: 10 }),
        fc.array(scalar, { minLength: 1, maxLength: 10 }),
        (xs, coefficients) => {
          const used = coefficients.slice(0, xs.length);
          const weights = lagrangeCoefficientsAtZero(xs);
          const atZero = xs.reduce((acc, x, i) => mod(acc + weights[i]! * evaluatePolynomial(used, x)), 0n);
          return atZero === used[0];
        },
      ),
      { numRuns: 50 },
    );
  });
});
