import { compileGlobs, describeVerdict, effectivePattern, globProblem, GlobRules, listingPrefix } from '../../src/connector/glob';
import { DataflowError } from '../../src/lib/errors';

const DESIGN_EXAMPLE: GlobRules = { include: ['*.json', '*.json.gz'], exclude: ['*.tmp', '.*'] };

describe('compileGlobs: selection', () => {
  test.each<[GlobRules, string, boolean]>([
    // DESIGN.md §3's example dataflow
    [DESIGN_EXAMPLE, 'a.json', true],
    [DESIGN_EXAMPLE, 'a.json.gz', true],
    [DESIGN_EXAMPLE, 'a.csv', false],
    [DESIGN_EXAMPLE, 'a.json.tmp', false],
    [DESIGN_EXAMPLE, '.a.json', false],
    [DESIGN_EXAMPLE, '2024/05/a.json', true],
    [DESIGN_EXAMPLE, '.staging/a.json', false],
    // no include: every file that is not hidden
    [{}, 'a.csv', true],
    [{}, 'deep/er/a.csv', true],
    [{}, '.hidden', false],
    [{}, '.git/config', false],
    [{}, 'x/.part/a', false],
    [{ include: [] }, 'a.csv', true],
    // hidden names need a pattern that starts with '.'
    [{ include: ['*'] }, '.env', false],
    [{ include: ['.*'] }, '.env', true],
    [{ include: ['**'] }, 'a/.b', false],
    [{ include: ['.*.json'] }, '.a.json', true],
    // patterns with a '/' are anchored at the dataflow's path
    [{ include: ['2024/*.json'] }, '2024/a.json', true],
    [{ include: ['2024/*.json'] }, 'x/2024/a.json', false],
    [{ include: ['2024/*.json'] }, '2024/05/a.json', false],
    [{ include: ['2024/**/*.json'] }, '2024/05/a.json', true],
    [{ include: ['/a.json'] }, 'a.json', true],
    [{ include: ['/a.json'] }, 'sub/a.json', false],
    [{ include: ['./sub/*.csv'] }, 'sub/x.csv', true],
    [{ include: ['**/*.csv'] }, 'x.csv', true],
    // a trailing '/' means the folder's content
    [{ include: ['in/'] }, 'in/a.csv', true],
    [{ include: ['in/'] }, 'x/in/a.csv', true],
    [{ include: ['/in/'] }, 'x/in/a.csv', false],
    // braces, classes, names with spaces, unicode and dots
    [{ include: ['*.{csv,tsv}'] }, 'a.tsv', true],
    [{ include: ['luma-[0-9][0-9].json'] }, 'luma-07.json', true],
    [{ include: ['luma-[0-9][0-9].json'] }, 'luma-7.json', false],
    [{ include: ['with space *.txt'] }, 'with space 1.txt', true],
    [{ include: ['日本*.csv'] }, 'd/日本データ.csv', true],
    [{ include: ['*.2024.*.json'] }, 'luma.2024.01.json', true],
    [{ include: ['a\\*b.txt'] }, 'a*b.txt', true],
    [{ include: ['a\\*b.txt'] }, 'axb.txt', false],
    // case-sensitive
    [{ include: ['*.json'] }, 'A.JSON', false],
    // exclude wins, and an excluded folder excludes its content
    [{ include: ['*.json'], exclude: ['archive'] }, 'archive/a.json', false],
    [{ include: ['*.json'], exclude: ['archive'] }, 'x/archive/y/a.json', false],
    [{ include: ['*.json'], exclude: ['archive'] }, 'archived/a.json', true],
    [{ include: ['*.json'], exclude: ['/archive/'] }, 'x/archive/a.json', true],
    [{ include: ['*.json'], exclude: ['done/**'] }, 'done/a.json', false],
    [{ include: ['*.json'], exclude: ['*.json'] }, 'a.json', false],
  ])('%j takes %j: %s', (rules, path, expected) => {
    expect(compileGlobs(rules).matches(path)).toBe(expected);
  });
});

