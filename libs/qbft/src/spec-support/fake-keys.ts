import { createHash } from 'node:crypto';
import type { QbftSigner, QbftVerifier } from '../signing.js';

/**
 * Test-only keys: fast hash "signatures" that only the key's owner can produce within the test
 * (the verifier looks the secret up). NOT a signature scheme; the real one is secp256k1.
 */
export interface FakeKeys {
  readonly signers: QbftSigner[];
  readonly peers: Uint8Array[];
  readonly verifier: QbftVerifier;
}

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

export function fakeKeys(n: number, label = 'fake'): FakeKeys {
  const secrets = new Map<string, Uint8Array>();
  const signers: QbftSigner[] = [];
  for (let i = 0; i < n; i++) {
    const secret = sha(new TextEncoder().encode(`${label}/${i}`));
    const publicKey = sha(secret);
    secrets.set(Buffer.from(publicKey).toString('hex'), secret);
    signers.push({ publicKey, sign: (digest) => fakeSign(secret, digest) });
  }
  const verifier: QbftVerifier = {
    verify(digest, signature, publicKey) {
      const secret = secrets.get(Buffer.from(publicKey).toString('hex'));
      if (!secret || signature.length !== 64) return false;
      return Buffer.from(fakeSign(secret, digest)).equals(Buffer.from(signature));
    },
  };
  return { signers, peers: signers.map((s) => s.publicKey), verifier };
}

function fakeSign(secret: Uint8Array, digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(64);
  out.set(sha(secret, digest), 0);
  out.set(sha(digest, secret), 32);
  return out;
}
