/**
 * Transaction intents: what a job is about to broadcast (nonce, every signed version, their
 * hashes), written to Redis before the first byte leaves for the node. A re-run of the job after
 * a crash finds the intent and looks its transactions up instead of signing a new one.
 */
import { type Redis } from 'ioredis';

export interface SignedVersion {
  readonly hash: string;
  /** the signed transaction (public once broadcast; kept to re-broadcast it) */
  readonly raw: string;
  readonly maxFeePerGas: string;
  readonly maxPriorityFeePerGas: string;
  /** unix ms */
  readonly signedAt: number;
}

export interface TxOutcomeRecord {
  readonly txHash: string;
  readonly blockNumber: number;
  /** 1 mined and succeeded, 0 reverted */
  readonly status: number;
  readonly gasUsed: string;
  readonly effectiveGasPrice: string;
  /** unix ms */
  readonly at: number;
}

export interface TxIntent {
  /** the job's deterministic id */
  readonly key: string;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly data: string;
  readonly value: string;
  readonly chainId: number;
  readonly nonce: number;
  readonly gasLimit: string;
  /** validators the transaction registers / funds */
  readonly publicKeys: readonly string[];
  /** every version signed for this nonce, oldest first; any one of them may be the one mined */
  readonly versions: readonly SignedVersion[];
  readonly createdAt: number;
  readonly outcome?: TxOutcomeRecord;
}

export interface IntentStore {
  get(key: string): Promise<TxIntent | null>;
  /** Stores the intent unless one exists for the key; false when another was there first. */
  create(intent: TxIntent): Promise<boolean>;
  update(intent: TxIntent): Promise<void>;
  /** Forgets an intent whose transactions can never be mined (its nonce went to another transaction). */
  discard(key: string): Promise<void>;
  /** Intents without an outcome yet (status command). */
  open(): Promise<TxIntent[]>;
}

const DONE_TTL_SECONDS = 30 * 24 * 3600;

export class RedisIntentStore implements IntentStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keyOf(key: string): string {
    return `${this.prefix}:intent:${key}`;
  }

  async get(key: string): Promise<TxIntent | null> {
    const text = await this.redis.get(this.keyOf(key));
    return text === null ? null : (JSON.parse(text) as TxIntent);
  }

  async create(intent: TxIntent): Promise<boolean> {
    return (await this.redis.set(this.keyOf(intent.key), JSON.stringify(intent), 'NX')) === 'OK';
  }

  async update(intent: TxIntent): Promise<void> {
    const key = this.keyOf(intent.key);
    if (intent.outcome) await this.redis.set(key, JSON.stringify(intent), 'EX', DONE_TTL_SECONDS);
    else await this.redis.set(key, JSON.stringify(intent));
  }

  async discard(key: string): Promise<void> {
    await this.redis.del(this.keyOf(key));
  }

  async open(): Promise<TxIntent[]> {
    const out: TxIntent[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:intent:*`, 'COUNT', 200);
      cursor = next;
      for (const key of keys) {
        const text = await this.redis.get(key);
        if (text === null) continue;
        const intent = JSON.parse(text) as TxIntent;
        if (!intent.outcome) out.push(intent);
      }
    } while (cursor !== '0');
    return out;
  }
}

/** In-process store for unit tests. */
export class MemoryIntentStore implements IntentStore {
  readonly intents = new Map<string, TxIntent>();

  async get(key: string): Promise<TxIntent | null> {
    return this.intents.get(key) ?? null;
  }

  async create(intent: TxIntent): Promise<boolean> {
    if (this.intents.has(intent.key)) return false;
    this.intents.set(intent.key, intent);
    return true;
  }

  async update(intent: TxIntent): Promise<void> {
    this.intents.set(intent.key, intent);
  }

  async discard(key: string): Promise<void> {
    this.intents.delete(key);
  }

  async open(): Promise<TxIntent[]> {
    return [...this.intents.values()].filter((i) => !i.outcome);
  }
}
