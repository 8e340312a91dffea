// The log backend (--audit-log-path, `-` for standard out): one line per event,
// JSON (--audit-log-format=json, the default) or kube's legacy text line. The file
// rotates as gopkg.in/natefinch/lumberjack.v2 does it for kube-apiserver: past
// --audit-log-maxsize megabytes (lumberjack's 100 when 0) the file is renamed
// `<name>-<2006-01-02T15-04-05.000>.<ext>` (UTC) and a new one started; backups
// beyond --audit-log-maxbackup, or older than --audit-log-maxage days by the time
// in their name, are removed (0: no limit). Lines are gathered for up to 10 ms
// (or 512 lines) and written together; everything pending is written on close.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { AuditEvent, AuditSink } from './event.js';

export interface LogBackendOptions {
  /** The file, or `-` for standard out. */
  path: string;
  /** --audit-log-maxsize in megabytes; 0 is lumberjack's default, 100. */
  maxSizeMB?: number;
  /** The rotation size in bytes, overriding maxSizeMB (tests). */
  maxSizeBytes?: number;
  /** --audit-log-maxbackup; 0 keeps every backup. */
  maxBackups?: number;
  /** --audit-log-maxage in days; 0 keeps backups whatever their age. */
  maxAgeDays?: number;
  /** --audit-log-format: json (default) or legacy. */
  format?: 'json' | 'legacy';
}

const MEGABYTE = 1024 * 1024;
const DEFAULT_MAX_SIZE_MB = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Lines are written together, a few milliseconds late at most: one write for many events. */
const FLUSH_DELAY_MS = 10;
const FLUSH_LINES = 512;

/** Go's %q for the legacy line. */
const q = (s: string): string => JSON.stringify(s);

/** kube's audit.EventString: the legacy one-line text format. */
export function legacyLine(ev: AuditEvent): string {
  let username = '<none>';
  let groups = '<none>';
  if (ev.user.username) {
    username = ev.user.username;
    if (ev.user.groups?.length) groups = ev.user.groups.map(q).join(',');
  }
  let as = '<self>';
  let asGroups = '<lookup>';
  if (ev.impersonatedUser) {
    as = ev.impersonatedUser.username ?? '';
    if (ev.impersonatedUser.groups) asGroups = ev.impersonatedUser.groups.map(q).join(',');
  }
  const namespace = ev.objectRef?.namespace || '<none>';
  const response = ev.responseStatus?.code !== undefined ? String(ev.responseStatus.code) : '<deferred>';
  const ip = ev.sourceIPs?.[0] ?? '<unknown>';
  return (
    `${ev.requestReceivedTimestamp} AUDIT: id=${q(ev.auditID)} stage=${q(ev.stage)} ip=${q(ip)} method=${q(ev.verb)} ` +
    `user=${q(username)} groups=${q(groups)} as=${q(as)} asgroups=${q(asGroups)} user-agent=${q(ev.userAgent ?? '')} ` +
    `namespace=${q(namespace)} uri=${q(ev.requestURI)} response="${response}"`
  );
}

/** lumberjack's backup name: `<prefix>-<UTC time as 2006-01-02T15-04-05.000><ext>` beside the file. */
export function backupName(file: string, at: Date): string {
  const ext = path.extname(file);
  const prefix = file.slice(0, file.length - ext.length);
  const stamp = at.toISOString().slice(0, 23).replace(/:/g, '-');
  return `${prefix}-${stamp}${ext}`;
}

export class LogBackend implements AuditSink {
  private pending: string[] = [];
  private scheduled = false;
  private fd: number | undefined;
  private size = 0;
  private readonly max: number;
  private readonly stdout: boolean;

  constructor(private readonly opts: LogBackendOptions) {
    this.stdout = opts.path === '-';
    this.max = opts.maxSizeBytes ?? (opts.maxSizeMB || DEFAULT_MAX_SIZE_MB) * MEGABYTE;
    if (!this.stdout) this.openExistingOrNew();
  }

  process(line: string): void {
    this.pending.push(this.opts.format === 'legacy' ? legacyLine(JSON.parse(line) as AuditEvent) : line);
    if (this.pending.length >= FLUSH_LINES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_DELAY_MS).unref();
    }
  }

  /** Writes what is pending, rotating before a line that would take the file past its size. */
  flush(): void {
    this.scheduled = false;
    const lines = this.pending;
    if (!lines.length) return;
    this.pending = [];
    if (this.stdout) {
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    let chunk = '';
    let chunkBytes = 0;
    const writeChunk = (): void => {
      if (!chunk) return;
      this.write(chunk, chunkBytes);
      chunk = '';
      chunkBytes = 0;
    };
    for (const line of lines) {
      const text = `${line}\n`;
      const bytes = Buffer.byteLength(text);
      if (bytes > this.max) {
        // lumberjack refuses a write larger than the whole file may be.
        console.error(`kapi-env: audit log: write length ${bytes} exceeds maximum file size ${this.max}`);
        continue;
      }
      if (this.size + chunkBytes + bytes > this.max) {
        writeChunk();
        this.rotate();
      }
      chunk += text;
      chunkBytes += bytes;
    }
    writeChunk();
  }

  private write(text: string, bytes: number): void {
    try {
      if (this.fd === undefined) this.openNew();
      writeSync(this.fd!, text);
      this.size += bytes;
    } catch (e) {
      console.error('kapi-env: audit log write failed:', (e as Error).message);
    }
  }

  private openExistingOrNew(): void {
    mkdirSync(path.dirname(this.opts.path), { recursive: true });
    let existing = -1;
    try {
      existing = statSync(this.opts.path).size;
    } catch {
      // A new file.
    }
    if (existing >= this.max) this.rotate();
    else {
      this.fd = openSync(this.opts.path, 'a', 0o600);
      this.size = Math.max(existing, 0);
    }
  }

  private openNew(): void {
    this.fd = openSync(this.opts.path, 'a', 0o600);
    this.size = 0;
  }

  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    try {
      // Two rotations within one millisecond would share a name: the later one takes the next millisecond.
      let at = Date.now();
      while (existsSync(backupName(this.opts.path, new Date(at)))) at++;
      renameSync(this.opts.path, backupName(this.opts.path, new Date(at)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') console.error('kapi-env: audit log rotation failed:', (e as Error).message);
    }
    this.openNew();
    this.removeOldBackups();
  }

  /** lumberjack's millRunOnce: backups beyond maxBackups (newest kept) or past maxAge go. */
  private removeOldBackups(): void {
    const { maxBackups = 0, maxAgeDays = 0 } = this.opts;
    if (maxBackups <= 0 && maxAgeDays <= 0) return;
    const file = this.opts.path;
    const dir = path.dirname(file);
    const ext = path.extname(file);
    const prefix = `${path.basename(file, ext)}-`;
    const backups: Array<{ name: string; time: number }> = [];
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith(ext)) continue;
      const stamp = name.slice(prefix.length, name.length - ext.length);
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(stamp);
      if (!m) continue;
      backups.push({ name, time: Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) });
    }
    backups.sort((a, b) => b.time - a.time);
    const remove = new Set<string>();
    if (maxBackups > 0) for (const b of backups.slice(maxBackups)) remove.add(b.name);
    if (maxAgeDays > 0) {
      const cutoff = Date.now() - maxAgeDays * DAY_MS;
      for (const b of backups) if (b.time < cutoff) remove.add(b.name);
    }
    for (const name of remove) rmSync(path.join(dir, name), { force: true });
  }

  async close(): Promise<void> {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
