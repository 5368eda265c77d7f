import { bytesToHex, hexToBytes } from '@dvt/common';
import { type BeaconConfig, type ChainConfig, createBeaconConfig, createForkConfig } from '@lodestar/config';
import { genesisData, gnosisChainConfig, hoodiChainConfig, mainnetChainConfig } from '@lodestar/config/networks';
import { ACTIVE_PRESET, type ForkName, PresetName } from '@lodestar/params';
import { gnosisPreset } from '@lodestar/params/presets/gnosis';
import { mainnetPreset } from '@lodestar/params/presets/mainnet';
import { parseExecutionAddress } from './address.js';
import { Eth2Error } from './errors.js';
import { assertUint } from './input.js';

export const NETWORK_NAMES = ['mainnet', 'hoodi', 'gnosis', 'devnet'] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

/** A hard fork the network has scheduled (finite epoch), oldest first. Versions are 0x hex. */
export interface ScheduledFork {
  readonly name: ForkName;
  readonly version: string;
  readonly epoch: number;
}

/**
 * Everything the suite needs to know about a beacon chain. Byte values are lowercase 0x hex so the
 * object can be shared and frozen; times are unix seconds.
 */
export interface NetworkConfig {
  readonly name: NetworkName;
  /** Execution-layer chain id (EIP-155), also the deposit chain id. */
  readonly chainId: number;
  readonly genesisForkVersion: string;
  readonly genesisValidatorsRoot: string;
  readonly genesisTime: number;
  readonly secondsPerSlot: number;
  readonly slotsPerEpoch: number;
  readonly capellaForkVersion: string;
  readonly capellaForkEpoch: number;
  /** EIP-55 checksum address. */
  readonly depositContractAddress: string;
  /** `network_name` written into deposit_data.json. */
  readonly depositNetworkName: string;
  /** The @lodestar/params preset whose SSZ list limits the network uses. */
  readonly preset: PresetName;
  readonly forks: readonly ScheduledFork[];
  /** The lodestar chain config (fork schedule, timing, deposit contract) for this network. */
  readonly chainConfig: Readonly<ChainConfig>;
}

/** Settings a local devnet may replace; the public networks accept none. */
export interface DevnetOverrides {
  genesisTime?: number;
  secondsPerSlot?: number;
  depositContractAddress?: string;
  genesisValidatorsRoot?: string;
  chainId?: number;
}

/**
 * The suite's local devnet defaults. Fork versions are the 0x?0001337 family (phase0 0x10001337,
 * altair 0x20001337, … fulu 0x70001337), every fork through Fulu active at epoch 0. The genesis
 * validators root is sha256("dvt-suite devnet genesis validators root v1"); a real local beacon
 * chain has its own and passes it as an override. 0x4242…42 is the customary devnet deposit
 * contract address (genesis predeploy); override it with where the local chain deployed it.
 */
export const DEVNET_DEFAULTS = Object.freeze({
  chainId: 1337,
  genesisTime: 1_735_689_600, // 2025-01-01T00:00:00Z
  secondsPerSlot: 12,
  genesisValidatorsRoot: '0xa979a325fdafc469c6d3521ff524efa203c7777cd9e747b2ce446f938c6c8b47',
  depositContractAddress: '0x4242424242424242424242424242424242424242',
  forkVersionSuffix: '001337',
});

const DEVNET_OVERRIDE_KEYS: ReadonlySet<string> = new Set([
  'genesisTime',
  'secondsPerSlot',
  'depositContractAddress',
  'genesisValidatorsRoot',
  'chainId',
]);

const PRESET_SLOTS_PER_EPOCH: Readonly<Record<string, number>> = {
  [PresetName.mainnet]: mainnetPreset.SLOTS_PER_EPOCH,
  [PresetName.gnosis]: gnosisPreset.SLOTS_PER_EPOCH,
};

export function isNetworkName(name: unknown): name is NetworkName {
  return typeof name === 'string' && (NETWORK_NAMES as readonly string[]).includes(name);
}

const publicNetworks = new Map<NetworkName, NetworkConfig>();

