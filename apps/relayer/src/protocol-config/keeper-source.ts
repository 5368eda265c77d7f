/**
 * Protocol config from chain: the Keeper's latest ConfigUpdated(configIpfsHash) event, the JSON
 * document it names fetched from IPFS gateways (in order, first answer wins), and
 * validatorsMinOracles(). Scans logs incrementally from the last scanned block.
 */
import { type JsonRpcProvider } from 'ethers';
import { keeperContract } from '@dvt/stakewise';
import { RelayerError } from '../errors.js';
import { type ProtocolConfig, type ProtocolConfigSource, parseProtocolConfig } from './protocol-config.js';

export interface KeeperSourceOptions {
  provider: JsonRpcProvider;
  keeperAddress: string;
  fromBlock: number;
  logChunkBlocks: number;
  ipfsGateways: string[];
  ipfsTimeoutMs: number;
  fetch?: typeof fetch;
}

export class KeeperProtocolConfigSource implements ProtocolConfigSource {
  private scannedTo: number;
  private ipfsHash?: string;
  private document?: unknown;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: KeeperSourceOptions) {
    this.scannedTo = opts.fromBlock - 1;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  get description(): string {
    return `Keeper ${this.opts.keeperAddress}`;
  }

  async load(): Promise<ProtocolConfig> {
    const keeper = keeperContract(this.opts.keeperAddress, this.opts.provider);
    let head: number;
    let minOracles: bigint;
    try {
      head = await this.opts.provider.getBlockNumber();
      minOracles = (await keeper.getFunction('validatorsMinOracles').staticCall({ blockTag: head })) as bigint;
      const filter = keeper.filters.ConfigUpdated!();
      for (let from = this.scannedTo + 1; from <= head; from += this.opts.logChunkBlocks) {
        const to = Math.min(head, from + this.opts.logChunkBlocks - 1);
        const events = await keeper.queryFilter(filter, from, to);
        const last = events.at(-1);
        if (last && 'args' in last) this.ipfsHash = String(last.args[0]);
        this.scannedTo = to;
      }
    } catch (err) {
      if (err instanceof RelayerError) throw err;
      throw new RelayerError('PROTOCOL_CONFIG_UNAVAILABLE', `Keeper ${this.opts.keeperAddress}: ${(err as Error).message}`);
    }
    if (this.ipfsHash === undefined) {
      throw new RelayerError('PROTOCOL_CONFIG_UNAVAILABLE', `Keeper ${this.opts.keeperAddress}: no ConfigUpdated event since block ${this.opts.fromBlock}`);
    }
    if (this.document === undefined || this.documentHash !== this.ipfsHash) {
      this.document = await this.fetchIpfs(this.ipfsHash);
      this.documentHash = this.ipfsHash;
    }
    return parseProtocolConfig(this.document, `ipfs ${this.ipfsHash}`, Number(minOracles));
  }

  private documentHash?: string;

  private async fetchIpfs(hash: string): Promise<unknown> {
    const id = hash.replace(/^ipfs:\/\//, '').replace(/^\/?ipfs\//, '');
    const failures: string[] = [];
    for (const gateway of this.opts.ipfsGateways) {
      const url = `${gateway}/ipfs/${id}`;
      try {
        const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.opts.ipfsTimeoutMs) });
        if (!response.ok) {
          failures.push(`${url}: HTTP ${response.status}`);
          await response.body?.cancel();
          continue;
        }
        return JSON.parse(await response.text());
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}`);
      }
    }
    throw new RelayerError('PROTOCOL_CONFIG_UNAVAILABLE', `IPFS document ${id}: no gateway answered (${failures.join('; ')})`);
  }
}
