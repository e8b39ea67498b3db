import { describe, expect, it } from 'vitest';
import { TestClock } from '../../../src/infra/clock.js';
import { VERSION } from '../../../src/version.js';
import pkg from '../../../package.json' with { type: 'json' };

describe('TestClock', () => {
  it('fires timers in order only when time is advanced', () => {
    const clock = new TestClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const c = clock.setTimeout(() => fired.push('c'), 150);
    clock.clearTimeout(c);
    clock.tick(99);
    expect(fired).toEqual([]);
    clock.tick(101);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(200);
  });
});

describe('version', () => {
  it('src/version.ts matches package.json', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