/**
 * The configuration of a named network. Only `devnet` takes overrides; anything else passed to a
 * public network, an unknown override key or an invalid value throws INVALID_NETWORK_OVERRIDE.
 */
export function getNetwork(name: string, overrides?: DevnetOverrides): NetworkConfig {
  if (!isNetworkName(name)) {
    throw new Eth2Error(
      'UNKNOWN_NETWORK',
      `unknown network ${JSON.stringify(name)}; valid networks: ${NETWORK_NAMES.join(', ')}`,
      { name, valid: [...NETWORK_NAMES] },
    );
  }
  if (name === 'devnet') return buildDevnet(overrides ?? {});
  if (overrides !== undefined && Object.keys(overrides).length > 0) {
    throw new Eth2Error('INVALID_NETWORK_OVERRIDE', `network ${name} is public: its settings cannot be overridden`, {
      name,
    });
  }
  let network = publicNetworks.get(name);
  if (network === undefined) {
    network = buildPublic(name);
    publicNetworks.set(name, network);
  }
  return network;
}

function buildPublic(name: Exclude<NetworkName, 'devnet'>): NetworkConfig {
  const chainConfig = { mainnet: mainnetChainConfig, hoodi: hoodiChainConfig, gnosis: gnosisChainConfig }[name];
  const genesis = genesisData[name];
  return assemble(name, chainConfig, genesis.genesisTime, genesis.genesisValidatorsRoot);
}

function buildDevnet(overrides: DevnetOverrides): NetworkConfig {
  if (typeof overrides !== 'object' || overrides === null) {
    throw new Eth2Error('INVALID_NETWORK_OVERRIDE', 'devnet overrides: expected an object');
  }
  for (const key of Object.keys(overrides)) {
    if (!DEVNET_OVERRIDE_KEYS.has(key)) {
      throw new Eth2Error(
        'INVALID_NETWORK_OVERRIDE',
        `devnet overrides: unknown setting ${JSON.stringify(key)}; allowed: ${[...DEVNET_OVERRIDE_KEYS].join(', ')}`,
        { key },
      );
    }
  }
  const genesisTime = overrideInteger(overrides.genesisTime, 'genesisTime', DEVNET_DEFAULTS.genesisTime, 0);
  const secondsPerSlot = overrideInteger(overrides.secondsPerSlot, 'secondsPerSlot', DEVNET_DEFAULTS.secondsPerSlot, 1);
  const chainId = overrideInteger(overrides.chainId, 'chainId', DEVNET_DEFAULTS.chainId, 1);
  const depositContract = overrideValue('depositContractAddress', () =>
    parseExecutionAddress(overrides.depositContractAddress ?? DEVNET_DEFAULTS.depositContractAddress, 'depositContractAddress'),
  );
  const genesisValidatorsRoot = overrideValue('genesisValidatorsRoot', () =>
    bytesToHex(hexToBytes(overrides.genesisValidatorsRoot ?? DEVNET_DEFAULTS.genesisValidatorsRoot, 'genesisValidatorsRoot', 32)),
  );

  const version = (major: number): Uint8Array => hexToBytes(`${major}0${DEVNET_DEFAULTS.forkVersionSuffix}`);
  const chainConfig: ChainConfig = {
    ...mainnetChainConfig,
    CONFIG_NAME: 'devnet',
    MIN_GENESIS_TIME: genesisTime,
    GENESIS_DELAY: 0,
    GENESIS_FORK_VERSION: version(1),
    ALTAIR_FORK_VERSION: version(2),
    ALTAIR_FORK_EPOCH: 0,
    BELLATRIX_FORK_VERSION: version(3),
    BELLATRIX_FORK_EPOCH: 0,
    TERMINAL_TOTAL_DIFFICULTY: 0n,
    CAPELLA_FORK_VERSION: version(4),
    CAPELLA_FORK_EPOCH: 0,
    DENEB_FORK_VERSION: version(5),
    DENEB_FORK_EPOCH: 0,
    ELECTRA_FORK_VERSION: version(6),
    ELECTRA_FORK_EPOCH: 0,
    FULU_FORK_VERSION: version(7),
    FULU_FORK_EPOCH: 0,
    GLOAS_FORK_VERSION: version(8),
    GLOAS_FORK_EPOCH: Infinity,
    SECONDS_PER_SLOT: secondsPerSlot,
    SLOT_DURATION_MS: secondsPerSlot * 1000,
    DEPOSIT_CHAIN_ID: chainId,
    DEPOSIT_NETWORK_ID: chainId,
    DEPOSIT_CONTRACT_ADDRESS: hexToBytes(depositContract),
    BLOB_SCHEDULE: [],
  };
  return assemble('devnet', chainConfig, genesisTime, genesisValidatorsRoot);
}

