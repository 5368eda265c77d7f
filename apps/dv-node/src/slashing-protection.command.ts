/**
 * `dvt node slashing-protection import|export`: EIP-3076 interchange (v5) in and out of the
 * node's slashing-protection database.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { type Command } from 'commander';
import { getNetwork } from '@dvt/eth2';
import { SlashingProtectionDb, SlashingProtectionError } from '@dvt/slashing-protection';
import { type CommandIo } from '@dvt/common';

interface CommonOptions {
  db: string;
  file: string;
  network: string;
}

function genesisRootOf(networkName: string): string {
  return getNetwork(networkName).genesisValidatorsRoot.toLowerCase();
}

export function registerSlashingProtectionCommands(node: Command, io: CommandIo): void {
  const group = node.command('slashing-protection').description('Import or export EIP-3076 slashing-protection history');

  group
    .command('import')
    .description('Merge an EIP-3076 v5 interchange file into the node database (all or nothing)')
    .requiredOption('--db <file>', 'slashing-protection SQLite file of the node')
    .requiredOption('--file <interchange.json>', 'interchange file to import')
    .requiredOption('--network <name>', 'mainnet, hoodi, gnosis or devnet')
    .action(async (opts: CommonOptions) => {
      const genesisValidatorsRoot = genesisRootOf(opts.network);
      let text: string;
      try {
        text = await readFile(opts.file, 'utf8');
      } catch (err) {
        throw new SlashingProtectionError('INVALID_INTERCHANGE', `cannot read ${opts.file}: ${(err as Error).message}`);
      }
      const db = SlashingProtectionDb.open({ file: opts.db, genesisValidatorsRoot });
      try {
        const result = db.importInterchange(text);
        io.stdout(
          `imported ${result.validators} validator(s): ${result.blocks} new block(s), ${result.attestations} new attestation(s)`,
        );
      } finally {
        db.close();
      }
    });

  group
    .command('export')
    .description('Write the node database as an EIP-3076 v5 interchange file')
    .requiredOption('--db <file>', 'slashing-protection SQLite file of the node')
    .requiredOption('--file <out.json>', 'where to write the interchange')
    .requiredOption('--network <name>', 'mainnet, hoodi, gnosis or devnet')
    .option('--pubkey <key...>', 'export only these DV public keys')
    .action(async (opts: CommonOptions & { pubkey?: string[] }) => {
      const db = SlashingProtectionDb.open({ file: opts.db, genesisValidatorsRoot: genesisRootOf(opts.network) });
      try {
        const interchange = db.exportInterchange(opts.pubkey);
        await writeFile(opts.file, JSON.stringify(interchange, null, 2) + '\n');
        io.stdout(`exported ${interchange.data.length} validator(s) to ${opts.file}`);
      } finally {
        db.close();
      }
    });
}
