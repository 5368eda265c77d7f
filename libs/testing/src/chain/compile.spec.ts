import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { compileTestContracts, findRepositoryRoot } from './compile.js';

const scratch = mkdtempSync(join(tmpdir(), 'dvt-compile-'));
const stubs = join(scratch, 'stubs');
mkdirSync(stubs);
// minimal stand-ins with the three names the compiler step requires; fast to compile
writeFileSync(
  join(stubs, 'Stubs.sol'),
  `// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.22;
contract DepositContract { function f() external pure returns (uint256) { return 1; } }
contract Keeper { function g() external pure returns (uint256) { return 2; } }
contract EthVault { function h() external pure returns (uint256) { return 3; } }
`,
);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('compileTestContracts', () => {
  it('finds the repository (libs/testing/contracts) from this module, and nothing above the file-system root', () => {
    expect(readdirSync(join(findRepositoryRoot(), 'libs', 'testing', 'contracts'))).toContain('EthVault.sol');
    expect(() => findRepositoryRoot('/')).toThrow(/no libs\/testing\/contracts above/);
  });

  it('compiles, writes the artifacts to <cache>/<source hash>.json, and reads them back from there', async () => {
    const cacheDir = join(scratch, 'cache-a');
    const compiled = await compileTestContracts({ contractsDir: stubs, cacheDir });
    expect(compiled.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(compiled.contracts.EthVault.bytecode).toMatch(/^0x[0-9a-f]+$/);
    expect(compiled.contracts.Keeper.abi.map((entry) => entry.name)).toEqual(['g']);
    const file = join(cacheDir, `${compiled.sourceHash}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(compiled);

    // a cache entry is trusted as it is: a marked copy in another cache folder comes back unchanged
    const cacheB = join(scratch, 'cache-b');
    cpSync(cacheDir, cacheB, { recursive: true });
    const marked = { ...compiled, warnings: ['from the cache'] };
    writeFileSync(join(cacheB, `${compiled.sourceHash}.json`), JSON.stringify(marked));
    await expect(compileTestContracts({ contractsDir: stubs, cacheDir: cacheB })).resolves.toEqual(marked);
  });

  it('recompiles over a truncated cache entry', async () => {
    const first = await compileTestContracts({ contractsDir: stubs, cacheDir: null });
    const cacheC = join(scratch, 'cache-c');
    mkdirSync(cacheC);
    const file = join(cacheC, `${first.sourceHash}.json`);
    writeFileSync(file, '{"sourceHash":');
    await expect(compileTestContracts({ contractsDir: stubs, cacheDir: cacheC })).resolves.toEqual(first);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first);
  });

  it('reports a missing or empty contracts folder', async () => {
    await expect(compileTestContracts({ contractsDir: join(scratch, 'absent'), cacheDir: null })).rejects.toMatchObject({
      code: 'CONTRACTS_NOT_FOUND',
    });
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    await expect(compileTestContracts({ contractsDir: empty, cacheDir: null })).rejects.toMatchObject({
      code: 'CONTRACTS_NOT_FOUND',
      message: expect.stringMatching(/no \.sol files/),
    });
  });

  it('reports solc errors with their messages', async () => {
    const broken = join(scratch, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'Broken.sol'), 'pragma solidity ^0.8.22;\ncontract Keeper { function f( }\n');
    await expect(compileTestContracts({ contractsDir: broken, cacheDir: null })).rejects.toMatchObject({
      code: 'COMPILATION_FAILED',
      message: expect.stringMatching(/ParserError/),
    });
  });

  it('reports sources that lack one of the required contracts', async () => {
    const partial = join(scratch, 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'Only.sol'), 'pragma solidity ^0.8.22;\ncontract DepositContract {}\n');
    await expect(compileTestContracts({ contractsDir: partial, cacheDir: null })).rejects.toMatchObject({
      code: 'COMPILATION_FAILED',
      message: expect.stringMatching(/no deployable contract Keeper/),
    });
  });
});
