// The Service ClusterIP and NodePort allocators, as kube-apiserver 1.32 keeps
// them (pkg/registry/core/service/{ipallocator,portallocator,allocator}): one
// bitmap per range, snapshotted in a RangeAllocation object in storage
// (`/ranges/serviceips`, `/ranges/servicenodeports`). Every allocation and
// release is a compare-and-swap of that object, so servers sharing one etcd
// never hand out the same value. Dynamic picks scan from a random start, the
// upper band first (the lower band is kept for static requests, KEP-3070).

import { randomInt } from 'node:crypto';
import type { KubeObject } from '../../api/types.js';
import type { Storage } from '../../storage/interface.js';
import { type CIDR, cidrContains, cidrSize, formatCIDR, formatIP, type IPFamily, parseCIDR, parseIP } from './netutil.js';

/** An allocation refused, with the allocator's wording (ErrAllocated, ErrNotInRange, ErrFull). */
export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

export const ERR_FULL = 'range is full';

/** A bitmap of `max` offsets; serialised as big.Int.Bytes() (big-endian, no leading zero bytes), as kube stores it. */
class Bitmap {
  private readonly bytes: Uint8Array;
  count = 0;

  constructor(readonly max: number) {
    this.bytes = new Uint8Array(Math.ceil(max / 8));
  }

  static decode(max: number, data: unknown): Bitmap {
    const bm = new Bitmap(max);
    if (typeof data !== 'string') return bm;
    const be = Buffer.from(data, 'base64');
    for (let i = 0; i < be.length; i++) {
      const byte = be[be.length - 1 - i];
      for (let b = 0; b < 8; b++) if (byte & (1 << b) && i * 8 + b < max) bm.set(i * 8 + b);
    }
    return bm;
  }

  encode(): string {
    let n = this.bytes.length;
    while (n > 0 && this.bytes[n - 1] === 0) n--;
    const be = Buffer.alloc(n);
    for (let i = 0; i < n; i++) be[n - 1 - i] = this.bytes[i];
    return be.toString('base64');
  }

  has(i: number): boolean {
    return (this.bytes[i >> 3] & (1 << (i & 7))) !== 0;
  }

  set(i: number): boolean {
    if (this.has(i)) return false;
    this.bytes[i >> 3] |= 1 << (i & 7);
    this.count++;
    return true;
  }

  clear(i: number): void {
    if (!this.has(i)) return;
    this.bytes[i >> 3] &= ~(1 << (i & 7));
    this.count--;
  }

  /** randomScanStrategyWithOffset (randomScanStrategy when offset is 0): a free offset, or undefined when full. */
  pickFree(offset: number): number | undefined {
    if (this.count >= this.max) return undefined;
    const scan = (from: number, size: number): number | undefined => {
      if (size <= 0) return undefined;
      const start = randomInt(size);
      for (let i = 0; i < size; i++) {
        const at = from + ((start + i) % size);
        if (!this.has(at)) return at;
      }
      return undefined;
    };
    if (offset <= 0 || offset >= this.max) return scan(0, this.max);
    return scan(offset, this.max - offset) ?? scan(0, offset);
  }
}

/**
 * One range's bitmap in storage. A missing snapshot, or one of another range (the flag changed
 * between runs), is rebuilt from what the stored Services use, as kube's repair controllers do.
 */
class RangeSnapshot {
  constructor(
    private readonly storage: Storage,
    private readonly key: string,
    private readonly range: string,
    private readonly max: number,
    private readonly inUse: () => Promise<number[]>,
  ) {}

  private async load(cur: KubeObject | null): Promise<Bitmap> {
    if (cur && cur.range === this.range) return Bitmap.decode(this.max, cur.data);
    const bm = new Bitmap(this.max);
    for (const o of await this.inUse()) if (o >= 0 && o < this.max) bm.set(o);
    return bm;
  }

  /** The current bitmap, without changing it. */
  async read(): Promise<Bitmap> {
    return this.load(await this.storage.get(this.key));
  }

  /** Applies `fn` to the current bitmap and stores the result with a compare-and-swap (re-run on conflicts). */
  async update<T>(fn: (bm: Bitmap) => T): Promise<T> {
    let result!: T;
    await this.storage.guaranteedUpdate(
      this.key,
      async (cur) => {
        const bm = await this.load(cur);
        result = fn(bm);
        return {
          apiVersion: 'v1',
          kind: 'RangeAllocation',
          metadata: { name: '', creationTimestamp: null },
          range: this.range,
          data: bm.encode(),
        } as unknown as KubeObject;
      },
      { ignoreNotFound: true },
    );
    return result;
  }
}

