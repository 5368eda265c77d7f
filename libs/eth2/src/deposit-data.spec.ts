import { describe, expect, it } from '@jest/globals';
import { bytesToBareHex, bytesToHex } from '@dvt/common';
import { generateSecretKey, recoverSignature, secretKeyToPublicKey, sign } from '@dvt/tbls';
import {
  DEPOSIT_CLI_VERSION,
  DepositDataError,
  type DepositDataEntry,
  type DepositDataProblem,
  assertValidDepositData,
  buildDepositData,
  depositSigningRoot,
  getNetwork,
  parseDepositDataFile,
  serializeDepositDataFile,
  validateDepositData,
  vaultWithdrawalCredentials,
} from './index.js';
import { THRESHOLD, VALIDATOR_10, VALIDATOR_11, VAULT, sharesOf } from './testdata/hoodi-vector.js';

const hoodi = getNetwork('hoodi');
const credentials = vaultWithdrawalCredentials(VAULT, '0x02');

/** The two real Hoodi deposits of the vector, signatures rebuilt from the operators' shares. */
const realInputs = [
  { pubkey: VALIDATOR_10, withdrawalCredentials: credentials, amount: 32_000_000_000 },
  { pubkey: VALIDATOR_11, withdrawalCredentials: credentials, amount: 34_000_000_000 },
].map((d) => ({ ...d, signature: recoverSignature(sharesOf(d.pubkey, 'deposit_signature'), THRESHOLD) }));
const realEntries = realInputs.map((input) => buildDepositData(hoodi, input));

function problemsOf(fn: () => unknown): readonly DepositDataProblem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DepositDataError) return err.problems;
    throw err;
  }
  throw new Error('expected a DepositDataError');
}

/** The file as JSON objects, for corrupting one field at a time. */
function rawFile(): Record<string, unknown>[] {
  return JSON.parse(serializeDepositDataFile(realEntries)) as Record<string, unknown>[];
}

describe('buildDepositData', () => {
  it('computes the known roots of the real Hoodi deposit (STAKEWISE.md §6)', () => {
    const entry = realEntries[0]!;
    expect(bytesToHex(entry.depositMessageRoot)).toBe('0xdd1ac94d99794a14bf171f25eaa104cc94174c26a9c7f6a88a3d20aadbda928c');
    expect(bytesToHex(entry.depositDataRoot)).toBe('0x617b4a3ac2a1bec3fca0ce8beacb1ffc1079b3796dd3b92571b7bf0120bb12a0');
    expect(bytesToHex(entry.forkVersion)).toBe('0x10000910');
    expect(entry.networkName).toBe('hoodi');
    expect(entry.depositCliVersion).toBe(DEPOSIT_CLI_VERSION);
  });

  it('refuses a signature that does not verify, unless told not to check', () => {
    const wrongAmount = { ...realInputs[0]!, amount: 31_000_000_000 };
    expect(problemsOf(() => buildDepositData(hoodi, wrongAmount))).toEqual([
      { index: 0, field: 'signature', message: expect.stringContaining('does not verify') },
    ]);
    expect(buildDepositData(hoodi, wrongAmount, { verifySignature: false }).amount).toBe(31_000_000_000);
    expect(() => buildDepositData(hoodi, { ...realInputs[0]!, pubkey: '0x12' })).toThrow('pubkey: expected 48 bytes, got 1');
  });
});

