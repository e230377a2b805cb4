import { execForm, envOf, globalArgs, parseDockerfile } from './dockerfile';

/*
 * hadolint's rules that matter for this image, checked without hadolint (a Haskell binary no
 * registry here ships): each `it` names the rule. `# hadolint ignore=DLxxxx` above an
 * instruction exempts it, as it would for hadolint, so the file stays clean for both.
 */

const instructions = parseDockerfile();
const of = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
const runtime = instructions.filter((i) => i.stage === 'runtime');

describe('the Dockerfile, by hadolint rules', () => {
  it('DL3006/DL3007: every base image has a tag, never latest; the image runs on Node 22 (the LTS)', () => {
    const args = globalArgs(instructions);
    expect(args.NODE_IMAGE).toMatch(/^node:22-[a-z]+-slim$/);
    for (const from of of('FROM')) {
      const image = from.args.split(/\s+/)[0].replace(/^\$\{(\w+)\}$/, (_, name: string) => args[name] ?? '');
      expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
  });

  it('DL3008: apt packages pinned to a version, or the rule waived above the RUN', () => {
    for (const run of of('RUN').filter((r) => /apt-get install/.test(r.args))) {
      const packages = /apt-get install -y --no-install-recommends ([^&]+)/.exec(run.args)?.[1].trim().split(/\s+/) ?? [];
      expect(packages.length).toBeGreaterThan(0);
      if (packages.some((p) => !p.includes('='))) expect(run.ignored).toContain('DL3008');
    }
  });

  it('DL3009/DL3015/DL3014: apt-get update and install in one RUN, -y, --no-install-recommends, lists removed', () => {
    const installs = of('RUN').filter((r) => /apt-get install/.test(r.args));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) {
      expect(run.args).toMatch(/apt-get update .*&& .*apt-get install -y --no-install-recommends /);
      expect(run.args).toMatch(/rm -rf \/var\/lib\/apt\/lists\/\*/);
    }
    for (const run of of('RUN')) if (/apt-get update/.test(run.args)) expect(run.args).toMatch(/apt-get install/);
  });

  it('DL3002: the image runs as a user that is not root', () => {
    const users = runtime.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toMatch(/^(?!root\b|0\b)\S+/);
  });

  it('DL3025: ENTRYPOINT, CMD and HEALTHCHECK CMD in exec form (signals reach node through tini)', () => {
    const entry = execForm(of('ENTRYPOINT').at(-1)!.args);
    expect(entry?.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(execForm(of('CMD').at(-1)!.args)).toEqual(['start', '--config', '/config']);
    const health = of('HEALTHCHECK').at(-1)!;
    expect(execForm(health.args.replace(/^.*?\bCMD\s+/, ''))).toBeDefined();
  });

  it('DL3020/DL3000/DL3004/DL3003: COPY not ADD, absolute WORKDIR, no sudo, no cd in RUN', () => {
    expect(of('ADD')).toEqual([]);
    for (const w of of('WORKDIR')) expect(w.args).toMatch(/^\//);
    for (const run of of('RUN')) {
      expect(run.args).not.toMatch(/\bsudo\b/);
      expect(run.args).not.toMatch(/(^|&&|;)\s*cd\s/);
    }
  });

  it('DL4006: a RUN with a pipe sets pipefail first', () => {
    const shell = of('SHELL').map((s) => s.args).join(' ');
    for (const run of of('RUN').filter((r) => /[^|]\|[^|]/.test(r.args))) expect(`${shell} ${run.args}`).toMatch(/pipefail/);
  });

  it('DL3059: no two RUNs in a row that could be one layer', () => {
    for (let i = 1; i < instructions.length; i++) {
      if (instructions[i].keyword === 'RUN' && instructions[i - 1].keyword === 'RUN' && instructions[i].stage === instructions[i - 1].stage) {
        throw new Error(`consecutive RUN at lines ${instructions[i - 1].line} and ${instructions[i].line}`);
      }
    }
  });

  it('config read from /config, everything written under the /data volume, port and health check declared', () => {
    expect(envOf(instructions, 'runtime')).toMatchObject({ NODE_ENV: 'production', DATAFLOWD_CONFIG: '/config', DATAFLOWD_DATA: '/data' });
    expect(runtime.find((i) => i.keyword === 'VOLUME')?.args).toBe('["/data"]');
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args).toBe('8080');
    expect(runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args).toContain('http://127.0.0.1:8080/healthz');
    // /data is the one folder the image's user owns.
    expect(runtime.find((i) => i.keyword === 'RUN' && /useradd/.test(i.args))?.args).toMatch(/chown dataflowd:dataflowd \/data$/);
  });
});
