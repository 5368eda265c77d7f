/**
 * The oracles the operator asks: from a local file, or from the Keeper's latest
 * ConfigUpdated(configIpfsHash) event and the IPFS document it names. The approval threshold is
 * always the Keeper's validatorsMinOracles() (what registerValidators checks).
 */
import { readFile } from 'node:fs/promises';
import { type JsonRpcProvider } from 'ethers';
import { type OraclesConfig, keeperContract, parseOraclesConfig } from '@dvt/stakewise';
import { OperatorError, errorMessage } from '../errors.js';

export interface OraclesConfigSource {
  readonly description: string;
  load(): Promise<OraclesConfig>;
}

export class FileOraclesConfig implements OraclesConfigSource {
  constructor(
    private readonly file: string,
    private readonly provider: JsonRpcProvider,
    private readonly keeper: string,
  ) {}

  get description(): string {
    return `file ${this.file}`;
  }

  async load(): Promise<OraclesConfig> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (err) {
      throw new OperatorError('PROTOCOL_CONFIG_UNAVAILABLE', `protocol config file ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return parseOraclesConfig(json, { validatorsMinOracles: await validatorsMinOracles(this.provider, this.keeper), source: this.file });
  }
}

export interface KeeperOraclesConfigOptions {
  readonly provider: JsonRpcProvider;
  readonly keeper: string;
  readonly fromBlock: number;
  readonly logChunkBlocks: number;
  readonly ipfsGateways: readonly string[];
  readonly ipfsTimeoutMs: number;
  readonly fetch?: typeof fetch;
}

export class KeeperOraclesConfig implements OraclesConfigSource {
  private scannedTo: number;
  private ipfsHash?: string;
  private document?: { hash: string; json: unknown };

  constructor(private readonly opts: KeeperOraclesConfigOptions) {
    this.scannedTo = opts.fromBlock - 1;
  }

  get description(): string {
    return `Keeper ${this.opts.keeper}`;
  }

  async load(): Promise<OraclesConfig> {
    const minOracles = await validatorsMinOracles(this.opts.provider, this.opts.keeper);
    try {
      const keeper = keeperContract(this.opts.keeper, this.opts.provider);
      const head = await this.opts.provider.getBlockNumber();
      for (let from = this.scannedTo + 1; from <= head; from += this.opts.logChunkBlocks) {
        const to = Math.min(head, from + this.opts.logChunkBlocks - 1);
        const events = await keeper.queryFilter(keeper.filters.ConfigUpdated!(), from, to);
        const last = events.at(-1);
        if (last && 'args' in last) this.ipfsHash = String(last.args[0]);
        this.scannedTo = to;
      }
    } catch (err) {
      throw new OperatorError('PROTOCOL_CONFIG_UNAVAILABLE', `Keeper ${this.opts.keeper}: ConfigUpdated events: ${errorMessage(err)}`);
    }
    if (this.ipfsHash === undefined) {
      throw new OperatorError('PROTOCOL_CONFIG_UNAVAILABLE', `Keeper ${this.opts.keeper}: no ConfigUpdated event since block ${this.opts.fromBlock}`);
    }
    if (this.document?.hash !== this.ipfsHash) this.document = { hash: this.ipfsHash, json: await this.fetchIpfs(this.ipfsHash) };
    return parseOraclesConfig(this.document.json, { validatorsMinOracles: minOracles, source: `ipfs ${this.ipfsHash}` });
  }

  private async fetchIpfs(hash: string): Promise<unknown> {
    const id = hash.replace(/^ipfs:\/\//, '').replace(/^\/?ipfs\//, '');
    const failures: string[] = [];
    for (const gateway of this.opts.ipfsGateways) {
      const url = `${gateway}/ipfs/${id}`;
      try {
        const response = await (this.opts.fetch ?? fetch)(url, { signal: AbortSignal.timeout(this.opts.ipfsTimeoutMs) });
        if (!response.ok) {
          failures.push(`${url}: HTTP ${response.status}`);
          await response.body?.cancel();
          continue;
        }
        return JSON.parse(await response.text());
      } catch (err) {
        failures.push(`${url}: ${errorMessage(err)}`);
      }
    }
    throw new OperatorError('PROTOCOL_CONFIG_UNAVAILABLE', `IPFS document ${id}: no gateway answered (${failures.join('; ')})`);
  }
}

async function validatorsMinOracles(provider: JsonRpcProvider, keeper: string): Promise<number> {
  try {
    return Number((await keeperContract(keeper, provider).getFunction('validatorsMinOracles').staticCall()) as bigint);
  } catch (err) {
    throw new OperatorError('EXECUTION_UNAVAILABLE', `Keeper ${keeper}: validatorsMinOracles() failed: ${errorMessage(err)}`);
  }
}
