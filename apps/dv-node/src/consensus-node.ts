/**
 * A stand-alone cluster member that runs only the consensus component, on synthetic duty values:
 * every slot it proposes, for one duty type, a value naming itself for a fixed set of DVs, and
 * prints one JSON line per event (ready, decided, expired, peer up/down) on stdout. Used by the
 * multi-process networked test and for soak runs on loopback:
 *
 *   node dist/apps/dv-node/src/consensus-node.js '<config JSON>'
 *
 * Config: { index, identityKey (0x 32 bytes), listen, peers: [{ index, publicKey, addrs }],
 * genesisTimeMs, slotDurationMs, dutyType?, dvCount?, roundDurationMs?: [first, increment],
 * reconnect?: { initialDelayMs, maxDelayMs } }.
 */
import { pathToFileURL } from 'node:url';
import { bytesToHex, hexToBytes } from '@dvt/common';
import {
  Consensus,
  DutyType,
  SlotTimes,
  clusterConsensusTransport,
  defaultDutyConsensusTiming,
  isDutyType,
  newDuty,
  systemClock,
  unsignedDataSet,
  type Duty,
  type UnsignedDataSet,
} from '@dvt/dv';
import { startClusterNode, type ClusterNode } from '@dvt/p2p';
import { createQbftSigner, increasingRoundDuration } from '@dvt/qbft';
import { z } from 'zod';

const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, 'expected 0x-hex');

const configSchema = z.object({
  index: z.number().int().nonnegative(),
  identityKey: hex,
  listen: z.string().min(1),
  peers: z.array(z.object({ index: z.number().int().nonnegative(), publicKey: hex, addrs: z.array(z.string()) })).min(2),
  genesisTimeMs: z.number().finite(),
  slotDurationMs: z.number().int().positive(),
  dutyType: z.number().int().refine(isDutyType, 'not a duty type').default(DutyType.Attester),
  dvCount: z.number().int().positive().max(10_000).default(4),
  roundDurationMs: z.tuple([z.number().positive(), z.number().nonnegative()]).optional(),
  reconnect: z.object({ initialDelayMs: z.number().int().positive(), maxDelayMs: z.number().int().positive() }).optional(),
});

export type ConsensusNodeConfig = z.output<typeof configSchema>;

/** Parses the JSON config; throws an Error naming every bad field. */
export function parseConsensusNodeConfig(text: string): ConsensusNodeConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`consensus node config is not JSON: ${(error as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`bad consensus node config: ${issues.join('; ')}`);
  }
  const config = parsed.data;
  if (!config.peers.some((peer) => peer.index === config.index)) throw new Error(`bad consensus node config: peers has no entry for index ${config.index}`);
  return config;
}

/** The synthetic value node `index` fetched for `duty`: the same DVs for every node, data naming the node. */
export function syntheticValue(index: number, duty: Duty, dvCount: number): UnsignedDataSet {
  return unsignedDataSet(
    Array.from({ length: dvCount }, (_, dv) => {
      const key = new Uint8Array(48);
      new DataView(key.buffer).setUint32(44, dv + 1);
      return [key, new TextEncoder().encode(`node ${index} slot ${duty.slot} dv ${dv}`)] as const;
    }),
  );
}

/** Whose synthetic value this is (the `node k` of its first entry), or -1. */
export function syntheticProposer(value: UnsignedDataSet): number {
  const first = value.values().next().value;
  const match = first ? /^node (\d+) /.exec(new TextDecoder().decode(first)) : null;
  return match ? Number(match[1]) : -1;
}

export interface RunningConsensusNode {
  readonly clusterNode: ClusterNode;
  readonly consensus: Consensus;
  stop(): Promise<void>;
}

export async function runConsensusNode(config: ConsensusNodeConfig, emit: (event: Record<string, unknown>) => void): Promise<RunningConsensusNode> {
  const identityKey = hexToBytes(config.identityKey, 'identityKey', 32);
  const peers = [...config.peers].sort((a, b) => a.index - b.index);
  peers.forEach((peer, position) => {
    if (peer.index !== position) throw new Error(`bad consensus node config: peer indexes must be 0..${peers.length - 1}`);
  });
  const publicKeys = peers.map((peer) => hexToBytes(peer.publicKey, `peers[${peer.index}].publicKey`, 33));
  const clusterNode = await startClusterNode({
    identityKey,
    selfIndex: config.index,
    listen: config.listen,
    peers: peers.map((peer, i) => ({ index: peer.index, publicKey: publicKeys[i]!, addrs: peer.addrs })),
    reconnect: config.reconnect,
    logger: { debug: () => undefined, warn: (message) => emit({ event: 'p2p-warning', message }) },
  });
  clusterNode.on('peerUp', (peer) => emit({ event: 'peer-up', peer }));
  clusterNode.on('peerDown', (peer) => emit({ event: 'peer-down', peer }));

  const slotTimes = new SlotTimes(config.genesisTimeMs, config.slotDurationMs);
  const dutyType = config.dutyType;
  const consensus = new Consensus({
    nodeIndex: config.index,
    peers: publicKeys,
    signer: createQbftSigner(identityKey),
    transport: clusterConsensusTransport(clusterNode, { onSendError: (error) => emit({ event: 'send-error', message: (error as Error).message }) }),
    slotTimes,
    duties: {
      [dutyType]: {
        isValid: (duty: Duty, value: UnsignedDataSet) => value.size === config.dvCount && syntheticProposer(value) >= 0 && duty.type === dutyType,
        roundDuration: config.roundDurationMs ? increasingRoundDuration(...config.roundDurationMs) : undefined,
      },
    },
    observer: {
      onExpired: (duty, decided) => {
        if (!decided) emit({ event: 'expired', slot: duty.slot, type: duty.type });
      },
      onListenerError: (error) => emit({ event: 'error', message: String(error) }),
    },
  });
  consensus.subscribe((duty, value, info) =>
    emit({
      event: 'decided',
      node: config.index,
      slot: duty.slot,
      type: duty.type,
      round: info.round,
      valueHash: bytesToHex(info.valueHash),
      proposer: syntheticProposer(value),
    }),
  );

  // propose for every slot from the first whose round 1 has not started yet
  const { startOffsetMs } = defaultDutyConsensusTiming(dutyType, config.slotDurationMs);
  let slot = Math.max(0, slotTimes.slotAt(Date.now() - startOffsetMs) + 1);
  let cancel: () => void = () => undefined;
  let stopped = false;
  const proposeNext = (): void => {
    if (stopped) return;
    const duty = newDuty(slot, dutyType);
    try {
      consensus.propose(duty, syntheticValue(config.index, duty, config.dvCount));
    } catch (error) {
      emit({ event: 'propose-error', slot, message: (error as Error).message });
    }
    slot++;
    cancel = systemClock.at(slotTimes.startMs(slot) + startOffsetMs, proposeNext);
  };
  cancel = systemClock.at(slotTimes.startMs(slot) + startOffsetMs, proposeNext);
  emit({ event: 'ready', node: config.index, peerId: clusterNode.peerId, firstSlot: slot });

  return {
    clusterNode,
    consensus,
    async stop() {
      stopped = true;
      cancel();
      consensus.stop();
      await clusterNode.stop();
    },
  };
}

async function main(): Promise<void> {
  const config = parseConsensusNodeConfig(process.argv[2] ?? '');
  const emit = (event: Record<string, unknown>): void => {
    process.stdout.write(JSON.stringify({ t: Date.now(), ...event }) + '\n');
  };
  const node = await runConsensusNode(config, emit);
  const shutdown = (): void => {
    node.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`consensus node failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
