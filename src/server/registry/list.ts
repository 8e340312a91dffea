// List and watch for one resource: the contract the REST endpoints use.
// The implementation (resourceVersion semantics, continue tokens, selectors,
// watch cache or storage) is in lister.ts.

import type { KubeList, KubeObject } from '../api/types.js';

export interface ListRequest {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

export interface WatchRequest {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
}

export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface WatchSink {
  event(ev: WatchEventOut): void;
  close(): void;
}

export interface Lister {
  list(req: ListRequest): Promise<KubeList>;
  watch(req: WatchRequest, sink: WatchSink): Promise<{ stop(): void }>;
}
