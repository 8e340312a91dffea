// List and watch for one resource: the contract the REST endpoints use.
// The implementation (request validation, selectors) is in lister.ts; the
// watch event and sink types are the watch package's.

import type { KubeList } from '../api/types.js';
import type { WatchSink } from '../watch/types.js';

export type { WatchEventOut, WatchSink } from '../watch/types.js';

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

export interface Lister {
  list(req: ListRequest): Promise<KubeList>;
  watch(req: WatchRequest, sink: WatchSink): Promise<{ stop(): void }>;
}
