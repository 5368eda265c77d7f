/** How much to stake, and in which deposits (the StakeWise operator's rules). */
import { type ValidatorType } from '@dvt/stakewise';

/** 32 ETH in gwei: every 0x01 deposit, and the least a new 0x02 validator takes. */
export const MIN_ACTIVATION_BALANCE_GWEI = 32_000_000_000n;
export const WEI_PER_GWEI = 1_000_000_000n;

/** Gwei the vault can stake now: withdrawable assets less the balance it must keep. */
export function stakeableGwei(withdrawableAssetsWei: bigint, vaultMinBalanceGwei: bigint): bigint {
  const gwei = withdrawableAssetsWei / WEI_PER_GWEI - vaultMinBalanceGwei;
  return gwei > 0n ? gwei : 0n;
}

/**
 * Deposits for `availableGwei`: 0x01 → 32 ETH each; 0x02 → as many full validators (max balance) as
 * fit, plus one for the remainder when it reaches 32 ETH. Never more than `limit` deposits.
 */
export function depositAmounts(availableGwei: bigint, type: ValidatorType, maxValidatorBalanceGwei: bigint, limit = Number.MAX_SAFE_INTEGER): number[] {
  if (availableGwei < MIN_ACTIVATION_BALANCE_GWEI || limit < 1) return [];
  const amounts: bigint[] = [];
  if (type === '0x01') {
    const count = availableGwei / MIN_ACTIVATION_BALANCE_GWEI;
    for (let i = 0n; i < count && amounts.length < limit; i++) amounts.push(MIN_ACTIVATION_BALANCE_GWEI);
  } else {
    const full = availableGwei / maxValidatorBalanceGwei;
    const remainder = availableGwei % maxValidatorBalanceGwei;
    for (let i = 0n; i < full && amounts.length < limit; i++) amounts.push(maxValidatorBalanceGwei);
    if (remainder >= MIN_ACTIVATION_BALANCE_GWEI && amounts.length < limit) amounts.push(remainder);
  }
  return amounts.map(Number);
}

/**
 * Top-ups of compounding validators (the StakeWise operator's rule): fullest first, each up to the
 * max balance, skipping those whose room is below `minDepositGwei`, until the assets run out.
 */
export function fundingAmounts(
  balancesGwei: ReadonlyMap<string, number>,
  availableGwei: bigint,
  maxValidatorBalanceGwei: bigint,
  minDepositGwei: bigint,
  limit = Number.MAX_SAFE_INTEGER,
): { publicKey: string; amountGwei: number }[] {
  const out: { publicKey: string; amountGwei: number }[] = [];
  let left = availableGwei;
  const fullestFirst = [...balancesGwei.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [publicKey, balance] of fullestFirst) {
    if (left < minDepositGwei || out.length >= limit) break;
    const room = maxValidatorBalanceGwei - BigInt(balance);
    if (room < minDepositGwei) continue;
    const amount = room < left ? room : left;
    out.push({ publicKey, amountGwei: Number(amount) });
    left -= amount;
  }
  return out;
}
