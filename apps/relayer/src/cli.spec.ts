import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { bytesToHex } from '@dvt/common';
import { getNetwork } from '@dvt/eth2';
import { generateEciesKeyPair } from '@dvt/tbls';
import { BeaconNodeMock } from '@dvt/testing';
import { registerRelayerCommand } from './cli.js';

function program(env: Record<string, string>, runUntil: () => Promise<void> = async () => undefined) {
  const out: string[] = [];
  const err: string[] = [];
  const command = new Command('dvt').exitOverride();
  registerRelayerCommand(command, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, env, runUntil);
  return { command, out, err };
}

describe('dvt relayer command', () => {
  it('fails at start naming the bad variable', async () => {
    const { command } = program({ NETWORK: 'hoodi', CONSENSUS_ENDPOINT: 'http://127.0.0.1:5052' });
    await expect(command.parseAsync(['relayer', '--port', 'x'], { from: 'user' })).rejects.toThrow(
      /RELAYER_PORT \(--port\): expected a whole number.*PROTOCOL_CONFIG_FILE \(--protocol-config-file\)/,
    );
  });

  it('starts from flags and the environment, serves, and stops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relayer-cli-'));
    const beacon = new BeaconNodeMock({ network: getNetwork('hoodi') });
    await beacon.start();
    try {
      const oracles = [1, 2].map(() => ({ public_key: bytesToHex(generateEciesKeyPair().publicKey.subarray(1)), endpoints: [] }));
      await writeFile(join(dir, 'oracles.json'), JSON.stringify({ oracles, exit_signature_recover_threshold: 2 }));
      await writeFile(join(dir, 'sidecar-token'), 'abc\n');
      let info: unknown;
      let url = '';
      const { command, out, err } = program({ NETWORK: 'hoodi', SIGNATURE_THRESHOLD: '3', LOG_LEVEL: 'warn' }, async () => {
        url = /on (http:\/\/\S+) /.exec(out[0]!)![1]!;
        info = await (await fetch(`${url}/info`)).json();
        expect((await fetch(`${url}/validators`)).status).toBe(401);
        expect((await fetch(`${url}/validators`, { headers: { authorization: 'Bearer abc' } })).status).toBe(200);
      });
      await command.parseAsync(
        [
          'relayer',
          '--port',
          '0',
          '--consensus-endpoint',
          beacon.url,
          '--protocol-config-file',
          join(dir, 'oracles.json'),
          '--sqlite-file',
          join(dir, 'db.sqlite'),
          '--sidecar-token-file',
          join(dir, 'sidecar-token'),
          '--crypto-workers',
          '0',
        ],
        { from: 'user' },
      );
      expect(info).toEqual({ network: 'hoodi', validators_manager_address: null });
      expect(err.filter((line) => JSON.parse(line).level !== 'warn')).toEqual([]);
      await expect(fetch(`${url}/info`)).rejects.toThrow();
    } finally {
      await beacon.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
