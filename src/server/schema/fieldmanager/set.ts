// Sets of field paths (structured-merge-diff fieldpath.Set): a tree whose nodes hold
// members (paths that end here) and children (paths that continue). A path can be both a
// member and a prefix of others: FieldsV1 writes that node with a `.` entry.

import { compareElements, type Path, type PathElement } from './path.js';

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

const byElement = (a: PathElement, b: PathElement): number => compareElements(a, b);

export class FieldSet {
  // Made on first use: most sets a write makes (a comparison's added and removed fields, a level with members
  // only) lack one or both, and an empty Map is three allocations.
  private m?: Map<string, PathElement>;
  private c?: Map<string, Child>;

  /** Members at this level, by element id. */
  get members(): ReadonlyMap<string, PathElement> {
    return this.m ?? NONE;
  }

  /** Sub-sets by element id. */
  get children(): ReadonlyMap<string, Child> {
    return this.c ?? NONE;
  }

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  // The four methods that change a set are for building one (a comparison, a value's fields, a decoded
  // FieldsV1). A set is never changed once built: the operations below share the sub-sets of their operands
  // and answer with an operand itself when the result is that operand, instead of copying.

  /** Adds a path. The empty path (the whole object) is not tracked, as in fieldpath.Set.Insert. */
  insert(p: Path): void {
    if (p.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.child(p[i]);
    s.addMember(p[p.length - 1]);
  }

  /** The sub-set under `pe`, created when missing. */
  child(pe: PathElement): FieldSet {
    const children = (this.c ??= new Map());
    let c = children.get(pe.id);
    if (!c) {
      c = { pe, set: new FieldSet() };
      children.set(pe.id, c);
    }
    return c.set;
  }

  addMember(pe: PathElement): void {
    (this.m ??= new Map()).set(pe.id, pe);
  }

  setChild(pe: PathElement, set: FieldSet): void {
    (this.c ??= new Map()).set(pe.id, { pe, set });
  }

  deleteChild(id: string): void {
    this.c?.delete(id);
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1 && s; i++) s = s.c?.get(p[i].id)?.set;
    return s?.m?.has(p[p.length - 1].id) === true;
  }

  /** fieldpath.Set.WithPrefix: the paths under `pe`, relative to it (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.c?.get(pe.id)?.set ?? EMPTY;
  }

  empty(): boolean {
    if (this.m?.size) return false;
    if (this.c) for (const c of this.c.values()) if (!c.set.empty()) return false;
    return true;
  }

  /** The number of member paths. */
  size(): number {
    let n = this.m?.size ?? 0;
    if (this.c) for (const c of this.c.values()) n += c.set.size();
    return n;
  }

  union(o: FieldSet): FieldSet {
    if (o === this || o.bare()) return this;
    if (this.bare()) return o;
    const out = new FieldSet();
    if (this.m?.size || o.m?.size) {
      const m = new Map(this.m);
      if (o.m) for (const [id, pe] of o.m) m.set(id, pe);
      out.m = m;
    }
    if (this.c?.size || o.c?.size) {
      const c = new Map(this.c);
      if (o.c)
        for (const [id, d] of o.c) {
          const mine = c.get(id);
          c.set(id, mine ? { pe: mine.pe, set: mine.set.union(d.set) } : d);
        }
      out.c = c;
    }
    return out;
  }

