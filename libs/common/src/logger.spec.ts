import { describe, expect, it } from '@jest/globals';
import { ThrottledLogger, createJsonLogger } from './logger.js';

describe('logging', () => {
  it('writes one JSON object per line at or above the level', () => {
    const lines: string[] = [];
    const logger = createJsonLogger('info', (l) => lines.push(l), () => 0);
    logger.debug('hidden');
    logger.warn('relayer down', { retryInMs: 200 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ time: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'relayer down', retryInMs: 200 }]);
  });

  it('masks secret-looking fields, prints errors and bigints, and puts base fields on every line', () => {
    const lines: string[] = [];
    const logger = createJsonLogger('debug', (l) => lines.push(l), () => 0, { node: 2 });
    logger.info('loaded', { keystorePassword: 'hunter2', privateKey: '0xabc', exit_signature: '0x99', rawTx: '0x02f8', error: new Error('boom'), fee: 10n ** 18n, validators: 3 });
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'loaded',
      node: 2,
      keystorePassword: '[redacted]',
      privateKey: '[redacted]',
      exit_signature: '[redacted]',
      rawTx: '[redacted]',
      error: 'boom',
      fee: '1000000000000000000',
      validators: 3,
    });
    expect(lines[0]).not.toMatch(/hunter2|0xabc/);
  });

  it('throttles a repeated problem and reports how often it repeated', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new ThrottledLogger(createJsonLogger('info', (l) => lines.push(l), () => now), 1000, () => now);
    for (let i = 0; i < 5; i++) log.log('warn', 'down', 'relayer down');
    now = 1500;
    log.log('warn', 'down', 'relayer down');
    log.clear('down');
    log.log('warn', 'down', 'relayer down');
    expect(lines.map((l) => JSON.parse(l).repeated)).toEqual([undefined, 4, undefined]);
  });

  it('keeps its memory bounded when every message has a new key', () => {
    let now = 0;
    let count = 0;
    const log = new ThrottledLogger(createJsonLogger('info', () => count++), 60_000, () => now);
    for (let i = 0; i < 5000; i++) log.log('warn', `item:${i}`, 'bad item');
    now = 1;
    log.log('warn', 'item:0', 'bad item');
    expect(count).toBe(5001); // item:0 was forgotten when the map filled up, so it is logged again
    expect((log as unknown as { last: Map<string, unknown> }).last.size).toBeLessThanOrEqual(1024);
  });
});
