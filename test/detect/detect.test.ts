import { decideAgainstLedger, DetectRules, preselect, stabilityGate } from '../../src/detect/detect';
import { fingerprint } from '../../src/detect/fingerprint';
import type { RemoteFile } from '../../src/connector/types';
import type { FileState, LedgerEntry } from '../../src/store/types';

const now = new Date('2026-11-29T12:00:00Z');
const traits = { etagTracksContent: false, mtimePrecisionMs: 1000 };

function file(path: string, size = 10, ageMs = 3_600_000, etag?: string): RemoteFile {
  return { path, size, modifiedAt: new Date(now.getTime() - ageMs), etag };
}

function rules(over: Partial<DetectRules> = {}): DetectRules {
  return {
    excludedBy: (p) => (p.endsWith('.tmp') ? 'excluded by "*.tmp"' : undefined),
    minFileAgeMs: 60_000,
    changedFiles: 'replace',
    fingerprint: (f) => fingerprint(f, traits),
    ...over,
  };
}

function entry(f: RemoteFile, state: FileState, fp = fingerprint(f, traits)): LedgerEntry {
  return {
    id: 1, dataflow: 'd', path: f.path, fingerprint: fp, size: f.size, modifiedAt: f.modifiedAt, state,
    runId: 'r1', batchId: 'b1', records: 3, error: state === 'failed' ? 'bad row' : null, createdAt: now, updatedAt: now,
  };
}

describe('preselect', () => {
  it('skips excluded files with the rule that excluded them', () => {
    expect(preselect(file('a.tmp'), now, rules())).toMatchObject({ action: 'skip', reason: 'excluded', detail: 'excluded by "*.tmp"' });
  });
  it('skips files modified before the backfill window when backfill is false', () => {
    const notBefore = new Date(now.getTime() - 60_000);
    expect(preselect(file('old.json', 10, 3_600_000), now, rules({ notBefore }))).toMatchObject({ action: 'skip', reason: 'outside_backfill' });
    expect(preselect(file('fresh.json', 10, 30_000), now, rules({ notBefore, minFileAgeMs: 0 }))).toBeUndefined();
  });
  it('skips files younger than minFileAge', () => {
    expect(preselect(file('a.json', 10, 5_000), now, rules())).toMatchObject({ action: 'skip', reason: 'too_young' });
  });
  it('lets through files old enough and selected', () => {
    expect(preselect(file('a.json'), now, rules())).toBeUndefined();
  });
});

describe('stabilityGate', () => {
  const young = file('w.json', 10, 5_000);
  const tooYoung = preselect(young, now, rules())!;
  it('lets a young file through when the previous listing saw the same version', () => {
    expect(stabilityGate(young, tooYoung, fingerprint(young, traits), rules())).toBeUndefined();
  });
  it.each([
    ['never seen', undefined, /first seen/],
    ['seen with another size', '3:0', /changed since the previous listing/],
  ])('keeps a young file %s waiting', (_n, seen, why) => {
    const d = stabilityGate(young, tooYoung, seen, rules());
    expect(d).toMatchObject({ action: 'skip', reason: 'not_yet_stable' });
    expect(d?.action === 'skip' && d.detail).toMatch(why);
  });
  it('leaves every other decision alone', () => {
    const excluded = preselect(file('x.tmp'), now, rules())!;
    expect(stabilityGate(file('x.tmp'), excluded, undefined, rules())).toBe(excluded);
  });
});

describe('decideAgainstLedger', () => {
  const f = file('a.json');
  it.each<[string, LedgerEntry | undefined, Partial<DetectRules>, string, string]>([
    ['unknown path', undefined, {}, 'take', 'new'],
    ['same version ingested', entry(f, 'ingested'), {}, 'skip', 'already_ingested'],
    ['same version rejected by Platform', entry(f, 'failed'), {}, 'skip', 'rejected_before'],
    ['same version still in flight', entry(f, 'completing'), {}, 'skip', 'in_progress'],
    ['same version that could not be delivered', entry(f, 'error'), {}, 'take', 'retry'],
    ['same version that vanished', entry(f, 'vanished'), {}, 'take', 'retry'],
    ['changed version', entry(f, 'ingested', '9:0'), {}, 'take', 'changed'],
    ['changed version, changedFiles ignore', entry(f, 'ingested', '9:0'), { changedFiles: 'ignore' }, 'skip', 'changed_ignored'],
    ['changed version of a file that never got in', entry(f, 'error', '9:0'), { changedFiles: 'ignore' }, 'take', 'retry'],
  ])('%s', (_name, previous, over, action, reason) => {
    expect(decideAgainstLedger(f, previous, rules(over))).toMatchObject({ action, reason });
  });

  it('records the version it takes', () => {
    const d = decideAgainstLedger(f, undefined, rules());
    expect(d.action === 'take' && d.version).toEqual({ path: 'a.json', size: 10, modifiedAt: f.modifiedAt, fingerprint: `10:${f.modifiedAt.getTime()}` });
  });
});

describe('fingerprint', () => {
  it('uses the etag when the connector says it tracks content', () => {
    expect(fingerprint(file('a', 1, 0, 'abc'), { etagTracksContent: true, mtimePrecisionMs: 1 })).toBe('etag:abc');
  });
  it('truncates modified time to the connector precision', () => {
    const a = { path: 'a', size: 5, modifiedAt: new Date('2026-01-01T00:00:10.100Z') };
    const b = { path: 'a', size: 5, modifiedAt: new Date('2026-01-01T00:00:10.900Z') };
    expect(fingerprint(a, traits)).toBe(fingerprint(b, traits));
    expect(fingerprint(a, { etagTracksContent: false, mtimePrecisionMs: 1 })).not.toBe(fingerprint(b, { etagTracksContent: false, mtimePrecisionMs: 1 }));
  });
});