describe('compileGlobs: why (not)', () => {
  const matcher = compileGlobs({ include: ['*.json', '*.csv'], exclude: ['*.tmp', 'archive'] });

  test('names the include that took a file', () => {
    expect(matcher.explain('a.csv')).toEqual({ selected: true, include: '*.csv' });
    expect(describeVerdict(matcher.explain('a.csv'))).toBe('selected by "*.csv"');
  });

  test('names the exclude that dropped a file, and the folder it matched', () => {
    expect(matcher.explain('a.json.tmp')).toEqual({ selected: false, reason: 'excluded', pattern: '*.tmp', folder: undefined });
    expect(matcher.explain('x/archive/a.json')).toEqual({ selected: false, reason: 'excluded', pattern: 'archive', folder: 'x/archive' });
    expect(describeVerdict(matcher.explain('a.json.tmp'))).toBe('excluded by "*.tmp"');
    expect(describeVerdict(matcher.explain('x/archive/a.json'))).toBe('excluded by "archive" (folder "x/archive")');
  });

  test('says when no include matched', () => {
    expect(matcher.explain('a.parquet')).toEqual({ selected: false, reason: 'no_include', patterns: ['*.json', '*.csv'] });
    expect(describeVerdict(matcher.explain('a.parquet'))).toBe('no include matched (*.json, *.csv)');
  });

  test('says when a file is hidden and there is no include', () => {
    const all = compileGlobs({});
    expect(all.explain('.x')).toEqual({ selected: false, reason: 'hidden' });
    expect(describeVerdict(all.explain('.x'))).toMatch(/^hidden/);
    expect(describeVerdict(all.explain('x'))).toBe('selected (no include: every file)');
  });
});

describe('invalid globs', () => {
  test.each(['', '   ', '!*.tmp', '../*.json', 'a/../b', 'a\0b'])('%j is refused', (pattern) => {
    expect(globProblem(pattern)).toBeDefined();
    let err: unknown;
    try {
      compileGlobs({ include: [pattern] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataflowError);
    expect((err as DataflowError).kind).toBe('config');
    expect((err as DataflowError).code).toBe('ERR_CONFIG_GLOB');
  });

  test('valid ones pass', () => {
    expect(globProblem('*.json')).toBeUndefined();
    expect(globProblem('.*')).toBeUndefined();
  });
});

describe('effectivePattern', () => {
  test.each([
    ['*.json', '**/*.json'],
    ['a/*.json', 'a/*.json'],
    ['/a.json', 'a.json'],
    ['./a/b', 'a/b'],
    ['in/', '**/in/**'],
    ['/in/', 'in/**'],
    ['**/*.csv', '**/*.csv'],
    ['/', '**'],
  ])('%j → %j', (input, expected) => {
    expect(effectivePattern(input)).toBe(expected);
  });
});

describe('listingPrefix', () => {
  test.each<[string[] | undefined, string]>([
    [undefined, ''],
    [[], ''],
    [['*.json'], ''],
    [['2024/*.json'], '2024'],
    [['2024/05/*.json'], '2024/05'],
    [['2024/05/a.json'], '2024/05'],
    [['/2024/05/**'], '2024/05'],
    [['2024/05/*.json', '2024/06/*.json'], '2024'],
    [['2024/05/*.json', '2025/*.json'], ''],
    [['2024/05/*.json', '*.json'], ''],
    [['{a,b}/x.json'], ''],
    [['a/[bc]/x.json'], 'a'],
    [['in/'], ''],
    [['/in/'], 'in'],
    [['a\\*b/c/*.json'], ''],
    [['x/a\\*b/*.json'], 'x'],
    [['日本/*.csv'], '日本'],
  ])('%j → %j', (include, expected) => {
    expect(listingPrefix(include)).toBe(expected);
  });
});
