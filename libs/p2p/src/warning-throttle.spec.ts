import { describe, expect, it } from '@jest/globals';
import { WarningThrottle } from './warning-throttle.js';

describe('WarningThrottle', () => {
  it('logs once per interval per key and reports what it suppressed', () => {
    const logged: [string, Record<string, unknown> | undefined][] = [];
    let now = 0;
    const throttle = new WarningThrottle({ debug: () => {}, warn: (m, d) => logged.push([m, d]) }, 1000, () => now);
    throttle.warn('a', 'first a', { peer: 1 });
    throttle.warn('a', 'second a');
    throttle.warn('b', 'first b');
    now = 999;
    throttle.warn('a', 'third a');
    now = 1000;
    throttle.warn('a', 'fourth a', { peer: 1 });
    throttle.warn('a', 'fifth a');
    expect(logged).toEqual([
      ['first a', { peer: 1 }],
      ['first b', {}],
      ['fourth a', { peer: 1, suppressedSinceLastWarning: 2 }],
    ]);
  });
});
