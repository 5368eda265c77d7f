/**
 * A whole DV cluster in one process, for simulation tests, the attester benchmark and the devnet:
 * a trusted-dealer cluster (n nodes, threshold t), the beacon-node mock in duty mode with fast
 * slots, n DV nodes on an in-process network (or any cluster messaging), each with its own
 * slashing-protection database, and n validator-client mocks holding the key shares.
 */
import { join } from 'node:path';
import { type CreatedCluster, createCluster, identityPublicKey } from '@dvt/cluster';
import { hexToBytes } from '@dvt/common';
import { type ClusterMessaging, DvNode, type DvNodeLogger, type DvNodeObserver, type DvNodeOptions, InProcessClusterNetwork } from '@dvt/dv';
import { type NetworkConfig, getNetwork } from '@dvt/eth2';
import { BeaconClient } from '@dvt/beacon';
import { SlashingProtectionDb } from '@dvt/slashing-protection';
import { BeaconNodeMock } from '../beacon-mock/index.js';
import { type DutyChainOptions } from '../beacon-mock/duty-chain.js';
import { ValidatorClientMock, type ValidatorClientMockOptions } from '../validator-client/index.js';

export interface SimulatedClusterOptions {
  /** default 4 */
  operators?: number;
  /** default 16 */
  validators?: number;
  /** default 1 */
  secondsPerSlot?: number;
  /** beacon mock duty-mode options (proposers default: the cluster's DVs) */
  chain?: DutyChainOptions;
  /** folder for the nodes' slashing databases (node{i}.sqlite), so restarts keep history; default in memory */
  slashingDir?: string;
  /** use a prepared cluster instead of creating one */
  cluster?: CreatedCluster;
  /** nodes left down at start (start them later with startNode) */
  offline?: readonly number[];
  /** start with the validator-client mocks (default true) */
  validatorClients?: boolean;
  /** extra options of node i's validator client */
  validatorClient?: (index: number) => Partial<ValidatorClientMockOptions>;
  logger?: (index: number) => DvNodeLogger | undefined;
  observer?: (index: number) => DvNodeObserver | undefined;
}

export class SimulatedCluster {
  readonly nodes: (DvNode | undefined)[];
  readonly validatorClients: (ValidatorClientMock | undefined)[];
  private readonly slashingDbs: (SlashingProtectionDb | undefined)[];

  private constructor(
    readonly network: NetworkConfig,
    readonly beacon: BeaconNodeMock,
    readonly cluster: CreatedCluster,
    readonly net: InProcessClusterNetwork,
    private readonly options: SimulatedClusterOptions,
  ) {
    const n = cluster.nodes.length;
    this.nodes = Array.from({ length: n }, () => undefined);
    this.validatorClients = Array.from({ length: n }, () => undefined);
    this.slashingDbs = Array.from({ length: n }, () => undefined);
  }

  /** Creates the cluster, starts the beacon mock (genesis 1–2 s from now) and every node with its validator client. */
  static async start(options: SimulatedClusterOptions = {}): Promise<SimulatedCluster> {
    const secondsPerSlot = options.secondsPerSlot ?? 1;
    const base = getNetwork('devnet');
    const cluster =
      options.cluster ??
      createCluster({
        network: base,
        operators: options.operators ?? 4,
        validators: options.validators ?? 16,
        withdrawalAddress: '0x' + '5a'.repeat(20),
        validatorType: '0x01',
        feeRecipient: '0x' + '5a'.repeat(20),
      });
    const network = getNetwork('devnet', { genesisTime: Math.floor(Date.now() / 1000) + 1, secondsPerSlot });
    const dvs = cluster.lock.distributed_validators.map((dv) => dv.distributed_public_key.toLowerCase());
    const beacon = new BeaconNodeMock({ network, dutyChain: { proposers: dvs, ...options.chain } });
    for (const pubkey of dvs) beacon.addValidator({ pubkey });
    await beacon.start();
    const sim = new SimulatedCluster(network, beacon, cluster, new InProcessClusterNetwork(cluster.nodes.length), options);
    for (let i = 0; i < cluster.nodes.length; i++) {
      if (options.offline?.includes(i)) sim.net.takeDown(i);
      else await sim.startNode(i, options.validatorClients ?? true);
    }
    return sim;
  }

