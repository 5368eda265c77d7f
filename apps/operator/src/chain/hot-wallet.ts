/** The transaction sender's key, from an encrypted Ethereum V3 JSON keystore; never logged. */
import { readFile } from 'node:fs/promises';
import { type Provider, Wallet } from 'ethers';
import { OperatorError } from '../errors.js';

export async function loadHotWallet(keystoreFile: string, passwordFile: string, provider?: Provider): Promise<Wallet> {
  let json: string;
  let password: string;
  try {
    json = await readFile(keystoreFile, 'utf8');
  } catch (err) {
    throw new OperatorError('WALLET_INVALID', `hot wallet keystore ${keystoreFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (WALLET_FILE)`);
  }
  try {
    password = (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new OperatorError('WALLET_INVALID', `hot wallet password file ${passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (WALLET_PASSWORD_FILE)`);
  }
  let decrypted: Wallet;
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    decrypted = new Wallet(wallet.privateKey);
  } catch (err) {
    const message = (err as Error).message;
    const reason = /password/i.test(message) ? 'wrong password' : message;
    throw new OperatorError('WALLET_INVALID', `hot wallet keystore ${keystoreFile}: ${reason}`);
  }
  return provider ? decrypted.connect(provider) : decrypted;
}
