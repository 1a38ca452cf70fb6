// Command-line values to a PruneConfig: the flags' own syntax (percentages, nm:N:M, pattern=value)
// and the messages that name the flag. The library's checks of the result are tested in test/model.
import { describe, expect, it } from 'vitest';
import { configFromFlags, parseConfigFile, parseMethod, parseOverride, parseSparsity, type PruneFlags } from '../../src/cli/config.js';
import { ArgumentError } from '../../src/node.js';

const flags = (f: Partial<PruneFlags>): PruneFlags => ({ include: [], exclude: [], includeClass: [], excludeClass: [], override: [], ...f });

describe('flag values', () => {
  it('sparsity: a fraction or a percentage in [0, 1]', () => {
    expect(['0.9', '.9', '90%', ' 90 % ', '9e-1', '0', '1', '100%'].map((t) => parseSparsity('--sparsity', t))).toEqual([0.9, 0.9, 0.9, 0.9, 0.9, 0, 1, 1]);
    for (const bad of ['1.01', '-0.1', '101%', 'ninety', '', '0x1', 'NaN', 'Infinity', '0.5.5']) {
      expect(() => parseSparsity('--sparsity', bad)).toThrow(ArgumentError);
      expect(() => parseSparsity('--sparsity', bad)).toThrow(/^--sparsity must be a fraction in \[0, 1\]/);
    }
  });

  it("method: 'magnitude', 'nm:N:M' or 'N:M'", () => {
    expect(['magnitude', 'nm:2:4', '2:4', 'NM:1:8', '0:4', '4:4'].map((t) => parseMethod('--method', t))).toEqual(['magnitude', '2:4', '2:4', '1:8', '0:4', '4:4']);
    for (const bad of ['nm:5:4', 'nm:2:0', 'nm:2:2048', 'l1', 'nm:2', '2:4:8']) expect(() => parseMethod('--method', bad)).toThrow(/^--method must be/);
  });

  it('override: pattern=sparsity | skip | nm:N:M, split at the last =', () => {
    expect(parseOverride('fc3/*=0.5')).toEqual({ match: 'fc3/*', sparsity: 0.5 });
    expect(parseOverride('fc3/*=50%')).toEqual({ match: 'fc3/*', sparsity: 0.5 });
    expect(parseOverride('conv_1/*=skip')).toEqual({ match: 'conv_1/*', skip: true });
    expect(parseOverride('dense/kernel=nm:2:4')).toEqual({ match: 'dense/kernel', method: '2:4' });
    expect(parseOverride('/a=b/=0.1')).toEqual({ match: '/a=b/', sparsity: 0.1 });
    for (const bad of ['fc3', '=0.5', 'fc3=', 'fc3=lots', 'fc3=1.5']) expect(() => parseOverride(bad)).toThrow(ArgumentError);
  });
});

describe('configFromFlags', () => {
  it('maps every flag onto the config; lists add to the --config file', () => {
    const base = { sparsity: 0.5, exclude: ['a/*'], overrides: [{ match: 'b/*', skip: true }] };
    expect(
      configFromFlags(
        flags({ sparsity: '0.8', scope: 'global', quantize: 'float16', include: ['x'], exclude: ['y'], includeClass: ['LSTM'], excludeClass: ['Embedding'], skipFirst: true, skipLast: true, override: ['c/*=0.1'] }),
        base,
      ),
    ).toEqual({
      sparsity: 0.8,
      scope: 'global',
      quantize: 'float16',
      include: ['x'],
      exclude: ['a/*', 'y'],
      includeClasses: ['LSTM'],
      excludeClasses: ['Embedding'],
      skipFirst: true,
      skipLast: true,
      overrides: [{ match: 'b/*', skip: true }, { match: 'c/*', sparsity: 0.1 }],
    });
    expect(configFromFlags(flags({ method: 'nm:2:4' }))).toEqual({ method: '2:4' });
    expect(configFromFlags(flags({}), { method: '2:4' })).toEqual({ method: '2:4' });
  });

  it('names the flag in every error', () => {
    expect(() => configFromFlags(flags({}))).toThrow('--sparsity is required for magnitude pruning');
    expect(() => configFromFlags(flags({ method: 'nm:2:4', sparsity: '0.5' }))).toThrow(/^--sparsity applies to --method magnitude/);
    expect(() => configFromFlags(flags({ method: 'nm:2:4', scope: 'global' }))).toThrow(/^--scope global/);
    expect(() => configFromFlags(flags({ sparsity: '0.5', scope: 'model' }))).toThrow(/^--scope must be/);
    expect(() => configFromFlags(flags({ sparsity: '0.5', quantize: 'int4' }))).toThrow(/^--quantize must be/);
  });

  it('--config: a JSON object', () => {
    expect(parseConfigFile('c.json', '{"sparsity": 0.5}')).toEqual({ sparsity: 0.5 });
    expect(() => parseConfigFile('c.json', '{sparsity: 0.5}')).toThrow(/^--config c\.json is not valid JSON/);
    expect(() => parseConfigFile('c.json', '[0.5]')).toThrow(/^--config c\.json must hold a JSON object/);
  });
});
