import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Eth2Error, getNetwork, forkAtEpoch, lodestarBeaconConfig, NETWORK_NAMES, DEVNET_DEFAULTS } from './index.js';

/** STAKEWISE.md §2, the table every public network must match. */
const TABLE = {
  mainnet: {
    genesisForkVersion: '0x00000000',
    capellaForkVersion: '0x03000000',
    capellaForkEpoch: 194048,
    genesisValidatorsRoot: '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95',
    chainId: 1,
  },
  hoodi: {
    genesisForkVersion: '0x10000910',
    capellaForkVersion: '0x40000910',
    capellaForkEpoch: 0,
    genesisValidatorsRoot: '0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f',
    chainId: 560048,
  },
  gnosis: {
    genesisForkVersion: '0x00000064',
    capellaForkVersion: '0x03000064',
    capellaForkEpoch: 648704,
    genesisValidatorsRoot: '0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47',
    chainId: 100,
  },
} as const;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as Eth2Error).code;
  }
  return undefined;
}

describe('public networks', () => {
  it.each(Object.entries(TABLE))('%s matches the STAKEWISE.md table', (name, row) => {
    const network = getNetwork(name);
    expect(network).toMatchObject({ name, ...row });
  });

  it('has the timing, presets and deposit contracts of the real chains', () => {
    const [mainnet, hoodi, gnosis] = (['mainnet', 'hoodi', 'gnosis'] as const).map((n) => getNetwork(n));
    expect([mainnet!.slotsPerEpoch, hoodi!.slotsPerEpoch, gnosis!.slotsPerEpoch]).toEqual([32, 32, 16]);
    expect([mainnet!.secondsPerSlot, hoodi!.secondsPerSlot, gnosis!.secondsPerSlot]).toEqual([12, 12, 5]);
    expect([mainnet!.genesisTime, hoodi!.genesisTime, gnosis!.genesisTime]).toEqual([1606824023, 1742213400, 1638993340]);
    expect(mainnet!.depositContractAddress).toBe('0x00000000219ab540356cBB839Cbe05303d7705Fa');
    expect(hoodi!.depositContractAddress).toBe('0x00000000219ab540356cBB839Cbe05303d7705Fa');
    expect(gnosis!.depositContractAddress).toBe('0x0B98057eA310F4d31F2a452B414647007d1645d9');
    expect(gnosis!.preset).toBe('gnosis');
    expect(mainnet!.depositNetworkName).toBe('mainnet');
  });

  it('lists scheduled forks oldest first, phase0 at the genesis version, through Fulu', () => {
    for (const name of ['mainnet', 'hoodi', 'gnosis']) {
      const network = getNetwork(name);
      const names = network.forks.map((f) => f.name);
      expect(names).toEqual(['phase0', 'altair', 'bellatrix', 'capella', 'deneb', 'electra', 'fulu']);
      expect(network.forks[0]).toEqual({ name: 'phase0', version: network.genesisForkVersion, epoch: 0 });
      const epochs = network.forks.map((f) => f.epoch);
      expect([...epochs].sort((a, b) => a - b)).toEqual(epochs);
      expect(network.forks.find((f) => f.name === 'capella')!.version).toBe(network.capellaForkVersion);
    }
    expect(getNetwork('mainnet').forks.find((f) => f.name === 'electra')).toEqual({
      name: 'electra',
      version: '0x05000000',
      epoch: 364032,
    });
  });

  it('returns one frozen object per public network', () => {
    const hoodi = getNetwork('hoodi');
    expect(getNetwork('hoodi')).toBe(hoodi);
    expect(Object.isFrozen(hoodi)).toBe(true);
    expect(Object.isFrozen(hoodi.forks)).toBe(true);
  });

  it('finds the fork active at an epoch', () => {
    const mainnet = getNetwork('mainnet');
    expect(forkAtEpoch(mainnet, 0).name).toBe('phase0');
    expect(forkAtEpoch(mainnet, 194047).name).toBe('bellatrix');
    expect(forkAtEpoch(mainnet, 194048).name).toBe('capella');
    expect(forkAtEpoch(mainnet, 10_000_000).name).toBe('fulu');
    expect(forkAtEpoch(getNetwork('hoodi'), 0).name).toBe('deneb');
    expect(codeOf(() => forkAtEpoch(mainnet, -1))).toBe('INVALID_INTEGER');
    expect(codeOf(() => forkAtEpoch(mainnet, 1.5))).toBe('INVALID_INTEGER');
  });

  it('rejects an unknown network, naming the valid ones', () => {
    expect(() => getNetwork('holesky')).toThrow(Eth2Error);
    expect(() => getNetwork('holesky')).toThrow('unknown network "holesky"; valid networks: mainnet, hoodi, gnosis, devnet');
    expect(codeOf(() => getNetwork('Mainnet'))).toBe('UNKNOWN_NETWORK');
    expect(NETWORK_NAMES).toEqual(['mainnet', 'hoodi', 'gnosis', 'devnet']);
  });

  it('refuses overrides of a public network', () => {
    expect(codeOf(() => getNetwork('mainnet', { genesisTime: 5 }))).toBe('INVALID_NETWORK_OVERRIDE');
    expect(getNetwork('mainnet', {})).toBe(getNetwork('mainnet'));
  });
});

