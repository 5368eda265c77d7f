import { type Command } from 'commander';
import { InvalidInputError, bytesToHex, hexToBytes } from '@dvt/common';
import {
  type PublicShare,
  type SignatureShare,
  TblsError,
  assertPublicKey,
  assertSignature,
  recoverSignature,
  recoverVerifiedSignature,
  verify,
  verifyPartial,
} from '@dvt/tbls';
import { type CliIo, CliExit, ExitCode } from '../io.js';
import { collect, parseIndexed, parseUint } from './parse.js';

interface CombineOptions {
  publicKey: string;
  signingRoot: string;
  share: string[];
  publicKeyShare?: string[];
  threshold?: string;
}

export function registerCombineSignatures(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('combine-signatures')
    .description(
      'Rebuild a full BLS signature from partial signatures and verify it; if it does not verify, find and name the bad shares',
    )
    .requiredOption('--public-key <hex>', 'the validator (distributed) public key, 48 bytes')
    .requiredOption('--signing-root <hex>', 'the 32-byte signing root every share signed')
    .requiredOption('--share <index:signature>', 'a partial signature with its share index (repeat)', collect)
    .option('--public-key-share <index:hex>', 'public key share of an index: verify each share directly (repeat)', collect)
    .option('--threshold <t>', 'the cluster threshold (default: search down to a single share)')
    .action((opts: CombineOptions) => {
      const publicKey = hexToBytes(opts.publicKey, '--public-key', 48);
      const message = hexToBytes(opts.signingRoot, '--signing-root', 32);
      const shares = opts.share.map((s) => parseIndexed(s, '--share', 96)).map((s) => ({ index: s.index, signature: s.bytes }));
      const publicShares = (opts.publicKeyShare ?? [])
        .map((s) => parseIndexed(s, '--public-key-share', 48))
        .map((s) => ({ index: s.index, publicKey: s.bytes }));
      checkPoints(publicKey, shares, publicShares);
      const threshold = opts.threshold === undefined ? undefined : parseUint(opts.threshold, '--threshold');
      if (threshold !== undefined && threshold < 1) throw new InvalidInputError('--threshold must be at least 1');
      if (threshold !== undefined && shares.length < threshold) {
        throw new InvalidInputError(`${shares.length} share(s) given, fewer than the threshold ${threshold}`);
      }
      const result = publicShares.length
        ? combineCheckingEachShare(publicKey, message, shares, publicShares, threshold)
        : combineBySearch(publicKey, message, shares, threshold);
      if (result.excludedIndexes.length) {
        io.stderr(
          `share(s) ${result.excludedIndexes.join(', ')} left out: the signature rebuilt from share(s) ${result.usedIndexes.join(', ')} verifies`,
        );
      }
      io.stdout(bytesToHex(result.signature));
      setExitCode(ExitCode.ok);
    });
}

interface Combined {
  signature: Uint8Array;
  usedIndexes: number[];
  excludedIndexes: number[];
}

/**
 * Rebuilds from every given share; when that does not verify, leaves out one share, then two, … (never
 * going below the threshold when one is given) until a rebuilt signature verifies.
 */
function combineBySearch(publicKey: Uint8Array, message: Uint8Array, shares: SignatureShare[], threshold?: number): Combined {
  const given = shares.map((s) => s.index);
  for (let size = shares.length; size >= (threshold ?? 1); size--) {
    try {
      const r = recoverVerifiedSignature({ publicKey, message, shares, threshold: size });
      return { signature: r.signature, usedIndexes: r.usedIndexes, excludedIndexes: given.filter((i) => !r.usedIndexes.includes(i)) };
    } catch (err) {
      if (!(err instanceof TblsError) || (err.code !== 'NO_VALID_SUBSET' && err.code !== 'NOT_ENOUGH_SHARES')) throw err;
    }
  }
  throw new CliExit(ExitCode.failure, `no subset of the shares ${given.join(', ')} rebuilds a signature valid under the public key`);
}

/** Checks every share against its public key share, then rebuilds from the valid ones. */
function combineCheckingEachShare(
  publicKey: Uint8Array,
  message: Uint8Array,
  shares: SignatureShare[],
  publicShares: PublicShare[],
  threshold?: number,
): Combined {
  const keyOf = new Map(publicShares.map((p) => [p.index, p.publicKey]));
  const valid: SignatureShare[] = [];
  const excludedIndexes: number[] = [];
  for (const share of shares) {
    const key = keyOf.get(share.index);
    if (key === undefined) throw new InvalidInputError(`--share ${share.index}: no --public-key-share given for index ${share.index}`);
    if (verifyPartial(key, message, share.signature)) valid.push(share);
    else excludedIndexes.push(share.index);
  }
  if (valid.length === 0 || (threshold !== undefined && valid.length < threshold)) {
    throw new CliExit(
      ExitCode.failure,
      `only ${valid.length} share(s) verify against their public key shares` + (threshold ? ` (threshold ${threshold})` : ''),
    );
  }
  const signature = recoverSignature(valid);
  if (!verify(publicKey, message, signature)) {
    throw new CliExit(
      ExitCode.failure,
      `the ${valid.length} valid share(s) ${valid.map((s) => s.index).join(', ')} do not rebuild a signature valid under the public key (too few for the threshold, or public key shares of another key)`,
    );
  }
  return { signature, usedIndexes: valid.map((s) => s.index), excludedIndexes };
}

/** Malformed points and duplicate indexes are input errors (exit 2), not shares to search around. */
function checkPoints(publicKey: Uint8Array, shares: SignatureShare[], publicShares: PublicShare[]): void {
  const asInputError = (check: () => void): void => {
    try {
      check();
    } catch (err) {
      if (err instanceof TblsError) throw new InvalidInputError(err.message);
      throw err;
    }
  };
  asInputError(() => assertPublicKey(publicKey, '--public-key'));
  for (const [option, indexes] of [['--share', shares.map((s) => s.index)], ['--public-key-share', publicShares.map((s) => s.index)]] as const) {
    const duplicate = indexes.find((index, i) => indexes.indexOf(index) !== i);
    if (duplicate !== undefined) throw new InvalidInputError(`${option}: duplicate share index ${duplicate}`);
  }
  for (const s of shares) asInputError(() => assertSignature(s.signature, `--share ${s.index}`));
  for (const p of publicShares) asInputError(() => assertPublicKey(p.publicKey, `--public-key-share ${p.index}`));
}
