/**
 * libsecp256k1 (bitcoin-core's constant-time C library) through the `secp256k1` package's prebuilt
 * N-API binding. Measured here: ECDSA verify ≈ 60 µs (node:crypto/OpenSSL ≈ 470 µs), sign ≈ 60 µs,
 * a point multiplication for ECDH ≈ 60 µs (@noble/curves with tables ≈ 280 µs).
 *
 * `libsecp256k1()` is null when the binding does not load on this platform (or
 * DVT_LIBSECP256K1=off): callers keep their portable path, so this is a speed-up, never a
 * requirement. The package's install script stays disabled (allowScripts): it only rebuilds what
 * the package ships prebuilt for linux-x64, darwin-arm64 and win32-x64.
 */
import { createRequire } from 'node:module';

/** The part of the binding the suite uses; every function throws on unparsable input. */
export interface Libsecp256k1 {
  /** RFC 6979 deterministic, low-S compact (r ‖ s) signature of a 32-byte digest */
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  /** true for a valid low-S signature; false for a wrong or high-S one; throws if r or s overflow or the key is not a point */
  ecdsaVerify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean;
  publicKeyCreate(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
  /** publicKey · tweak (33- or 65-byte key, 32-byte scalar in [1, n)) */
  publicKeyTweakMul(publicKey: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array;
}

/** Loads the binding (uncached): the library, or why it is not available. */
export function loadLibsecp256k1(env: NodeJS.ProcessEnv = process.env, entry = 'secp256k1/bindings.js'): { lib: Libsecp256k1 } | { unavailable: string } {
  if (env.DVT_LIBSECP256K1 === 'off') return { unavailable: 'turned off (DVT_LIBSECP256K1=off)' };
  try {
    // the binding entry, not the package entry: that one silently falls back to a slow JS curve
    return { lib: createRequire(import.meta.url)(entry) as Libsecp256k1 };
  } catch (error) {
    return { unavailable: `the secp256k1 native binding did not load: ${(error as Error).message.split('\n')[0]}` };
  }
}

let loaded: ReturnType<typeof loadLibsecp256k1> | undefined;

/** The native library, loaded once; null where it is not available (see libsecp256k1Unavailable). */
export function libsecp256k1(): Libsecp256k1 | null {
  loaded ??= loadLibsecp256k1();
  return 'lib' in loaded ? loaded.lib : null;
}

/** Why `libsecp256k1()` is null; undefined when it is available. */
export function libsecp256k1Unavailable(): string | undefined {
  libsecp256k1();
  return loaded && 'unavailable' in loaded ? loaded.unavailable : undefined;
}