describe('devnet', () => {
  it('has every fork through Fulu at epoch 0 and its own fork-version family', () => {
    const devnet = getNetwork('devnet');
    expect(devnet.forks.map((f) => [f.name, f.version, f.epoch])).toEqual([
      ['phase0', '0x10001337', 0],
      ['altair', '0x20001337', 0],
      ['bellatrix', '0x30001337', 0],
      ['capella', '0x40001337', 0],
      ['deneb', '0x50001337', 0],
      ['electra', '0x60001337', 0],
      ['fulu', '0x70001337', 0],
    ]);
    expect(devnet).toMatchObject({
      chainId: 1337,
      genesisForkVersion: '0x10001337',
      capellaForkVersion: '0x40001337',
      capellaForkEpoch: 0,
      slotsPerEpoch: 32,
      secondsPerSlot: 12,
      genesisTime: DEVNET_DEFAULTS.genesisTime,
      depositContractAddress: '0x4242424242424242424242424242424242424242',
      depositNetworkName: 'devnet',
    });
    const publicVersions = ['mainnet', 'hoodi', 'gnosis'].flatMap((n) => getNetwork(n).forks.map((f) => f.version));
    for (const fork of devnet.forks) expect(publicVersions).not.toContain(fork.version);
  });

  it('derives its default genesis validators root from a documented tag', () => {
    const expected = createHash('sha256').update('dvt-suite devnet genesis validators root v1').digest('hex');
    expect(getNetwork('devnet').genesisValidatorsRoot).toBe(`0x${expected}`);
  });

  it('applies overrides to the config and to the lodestar chain config', () => {
    const devnet = getNetwork('devnet', {
      genesisTime: 1_800_000_000,
      secondsPerSlot: 2,
      depositContractAddress: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
      genesisValidatorsRoot: '0x' + '11'.repeat(32),
      chainId: 31337,
    });
    expect(devnet).toMatchObject({
      genesisTime: 1_800_000_000,
      secondsPerSlot: 2,
      depositContractAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      genesisValidatorsRoot: '0x' + '11'.repeat(32),
      chainId: 31337,
    });
    expect(devnet.chainConfig.SLOT_DURATION_MS).toBe(2000);
    expect(devnet.chainConfig.DEPOSIT_CHAIN_ID).toBe(31337);
    expect(devnet.chainConfig.MIN_GENESIS_TIME).toBe(1_800_000_000);
  });

  it.each([
    [{ genesisTime: -1 }, /genesisTime must be an integer ≥ 0/],
    [{ genesisTime: 1.5 }, /genesisTime/],
    [{ secondsPerSlot: 0 }, /secondsPerSlot must be an integer ≥ 1/],
    [{ chainId: '1337' }, /chainId/],
    [{ depositContractAddress: '0x1234' }, /depositContractAddress: not an address/],
    [{ depositContractAddress: '0x5FbDB2315678afecb367f032d93F642f64180aA3' }, /bad EIP-55 checksum/],
    [{ genesisValidatorsRoot: '0x1234' }, /genesisValidatorsRoot: expected 32 bytes, got 2/],
    [{ genesisValidatorsRoot: 'zz' }, /genesisValidatorsRoot: not hex/],
    [{ slotsPerEpoch: 8 }, /unknown setting "slotsPerEpoch"/],
  ])('rejects the bad override %j', (overrides, message) => {
    const build = (): unknown => getNetwork('devnet', overrides as never);
    expect(codeOf(build)).toBe('INVALID_NETWORK_OVERRIDE');
    expect(build).toThrow(message);
  });
});

describe('lodestarBeaconConfig', () => {
  it('builds lodestar configs that agree with ours', () => {
    for (const name of ['mainnet', 'hoodi', 'devnet']) {
      const network = getNetwork(name);
      const config = lodestarBeaconConfig(network);
      expect('0x' + Buffer.from(config.genesisValidatorsRoot).toString('hex')).toBe(network.genesisValidatorsRoot);
      expect(config.forksAscendingEpochOrder.filter((f) => Number.isFinite(f.epoch)).map((f) => f.name)).toEqual(
        network.forks.map((f) => f.name),
      );
    }
    const hoodi = getNetwork('hoodi');
    expect(lodestarBeaconConfig(hoodi)).toBe(lodestarBeaconConfig(hoodi));
  });

  it('refuses a network whose preset is not the active one', () => {
    const gnosis = getNetwork('gnosis');
    expect(codeOf(() => lodestarBeaconConfig(gnosis))).toBe('PRESET_MISMATCH');
    expect(() => lodestarBeaconConfig(gnosis)).toThrow(/LODESTAR_PRESET=gnosis/);
  });
});
