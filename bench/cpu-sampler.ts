import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/*
 * Who used the machine's CPU while something was measured. Every process a benchmark starts (the
 * emulator, the storage server, `dataflowd run`, rclone, curl) is a child of the benchmark, each
 * with its own tree below it (sshd forks a session per connection). Sampling /proc every 100 ms
 * gives each tree's CPU time at each instant, so the CPU of any window (say a run's upload phase,
 * known only afterwards from the emulator's batch times) is the difference between two samples.
 * On a 2-core machine shared by the source server, dataflowd and the emulator standing in for
 * Platform, this is what says whether a figure was bounded by CPU or by waiting.
 */

const SAMPLE_MS = 100;
/** Clock ticks per second, the unit of /proc's CPU times. */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * A process's CPU times from /proc/PID/stat (proc(5)), in seconds: its own (user + system) and
 * its ended children's (cutime + cstime).
 */
export function procCpu(pid: number | 'self'): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from state: utime is the 12th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS, children: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS };
}

/** A process tree, named by what its top process runs. */
export type CpuGroup = 'dataflowd' | 'emulator' | 'rclone' | 'server' | 'other';

export interface CpuShare {
  /** CPU seconds of each group within the window. */
  seconds: Partial<Record<CpuGroup, number>>;
  /** Share of the machine's CPU time (all cores) that nothing used in the window, 0–1. */
  idle: number;
}

interface Sample {
  at: number;
  byGroup: Map<CpuGroup, number>;
  idleTicks: number;
  allTicks: number;
}

function groupOf(cmdline: string): CpuGroup {
  if (/\bmain\.js emulator\b/.test(cmdline)) return 'emulator';
  if (/\bmain\.js run\b/.test(cmdline)) return 'dataflowd';
  if (/^rclone\b|\brclone (copy|cat)\b/.test(cmdline)) return 'rclone';
  if (/\bcurl\b/.test(cmdline)) return 'other';
  return 'server';
}

/** CPU seconds of pid: utime + stime + cutime + cstime, so the children it reaped count too. */
function cpuOf(pid: number): number | undefined {
  try {
    const { own, children } = procCpu(pid);
    return own + children;
  } catch {
    return undefined; // it ended meanwhile
  }
}

/** The children of pid's main thread (where Node and the servers here fork). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds of a whole process tree. */
function treeCpu(pid: number): number {
  let total = cpuOf(pid) ?? 0;
  for (const child of childrenOf(pid)) total += treeCpu(child);
  return total;
}

function cpuTicks(): { idle: number; all: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], all: fields.reduce((a, b) => a + b, 0) };
}

export class CpuSampler {
  private readonly samples: Sample[] = [];
  private readonly groups = new Map<number, CpuGroup>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly root = process.pid) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** CPU by group between two instants (epoch ms), from the samples nearest inside the window. */
  between(from: number, to: number): CpuShare {
    this.sample();
    const first = this.samples.find((s) => s.at >= from) ?? this.samples[this.samples.length - 1];
    const last = [...this.samples].reverse().find((s) => s.at <= to) ?? first;
    const seconds: CpuShare['seconds'] = {};
    for (const [group, cpu] of last.byGroup) {
      const used = cpu - (first.byGroup.get(group) ?? 0);
      if (used > 0) seconds[group] = used;
    }
    const all = last.allTicks - first.allTicks;
    return { seconds, idle: all > 0 ? (last.idleTicks - first.idleTicks) / all : 0 };
  }

  private sample(): void {
    const byGroup = new Map<CpuGroup, number>();
    for (const top of childrenOf(this.root)) {
      const group = this.groupOfTop(top);
      byGroup.set(group, (byGroup.get(group) ?? 0) + treeCpu(top));
    }
    // A tree's total only grows while its top process lives (an ended process is reaped by its
    // parent, whose cutime takes its CPU over); windows are taken while the measured ones live.
    const ticks = cpuTicks();
    this.samples.push({ at: Date.now(), byGroup, idleTicks: ticks.idle, allTicks: ticks.all });
    if (this.samples.length > 36_000) this.samples.splice(0, 18_000);
  }

  private groupOfTop(pid: number): CpuGroup {
    let group = this.groups.get(pid);
    if (group === undefined) {
      try {
        group = groupOf(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
      } catch {
        group = 'other';
      }
      this.groups.set(pid, group);
    }
    return group;
  }
}

/** "dataflowd 3.9 s, emulator 2.1 s, server 2.5 s; 28% idle" */
export function describeCpu(share: CpuShare): string {
  const order: CpuGroup[] = ['dataflowd', 'rclone', 'emulator', 'server', 'other'];
  const parts = order.filter((g) => (share.seconds[g] ?? 0) >= 0.05).map((g) => `${g} ${share.seconds[g]!.toFixed(1)} s`);
  return `${parts.join(', ')}; ${Math.round(share.idle * 100)}% of the cores idle`;
}
