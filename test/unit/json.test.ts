import { describe, expect, it } from 'vitest';
import { parseLossless, toValidatable } from '../../src/config/json.js';

describe('lossless JSON', () => {
  it('keeps integers beyond 2^53 exactly, as BigInt', () => {
    const v = parseLossless('{"a": 18446744073709551615, "b": -9223372036854775808, "c": 9007199254740991, "d": 1.5e300, "e": [1, "x", null, true]}') as any;
    expect(v.a).toBe(18446744073709551615n);
    expect(v.b).toBe(-9223372036854775808n);
    expect(v.c).toBe(9007199254740991);
    expect(v.d).toBe(1.5e300);
    expect(v.e).toEqual([1, 'x', null, true]);
  });
  it('decodes strings with escapes on the slow path', () => {
    const v = parseLossless('{"s": "a\\"b\\\\c\\u00e9\\n", "n": 12345678901234567890}') as any;
    expect(v.s).toBe('a"b\\cé\n');
  });
  it('uses JSON.parse results when nothing is long', () => {
    expect(parseLossless('{"a": 1}')).toEqual({ a: 1 });
  });
  it('reports syntax errors with a position', () => {
    expect(() => parseLossless('{"a": 12345678901234567890,}')).toThrow(/position/);
    expect(() => parseLossless('{"a": 1')).toThrow();
  });
  it('makes a Number copy for validation', () => {
    expect(toValidatable({ a: [10n] })).toEqual({ a: [10] });
  });
});
