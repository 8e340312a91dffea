// Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).
// kubectl's typed generators (`kubectl create deployment|job|service ...`, `kubectl run`)
// send protobuf; the envelope is "k8s\0" + runtime.Unknown{typeMeta, raw}, and raw is the
// object in the field numbering of k8s.io/api's generated.proto. The messages come from
// k8s-proto.json (scripts/gen/protobuf.mjs): the served kinds' messages, read from the
// generated.proto files of k8s.io/api and k8s.io/apimachinery. The decoded message is turned
// into the JSON kube's own decoder would have produced from the same Go object.

import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import { badRequest } from '../api/errors.js';
import { lazyJSON } from '../api/generated-json.js';

// Only named here so that tsc keeps the file in its program and copies it to dist/ beside this module.
type Descriptor = typeof import('./k8s-proto.json');
const descriptorFile = lazyJSON<Descriptor>(import.meta.url, './k8s-proto.json', '../server/http/k8s-proto.json');

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

interface Messages {
  root: protobuf.Root;
  unknown: protobuf.Type;
  /** API group -> proto package. */
  groups: Record<string, string>;
  /** List wrapper messages (ExtraValue), a bare list in JSON. */
  wrappers: Set<string>;
  /** Embedded Go structs JSON inlines (`json:",inline"`), a field of their own in protobuf (Volume's volumeSource). */
  inline: Map<string, string[]>;
  /** Value-typed `omitempty` fields: Go's protobuf marshaller writes their zero value, JSON leaves it out. */
  omitEmpty: Map<string, string[]>;
}

// protobufjs and the descriptor are loaded with the first protobuf body, not with every server start.
let messages: Messages | undefined;
function load(): Messages {
  if (messages) return messages;
  const lib = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  const descriptor = descriptorFile();
  const root = lib.Root.fromJSON(descriptor as protobuf.INamespace);
  root.resolveAll();
  const byType = (m: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(m).map(([t, fields]) => [`.${t}`, fields]));
  messages = {
    root,
    unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'),
    groups: descriptor.groups as Record<string, string>,
    wrappers: new Set(descriptor.wrappers.map((w) => `.${w}`)),
    inline: byType(descriptor.inline as Record<string, string[]>),
    omitEmpty: byType(descriptor.omitEmpty as Record<string, string[]>),
  };
  return messages;
}

/** The message of a kind: `apps/v1` Deployment is k8s.io.api.apps.v1.Deployment (core `v1`: k8s.io.api.core.v1). */
function kindType(root: protobuf.Root, apiVersion: string, kind: string): protobuf.Type | undefined {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const pkg = load().groups[group];
  const candidates = [pkg && version && kind ? `${pkg}.${version}.${kind}` : '', `${META}.${kind}`];
  for (const name of candidates.filter(Boolean)) {
    const t = root.lookup(name);
    // A kind carries ObjectMeta or ListMeta; DeleteOptions is meta's own kind sent as a body.
    if (t && 'fields' in t && (t as protobuf.Type).fields.metadata) return t as protobuf.Type;
    if (t && 'fields' in t && t.fullName === `.${META}.DeleteOptions`) return t as protobuf.Type;
  }
  return undefined;
}

/** Seconds of Go's zero time.Time (0001-01-01T00:00:00Z) since the Unix epoch. */
const GO_ZERO_TIME_SECONDS = -62135596800;

type Obj = Record<string, unknown>;

/** metav1.Time (RFC3339, seconds) and MicroTime (RFC3339 with microseconds); Go's zero time is JSON's null: absent. */
function timeString(v: Obj, micro: boolean): string | undefined {
  const seconds = Number(v.seconds ?? 0);
  if (seconds === GO_ZERO_TIME_SECONDS) return undefined;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  const micros = Math.floor(Number(v.nanos ?? 0) / 1000);
  return `${base}.${String(micros).padStart(6, '0')}Z`;
}

/** Raw JSON bytes (base64 after toObject) as the value they hold; none is absent. */
function rawJSON(b64: unknown): unknown {
  const text = Buffer.from(String(b64 ?? ''), 'base64').toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

/** A message value as JSON: the apimachinery types with a custom JSON form, else its fields. */
function messageJSON(type: protobuf.Type, v: Obj): unknown {
  switch (type.fullName) {
    case `.${META}.Time`:
      return timeString(v, false);
    case `.${META}.MicroTime`:
      return timeString(v, true);
    case `.${META}.FieldsV1`:
      return rawJSON(v.Raw);
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return v.string ?? '';
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension':
      return rawJSON(v.raw);
  }
  // A named slice type (`+protobuf.nullable=true`, e.g. ExtraValue) is the bare list in JSON.
  if (load().wrappers.has(type.fullName)) return v.items ?? [];
  for (const field of type.fieldsArray) {
    const value = v[field.name];
    const sub = field.resolvedType;
    if (value === undefined || !sub || !('fields' in sub)) continue;
    const conv = (x: unknown) => messageJSON(sub as protobuf.Type, x as Obj);
    let out: unknown;
    if (field.map) out = Object.fromEntries(Object.entries(value as Obj).map(([k, x]) => [k, conv(x)]));
    else if (field.repeated) out = (value as unknown[]).map(conv);
    else out = conv(value);
    if (out === undefined) delete v[field.name];
    else v[field.name] = out;
  }
  for (const name of load().omitEmpty.get(type.fullName) ?? []) {
    if (v[name] === '' || v[name] === 0 || v[name] === false) delete v[name];
  }
  for (const name of load().inline.get(type.fullName) ?? []) {
    const embedded = v[name];
    delete v[name];
    Object.assign(v, embedded);
  }
  return v;
}

/** The JSON of a decoded message: proto2 fields left unset stay absent, int64 as numbers, bytes as base64. */
function toJSON(type: protobuf.Type, buf: Uint8Array): Obj {
  const msg = type.decode(buf);
  const obj = type.toObject(msg, { longs: Number, bytes: String, defaults: false, arrays: false, objects: false }) as Obj;
  return messageJSON(type, obj) as Obj;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf body whose kind is one we know; anything else is a 415-worthy unknown. */
export function decodeProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw badRequest('provided protobuf data is missing the Kubernetes magic prefix');
  try {
    const { root, unknown } = load();
    const envelope = unknown.decode(buf.subarray(4)) as unknown as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
    const apiVersion = envelope.typeMeta?.apiVersion ?? '';
    const kind = envelope.typeMeta?.kind ?? '';
    const type = kindType(root, apiVersion, kind);
    if (!type) throw badRequest(`protobuf decoding is not supported for kind ${JSON.stringify(kind)}: send JSON or YAML`);
    const obj = toJSON(type, envelope.raw ?? new Uint8Array(0));
    return { apiVersion: envelope.typeMeta?.apiVersion, kind, ...obj };
  } catch (e) {
    if (e instanceof Error && e.name === 'StatusError') throw e;
    throw badRequest(`unable to decode protobuf body: ${(e as Error).message}`);
  }
}