/** calculateRangeOffset: min(max(min, size/step), max), 0 for ranges of `min` or fewer values. */
function rangeOffset(size: bigint, min: number, max: number, step: number): number {
  if (size <= BigInt(min)) return 0;
  const off = size / BigInt(step);
  if (off < BigInt(min)) return min;
  if (off > BigInt(max)) return max;
  return Number(off);
}

/** A Service IP range (ipallocator.Range over a bitmap): the network and, for IPv4, the broadcast address excluded. */
export class IPAllocator {
  readonly family: IPFamily;
  readonly cidr: CIDR;
  readonly cidrString: string;
  private readonly base: bigint;
  private readonly max: number;
  private readonly offset: number;
  private readonly snapshot: RangeSnapshot;

  constructor(storage: Storage, cidr: CIDR, key: string, inUse: () => Promise<string[]>) {
    this.cidr = cidr;
    this.family = cidr.family;
    this.cidrString = formatCIDR(cidr);
    let max = cidrSize(cidr);
    if (this.family === 'IPv6') {
      // The bitmap is capped, as kube caps it.
      if (max > 65536n) max = 65536n;
    } else max -= 1n;
    max -= 1n;
    this.max = max < 0n ? 0 : Number(max);
    this.base = cidr.base + 1n;
    this.offset = rangeOffset(cidrSize(cidr), 16, 256, 16);
    this.snapshot = new RangeSnapshot(storage, key, this.cidrString, this.max, async () =>
      (await inUse()).map((ip) => this.offsetOf(ip)).filter((o): o is number => o !== undefined),
    );
  }

  /** The IP's offset in the bitmap, undefined when outside the usable range. */
  offsetOf(ip: string): number | undefined {
    const p = parseIP(ip);
    if (!p || !cidrContains(this.cidr, p)) return undefined;
    const off = p.value - this.base;
    return off < 0n || off >= BigInt(this.max) ? undefined : Number(off);
  }

  private ipAt(offset: number): string {
    return formatIP({ family: this.family, value: this.base + BigInt(offset) });
  }

  private notInRange(ip: string): AllocationError {
    const p = parseIP(ip);
    return new AllocationError(
      `the provided IP (${p ? formatIP(p) : ip}) is not in the valid range. The range of valid IPs is ${this.cidrString}`,
    );
  }

  /** Reserves `ip`; a dry run only checks it is in range, as kube's dry-run range does. */
  async allocate(ip: string, dryRun: boolean): Promise<void> {
    const off = this.offsetOf(ip);
    if (off === undefined) throw this.notInRange(ip);
    if (dryRun) return;
    await this.snapshot.update((bm) => {
      if (!bm.set(off)) throw new AllocationError('provided IP is already allocated');
    });
  }

  /** Reserves a free IP; a dry run answers the network address without looking, as kube's does. */
  async allocateNext(dryRun: boolean): Promise<string> {
    if (dryRun) return formatIP({ family: this.family, value: this.cidr.base });
    const off = await this.snapshot.update((bm) => {
      const at = bm.pickFree(this.offset);
      if (at === undefined) throw new AllocationError(ERR_FULL);
      bm.set(at);
      return at;
    });
    return this.ipAt(off);
  }

  /** Releases IPs; ones outside the range are ignored. */
  async release(ips: string[]): Promise<void> {
    const offs = ips.map((ip) => this.offsetOf(ip)).filter((o): o is number => o !== undefined);
    if (offs.length === 0) return;
    await this.snapshot.update((bm) => {
      for (const o of offs) bm.clear(o);
    });
  }

  /** Whether `ip` is reserved now. */
  async has(ip: string): Promise<boolean> {
    const off = this.offsetOf(ip);
    return off !== undefined && (await this.snapshot.read()).has(off);
  }

  /** The first usable address (the `kubernetes` Service's). */
  firstIP(): string {
    return this.ipAt(0);
  }
}

export interface PortRange {
  base: number;
  size: number;
}

/** utilnet.ParsePortRange: `30000-32767`, `30000+2767` or one port. */
export function parsePortRange(s: string): PortRange | undefined {
  const m = /^(\d+)(?:([-+])(\d+))?$/.exec(s.trim());
  if (!m) return undefined;
  const low = Number(m[1]);
  let high = low;
  if (m[2] === '-') high = Number(m[3]);
  else if (m[2] === '+') high = low + Number(m[3]);
  if (low > 65535 || high > 65535 || high < low) return undefined;
  return { base: low, size: high - low + 1 };
}

