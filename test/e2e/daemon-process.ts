import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MAIN, Workspace } from './workspace';

/*
 * `dataflowd start` as a child process whose JSON log lines (stderr) the test waits on: no fixed
 * sleeps, every wait bounded, and every process started here killed by `killAll`.
 */

export type LogLine = Record<string, unknown> & { msg?: string };

const live = new Set<ChildProcess>();

export class DaemonProcess {
  readonly lines: LogLine[] = [];
  /** What the process printed on stdout (a `run`'s summary; `start` prints nothing there). */
  stdout = '';
  /** Where the process stopped: its exit code, or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly child: ChildProcess) {
    live.add(child);
    const lines = createInterface({ input: child.stderr! });
    const closed = new Promise<void>((resolve) => lines.once('close', resolve));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    // Exited once the process is gone and every line it wrote has been read.
    this.exited = Promise.all([exit, closed]).then(([how]) => {
      this.wake();
      return how;
    });
    lines.on('line', (text) => {
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        this.lines.push({ msg: text, raw: true });
      }
      this.wake();
    });
    child.once('exit', () => this.wake());
    child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString()));
  }

  static start(ws: Workspace, env: Record<string, string> = {}): DaemonProcess {
    return DaemonProcess.command(ws, ['start'], env);
  }

  /** Any dataflowd command as a tracked child whose log lines can be waited on (e.g. `run NAME`). */
  static command(ws: Workspace, args: string[], env: Record<string, string> = {}): DaemonProcess {
    const child = spawn(process.execPath, [MAIN, ...args, '--config', ws.configDir], {
      env: { ...process.env, ...ws.env, DATAFLOWD_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DaemonProcess(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The first log line from index `from` on that matches, or undefined when the process exits
   * first. Throws after `timeoutMs`, with the last lines of the log.
   */
  async waitFor(match: (line: LogLine) => boolean, from = 0, timeoutMs = 30_000): Promise<LogLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (!this.running) {
        await this.exited;
        return this.lines.slice(from).find(match);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting in daemon ${this.pid}; last lines:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  tail(n = 15): string {
    return this.lines
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Kills (by pid) every daemon started here that is still alive. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...live]
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
  );
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stderr's JSON log lines. */
  logs: LogLine[];
}

/** A one-shot CLI command (e.g. `run NAME --json`) as a tracked child: killAll ends it if a test fails. */
export function runCli(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [MAIN, ...args, '--config', ws.configDir], {
    env: { ...process.env, ...ws.env, DATAFLOWD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    child.once('close', (code) => {
      live.delete(child);
      const logs = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
      resolve({ code, stdout, stderr, logs });
    });
  });
}
