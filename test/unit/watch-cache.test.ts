// WatchCache behaviour that needs a misbehaving storage: an upstream watch
// failure ends every client watch with 410 and the cache relists.

import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';
import { StorageError, type WatchHandler } from '../../src/server/storage/interface.js';
import { WatchCache } from '../../src/server/watch/cache.js';
import type { WatchEventOut } from '../../src/server/registry/list.js';

class FlakyStorage extends MemoryStorage {
  handlers: WatchHandler[] = [];
  override watch(prefix: string, opts: Parameters<MemoryStorage['watch']>[1], handler: WatchHandler): ReturnType<MemoryStorage['watch']> {
    this.handlers.push(handler);
    return super.watch(prefix, opts, handler);
  }
}

describe('WatchCache', () => {
  it('answers watchers with 410 and relists when the storage watch fails', async () => {
    const storage = new FlakyStorage();
    await storage.create('/configmaps/default/a', { metadata: { name: 'a', namespace: 'default' } });
    const cache = new WatchCache(storage, '/configmaps/');
    await cache.start();
    const got: WatchEventOut[] = [];
    let closed = false;
    await cache.watch({ keyPrefix: '/configmaps/' }, { event: (e) => got.push(e), close: () => { closed = true; } }, { fromRevision: 0, initialEvents: true, allowBookmarks: false });
    expect(got.map((e) => e.type)).toEqual(['ADDED']);
    storage.handlers[0].error(new StorageError('Compacted', '/configmaps/', 'compacted'));
    expect(got.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(got[1].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(closed).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(storage.handlers).toHaveLength(2);
    await storage.create('/configmaps/default/b', { metadata: { name: 'b', namespace: 'default' } });
    const { items } = await cache.list('/configmaps/');
    expect(items.map((i) => i.metadata!.name)).toEqual(['a', 'b']);
    cache.stop();
  });

  it('waits for a newer revision, then answers 504 Too large resource version', async () => {
    const storage = new MemoryStorage();
    const cache = new WatchCache(storage, '/configmaps/', { freshnessTimeoutMs: 100 });
    await cache.start();
    const rev = await storage.currentRevision();
    const pending = cache.list('/configmaps/', undefined, rev + 1);
    await storage.create('/configmaps/default/x', { metadata: { name: 'x', namespace: 'default' } });
    expect((await pending).items).toHaveLength(1);
    await expect(cache.list('/configmaps/', undefined, rev + 100)).rejects.toMatchObject({ status: { code: 504, reason: 'Timeout' } });
    cache.stop();
  });
});
