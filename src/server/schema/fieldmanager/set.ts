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
  /** Members at this level, by element id. */
  readonly members = new Map<string, PathElement>();
  /** Sub-sets by element id. */
  readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Adds a path. The empty path (the whole object) is not tracked, as in fieldpath.Set.Insert. */
  insert(p: Path): void {
    if (p.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.child(p[i]);
    s.members.set(p[p.length - 1].id, p[p.length - 1]);
  }

  /** The sub-set under `pe`, created when missing. */
  child(pe: PathElement): FieldSet {
    let c = this.children.get(pe.id);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(pe.id, c);
    }
    return c.set;
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1 && s; i++) s = s.children.get(p[i].id)?.set;
    return s?.members.has(p[p.length - 1].id) === true;
  }

  /** fieldpath.Set.WithPrefix: the paths under `pe`, relative to it (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe.id)?.set ?? EMPTY;
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.empty()) return false;
    return true;
  }

  /** The number of member paths. */
  size(): number {
    let n = this.members.size;
    for (const c of this.children.values()) n += c.set.size();
    return n;
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, pe] of o.members) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const d = o.children.get(id);
      out.children.set(id, { pe: c.pe, set: d ? c.set.union(d.set) : c.set.clone() });
    }
    for (const [id, d] of o.children) if (!this.children.has(id)) out.children.set(id, { pe: d.pe, set: d.set.clone() });
    return out;
  }

  /** Walks the smaller side at each level: a manager's large set against a write's few changed fields costs the few. */
  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    const [few, many] = this.members.size <= o.members.size ? [this, o] : [o, this];
    for (const [id, pe] of few.members) if (many.members.has(id)) out.members.set(id, pe);
    const [fewer, more] = this.children.size <= o.children.size ? [this, o] : [o, this];
    for (const [id, c] of fewer.children) {
      const d = more.children.get(id);
      if (!d) continue;
      const s = c.set.intersection(d.set);
      if (!s.empty()) out.children.set(id, { pe: c.pe, set: s });
    }
    return out;
  }

  /** !intersection(o).empty(), without building it. */
  intersects(o: FieldSet): boolean {
    const [few, many] = this.members.size <= o.members.size ? [this, o] : [o, this];
    for (const id of few.members.keys()) if (many.members.has(id)) return true;
    const [fewer, more] = this.children.size <= o.children.size ? [this, o] : [o, this];
    for (const [id, c] of fewer.children) {
      const d = more.children.get(id);
      if (d && c.set.intersects(d.set)) return true;
    }
    return false;
  }

  /** difference(o).empty(), without building it. */
  isSubsetOf(o: FieldSet): boolean {
    for (const id of this.members.keys()) if (!o.members.has(id)) return false;
    for (const [id, c] of this.children) {
      const d = o.children.get(id);
      if (d ? !c.set.isSubsetOf(d.set) : !c.set.empty()) return false;
    }
    return true;
  }

  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!o.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const d = o.children.get(id);
      const s = d ? c.set.difference(d.set) : c.set.clone();
      if (!s.empty()) out.children.set(id, { pe: c.pe, set: s });
    }
    return out;
  }

  /**
   * fieldpath.Set.RecursiveDifference: as difference, and a member of `o` also removes
   * everything under it (a reset field such as `status` takes its whole subtree).
   */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!o.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      if (o.members.has(id)) continue;
      const d = o.children.get(id);
      const s = d ? c.set.recursiveDifference(d.set) : c.set.clone();
      if (!s.empty()) out.children.set(id, { pe: c.pe, set: s });
    }
    return out;
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
    for (const [id, pe] of this.members) if (!this.children.has(id) || this.children.get(id)!.set.empty()) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const s = c.set.leaves();
      if (!s.empty()) out.children.set(id, { pe: c.pe, set: s });
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) out.members.set(id, pe);
    for (const [id, c] of this.children) out.children.set(id, { pe: c.pe, set: c.set.clone() });
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