  /** Walks the smaller side at each level: a manager's large set against a write's few changed fields costs the few. */
  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    const mine = this.members;
    const theirs = o.members;
    const few = mine.size <= theirs.size ? mine : theirs;
    const many = few === mine ? theirs : mine;
    for (const [id, pe] of few) if (many.has(id)) out.addMember(pe);
    const kids = this.children;
    const others = o.children;
    const fewer = kids.size <= others.size ? kids : others;
    const more = fewer === kids ? others : kids;
    for (const [id, c] of fewer) {
      const d = more.get(id);
      if (!d) continue;
      const s = c.set.intersection(d.set);
      if (!s.empty()) out.setChild(c.pe, s);
    }
    return out;
  }

  /** !intersection(o).empty(), without building it. */
  intersects(o: FieldSet): boolean {
    const mine = this.m;
    const theirs = o.m;
    if (mine && theirs) {
      const few = mine.size <= theirs.size ? mine : theirs;
      const many = few === mine ? theirs : mine;
      for (const id of few.keys()) if (many.has(id)) return true;
    }
    const kids = this.c;
    const others = o.c;
    if (!kids || !others) return false;
    const fewer = kids.size <= others.size ? kids : others;
    const more = fewer === kids ? others : kids;
    for (const [id, c] of fewer) {
      const d = more.get(id);
      if (d && c.set.intersects(d.set)) return true;
    }
    return false;
  }

  /** difference(o).empty(), without building it. */
  isSubsetOf(o: FieldSet): boolean {
    if (this.m) for (const id of this.m.keys()) if (!o.m?.has(id)) return false;
    if (this.c)
      for (const [id, c] of this.c) {
        const d = o.c?.get(id);
        if (d ? !c.set.isSubsetOf(d.set) : !c.set.empty()) return false;
      }
    return true;
  }

  difference(o: FieldSet): FieldSet {
    return this.without(o, false);
  }

  /**
   * fieldpath.Set.RecursiveDifference: as difference, and a member of `o` also removes
   * everything under it (a reset field such as `status` takes its whole subtree).
   */
  recursiveDifference(o: FieldSet): FieldSet {
    return this.without(o, true);
  }

  /** difference, or recursiveDifference when `recursive`: this set itself when `o` takes nothing from it. */
  private without(o: FieldSet, recursive: boolean): FieldSet {
    if (o.bare() || this.bare()) return this;
    let m = this.m;
    if (m && o.m) {
      for (const id of m.keys())
        if (o.m.has(id)) {
          m = new Map();
          for (const [k, pe] of this.m!) if (!o.m.has(k)) m.set(k, pe);
          break;
        }
    }
    let c = this.c;
    if (c) {
      for (const [id, x] of this.c!) {
        const gone = recursive && o.m?.has(id) === true;
        const d = gone ? undefined : o.c?.get(id);
        if (!gone && !d) continue;
        const s = d ? x.set.without(d.set, recursive) : undefined;
        if (s === x.set) continue;
        if (c === this.c) c = new Map(this.c);
        if (!s || s.empty()) c.delete(id);
        else c.set(id, { pe: x.pe, set: s });
      }
    }
    if (m === this.m && c === this.c) return this;
    const out = new FieldSet();
    if (m?.size) out.m = m;
    if (c?.size) out.c = c;
    return out;
  }

  /** No members and no sub-sets at this level (an empty set may still hold empty sub-sets). */
  private bare(): boolean {
    return !this.m?.size && !this.c?.size;
  }

  equals(o: FieldSet): boolean {
    if (this.members.size !== o.members.size) return false;
    for (const id of this.members.keys()) if (!o.members.has(id)) return false;
    const mine = [...this.children.values()].filter((c) => !c.set.empty());
    const theirs = [...o.children.values()].filter((c) => !c.set.empty());
    if (mine.length !== theirs.length) return false;
    for (const c of mine) {
      const d = o.children.get(c.pe.id);
      if (!d || !c.set.equals(d.set)) return false;
    }
    return true;
  }

  /** fieldpath.Set.Leaves: the members that are not also prefixes of other members. */
  leaves(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!this.children.get(id) || this.children.get(id)!.set.empty()) out.addMember(pe);
    for (const c of this.children.values()) {
      const s = c.set.leaves();
      if (!s.empty()) out.setChild(c.pe, s);
    }
    return out;
  }

  /** Members in sorted order (fieldpath.Set.Iterate: this level's members, then each child's paths). */
  *paths(prefix: PathElement[] = []): Generator<Path> {
    for (const pe of [...this.members.values()].sort(byElement)) yield [...prefix, pe];
    for (const c of this.sortedChildren()) yield* c.set.paths([...prefix, c.pe]);
  }

  /** fieldpath.Set.Iterate. */
  iterate(f: (p: Path) => void): void {
    for (const p of this.paths()) f(p);
  }

  sortedChildren(): Child[] {
    return [...this.children.values()].sort((a, b) => compareElements(a.pe, b.pe));
  }
}

const EMPTY = new FieldSet();
const NONE: ReadonlyMap<string, never> = new Map<string, never>();
