import { concatBytes, equalBytes } from '@dvt/common';
import {
  DOMAIN_APPLICATION_BUILDER,
  DOMAIN_DEPOSIT,
  DOMAIN_VOLUNTARY_EXIT,
  ForkName,
} from '@lodestar/params';
import { ssz } from '@lodestar/types';
import { type BytesInput, toBytes } from './input.js';
import { type NetworkConfig, forkAtEpoch } from './networks.js';

const ZERO_ROOT = new Uint8Array(32);

/** Spec `compute_fork_data_root`. */
export function computeForkDataRoot(forkVersion: BytesInput, genesisValidatorsRoot: BytesInput): Uint8Array {
  return ssz.phase0.ForkData.hashTreeRoot({
    currentVersion: toBytes(forkVersion, 'forkVersion', 4),
    genesisValidatorsRoot: toBytes(genesisValidatorsRoot, 'genesisValidatorsRoot', 32),
  });
}

/** Spec `compute_domain`: domain type (4) ‖ first 28 bytes of the fork data root. */
export function computeDomain(
  domainType: BytesInput,
  forkVersion: BytesInput,
  genesisValidatorsRoot: BytesInput,
): Uint8Array {
  const type = toBytes(domainType, 'domainType', 4);
  return concatBytes(type, computeForkDataRoot(forkVersion, genesisValidatorsRoot).subarray(0, 28));
}

/** Exit domain per EIP-7044: Capella fork version, so a signed exit stays valid after later forks. */
export function voluntaryExitDomain(network: NetworkConfig): Uint8Array {
  return computeDomain(DOMAIN_VOLUNTARY_EXIT, network.capellaForkVersion, network.genesisValidatorsRoot);
}

/** Deposit domain: genesis fork version and a zero root (deposits are valid before genesis). */
export function depositDomain(network: NetworkConfig): Uint8Array {
  return computeDomain(DOMAIN_DEPOSIT, network.genesisForkVersion, ZERO_ROOT);
}

/** Builder API domain for validator registrations: genesis fork version and a zero root. */
export function builderRegistrationDomain(network: NetworkConfig): Uint8Array {
  return computeDomain(DOMAIN_APPLICATION_BUILDER, network.genesisForkVersion, ZERO_ROOT);
}

/**
 * The domain a message of `domainType` for `epoch` is signed with: the fork version active at
 * that epoch and the network's genesis validators root — except deposits and builder
 * registrations (genesis version, zero root) and voluntary exits, which a chain that has
 * scheduled Deneb (every supported network) verifies with the Capella version (EIP-7044).
 */
export function domainAt(network: NetworkConfig, domainType: BytesInput, epoch: number): Uint8Array {
  const type = toBytes(domainType, 'domainType', 4);
  if (equalBytes(type, DOMAIN_DEPOSIT)) return depositDomain(network);
  if (equalBytes(type, DOMAIN_APPLICATION_BUILDER)) return builderRegistrationDomain(network);
  const fork = forkAtEpoch(network, epoch);
  if (equalBytes(type, DOMAIN_VOLUNTARY_EXIT) && network.forks.some((f) => f.name === ForkName.deneb)) {
    return voluntaryExitDomain(network);
  }
  return computeDomain(type, fork.version, network.genesisValidatorsRoot);
}
