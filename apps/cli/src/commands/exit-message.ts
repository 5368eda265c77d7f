import { type Command } from 'commander';
import { bytesToHex } from '@dvt/common';
import { getNetwork, voluntaryExitSigningData } from '@dvt/eth2';
import { type CliIo } from '../io.js';
import { parseUint } from './parse.js';

export function registerExitMessage(program: Command, io: CliIo, _setExitCode: (code: number) => void): void {
  program
    .command('exit-message')
    .description('Print the VoluntaryExit message of a validator with its EIP-7044 domain and signing root, as JSON')
    .requiredOption('--network <name>', 'mainnet, hoodi, gnosis or devnet')
    .requiredOption('--validator-index <index>', 'beacon-chain validator index')
    .option('--epoch <epoch>', "exit epoch (default: the network's Capella fork epoch, as StakeWise signs)")
    .action((opts: { network: string; validatorIndex: string; epoch?: string }) => {
      const network = getNetwork(opts.network);
      const validatorIndex = parseUint(opts.validatorIndex, '--validator-index');
      const epoch = opts.epoch === undefined ? undefined : parseUint(opts.epoch, '--epoch');
      const exit = voluntaryExitSigningData(network, validatorIndex, epoch);
      io.stdout(
        JSON.stringify(
          {
            network: network.name,
            message: { epoch: String(exit.message.epoch), validator_index: String(exit.message.validator_index) },
            fork_version: network.capellaForkVersion,
            genesis_validators_root: network.genesisValidatorsRoot,
            domain: exit.domain,
            signing_root: bytesToHex(exit.signingRoot),
          },
          null,
          2,
        ),
      );
    });
}
