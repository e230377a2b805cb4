import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/logger';
import type { BatchRecord, StoredFile } from './batch-model';
import { resolveInside } from './safe-path';

/*
 * Batches live in memory and on disk:
 *   {dataDir}/batches/{id}/batch.{a,b}.json  the record, rewritten whole after each change (slots)
 *   {dataDir}/batches/{id}/files/{filePath}  the uploaded bytes
 *   {dataDir}/batches/{id}/landed/{filePath} what landed when bad rows were dropped
 *   {dataDir}/batches/{id}/meta/row_errors/  error diagnostics
 *   {dataDir}/batches/{id}/tmp/              uploads in flight, renamed into files/ when whole
 * so that an emulator restarted on the same folder answers as before.
 */
export class BatchStore {
  private readonly batches = new Map<string, BatchRecord>();
  /** Per batch, the last write of batch.json: writes are chained so that the newest state wins. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Per batch, a write queued behind another and not yet begun. */
  private readonly waiting = new Map<string, Promise<void>>();
  /** Each file's JSON as last written (see serialise). */
  private readonly fileJson = new WeakMap<StoredFile, string>();
  /** Per batch, the revision last written (see write). */
  private readonly revisions = new Map<string, number>();

  private constructor(
    readonly dataDir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dataDir: string, logger: Logger): Promise<BatchStore> {
    const store = new BatchStore(dataDir, logger);
    await mkdir(store.batchesDir(), { recursive: true });
    await store.load();
    return store;
  }

  get(id: string): BatchRecord | undefined {
    return this.batches.get(id);
  }

  /** Every batch, oldest first (ties broken by id, so paging is stable). */
  all(): BatchRecord[] {
    return [...this.batches.values()].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  }

  async add(batch: BatchRecord): Promise<void> {
    await mkdir(this.filesDir(batch.id), { recursive: true });
    await mkdir(this.tmpDir(batch.id), { recursive: true });
    this.batches.set(batch.id, batch);
    await this.save(batch);
  }

  /**
   * Writes the batch's current state; callers mutate the record, then save it. Saves that come
   * while a write is waiting its turn share it: it serialises the record when it starts, so it
   * carries their changes too (a batch of 1000 small files is written a few hundred times, not
   * a thousand, each write a whole record).
   */
  save(batch: BatchRecord): Promise<void> {
    const waiting = this.waiting.get(batch.id);
    if (waiting) return waiting;
    const previous = this.writes.get(batch.id) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.waiting.delete(batch.id);
        return this.write(batch);
      });
    this.waiting.set(batch.id, next);
    this.writes.set(batch.id, next);
    return next;
  }

  /** Resolves when every write begun so far is on disk. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  batchDir(id: string): string {
    return resolveInside(this.batchesDir(), id);
  }
  filesDir(id: string): string {
    return path.join(this.batchDir(id), 'files');
  }
  landedDir(id: string): string {
    return path.join(this.batchDir(id), 'landed');
  }
  metaDir(id: string): string {
    return path.join(this.batchDir(id), 'meta');
  }
  tmpDir(id: string): string {
    return path.join(this.batchDir(id), 'tmp');
  }
  /** A fresh name for an upload in flight. */
  tmpFile(id: string): string {
    return path.join(this.tmpDir(id), `${randomBytes(8).toString('hex')}.part`);
  }
  /** Where an uploaded file lives; filePath must have passed checkFilePath. */
  uploadedFile(id: string, filePath: string): string {
    return resolveInside(this.filesDir(id), filePath);
  }
  landedFile(id: string, filePath: string): string {
    return resolveInside(this.landedDir(id), filePath);
  }

  private batchesDir(): string {
    return path.join(this.dataDir, 'batches');
  }

  /**
   * The record goes to two slot files in turn, each overwritten in place, and carries a revision:
   * a write cut short leaves the other slot whole, and loading takes the newest slot that parses
   * (a strict prefix of a JSON object never does). Writing a temporary file and renaming it over
   * batch.json freed an inode per write, and ext4 without a journal (as here) steps over every
   * inode freed in the last minutes at each file it creates: a batch of 1000 small files cost the
   * emulator a quarter more CPU that way (2.2 s instead of 1.7).
   */
  private async write(batch: BatchRecord): Promise<void> {
    const revision = (this.revisions.get(batch.id) ?? 0) + 1;
    this.revisions.set(batch.id, revision);
    await writeFile(this.slotFile(batch.id, revision), `{"revision":${revision},"batch":${this.serialise(batch)}}`);
  }

  private slotFile(id: string, revision: number): string {
    return path.join(this.batchDir(id), SLOTS[revision % 2 === 1 ? 0 : 1]);
  }

  /**
   * JSON.stringify(batch), with each file's JSON kept from the last write: files are replaced,
   * never changed in place (batch-model.ts), so a kept string is current while its object is.
   * Serialising a record of 1000 files after every upload took a quarter of the emulator's time.
   */
  private serialise(batch: BatchRecord): string {
    const { files, ...rest } = batch;
    const parts = files.map((file) => {
      let json = this.fileJson.get(file);
      if (json === undefined) {
        json = JSON.stringify(file);
        this.fileJson.set(file, json);
      }
      return json;
    });
    return `${JSON.stringify(rest).slice(0, -1)},"files":[${parts.join(',')}]}`;
  }

  /** A slot's record; undefined when the file is missing, or unreadable (a write cut short: said in the log). */
  private async readSlot(file: string): Promise<Slot | undefined> {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Slot | BatchRecord;
      return path.basename(file) === LEGACY_RECORD ? { revision: 0, batch: parsed as BatchRecord } : (parsed as Slot);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, file }, 'passing over an unreadable batch record');
      return undefined;
    }
  }

  private async load(): Promise<void> {
    for (const entry of await readdir(this.batchesDir(), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.batchesDir(), entry.name);
      const slots = await Promise.all([...SLOTS, LEGACY_RECORD].map((name) => this.readSlot(path.join(dir, name))));
      const newest = slots.reduce<Slot | undefined>((best, slot) => (slot && (!best || slot.revision > best.revision) ? slot : best), undefined);
      if (!newest) {
        this.logger.warn({ dir }, 'skipping a batch folder with no readable record');
        continue;
      }
      const batch = newest.batch;
      this.batches.set(batch.id, batch);
      this.revisions.set(batch.id, newest.revision);
      // Uploads cut short by the previous run's end can never finish: their bytes are garbage.
      await rm(this.tmpDir(batch.id), { recursive: true, force: true });
      await mkdir(this.tmpDir(batch.id), { recursive: true });
    }
  }
}

/** The record's two slot files: odd revisions go to the first, even ones to the second. */
const SLOTS = ['batch.a.json', 'batch.b.json'] as const;

/** Where earlier versions kept the record, replaced whole by rename: read as revision 0. */
const LEGACY_RECORD = 'batch.json';

interface Slot {
  revision: number;
  batch: BatchRecord;
}
