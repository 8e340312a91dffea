// Watch events on the wire: `{"type":...,"object":...}` + "\n". An event
// object is shared by every watcher that receives it (watcher.ts), so its
// bytes are built once and reused for all of them: the fan-out hot path.

import type { WatchEventOut } from './types.js';

const lines = new WeakMap<WatchEventOut, Buffer>();

/** The event as one JSON document (no newline). */
export function eventJSON(ev: WatchEventOut): string {
  return `{"type":"${ev.type}","object":${JSON.stringify(ev.object)}}`;
}

/** The event as a JSON line, serialised once per event object. */
export function eventLine(ev: WatchEventOut): Buffer {
  let b = lines.get(ev);
  if (!b) {
    b = Buffer.from(`${eventJSON(ev)}\n`);
    lines.set(ev, b);
  }
  return b;
}
