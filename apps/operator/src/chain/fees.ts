/** EIP-1559 fees under a hard cap on the fee per gas. */
import { type JsonRpcProvider } from 'ethers';
import { OperatorError, errorMessage } from '../errors.js';

export interface FeePolicy {
  /** never sign a transaction paying more per gas than this */
  readonly maxFeePerGasWei: bigint;
  /** fixed tip; default: the node's eth_maxPriorityFeePerGas */
  readonly priorityFeeWei?: bigint;
}

export interface Eip1559Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

const DEFAULT_TIP = 1_000_000_000n;
/** Replacement transactions must raise both fee fields by at least 10 % (geth's rule); 12.5 % leaves room. */
const BUMP_NUMERATOR = 9n;
const BUMP_DENOMINATOR = 8n;

/**
 * maxFee = 2 × base fee + tip (survives six full blocks of base-fee growth), clipped to the cap.
 * When even base fee + tip exceeds the cap, GAS_PRICE_TOO_HIGH: the job waits and retries.
 */
export async function currentFees(provider: JsonRpcProvider, policy: FeePolicy): Promise<Eip1559Fees> {
  let baseFee: bigint;
  let tip: bigint;
  try {
    const block = await provider.getBlock('latest');
    baseFee = block?.baseFeePerGas ?? 0n;
    tip = policy.priorityFeeWei ?? (await suggestedTip(provider));
  } catch (err) {
    throw new OperatorError('EXECUTION_UNAVAILABLE', `execution node: fee data: ${errorMessage(err)}`);
  }
  return feesUnderCap(baseFee, tip, policy.maxFeePerGasWei);
}

export function feesUnderCap(baseFee: bigint, tip: bigint, cap: bigint): Eip1559Fees {
  const boundedTip = tip > cap ? cap : tip;
  if (baseFee + boundedTip > cap) {
    throw new OperatorError(
      'GAS_PRICE_TOO_HIGH',
      `gas price too high: base fee ${gweiText(baseFee)} + tip ${gweiText(boundedTip)} gwei exceeds MAX_FEE_PER_GAS_GWEI ${gweiText(cap)}; waiting`,
      { baseFee: baseFee.toString(), cap: cap.toString() },
    );
  }
  const wanted = 2n * baseFee + boundedTip;
  return { maxFeePerGas: wanted > cap ? cap : wanted, maxPriorityFeePerGas: boundedTip };
}

/** Fees of a replacement (same nonce); null when the cap leaves no room for a valid bump. */
export function bumpedFees(previous: Eip1559Fees, cap: bigint): Eip1559Fees | null {
  const maxFeePerGas = (previous.maxFeePerGas * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n;
  const maxPriorityFeePerGas = (previous.maxPriorityFeePerGas * BUMP_NUMERATOR) / BUMP_DENOMINATOR + 1n;
  if (maxFeePerGas > cap) return null;
  return { maxFeePerGas, maxPriorityFeePerGas: maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : maxPriorityFeePerGas };
}

async function suggestedTip(provider: JsonRpcProvider): Promise<bigint> {
  try {
    return BigInt((await provider.send('eth_maxPriorityFeePerGas', [])) as string);
  } catch {
    return DEFAULT_TIP;
  }
}

function gweiText(wei: bigint): string {
  const whole = wei / 1_000_000_000n;
  const fraction = wei % 1_000_000_000n;
  return fraction === 0n ? whole.toString() : `${whole}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}`;
}
