import picomatch from 'picomatch';
import { globProblem } from '../connector/glob';
import { remotePathProblem } from '../connector/paths';
import { z } from 'zod';

/**
 * Shapes used by both kinds of file. Each carries its own message, so a problem reads the same
 * wherever the shape appears.
 */

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/** Dataflow and connection names: they appear in URLs, log fields and file names. */
export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, { error: 'must be lowercase letters, digits and dashes, not starting with a dash' })
  .meta({ description: 'A name: [a-z0-9][a-z0-9-]*' });

export const nonEmptyString = z.string().min(1);

/** An http(s) URL, without trailing slashes (so paths can be appended). */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

function isValidGlob(glob: string): boolean {
  try {
    picomatch.makeRe(glob);
    return true;
  } catch {
    return false;
  }
}

export const globSchema = z
  .string()
  .min(1)
  .refine(isValidGlob, { error: 'invalid glob pattern' })
  .superRefine((glob, ctx) => {
    // The same rule a run applies (src/connector/glob.ts): validate says it first.
    const problem = globProblem(glob);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `invalid glob ${JSON.stringify(glob)}: ${problem}` });
  })
  .meta({ description: "A glob (picomatch syntax) relative to the source path, e.g. *.json; no '..' segment" });

/** A folder relative to a connection's root, that stays inside it (src/connector/paths.ts). */
export const remotePathSchema = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    const problem = remotePathProblem(p);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `unsafe path ${JSON.stringify(p)}: ${problem} (folders stay inside the connection's root)` });
  });

function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const timezoneSchema = z
  .string()
  .refine(isValidTimezone, { error: (iss) => `unknown time zone "${String(iss.input)}" (expected an IANA name like Europe/Paris)` })
  .meta({ description: 'An IANA time zone, e.g. UTC or Europe/Paris' });

/** An ISO 8601 date-time with Z or an offset; normalised to UTC (`toISOString`). */
export const isoDateTimeSchema = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 date-time with Z or an offset, e.g. 2026-12-01T00:00:00Z' })
  .transform((s) => new Date(s).toISOString());

function isSupportedEncoding(enc: string): boolean {
  try {
    new TextDecoder(enc);
    return true;
  } catch {
    return false;
  }
}

/** A text encoding that TextDecoder knows (utf-8, utf-16le, latin1, windows-1252, ...). */
export const encodingSchema = z
  .string()
  .refine(isSupportedEncoding, { error: (iss) => `unknown encoding "${String(iss.input)}"` });

/**
 * Refinements that compare several fields run even when one of the fields already failed, so
 * that every problem is reported at once (but not when the value is not even a mapping or a
 * list). Such refinements must only act on field values that are valid.
 */
export const EVEN_WITH_ISSUES = {
  when: (payload: { value: unknown }): boolean => payload.value !== null && typeof payload.value === 'object',
};
