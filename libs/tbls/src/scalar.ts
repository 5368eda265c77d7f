/** Arithmetic in the BLS12-381 scalar field Fr (secret keys, polynomial coefficients, Lagrange weights). */
import { randomBytes } from 'node:crypto';

/** Order r of the G1/G2 subgroups. */
export const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

export function mod(a: bigint): bigint {
  const m = a % CURVE_ORDER;
  return m < 0n ? m + CURVE_ORDER : m;
}

export function bytesToScalar(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** 32-byte big-endian encoding (the secret-key wire format of every Ethereum BLS library). */
export function scalarToBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Uniform non-zero scalar from the OS CSPRNG (64 random bytes reduced mod r: bias < 2^-250). */
export function randomScalar(): bigint {
  for (;;) {
    const v = mod(bytesToScalar(randomBytes(64)));
    if (v !== 0n) return v;
  }
}

export function invert(a: bigint): bigint {
  let [oldR, r] = [mod(a), CURVE_ORDER];
  if (oldR === 0n) throw new RangeError('zero has no inverse');
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS);
}

/** Σ coefficients[k]·x^k mod r (Horner). */
export function evaluatePolynomial(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = mod(acc * x + coefficients[k]!);
  return acc;
}

/** λ_i = Π_{j≠i} x_j / (x_j − x_i) mod r: the weights that interpolate at x = 0. Indexes must be distinct. */
export function lagrangeCoefficientsAtZero(xs: readonly bigint[]): bigint[] {
  return xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num = mod(num * xj);
      den = mod(den * (xj - xi));
    });
    return mod(num * invert(den));
  });
}

const abs = (v: bigint) => (v < 0n ? -v : v);
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? abs(a) : gcd(b, a % b));

/**
 * The Lagrange coefficients at 0 of share indexes as exact rationals over the integers (not mod r):
 * λᵢ = Π_{j≠i} xⱼ / Π_{j≠i} (xⱼ − xᵢ) = aᵢ / d, with d the least common positive denominator.
 */
export function rationalLagrangeAtZero(indexes: readonly number[]): { numerators: bigint[]; denominator: bigint } {
  const xs = indexes.map(BigInt);
  const fractions = xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num *= xj;
      den *= xj - xi;
    });
    if (den < 0n) [num, den] = [-num, -den];
    const g = gcd(num, den);
    return { num: num / g, den: den / g };
  });
  const denominator = fractions.reduce((l, f) => (l / gcd(l, f.den)) * f.den, 1n);
  return { numerators: fractions.map((f) => f.num * (denominator / f.den)), denominator };
}
