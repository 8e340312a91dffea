// The etcd v3 API messages the driver sends and reads: rpc.json (scripts/gen/etcd-proto.mjs, from
// etcd's api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto) loaded into protobufjs' light build (no
// .proto parser). Field names are the .proto's (snake_case). int64 fields are written from numbers
// and read back as numbers or Longs (num() in index.ts); bytes are read as Buffers.

import protobuf from 'protobufjs/light.js';
import type { MessageType } from './grpc.js';
import descriptor from './rpc.json' with { type: 'json' };

/** The gRPC methods called (`/<package>.<service>/<method>`). */
export const METHODS = {
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  compact: '/etcdserverpb.KV/Compact',
  watch: '/etcdserverpb.Watch/Watch',
} as const;

/** A decoded int64. */
type Int64 = number | { toNumber(): number };

export interface ResponseHeader {
  revision?: Int64;
}

export interface KeyValueMessage {
  key?: Uint8Array;
  create_revision?: Int64;
  mod_revision?: Int64;
  value?: Uint8Array;
}

export interface RangeRequest {
  key: Uint8Array;
  range_end?: Uint8Array;
  limit?: number;
  revision?: number;
  count_only?: boolean;
}

export interface RangeResponse {
  header?: ResponseHeader;
  kvs: KeyValueMessage[];
  more: boolean;
  count?: Int64;
}

export interface Compare {
  key: Uint8Array;
  /** CompareTarget: MOD = 2. */
  target: number;
  /** CompareResult: EQUAL = 0. */
  result: number;
  mod_revision: number;
}

export interface RequestOp {
  request_range?: { key: Uint8Array };
  request_put?: { key: Uint8Array; value: Uint8Array };
  request_delete_range?: { key: Uint8Array };
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header?: ResponseHeader;
  succeeded: boolean;
  responses: Array<{ response_range?: RangeResponse }>;
}

export interface CompactionRequest {
  revision: number;
}

export interface WatchRequest {
  create_request?: {
    key: Uint8Array;
    range_end?: Uint8Array;
    start_revision?: number;
    progress_notify?: boolean;
    prev_kv?: boolean;
  };
  cancel_request?: { watch_id: number };
}

export interface WatchResponse {
  header?: ResponseHeader;
  watch_id?: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision?: Int64;
  cancel_reason?: string;
  events: Array<{ /** EventType: PUT = 0, DELETE = 1. */ type: number; kv?: KeyValueMessage; prev_kv?: KeyValueMessage }>;
}

export interface Messages {
  RangeRequest: MessageType<RangeRequest>;
  RangeResponse: MessageType<RangeResponse>;
  TxnRequest: MessageType<TxnRequest>;
  TxnResponse: MessageType<TxnResponse>;
  CompactionRequest: MessageType<CompactionRequest>;
  CompactionResponse: MessageType<{ header?: ResponseHeader }>;
  WatchRequest: MessageType<WatchRequest>;
  WatchResponse: MessageType<WatchResponse>;
}

let loaded: Messages | undefined;

/** The message types, built with the first call. */
export function messages(): Messages {
  if (loaded) return loaded;
  const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  const type = <T>(name: string): MessageType<T> => root.lookupType(`etcdserverpb.${name}`) as unknown as MessageType<T>;
  loaded = {
    RangeRequest: type('RangeRequest'),
    RangeResponse: type('RangeResponse'),
    TxnRequest: type('TxnRequest'),
    TxnResponse: type('TxnResponse'),
    CompactionRequest: type('CompactionRequest'),
    CompactionResponse: type('CompactionResponse'),
    WatchRequest: type('WatchRequest'),
    WatchResponse: type('WatchResponse'),
  };
  return loaded;
}
