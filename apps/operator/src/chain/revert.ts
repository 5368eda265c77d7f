import { type CallExceptionError, type Interface } from 'ethers';
import { contractInterface } from '@dvt/stakewise';

let interfaces: Interface[] | undefined;

/** Names why a call reverted: the vault's / Keeper's / deposit contract's custom error, Error(string) or the raw data. */
export function decodeRevert(err: CallExceptionError): string {
  if (err.revert) return err.revert.name === 'Error' ? String(err.revert.args[0]) : err.revert.name;
  const data = err.data;
  if (data && data !== '0x') {
    interfaces ??= [contractInterface('EthVault'), contractInterface('Keeper'), contractInterface('DepositContract')];
    for (const iface of interfaces) {
      try {
        const parsed = iface.parseError(data);
        if (parsed) return parsed.name === 'Panic' ? `Panic(${String(parsed.args[0])})` : parsed.name;
      } catch {
        // not this contract's error
      }
    }
    return `revert data ${data.slice(0, 74)}`;
  }
  return err.shortMessage ?? err.message;
}
