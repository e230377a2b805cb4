/*
 * Byte ranges, all inclusive as in HTTP: the Content-Range of large-file chunks (aep-api.md §2.3,
 * where the exact syntax is unconfirmed, so `bytes a-b/total`, `bytes a-b/*` and `bytes a-b` are
 * all accepted), the check that a large file's chunks cover it exactly, and download Range requests.
 */

export type ByteRange = [start: number, end: number];

export interface ContentRange {
  start: number;
  end: number;
  total?: number;
}

export function parseContentRange(header: string | undefined): ContentRange | undefined {
  const match = /^\s*(?:bytes[\s=]+)?(\d+)-(\d+)(?:\/(\d+|\*))?\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === undefined || match[3] === '*' ? undefined : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== undefined && end >= total) return undefined;
  return { start, end, total };
}

export type Coverage = { ok: true; size: number } | { ok: false; problem: string };

/** Whether the chunks tile [0, size) with neither gap nor overlap. */
export function checkCoverage(chunks: readonly ByteRange[], declaredSize?: number): Coverage {
  const sorted = [...chunks].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let next = 0;
  for (const [start, end] of sorted) {
    if (start > next) return { ok: false, problem: `bytes ${next}-${start - 1} are missing` };
    if (start < next) return { ok: false, problem: `chunk ${start}-${end} overlaps bytes received before` };
    next = end + 1;
  }
  if (declaredSize !== undefined && next !== declaredSize) {
    return { ok: false, problem: `bytes ${next}-${declaredSize - 1} of ${declaredSize} are missing` };
  }
  return { ok: true, size: next };
}

/** Ranges joined where they touch or overlap, for the Range header of a HEAD. */
export function mergeRanges(chunks: readonly ByteRange[]): ByteRange[] {
  const sorted = [...chunks].sort((a, b) => a[0] - b[0]);
  const merged: ByteRange[] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

export function formatRanges(ranges: readonly ByteRange[]): string {
  return `bytes=${ranges.map(([start, end]) => `${start}-${end}`).join(',')}`;
}

export type RangeRequest = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * A download's Range header against a file of `size` bytes. One range is honoured (`a-b`, `a-`,
 * `-n`); a header that is malformed or asks for several ranges is ignored, as RFC 9110 allows.
 */
export function parseRangeRequest(header: string | undefined, size: number): RangeRequest {
  const match = /^\s*bytes=(\d*)-(\d*)\s*$/i.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}
