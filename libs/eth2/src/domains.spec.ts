import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { InvalidInputError, bytesToHex, concatBytes, hexToBytes } from '@dvt/common';
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_APPLICATION_BUILDER,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_DEPOSIT,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_VOLUNTARY_EXIT,
  builderRegistrationDomain,
  computeDomain,
  depositDomain,
  domainAt,
  getNetwork,
  lodestarBeaconConfig,
  voluntaryExitDomain,
} from './index.js';

const hex = (b: Uint8Array): string => bytesToHex(b);

describe('known domains (STAKEWISE.md §6)', () => {
  it('hoodi exit and deposit domains', () => {
    const hoodi = getNetwork('hoodi');
    expect(hex(voluntaryExitDomain(hoodi))).toBe('0x0400000072bbc3705de0766b1ea9cfd60f0a5cc5f2dca3b942b222e8320b035b');
    expect(hex(depositDomain(hoodi))).toBe('0x03000000719103511efa4f1362ff2a50996cccf329cc84cb410c5e5c7d351d03');
  });

  it('mainnet exit and deposit domains', () => {
    const mainnet = getNetwork('mainnet');
    expect(hex(voluntaryExitDomain(mainnet))).toBe('0x04000000bba4da96354c9f25476cf1bc69bf583a7f9e0af049305b62de676640');
    expect(hex(depositDomain(mainnet))).toBe('0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9');
  });
});

describe('computeDomain', () => {
  it('is the domain type followed by 28 bytes of sha256(version ‖ 28 zero bytes ‖ root)', () => {
    // ForkData{current_version: Bytes4, genesis_validators_root: Root}: two 32-byte chunks.
    const version = hexToBytes('0x03000064');
    const root = hexToBytes('0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47');
    const forkDataRoot = createHash('sha256').update(concatBytes(version, new Uint8Array(28), root)).digest();
    const expected = concatBytes(DOMAIN_VOLUNTARY_EXIT, forkDataRoot.subarray(0, 28));
    expect(hex(computeDomain(DOMAIN_VOLUNTARY_EXIT, version, root))).toBe(hex(expected));
    expect(hex(voluntaryExitDomain(getNetwork('gnosis')))).toBe(hex(expected));
  });

  it('accepts hex as well as bytes', () => {
    const network = getNetwork('hoodi');
    expect(computeDomain('0x04000000', network.capellaForkVersion, network.genesisValidatorsRoot)).toEqual(
      voluntaryExitDomain(network),
    );
  });

  it('rejects wrong lengths and malformed hex, naming the field', () => {
    const root = new Uint8Array(32);
    expect(() => computeDomain(new Uint8Array(3), '0x00000000', root)).toThrow(InvalidInputError);
    expect(() => computeDomain(new Uint8Array(3), '0x00000000', root)).toThrow('domainType: expected 4 bytes, got 3');
    expect(() => computeDomain(DOMAIN_DEPOSIT, '0x000000', root)).toThrow('forkVersion: expected 4 bytes, got 3');
    expect(() => computeDomain(DOMAIN_DEPOSIT, '0x0000000g', root)).toThrow('forkVersion: not hex');
    expect(() => computeDomain(DOMAIN_DEPOSIT, '0x00000000', new Uint8Array(31))).toThrow(
      'genesisValidatorsRoot: expected 32 bytes, got 31',
    );
  });
});

describe('domainAt', () => {
  const mainnet = getNetwork('mainnet');
  const lodestar = lodestarBeaconConfig(mainnet);
  const forkEpochs = mainnet.forks.map((f) => f.epoch);
  const epochs = [0, ...forkEpochs.flatMap((e) => (e > 0 ? [e - 1, e, e + 1] : [])), 500_000];

  it.each([
    ['proposer', DOMAIN_BEACON_PROPOSER],
    ['attester', DOMAIN_BEACON_ATTESTER],
    ['randao', DOMAIN_RANDAO],
    ['selection proof', DOMAIN_SELECTION_PROOF],
    ['aggregate and proof', DOMAIN_AGGREGATE_AND_PROOF],
    ['sync committee', DOMAIN_SYNC_COMMITTEE],
  ])('matches lodestar for the %s domain on both sides of every mainnet fork', (_name, type) => {
    for (const epoch of epochs) {
      const slot = epoch * mainnet.slotsPerEpoch;
      expect(hex(domainAt(mainnet, type, epoch))).toBe(hex(lodestar.getDomain(slot, type, slot)));
    }
  });

  it('signs exits with the Capella version whatever the epoch (EIP-7044)', () => {
    for (const epoch of epochs) expect(domainAt(mainnet, DOMAIN_VOLUNTARY_EXIT, epoch)).toEqual(voluntaryExitDomain(mainnet));
    const afterDeneb = 269568 * mainnet.slotsPerEpoch;
    expect(voluntaryExitDomain(mainnet)).toEqual(lodestar.getDomainForVoluntaryExit(afterDeneb));
  });

  it('uses the genesis version and a zero root for deposits and builder registrations', () => {
    const zero = new Uint8Array(32);
    expect(domainAt(mainnet, DOMAIN_DEPOSIT, 400_000)).toEqual(computeDomain(DOMAIN_DEPOSIT, '0x00000000', zero));
    const builder = computeDomain(DOMAIN_APPLICATION_BUILDER, '0x00000000', zero);
    expect(domainAt(mainnet, DOMAIN_APPLICATION_BUILDER, 400_000)).toEqual(builder);
    expect(builderRegistrationDomain(mainnet)).toEqual(builder);
    expect(hex(builder).slice(0, 10)).toBe('0x00000001');
  });

  it('uses each network’s own versions and root', () => {
    const hoodi = getNetwork('hoodi');
    expect(domainAt(hoodi, DOMAIN_BEACON_ATTESTER, 3000)).toEqual(
      computeDomain(DOMAIN_BEACON_ATTESTER, '0x60000910', hoodi.genesisValidatorsRoot),
    );
    const devnet = getNetwork('devnet', { genesisValidatorsRoot: '0x' + 'ab'.repeat(32) });
    expect(domainAt(devnet, DOMAIN_RANDAO, 0)).toEqual(computeDomain(DOMAIN_RANDAO, '0x70001337', '0x' + 'ab'.repeat(32)));
  });

  it('rejects a bad epoch or domain type', () => {
    expect(() => domainAt(mainnet, DOMAIN_RANDAO, -3)).toThrow('epoch: expected a non-negative integer, got -3');
    expect(() => domainAt(mainnet, '0x0100', 5)).toThrow('domainType: expected 4 bytes, got 2');
  });
});
