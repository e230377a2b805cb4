import { FileInfo, FileType } from 'basic-ftp';

/*
 * Strict parsers for the two listing formats the connector asks for: MLSD (RFC 3659, machine
 * readable, exact UTC times) and the Unix `ls -l` lines that LIST returns on every Unix server
 * without MLSD (vsftpd). basic-ftp's own parser drops lines it does not understand; here such a
 * line fails the whole listing instead, because a silently shorter listing would look like "no
 * new files" (DESIGN.md §5).
 *
 * An entry's `modifiedAt` is left undefined when the listing does not give the time to the
 * minute (LIST shows only the date of files older than six months or in the future): the
 * connector then asks MDTM for it.
 */

export class ListingFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListingFormatError';
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

// type, permissions (+ optional ACL/xattr marker), links, owner [group], size, month, day, time-or-year, name.
const UNIX_LINE = /^([-dlps])[-rwxsStTlL]{9}[.+@]?\s+\d+\s+.+?\s+(\d+)\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}) (.*)$|^([-dlps])[-rwxsStTlL]{9}[.+@]?\s+\d+\s+.+?\s+(\d+)\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4}) (.*)$/;

/** How far in the future of our clock a year-less LIST date may be before it is taken as last
 *  year's: clocks and time zones of server and client differ by hours, not days. */
const FUTURE_SLACK_MS = 2 * 86_400_000;

function entry(name: string, type: FileType, size: number, modifiedAt: Date | undefined, raw: string): FileInfo {
  const info = new FileInfo(name);
  info.type = type;
  info.size = size;
  info.modifiedAt = modifiedAt;
  info.rawModifiedAt = raw;
  return info;
}

function typeOf(char: string): FileType {
  if (char === '-') return FileType.File;
  if (char === 'd') return FileType.Directory;
  if (char === 'l') return FileType.SymbolicLink;
  return FileType.Unknown; // FIFOs and sockets: nothing one can ingest
}

function monthIndex(name: string, line: string): number {
  const month = MONTHS.indexOf(name.toLowerCase());
  if (month < 0) throw new ListingFormatError(`unrecognised month in LIST line ${JSON.stringify(line)}`);
  return month;
}

/**
 * The year of a LIST date shown with a time of day (`Nov 29 04:45`): `ls` does so for files
 * modified within the last six months, so it is the latest such date not after now.
 */
export function inferYear(month: number, day: number, hours: number, minutes: number, now: Date): Date {
  const thisYear = new Date(Date.UTC(now.getUTCFullYear(), month, day, hours, minutes));
  if (thisYear.getTime() <= now.getTime() + FUTURE_SLACK_MS) return thisYear;
  return new Date(Date.UTC(now.getUTCFullYear() - 1, month, day, hours, minutes));
}

/** Unix `ls -l` style LIST output. Times are read as UTC (vsftpd's default, `use_localtime=NO`). */
export function parseUnixListing(text: string, now: Date): FileInfo[] {
  const out: FileInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || /^total\s+\d+/.test(line)) continue;
    // Block and character devices show "major, minor" where the size would be: never files.
    if (/^[bc][-rwxsStT]{9}/.test(line)) continue;
    const m = UNIX_LINE.exec(line);
    if (!m) throw new ListingFormatError(`unrecognised LIST line ${JSON.stringify(line)}`);
    let info: FileInfo;
    if (m[1] !== undefined) {
      const [, type, size, mon, day, hh, mm, name] = m;
      const at = inferYear(monthIndex(mon, line), Number(day), Number(hh), Number(mm), now);
      info = entry(name, typeOf(type), Number(size), at, `${mon} ${day} ${hh}:${mm}`);
    } else {
      const [type, size, mon, day, year, name] = m.slice(8);
      // The date alone: the connector asks MDTM for the time. Its ISO form is kept as
      // rawModifiedAt for a server without MDTM (see `dateOnly`).
      const midnight = new Date(Date.UTC(Number(year), monthIndex(mon, line), Number(day)));
      info = entry(name, typeOf(type), Number(size), undefined, midnight.toISOString().slice(0, 10));
    }
    if (info.type === FileType.SymbolicLink) {
      const arrow = info.name.indexOf(' -> ');
      if (arrow >= 0) {
        info.link = info.name.slice(arrow + 4);
        info.name = info.name.slice(0, arrow);
      }
    }
    if (info.name === '.' || info.name === '..') continue;
    out.push(info);
  }
  return out;
}

/** Midnight UTC of a year-only LIST entry (`rawModifiedAt` as parseUnixListing leaves it). */
export function dateOnly(info: FileInfo): Date | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(info.rawModifiedAt) ? new Date(`${info.rawModifiedAt}T00:00:00Z`) : undefined;
}

/** `YYYYMMDDHHMMSS[.sss]` (MLSD `modify`, MDTM), always UTC. */
export function parseMlsxTime(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3})\d*)?$/.exec(value.trim());
  if (!m) throw new ListingFormatError(`unrecognised time ${JSON.stringify(value)}`);
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
}

/** One MLSD/MLST line: `fact=value;fact=value; name`. Undefined for the `.` and `..` entries. */
export function parseMlsxLine(line: string): FileInfo | undefined {
  const space = line.indexOf(' ');
  if (space <= 0 || !line.slice(0, space).includes('=')) throw new ListingFormatError(`unrecognised MLSD line ${JSON.stringify(line)}`);
  const name = line.slice(space + 1);
  const facts = new Map<string, string>();
  for (const fact of line.slice(0, space).split(';')) {
    const eq = fact.indexOf('=');
    if (eq > 0) facts.set(fact.slice(0, eq).toLowerCase(), fact.slice(eq + 1));
  }
  const type = (facts.get('type') ?? '').toLowerCase();
  if (type === 'cdir' || type === 'pdir' || name === '.' || name === '..') return undefined;
  const fileType =
    type === 'file' ? FileType.File : type === 'dir' ? FileType.Directory : type.startsWith('os.unix=s') ? FileType.SymbolicLink : FileType.Unknown;
  const size = facts.get('size') ?? facts.get('sizd');
  if (fileType === FileType.File && (size === undefined || !/^\d+$/.test(size))) {
    throw new ListingFormatError(`MLSD line without a size: ${JSON.stringify(line)}`);
  }
  const modify = facts.get('modify');
  return entry(name, fileType, Number(size ?? 0), modify === undefined ? undefined : parseMlsxTime(modify), modify ?? '');
}

export function parseMlsdListing(text: string): FileInfo[] {
  const out: FileInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const info = parseMlsxLine(line);
    if (info) out.push(info);
  }
  return out;
}