  get size(): number {
    return this.cluster.nodes.length;
  }

  get threshold(): number {
    return this.cluster.lock.cluster_definition.threshold;
  }

  /** The slot running now (negative before genesis). */
  currentSlot(): number {
    return Math.floor((Date.now() / 1000 - this.network.genesisTime) / this.network.secondsPerSlot);
  }

  async untilSlot(slot: number): Promise<void> {
    const at = (this.network.genesisTime + slot * this.network.secondsPerSlot) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
  }

  /** Starts node i (again) and, by default, its validator client; `messaging` replaces the in-process network (a Byzantine wrapper, say). */
  async startNode(index: number, withValidatorClient = true, messaging?: ClusterMessaging): Promise<DvNode> {
    if (this.nodes[index]) throw new Error(`node ${index} is already running`);
    this.net.bringUp(index);
    const file = this.options.slashingDir ? join(this.options.slashingDir, `node${index}.sqlite`) : undefined;
    const slashing = SlashingProtectionDb.open({ file, genesisValidatorsRoot: this.network.genesisValidatorsRoot });
    this.slashingDbs[index] = slashing;
    const node = new DvNode(this.nodeOptions(index, { slashing, messaging: messaging ?? this.net.messaging(index) }));
    await node.start();
    this.nodes[index] = node;
    for (let peer = 0; peer < this.size; peer++) if (peer !== index) this.nodes[peer]?.peerReconnected(index);
    if (withValidatorClient) await this.startValidatorClient(index);
    return node;
  }

  /** The options node i runs with; tests build extra (e.g. Byzantine twin) nodes from them. */
  nodeOptions(index: number, overrides: Partial<DvNodeOptions> & Pick<DvNodeOptions, 'slashing'>): DvNodeOptions {
    const created = this.cluster.nodes[index]!;
    return {
      network: this.network,
      nodeIndex: index,
      threshold: this.threshold,
      validators: this.cluster.lock.distributed_validators.map((dv) => ({
        dv: dv.distributed_public_key,
        publicShares: dv.public_shares.map((share) => hexToBytes(share)),
      })),
      peers: this.cluster.nodes.map((n) => identityPublicKey(n.identityKey)),
      identityKey: created.identityKey,
      messaging: this.net.messaging(index),
      beacon: new BeaconClient({ baseUrl: this.beacon.url }),
      beaconNodeUrl: this.beacon.url,
      logger: this.options.logger?.(index),
      observer: this.options.observer?.(index),
      ...overrides,
    };
  }

  async startValidatorClient(index: number): Promise<ValidatorClientMock> {
    const node = this.nodes[index];
    if (!node) throw new Error(`node ${index} is not running`);
    const vc = new ValidatorClientMock({
      baseUrl: node.validatorApi.url,
      network: this.network,
      secretKeys: this.cluster.nodes[index]!.keyShares,
      ...this.options.validatorClient?.(index),
    });
    await vc.start();
    this.validatorClients[index] = vc;
    return vc;
  }

  /** Stops node i and its validator client, and cuts it off the network (a crash). */
  async stopNode(index: number): Promise<void> {
    this.net.takeDown(index);
    await this.validatorClients[index]?.stop();
    this.validatorClients[index] = undefined;
    await this.nodes[index]?.stop();
    this.nodes[index] = undefined;
    this.slashingDbs[index]?.close();
    this.slashingDbs[index] = undefined;
  }

  slashingDb(index: number): SlashingProtectionDb | undefined {
    return this.slashingDbs[index];
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.size; i++) await this.stopNode(i);
    await this.beacon.stop();
  }
}