describe('serializeDepositDataFile', () => {
  it('writes exactly what the staking deposit CLI writes', () => {
    const e = realEntries[0]!;
    const expected =
      `[{"pubkey": "${VALIDATOR_10.slice(2)}", "withdrawal_credentials": "02${'00'.repeat(11)}${VAULT.slice(2)}", ` +
      `"amount": 32000000000, "signature": "${bytesToBareHex(e.signature)}", ` +
      `"deposit_message_root": "dd1ac94d99794a14bf171f25eaa104cc94174c26a9c7f6a88a3d20aadbda928c", ` +
      `"deposit_data_root": "617b4a3ac2a1bec3fca0ce8beacb1ffc1079b3796dd3b92571b7bf0120bb12a0", ` +
      `"fork_version": "10000910", "network_name": "hoodi", "deposit_cli_version": "2.7.0"}]`;
    expect(serializeDepositDataFile([e])).toBe(expected);
  });

  it('separates entries like Python json.dump and escapes non-ASCII the same way', () => {
    const text = serializeDepositDataFile(realEntries);
    expect(text).toMatch(/^\[\{"pubkey": "88d1.*"2\.7\.0"\}, \{"pubkey": "92c2.*"2\.7\.0"\}\]$/);
    const odd = serializeDepositDataFile([{ ...realEntries[0]!, depositCliVersion: 'v\u00e9"' }]);
    expect(odd).toContain('"deposit_cli_version": "v\\u00e9\\""');
  });

  it('round-trips through parseDepositDataFile', () => {
    expect(parseDepositDataFile(serializeDepositDataFile(realEntries))).toEqual(realEntries);
    expect(parseDepositDataFile(rawFile())).toEqual(realEntries);
  });
});

describe('validateDepositData', () => {
  it('accepts the real deposits, with and without an expected withdrawal address', () => {
    expect(validateDepositData(realEntries, hoodi)).toEqual({ valid: true, problems: [] });
    expect(validateDepositData(realEntries, hoodi, { withdrawalCredentials: bytesToHex(credentials) }).valid).toBe(true);
    expect(() => assertValidDepositData(realEntries, hoodi)).not.toThrow();
  });

  it('accepts a deposit freshly signed by a generated key on the devnet', () => {
    const devnet = getNetwork('devnet');
    const sk = generateSecretKey();
    const message = { pubkey: secretKeyToPublicKey(sk), withdrawalCredentials: credentials, amount: 32_000_000_000 };
    const entry = buildDepositData(devnet, { ...message, signature: sign(sk, depositSigningRoot(devnet, message)) });
    expect(entry.networkName).toBe('devnet');
    expect(validateDepositData([entry], devnet).valid).toBe(true);
    expect(validateDepositData([entry], hoodi).problems.map((p) => p.field)).toEqual(['fork_version', 'network_name', 'signature']);
  });

  it('reports every problem of every entry with its index', () => {
    const other = vaultWithdrawalCredentials('0x' + '11'.repeat(20), '0x02');
    const entries: DepositDataEntry[] = [
      realEntries[0]!,
      { ...realEntries[1]!, amount: 33_000_000_000 },
      { ...realEntries[0]!, networkName: 'mainnet' },
    ];
    const { valid, problems } = validateDepositData(entries, hoodi, { withdrawalCredentials: other });
    expect(valid).toBe(false);
    expect(problems.map((p) => [p.index, p.field])).toEqual([
      [0, 'withdrawal_credentials'],
      [1, 'withdrawal_credentials'],
      [1, 'deposit_message_root'],
      [1, 'deposit_data_root'],
      [1, 'signature'],
      [2, 'network_name'],
      [2, 'withdrawal_credentials'],
      [2, 'pubkey'],
    ]);
    expect(problems.find((p) => p.field === 'pubkey')!.message).toBe('same validator as entry 0');
    expect(() => assertValidDepositData(entries, hoodi)).toThrow(/entry 1 deposit_message_root: recomputed/);
  });

  it('checks the fork version and network against the network asked for', () => {
    const problems = validateDepositData(realEntries, getNetwork('mainnet')).problems;
    expect(problems.filter((p) => p.index === 0).map((p) => p.field)).toEqual(['fork_version', 'network_name', 'signature']);
    expect(problems[0]!.message).toBe("10000910 is not mainnet's genesis fork version 00000000");
  });

  it('reports a signature that is not a curve point, and a tiny amount', () => {
    const entry = { ...realEntries[0]!, signature: new Uint8Array(96).fill(0x11), amount: 1000 };
    const problems = validateDepositData([entry], hoodi).problems;
    expect(problems.find((p) => p.field === 'signature')!.message).toMatch(/^cannot be checked: /);
    expect(problems.find((p) => p.field === 'amount')!.message).toBe('1000 gwei is below the 1 ETH minimum deposit');
    const unchecked = validateDepositData([entry], hoodi, { verifySignatures: false }).problems;
    expect(unchecked.some((p) => p.field === 'signature')).toBe(false);
  });

  it('rejects malformed expected credentials', () => {
    expect(() => validateDepositData(realEntries, hoodi, { withdrawalCredentials: '0x02' })).toThrow(
      'withdrawalCredentials: expected 32 bytes, got 1',
    );
  });
});