export function formatPortRange(r: PortRange): string {
  return r.size === 1 ? String(r.base) : `${r.base}-${r.base + r.size - 1}`;
}

/**
 * The NodePorts one Service operation reserves (portallocator.PortAllocationOperation):
 * requested ports and dynamic picks, all applied to one bitmap snapshot and stored together.
 */
export interface PortOperation {
  /** Reserves `port`; throws AllocationError (not in range, already allocated). */
  allocate(port: number): void;
  /** Reserves a free port; throws AllocationError (range is full). */
  allocateNext(): number;
}

export class PortAllocator {
  readonly range: PortRange;
  readonly rangeString: string;
  private readonly offset: number;
  private readonly snapshot: RangeSnapshot;

  constructor(storage: Storage, range: PortRange, key: string, inUse: () => Promise<number[]>) {
    this.range = range;
    this.rangeString = formatPortRange(range);
    this.offset = rangeOffset(BigInt(range.size), 16, 128, 32);
    this.snapshot = new RangeSnapshot(storage, key, this.rangeString, range.size, async () =>
      (await inUse()).map((p) => p - range.base).filter((o) => o >= 0 && o < range.size),
    );
  }

  private notInRange(): AllocationError {
    return new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.rangeString}`);
  }

  /**
   * Runs `plan` against the stored bitmap and stores what it reserved in one compare-and-swap
   * (`plan` may run again when another writer wins the race). A dry run reserves nothing: taken
   * ports are still refused, dynamic picks are placeholders above the range, as kube's are.
   * Returns the ports reserved.
   */
  async transact(dryRun: boolean, plan: (op: PortOperation) => void): Promise<number[]> {
    if (dryRun) {
      const bm = await this.snapshot.read();
      const taken: number[] = [];
      plan({
        allocate: (port) => {
          const off = port - this.range.base;
          if ((off >= 0 && off < this.range.size && bm.has(off)) || taken.includes(port))
            throw new AllocationError('provided port is already allocated');
          taken.push(port);
        },
        allocateNext: () => {
          const next = taken.length === 0 ? 32769 : Math.max(...taken) + 1;
          taken.push(next);
          return next;
        },
      });
      return [];
    }
    return this.snapshot.update((bm) => {
      const reserved: number[] = [];
      plan({
        allocate: (port) => {
          const off = port - this.range.base;
          if (off < 0 || off >= this.range.size) throw this.notInRange();
          if (!bm.set(off)) throw new AllocationError('provided port is already allocated');
          reserved.push(port);
        },
        allocateNext: () => {
          const at = bm.pickFree(this.offset);
          if (at === undefined) throw new AllocationError(ERR_FULL);
          bm.set(at);
          reserved.push(this.range.base + at);
          return this.range.base + at;
        },
      });
      return reserved;
    });
  }

  async release(ports: number[]): Promise<void> {
    const offs = ports.map((p) => p - this.range.base).filter((o) => o >= 0 && o < this.range.size);
    if (offs.length === 0) return;
    await this.snapshot.update((bm) => {
      for (const o of offs) bm.clear(o);
    });
  }

  async has(port: number): Promise<boolean> {
    const off = port - this.range.base;
    return off >= 0 && off < this.range.size && (await this.snapshot.read()).has(off);
  }
}

/** Parses `--service-cluster-ip-range` (one CIDR, or two of different families): an error message when invalid. */
export function parseServiceCIDRs(flag: string): CIDR[] | string {
  const parts = flag
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) return 'service-cluster-ip-range must contain at least one valid cidr';
  if (parts.length > 2) return 'service-cluster-ip-range must have no more than two values: one for each IP family';
  const cidrs: CIDR[] = [];
  for (const p of parts) {
    const c = parseCIDR(p);
    if (!c) return `service-cluster-ip-range[${cidrs.length}] is not a valid cidr`;
    cidrs.push(c);
  }
  if (cidrs.length === 2 && cidrs[0].family === cidrs[1].family)
    return 'service-cluster-ip-range[0] and service-cluster-ip-range[1] must be of different IP family';
  for (const c of cidrs) {
    // kube refuses ranges too large for its bitmap: more than 2^20 addresses (IPv4 /12, IPv6 /108).
    if (c.family === 'IPv4' ? c.prefix < 12 : c.prefix < 108)
      return `specified service-cluster-ip-range ${formatCIDR(c)} is too large; for ${c.bits}-bit addresses, the mask must be >= ${c.bits - 20}`;
  }
  return cidrs;
}