function assemble(name: NetworkName, chainConfig: ChainConfig, genesisTime: number, gvr: string): NetworkConfig {
  const forks = createForkConfig(chainConfig)
    .forksAscendingEpochOrder.filter((f) => Number.isFinite(f.epoch))
    .map((f) => Object.freeze({ name: f.name, version: bytesToHex(f.version), epoch: f.epoch }));
  const capella = forks.find((f) => f.name === 'capella');
  const slotsPerEpoch = PRESET_SLOTS_PER_EPOCH[chainConfig.PRESET_BASE];
  if (capella === undefined || slotsPerEpoch === undefined) {
    throw new Eth2Error('UNSUPPORTED_FORK', `network ${name}: needs Capella scheduled and a mainnet or gnosis preset`);
  }
  return Object.freeze({
    name,
    chainId: chainConfig.DEPOSIT_CHAIN_ID,
    genesisForkVersion: bytesToHex(chainConfig.GENESIS_FORK_VERSION),
    genesisValidatorsRoot: gvr.toLowerCase(),
    genesisTime,
    secondsPerSlot: chainConfig.SLOT_DURATION_MS / 1000,
    slotsPerEpoch,
    capellaForkVersion: capella.version,
    capellaForkEpoch: capella.epoch,
    depositContractAddress: parseExecutionAddress(bytesToHex(chainConfig.DEPOSIT_CONTRACT_ADDRESS), 'depositContractAddress'),
    depositNetworkName: name,
    preset: chainConfig.PRESET_BASE as PresetName,
    forks: Object.freeze(forks),
    chainConfig: Object.freeze({ ...chainConfig }),
  });
}

const beaconConfigs = new WeakMap<NetworkConfig, BeaconConfig>();

/**
 * Lodestar's BeaconConfig (fork schedule helpers, fork digests) for the network. Lodestar builds
 * SSZ types for one preset per process (LODESTAR_PRESET), so a network with another preset
 * (gnosis in a mainnet process) throws PRESET_MISMATCH rather than give wrong answers.
 */
export function lodestarBeaconConfig(network: NetworkConfig): BeaconConfig {
  assertActivePreset(network, 'a lodestar BeaconConfig');
  let config = beaconConfigs.get(network);
  if (config === undefined) {
    config = createBeaconConfig(network.chainConfig, hexToBytes(network.genesisValidatorsRoot));
    beaconConfigs.set(network, config);
  }
  return config;
}

export function assertActivePreset(network: NetworkConfig, what: string): void {
  if (network.preset !== ACTIVE_PRESET) {
    throw new Eth2Error(
      'PRESET_MISMATCH',
      `${what} for ${network.name} needs the ${network.preset} preset but this process runs ${ACTIVE_PRESET} (set LODESTAR_PRESET=${network.preset})`,
      { network: network.name, preset: network.preset, activePreset: ACTIVE_PRESET },
    );
  }
}

/** The fork active at `epoch` (the last scheduled fork whose epoch is ≤ `epoch`). */
export function forkAtEpoch(network: NetworkConfig, epoch: number): ScheduledFork {
  assertUint(epoch, 'epoch');
  let active = network.forks[0]!;
  for (const fork of network.forks) {
    if (fork.epoch <= epoch) active = fork;
  }
  return active;
}


function overrideInteger(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Eth2Error(
      'INVALID_NETWORK_OVERRIDE',
      `devnet overrides: ${field} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`,
      { field },
    );
  }
  return value;
}

function overrideValue<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Eth2Error('INVALID_NETWORK_OVERRIDE', `devnet overrides: ${reason}`, { field });
  }
}