describe('parseDepositDataFile', () => {
  it('takes hex with or without 0x', () => {
    const file = rawFile();
    file[0]!['pubkey'] = VALIDATOR_10;
    expect(parseDepositDataFile(file)[0]!.pubkey).toEqual(realEntries[0]!.pubkey);
  });

  it.each([
    ['not JSON', '[{"pubkey": ', /file: not JSON/],
    ['not an array', '{"pubkey": "00"}', /file: expected a JSON array of deposits, got object/],
    ['empty', '[]', /file: no deposits in the file/],
  ])('rejects a file that is %s', (_case, text, message) => {
    expect(() => parseDepositDataFile(text)).toThrow(DepositDataError);
    expect(() => parseDepositDataFile(text)).toThrow(message);
    expect(problemsOf(() => parseDepositDataFile(text))[0]!.index).toBe(-1);
  });

  it('reports every bad field of every entry', () => {
    const file: unknown[] = rawFile();
    const first = file[0] as Record<string, unknown>;
    delete first['deposit_data_root'];
    first['pubkey'] = 'ab'.repeat(47);
    first['amount'] = '32000000000';
    const second = file[1] as Record<string, unknown>;
    second['signature'] = 'zz' + (second['signature'] as string).slice(2);
    second['fork_version'] = 10000910;
    second['network_name'] = '';
    second['amount'] = -5;
    file.push('oops', null);
    const problems = problemsOf(() => parseDepositDataFile(file));
    expect(problems).toEqual([
      { index: 0, field: 'pubkey', message: 'expected 48 bytes, got 47' },
      { index: 0, field: 'deposit_data_root', message: 'missing' },
      { index: 0, field: 'amount', message: 'expected a positive integer of gwei, got "32000000000"' },
      { index: 1, field: 'signature', message: expect.stringMatching(/^not hex: /) },
      { index: 1, field: 'fork_version', message: 'expected a hex string, got number' },
      { index: 1, field: 'amount', message: 'expected a positive integer of gwei, got -5' },
      { index: 1, field: 'network_name', message: 'expected a non-empty string, got string ""' },
      { index: 2, field: 'entry', message: 'expected an object, got string "oops"' },
      { index: 3, field: 'entry', message: 'expected an object, got null' },
    ]);
    expect(() => parseDepositDataFile(file)).toThrow(/^deposit data: 9 problem\(s\): entry 0 pubkey: expected 48 bytes, got 47; /);
  });

  it('rejects odd-length hex, fractional amounts and a missing CLI version', () => {
    const file = rawFile();
    file[0]!['withdrawal_credentials'] = '0' + (file[0]!['withdrawal_credentials'] as string);
    file[0]!['amount'] = 32e9 + 0.5;
    delete file[1]!['deposit_cli_version'];
    expect(problemsOf(() => parseDepositDataFile(file)).map((p) => `${p.index}.${p.field}: ${p.message}`)).toEqual([
      '0.withdrawal_credentials: odd number of hex digits (65)',
      '0.amount: expected a positive integer of gwei, got 32000000000.5',
      '1.deposit_cli_version: missing',
    ]);
  });
});
