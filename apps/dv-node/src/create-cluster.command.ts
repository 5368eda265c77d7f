/**
 * `dvt create-cluster`: trusted-dealer creation of a distributed-validator cluster in the
 * Obol/Charon layout (see @dvt/cluster). Progress goes to stderr, the summary to stdout.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { InvalidInputError, type CommandIo } from '@dvt/common';
import { ClusterError, createCluster, defaultThreshold, importKeystores, nodeDirName, writeClusterFolders } from '@dvt/cluster';
import { getNetwork } from '@dvt/eth2';

interface CreateClusterCliOptions {
  nodes: string;
  threshold?: string;
  numValidators?: string;
  network: string;
  withdrawalAddress: string;
  feeRecipient: string;
  validatorType: '0x01' | '0x02';
  depositAmount: string;
  splitExistingKeys?: string;
  keystorePasswordFile?: string;
  clusterDir: string;
  name?: string;
  kdf: 'scrypt' | 'pbkdf2';
  insecureFastKdf?: boolean;
}

function parseCount(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidInputError(`${option}: expected a positive integer, got "${value}"`);
  }
  return Number(value);
}

export function registerCreateClusterCommand(program: Command, io: CommandIo): void {
  program
    .command('create-cluster')
    .description(
      'Create a distributed-validator cluster as a trusted dealer: generate (or import) validator keys, split them into ' +
        'one share per node, and write node{i}/ folders (cluster-lock.json, validator_keys/, identity key, deposit_data.json)',
    )
    .requiredOption('--nodes <n>', 'number of nodes (operators)')
    .option('--threshold <t>', 'shares needed to sign (default ceil(2n/3))')
    .option('--num-validators <k>', 'number of validator keys to generate')
    .requiredOption('--network <name>', 'mainnet, hoodi, gnosis or devnet')
    .requiredOption('--withdrawal-address <vault>', 'the vault address (withdrawal credentials)')
    .requiredOption('--fee-recipient <address>', 'fee recipient of the validators')
    .addOption(new Option('--validator-type <type>', 'withdrawal credentials prefix').choices(['0x01', '0x02']).default('0x01'))
    .option('--deposit-amount <gwei>', 'deposit per validator, gwei', '32000000000')
    .option('--split-existing-keys <dir>', 'split the EIP-2335 keystores of this directory instead of generating keys')
    .option('--keystore-password-file <file>', 'password of the keystores to split (default: each keystore-*.txt)')
    .option('--cluster-dir <dir>', 'where to write the node folders', './cluster')
    .option('--name <name>', 'cluster name')
    .addOption(new Option('--kdf <kdf>', 'key derivation of the written keystores').choices(['scrypt', 'pbkdf2']).default('scrypt'))
    .option('--insecure-fast-kdf', 'cheap keystore encryption, for tests only (keys are NOT protected)')
    .action(async (opts: CreateClusterCliOptions) => {
      const operators = parseCount(opts.nodes, '--nodes')!;
      const threshold = parseCount(opts.threshold, '--threshold');
      const validators = parseCount(opts.numValidators, '--num-validators');
      const depositAmountGwei = parseCount(opts.depositAmount, '--deposit-amount');
      if ((validators === undefined) === (opts.splitExistingKeys === undefined)) {
        throw new InvalidInputError('give exactly one of --num-validators and --split-existing-keys');
      }
      const network = getNetwork(opts.network);

      let importedKeys: Uint8Array[] | undefined;
      if (opts.splitExistingKeys !== undefined) {
        const password =
          opts.keystorePasswordFile === undefined ? undefined : (await readFile(opts.keystorePasswordFile, 'utf8')).trim();
        importedKeys = await importKeystores(opts.splitExistingKeys, {
          password,
          onKeystore: (p) => io.stderr(`decrypted ${p.done}/${p.total} ${p.file}`),
        });
      }

      let cluster;
      try {
        cluster = createCluster({
          network,
          operators,
          threshold,
          validators,
          importedKeys,
          withdrawalAddress: opts.withdrawalAddress,
          feeRecipient: opts.feeRecipient,
          validatorType: opts.validatorType,
          depositAmountGwei,
          name: opts.name,
          onValidator: (done, total) => {
            if (done === total || done % 100 === 0) io.stderr(`split ${done}/${total} validator keys into ${operators} shares`);
          },
        });
      } catch (err) {
        if (err instanceof ClusterError && err.code === 'INVALID_CLUSTER_OPTIONS') throw new InvalidInputError(err.message);
        throw err;
      } finally {
        importedKeys?.forEach((k) => k.fill(0));
      }
      if (opts.insecureFastKdf) io.stderr('warning: --insecure-fast-kdf: the keystores are NOT protected by their passwords');

      const clusterDir = resolve(opts.clusterDir);
      const started = Date.now();
      await writeClusterFolders(cluster, clusterDir, {
        kdf: opts.kdf,
        fastKdfForTests: opts.insecureFastKdf === true,
        onKeystore: (p) => {
          const seconds = (Date.now() - started) / 1000;
          const eta = p.done < p.total ? `, ~${Math.ceil((seconds / p.done) * (p.total - p.done))} s left` : '';
          io.stderr(`encrypted keystore ${p.done}/${p.total} ${p.file}${eta}`);
        },
      });
      for (const node of cluster.nodes) node.keyShares.forEach((k) => k.fill(0));

      const def = cluster.lock.cluster_definition;
      io.stdout(
        [
          `created cluster "${def.name}" in ${clusterDir}`,
          `network ${network.name}, ${def.operators.length} nodes, threshold ${def.threshold}` +
            (def.threshold === defaultThreshold(def.operators.length) ? '' : ` (default would be ${defaultThreshold(def.operators.length)})`),
          `${def.num_validators} validator(s), ${opts.validatorType} credentials for ${opts.withdrawalAddress.toLowerCase()}`,
          `lock_hash ${cluster.lock.lock_hash}`,
          `node folders: ${cluster.nodes.map((n) => nodeDirName(n.index)).join(', ')}`,
        ].join('\n'),
      );
    });
}
