import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { RECORD_ENV } from '../../src/emulator/contract/request-recorder';
import { checkRecorded, CLIENT_OPERATIONS, readRecorded } from '../contract/recorded-requests';

/**
 * The contract test over the whole suite, run once every test file is done: each request the
 * Platform client made to an emulator (in the test processes and in the CLI processes they
 * spawned) is held against Adobe's API descriptions. One violation fails `npm test`; a run of
 * the whole suite must also have called every operation the client uses.
 */
export default async function globalTeardown(globalConfig: { testPathPatterns?: unknown; testPathPattern?: string; testNamePattern?: string }): Promise<void> {
  const file = process.env[RECORD_ENV];
  if (!file || !existsSync(file)) return;
  const report = checkRecorded(await readRecorded(file));
  const whole = isWholeSuite(globalConfig);
  const missing = whole ? CLIENT_OPERATIONS.filter((op) => !report.operations[op]) : [];
  const summary = `contract: ${report.requests} requests of the Platform client checked against Adobe's API descriptions, ${Object.keys(report.operations).length} operations, ${report.violations.length} violations`;
  if (report.violations.length > 0 || missing.length > 0) {
    const lines = [...report.violations.slice(0, 30), ...missing.map((op) => `${op}: never called by the suite (every client operation must be)`)];
    throw new Error(`${summary}\n  ${lines.join('\n  ')}\n(recorded requests kept in ${file})`);
  }
  process.stdout.write(`\n${summary}\n`);
  await rm(file, { force: true });
}

/** A run without path or name filters: every test file ran. */
function isWholeSuite(config: { testPathPatterns?: unknown; testPathPattern?: string; testNamePattern?: string }): boolean {
  const patterns = config.testPathPatterns as { patterns?: string[] } | string[] | undefined;
  const list = Array.isArray(patterns) ? patterns : (patterns?.patterns ?? (config.testPathPattern ? [config.testPathPattern] : []));
  return list.length === 0 && !config.testNamePattern;
}
