import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/*
 * The layers of docs/architecture.md (DESIGN.md §2), checked on every import of src/ and
 * connectors/, `import type` included (a type is a dependency too): no import cycle between
 * files, and no import a layer is not allowed. To allow a new dependency, change the table here
 * and the one in docs/architecture.md together.
 */

const ROOT = path.resolve(__dirname, '..', '..');

/** Which layers each layer may import (besides itself). `store/store-url` names one module. */
const ALLOWED: Record<string, readonly string[]> = {
  lib: [],
  connector: ['lib'],
  detect: ['connector', 'lib'],
  prep: ['lib'],
  platform: ['lib'],
  emulator: ['lib'],
  store: ['lib'],
  config: ['connector', 'prep', 'store/store-url', 'lib'],
  schedule: ['config', 'lib'],
  notify: ['config', 'store', 'lib'],
  run: ['config', 'connector', 'detect', 'notify', 'prep', 'platform', 'store', 'schedule', 'lib'],
  http: ['config', 'store', 'schedule', 'lib'],
  services: ['config', 'emulator', 'platform', 'run', 'store', 'lib'],
  daemon: ['config', 'http', 'notify', 'run', 'schedule', 'services', 'store', 'lib'],
  cli: ['config', 'connector', 'daemon', 'detect', 'emulator', 'notify', 'platform', 'prep', 'run', 'schedule', 'services', 'store', 'lib'],
  // The command line's composition root: the only module of src/ that names the connectors.
  main: ['cli', 'connectors/index', 'lib'],
  'connectors/index': ['connectors/*', 'connector'],
  'connectors/*': ['connector', 'lib'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The layer of a file: its folder under src/, src/main.ts → main, connectors/x/ → connectors/*. */
function layerOf(file: string): string {
  const rel = path.relative(ROOT, file).split(path.sep);
  if (rel[0] === 'connectors') return rel.length === 2 ? 'connectors/index' : 'connectors/*';
  return rel.length === 2 ? rel[1].replace(/\.ts$/, '') : rel[1];
}

/** What a file may import freely: its own layer, or for a connector its own folder only. */
function unitOf(file: string): string {
  const rel = path.relative(ROOT, file).split(path.sep);
  return rel[0] === 'connectors' && rel.length > 2 ? `connectors/${rel[1]}` : layerOf(file);
}

/** The names by which a target may be allowed: its layer, and its module path within src/. */
function targetNames(file: string): string[] {
  const rel = path.relative(path.join(ROOT, 'src'), file).replace(/\.ts$/, '');
  return [layerOf(file), rel];
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  // A dynamic import('./x.js') names the compiled file; its source is x.ts.
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
}

function importGraph(): Map<string, string[]> {
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'connectors'))];
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.map((i) => {
      const resolved = resolveImport(file, i.fileName);
      if (i.fileName.startsWith('.') && !resolved) throw new Error(`${path.relative(ROOT, file)}: cannot resolve ${i.fileName}`);
      return resolved;
    });
    graph.set(file, targets.filter((t): t is string => t !== undefined));
  }
  return graph;
}

/** Every strongly connected component of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((f) => path.relative(ROOT, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Every import of the graph its layer is not allowed, described. */
function forbidden(graph: Map<string, string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    for (const target of targets) {
      const names = targetNames(target);
      if (unitOf(target) === unitOf(file) || names.some((n) => ALLOWED[from]?.includes(n))) continue;
      wrong.push(`${path.relative(ROOT, file)} (${from}) imports ${path.relative(ROOT, target)} (${names[0]})`);
    }
  }
  return wrong;
}

describe('the layers of docs/architecture.md', () => {
  const graph = importGraph();

  it('knows the layer of every file', () => {
    const unknown = [...graph.keys()].map(layerOf).filter((l) => !(l in ALLOWED));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('has no import a layer is not allowed', () => {
    expect(forbidden(graph)).toEqual([]);
  });

  it('finds a cycle, and forbidden imports, when there are some', () => {
    const a = path.join(ROOT, 'src/prep/a.ts');
    const b = path.join(ROOT, 'src/prep/b.ts');
    expect(cycles(new Map([[a, [b]], [b, [a]], [path.join(ROOT, 'src/lib/c.ts'), []]]))).toEqual([['src/prep/a.ts', 'src/prep/b.ts']]);
    const at = (rel: string) => path.join(ROOT, rel);
    expect(
      forbidden(
        new Map([
          [at('src/prep/a.ts'), [at('src/config/c.ts'), at('src/lib/l.ts')]],
          [at('src/config/c.ts'), [at('src/store/store-url.ts'), at('src/store/open-store.ts')]],
          [at('src/cli/x.ts'), [at('connectors/index.ts')]],
          [at('connectors/ftp/f.ts'), [at('connectors/local/index.ts')]],
        ]),
      ),
    ).toEqual([
      'src/prep/a.ts (prep) imports src/config/c.ts (config)',
      'src/config/c.ts (config) imports src/store/open-store.ts (store)',
      'src/cli/x.ts (cli) imports connectors/index.ts (connectors/index)',
      'connectors/ftp/f.ts (connectors/*) imports connectors/local/index.ts (connectors/*)',
    ]);
  });
});
