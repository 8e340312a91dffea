// One client watch: filters events with its predicate, turning a change in
// whether an object matches into ADDED/DELETED as kube's cacheWatcher does,
// and hands them to its sink. A sink that falls too far behind is closed
// (the client relists), so no watcher can block the others.

import type { KubeObject } from '../api/types.js';
import type { WatchEventOut, WatchSink } from '../registry/list.js';

export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: string;
  object: KubeObject;
  prevObject?: KubeObject;
  revision: number;
}

export interface WatchFilter {
  /** Key prefix the watch covers (a namespace narrows it). */
  keyPrefix: string;
  predicate?: (obj: KubeObject) => boolean;
}

export class Watcher {
  closed = false;
  constructor(
    readonly filter: WatchFilter,
    private readonly sink: WatchSink,
    readonly allowBookmarks: boolean,
    private readonly onClose: (w: Watcher) => void,
  ) {}

  /** Translates one storage event for this watcher (cacheWatcher.convertToWatchEvent). */
  deliver(ev: CacheEvent): void {
    if (this.closed || !ev.key.startsWith(this.filter.keyPrefix)) return;
    const p = this.filter.predicate;
    if (!p) return this.send({ type: ev.type, object: ev.object });
    if (ev.type === 'ADDED') {
      if (p(ev.object)) this.send({ type: 'ADDED', object: ev.object });
      return;
    }
    if (ev.type === 'DELETED') {
      if (p(ev.object)) this.send({ type: 'DELETED', object: ev.object });
      return;
    }
    const cur = p(ev.object);
    const prev = ev.prevObject ? p(ev.prevObject) : false;
    if (cur && prev) this.send({ type: 'MODIFIED', object: ev.object });
    else if (cur) this.send({ type: 'ADDED', object: ev.object });
    else if (prev) this.send({ type: 'DELETED', object: ev.object });
  }

  send(ev: WatchEventOut): void {
    if (this.closed) return;
    this.sink.event(ev);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.sink.close();
  }
}
