/**
 * JSON shapes of the beacon-API routes the suite uses, as zod schemas that turn the wire form
 * (decimal strings, snake_case) into the client's types. Shared by the client and by mock servers,
 * which encode with the `to*Json` functions so both sides agree on one definition.
 */
import { z } from 'zod';
import {
  type Fork,
  type Genesis,
  type PendingDeposit,
  type SyncStatus,
  VALIDATOR_STATUSES,
  type ValidatorInfo,
} from './types.js';

export const FAR_FUTURE_EPOCH = 2n ** 64n - 1n;

const uint = z
  .union([z.string().regex(/^\d+$/, 'expected a decimal integer'), z.number().int().nonnegative()])
  .transform((value, ctx) => {
    const big = BigInt(value);
    if (big === FAR_FUTURE_EPOCH) return Number.POSITIVE_INFINITY;
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
      ctx.addIssue({ code: 'custom', message: `integer ${String(value)} is beyond 2^53` });
      return z.NEVER;
    }
    return Number(big);
  });

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `expected 0x + ${bytes} bytes of hex`)
    .transform((s) => s.toLowerCase());

export const genesisJson = z
  .object({ genesis_time: uint, genesis_validators_root: hex(32), genesis_fork_version: hex(4) })
  .transform(
    (g): Genesis => ({
      genesisTime: g.genesis_time,
      genesisValidatorsRoot: g.genesis_validators_root,
      genesisForkVersion: g.genesis_fork_version,
    }),
  );

export const forkJson = z
  .object({ previous_version: hex(4), current_version: hex(4), epoch: uint })
  .transform((f): Fork => ({ previousVersion: f.previous_version, currentVersion: f.current_version, epoch: f.epoch }));

export const validatorJson = z
  .object({
    index: uint,
    balance: uint,
    status: z.enum(VALIDATOR_STATUSES),
    validator: z.object({
      pubkey: hex(48),
      withdrawal_credentials: hex(32),
      effective_balance: uint,
      slashed: z.boolean(),
      activation_eligibility_epoch: uint,
      activation_epoch: uint,
      exit_epoch: uint,
      withdrawable_epoch: uint,
    }),
  })
  .transform(
    (v): ValidatorInfo => ({
      index: v.index,
      balance: v.balance,
      status: v.status,
      pubkey: v.validator.pubkey,
      withdrawalCredentials: v.validator.withdrawal_credentials,
      effectiveBalance: v.validator.effective_balance,
      slashed: v.validator.slashed,
      activationEligibilityEpoch: v.validator.activation_eligibility_epoch,
      activationEpoch: v.validator.activation_epoch,
      exitEpoch: v.validator.exit_epoch,
      withdrawableEpoch: v.validator.withdrawable_epoch,
    }),
  );

export const pendingDepositJson = z
  .object({ pubkey: hex(48), withdrawal_credentials: hex(32), amount: uint, signature: hex(96), slot: uint })
  .transform(
    (d): PendingDeposit => ({
      pubkey: d.pubkey,
      withdrawalCredentials: d.withdrawal_credentials,
      amount: d.amount,
      signature: d.signature,
      slot: d.slot,
    }),
  );

export const syncingJson = z
  .object({
    head_slot: uint,
    sync_distance: uint,
    is_syncing: z.boolean(),
    is_optimistic: z.boolean().optional(),
    el_offline: z.boolean().optional(),
  })
  .transform(
    (s): SyncStatus => ({
      headSlot: s.head_slot,
      syncDistance: s.sync_distance,
      isSyncing: s.is_syncing,
      isOptimistic: s.is_optimistic ?? false,
      elOffline: s.el_offline ?? false,
    }),
  );

export const specJson = z.record(z.string(), z.unknown());

/** `{data: T}` envelope of every beacon-API answer. */
export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ data });
}

// ---- encoders (server side) ----

const dec = (n: number): string => (n === Number.POSITIVE_INFINITY ? FAR_FUTURE_EPOCH.toString() : String(n));

export function toGenesisJson(g: Genesis): Record<string, string> {
  return {
    genesis_time: dec(g.genesisTime),
    genesis_validators_root: g.genesisValidatorsRoot,
    genesis_fork_version: g.genesisForkVersion,
  };
}

export function toForkJson(f: Fork): Record<string, string> {
  return { previous_version: f.previousVersion, current_version: f.currentVersion, epoch: dec(f.epoch) };
}

export function toValidatorJson(v: ValidatorInfo): Record<string, unknown> {
  return {
    index: dec(v.index),
    balance: dec(v.balance),
    status: v.status,
    validator: {
      pubkey: v.pubkey,
      withdrawal_credentials: v.withdrawalCredentials,
      effective_balance: dec(v.effectiveBalance),
      slashed: v.slashed,
      activation_eligibility_epoch: dec(v.activationEligibilityEpoch),
      activation_epoch: dec(v.activationEpoch),
      exit_epoch: dec(v.exitEpoch),
      withdrawable_epoch: dec(v.withdrawableEpoch),
    },
  };
}

export function toPendingDepositJson(d: PendingDeposit): Record<string, string> {
  return {
    pubkey: d.pubkey,
    withdrawal_credentials: d.withdrawalCredentials,
    amount: dec(d.amount),
    signature: d.signature,
    slot: dec(d.slot),
  };
}

export function toSyncingJson(s: SyncStatus): Record<string, unknown> {
  return {
    head_slot: dec(s.headSlot),
    sync_distance: dec(s.syncDistance),
    is_syncing: s.isSyncing,
    is_optimistic: s.isOptimistic,
    el_offline: s.elOffline,
  };
}
