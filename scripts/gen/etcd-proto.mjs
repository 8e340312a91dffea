#!/usr/bin/env node
// Generates src/server/storage/etcd/rpc.json: the etcd v3 API messages the etcd driver sends and
// reads (KV Range, Txn, Compact; Watch), as a protobufjs JSON descriptor, read from etcd's
// api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto (a checkout of etcd-io/etcd, tag v3.5.x).
//
//   node scripts/gen/etcd-proto.mjs <etcd checkout dir> [--version v3.5.17] [--out <file>]
//
// Kept: the request and response messages of the calls below and every message and enum those
// reach. Dropped: services (the driver writes its method paths itself), options (gogoproto,
// google.api.http) and comments. Field names stay as written (snake_case, protobufjs keepCase).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { parseCommandLine, root, writeFormattedJSON } from './lib.mjs';

/** The calls the driver makes: `/etcdserverpb.<service>/<method>` with these messages. */
const ROOTS = [
  'etcdserverpb.RangeRequest',
  'etcdserverpb.RangeResponse',
  'etcdserverpb.TxnRequest',
  'etcdserverpb.TxnResponse',
  'etcdserverpb.CompactionRequest',
  'etcdserverpb.CompactionResponse',
  'etcdserverpb.WatchRequest',
  'etcdserverpb.WatchResponse',
];

function parseArgs(argv) {
  const { positional, flags } = parseCommandLine(argv, 1, 'etcd-proto.mjs <etcd checkout dir> [--version v3.5.17] [--out file]');
  return {
    etcdDir: positional[0],
    version: flags.version ?? 'v3.5.17',
    out: flags.out ?? path.join(root, 'src/server/storage/etcd/rpc.json'),
  };
}

/** A .proto file without its imports and file options: gogoproto and google.api are not needed to read the messages. */
function readProto(file) {
  return readFileSync(file, 'utf8')
    .replace(/^import .*;$/gm, '')
    .replace(/^option \(.*;$/gm, '');
}

/** A reflection object's JSON without options and comments (gogoproto field options among them). */
function strip(json) {
  if (Array.isArray(json)) return json.map(strip);
  if (json === null || typeof json !== 'object') return json;
  const out = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === 'options' || k === 'comment' || k === 'comments') continue;
    out[k] = strip(v);
  }
  return out;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const full = new protobuf.Root();
  for (const rel of ['api/mvccpb/kv.proto', 'api/etcdserverpb/rpc.proto']) {
    const file = path.join(args.etcdDir, rel);
    if (!existsSync(file)) throw new Error(`${file}: not found (pass a checkout of etcd-io/etcd)`);
    protobuf.parse(readProto(file), full, { keepCase: true });
  }
  // Only the kept messages must resolve: the Auth messages' authpb types are not read.
  const keep = new Map();
  const visit = (type) => {
    const name = type.fullName.slice(1);
    if (keep.has(name)) return;
    keep.set(name, type);
    for (const f of type.fieldsArray) {
      f.resolve();
      if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
      else if (f.resolvedType instanceof protobuf.Enum && f.resolvedType.parent instanceof protobuf.Type) visit(f.resolvedType.parent);
    }
  };
  for (const r of ROOTS) visit(full.lookupType(r));

  // The kept messages (their nested enums with them), nested by package as protobufjs' descriptor nests namespaces.
  const nested = {};
  for (const name of [...keep.keys()].sort()) {
    const parts = name.split('.');
    let ns = nested;
    for (const p of parts.slice(0, -1)) {
      ns[p] ??= { nested: {} };
      ns = ns[p].nested;
    }
    const json = strip(keep.get(name).toJSON());
    // Nested messages are kept (or not) on their own; nested enums stay with their message.
    if (json.nested) {
      for (const [k, v] of Object.entries(json.nested)) if (!v.values) delete json.nested[k];
      if (Object.keys(json.nested).length === 0) delete json.nested;
    }
    ns[parts.at(-1)] = json;
  }
  const descriptor = { source: { 'etcd-io/etcd': args.version }, nested };
  // The descriptor must load and resolve as the driver will load it.
  protobuf.Root.fromJSON(descriptor).resolveAll();
  writeFormattedJSON(args.out, descriptor);
  console.error(`wrote ${args.out}: ${keep.size} messages from etcd ${args.version}`);
}

main();
