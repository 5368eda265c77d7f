/**
 * Test helper (specs only): the real Hoodi POST /signatures body of STAKEWISE.md §6 — four SSV
 * operators (share indexes 263, 280, 281, 282, threshold 3), vault 0x8ae5…4aca, type 0x02.
 */
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@dvt/common';

interface SidecarBody {
  share_index: number;
  shares: { public_key: string; exit_signature: string; deposit_signature: string }[];
}

export const bodies = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/hoodi-ssv-sidecar-shares-2-validators.json', import.meta.url), 'utf8'),
) as SidecarBody[];

export const VAULT = '0x8ae5c1046158526cf236f74d8fb88fabe2e94aca';
export const VALIDATOR_10 =
  '0x88d1a2399c931bf49e75e5e48d843c6b740d270e6deb6588c1d4dfec7dc123c79b0e0cd0dd8c40ab3594c75a0627d912';
export const VALIDATOR_11 =
  '0x92c2fa9b56e7254c6464f008f2c949a5ead189e0b166da00dd86d790a473cf07f886cf731a19c66b563cf9f1f49de478';
export const THRESHOLD = 3;

/** The signature shares of one validator, as tbls `SignatureShare`s. */
export function sharesOf(publicKey: string, field: 'exit_signature' | 'deposit_signature'): { index: number; signature: Uint8Array }[] {
  return bodies.map((body) => {
    const item = body.shares.find((s) => s.public_key === publicKey);
    if (item === undefined) throw new Error(`no share of ${publicKey} from operator ${body.share_index}`);
    return { index: body.share_index, signature: hexToBytes(item[field]) };
  });
}
