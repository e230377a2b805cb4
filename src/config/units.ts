import { z } from 'zod';
import { dataflowError } from '../lib/errors';

/*
 * Durations: one or more `<integer><unit>` parts, units ms, s, m, h, d: `30s`, `15m`, `1h30m`.
 * A bare number is refused: `minFileAge: 60` could mean seconds or milliseconds.
 *
 * Sizes: `<number><unit>`, decimals allowed, an optional space.
 * B, KB, MB, GB, TB are decimal (powers of 1000, as Platform states its limits: "100 GB");
 * KiB, MiB, GiB, TiB are binary (powers of 1024). `1.5GiB` is 1610612736 bytes; fractions of a
 * byte are rounded. Units are case-sensitive (`mb` is refused) so that the published JSON Schema's
 * pattern accepts exactly what the loader accepts. A bare number is refused, as for durations.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+)(ms|s|m|h|d)/g;

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};
const SIZE_RE = /^(\d+(?:\.\d+)?) ?([KMGT]i?B|B)$/;

export const DURATION_HINT = 'expected a number and a unit (ms, s, m, h, d), e.g. 30s, 15m, 2h, 1d';
export const SIZE_HINT = 'expected a number and a unit (B, KB, MB, GB, TB, or KiB, MiB, GiB, TiB), e.g. 256MB';

function tryParseDuration(s: string): number | undefined {
  if (!DURATION_RE.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(DURATION_PART)) ms += Number(m[1]) * DURATION_UNITS[m[2]];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function tryParseSize(s: string): number | undefined {
  const m = SIZE_RE.exec(s);
  if (!m) return undefined;
  const bytes = Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `30s` → 30000. Throws a config error for anything else. */
export function parseDuration(s: string): number {
  const ms = tryParseDuration(s);
  if (ms === undefined) throw dataflowError('ERR_CONFIG_DURATION', 'config', `invalid duration "${s}": ${DURATION_HINT}`);
  return ms;
}

/** `256MB` → 256000000, `1.5GiB` → 1610612736. Throws a config error for anything else. */
export function parseSize(s: string): number {
  const bytes = tryParseSize(s);
  if (bytes === undefined) throw dataflowError('ERR_CONFIG_SIZE', 'config', `invalid size "${s}": ${SIZE_HINT}`);
  return bytes;
}

/** 43200000 → "12h", 90000 → "1m30s": a duration as the config writes it (parseDuration's inverse, to the second). */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const parts: string[] = [];
  let left = ms;
  for (const [unit, size] of units) {
    if (left >= size) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
  }
  return parts.join('') || `${ms}ms`;
}

/** A duration string in YAML, milliseconds in the loaded config. */
export const durationSchema = z
  .string({ error: (iss) => (iss.input === undefined ? undefined : `invalid duration ${String(iss.input)}: ${DURATION_HINT}`) })
  .regex(DURATION_RE, { error: (iss) => `invalid duration "${String(iss.input)}": ${DURATION_HINT}` })
  .meta({ description: `A duration: ${DURATION_HINT}.` })
  .transform((s, ctx) => {
    const ms = tryParseDuration(s);
    if (ms !== undefined) return ms;
    ctx.issues.push({ code: 'custom', message: `duration "${s}" is too long`, input: s });
    return z.NEVER;
  });

/** A size string in YAML, bytes in the loaded config. */
export const sizeSchema = z
  .string({ error: (iss) => (iss.input === undefined ? undefined : `invalid size ${String(iss.input)}: ${SIZE_HINT}`) })
  .regex(SIZE_RE, { error: (iss) => `invalid size "${String(iss.input)}": ${SIZE_HINT}` })
  .meta({ description: `A size: ${SIZE_HINT}.` })
  .transform((s, ctx) => {
    const bytes = tryParseSize(s);
    if (bytes !== undefined) return bytes;
    ctx.issues.push({ code: 'custom', message: `size "${s}" is too large`, input: s });
    return z.NEVER;
  });
