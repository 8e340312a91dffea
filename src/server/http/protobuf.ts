// Decoding Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
// for the built-in kinds served today. kubectl's typed generators
// (`kubectl create namespace|configmap|secret|serviceaccount`) send protobuf;
// the envelope is "k8s\0" + runtime.Unknown{typeMeta, raw}, and raw is the
// object in the field numbering of k8s.io/api's generated.proto.

import { badRequest } from '../api/errors.js';

type FieldKind = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'message' | 'map' | 'bytesmap';

interface FieldSpec {
  name: string;
  kind: FieldKind;
  repeated?: boolean;
  message?: string;
}

type MessageSpec = Record<number, FieldSpec>;

const f = (name: string, kind: FieldKind, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, kind, ...extra });

const MESSAGES: Record<string, MessageSpec> = {
  ObjectMeta: {
    1: f('name', 'string'),
    2: f('generateName', 'string'),
    3: f('namespace', 'string'),
    5: f('uid', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('generation', 'int'),
    8: f('creationTimestamp', 'time'),
    9: f('deletionTimestamp', 'time'),
    10: f('deletionGracePeriodSeconds', 'int'),
    11: f('labels', 'map'),
    12: f('annotations', 'map'),
    13: f('ownerReferences', 'message', { repeated: true, message: 'OwnerReference' }),
    14: f('finalizers', 'string', { repeated: true }),
  },
  OwnerReference: {
    1: f('kind', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('controller', 'bool'),
    7: f('blockOwnerDeletion', 'bool'),
  },
  ConfigMap: {
    1: f('metadata', 'message', { message: 'ObjectMeta' }),
    2: f('data', 'map'),
    3: f('binaryData', 'bytesmap'),
    4: f('immutable', 'bool'),
  },
  Secret: {
    1: f('metadata', 'message', { message: 'ObjectMeta' }),
    2: f('data', 'bytesmap'),
    3: f('type', 'string'),
    4: f('stringData', 'map'),
    5: f('immutable', 'bool'),
  },
  Namespace: {
    1: f('metadata', 'message', { message: 'ObjectMeta' }),
    2: f('spec', 'message', { message: 'NamespaceSpec' }),
    3: f('status', 'message', { message: 'NamespaceStatus' }),
  },
  NamespaceSpec: { 1: f('finalizers', 'string', { repeated: true }) },
  NamespaceStatus: { 1: f('phase', 'string') },
  ServiceAccount: {
    1: f('metadata', 'message', { message: 'ObjectMeta' }),
    2: f('secrets', 'message', { repeated: true, message: 'ObjectReference' }),
    3: f('imagePullSecrets', 'message', { repeated: true, message: 'LocalObjectReference' }),
    4: f('automountServiceAccountToken', 'bool'),
  },
  ObjectReference: {
    1: f('kind', 'string'),
    2: f('namespace', 'string'),
    3: f('name', 'string'),
    4: f('uid', 'string'),
    5: f('apiVersion', 'string'),
    6: f('resourceVersion', 'string'),
    7: f('fieldPath', 'string'),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  Lease: { 1: f('metadata', 'message', { message: 'ObjectMeta' }), 2: f('spec', 'message', { message: 'LeaseSpec' }) },
  LeaseSpec: {
    1: f('holderIdentity', 'string'),
    2: f('leaseDurationSeconds', 'int'),
    3: f('acquireTime', 'time'),
    4: f('renewTime', 'time'),
    5: f('leaseTransitions', 'int'),
  },
  DeleteOptions: {
    1: f('gracePeriodSeconds', 'int'),
    2: f('preconditions', 'message', { message: 'Preconditions' }),
    3: f('orphanDependents', 'bool'),
    4: f('propagationPolicy', 'string'),
    5: f('dryRun', 'string', { repeated: true }),
  },
  Preconditions: { 1: f('uid', 'string'), 2: f('resourceVersion', 'string') },
  Unknown: {
    1: f('typeMeta', 'message', { message: 'TypeMeta' }),
    2: f('raw', 'bytes'),
    3: f('contentEncoding', 'string'),
    4: f('contentType', 'string'),
  },
  TypeMeta: { 1: f('apiVersion', 'string'), 2: f('kind', 'string') },
  Time: { 1: f('seconds', 'int'), 2: f('nanos', 'int') },
  MapEntry: { 1: f('key', 'string'), 2: f('value', 'bytes') },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function decodeMessage(buf: Buffer, type: string): Record<string, unknown> {
  const spec = MESSAGES[type];
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    const fs = spec[field];
    if (!fs) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    switch (fs.kind) {
      case 'string':
        value = r.bytes().toString('utf8');
        break;
      case 'bytes':
        value = Buffer.from(r.bytes());
        break;
      case 'int':
        value = toSigned(r.varint());
        break;
      case 'bool':
        value = r.varint() !== 0n;
        break;
      case 'time': {
        const t = decodeMessage(r.bytes(), 'Time');
        value = new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
      case 'message':
        value = decodeMessage(r.bytes(), fs.message!);
        break;
      case 'map':
      case 'bytesmap': {
        const e = decodeMessage(r.bytes(), 'MapEntry');
        const m = (out[fs.name] ??= {}) as Record<string, string>;
        const v = (e.value as Buffer | undefined) ?? Buffer.alloc(0);
        m[String(e.key ?? '')] = fs.kind === 'map' ? v.toString('utf8') : v.toString('base64');
        continue;
      }
    }
    if (fs.repeated) ((out[fs.name] ??= []) as unknown[]).push(value);
    else out[fs.name] = value;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf body whose kind is one we know; anything else is a 415-worthy unknown. */
export function decodeProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw badRequest('provided protobuf data is missing the Kubernetes magic prefix');
  try {
    const unknown = decodeMessage(buf.subarray(4), 'Unknown');
    const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
    const kind = tm.kind ?? '';
    if (!MESSAGES[kind] || ['Unknown', 'TypeMeta', 'Time', 'MapEntry', 'ObjectMeta'].includes(kind)) {
      throw badRequest(`protobuf decoding is not supported for kind ${JSON.stringify(kind)}: send JSON or YAML`);
    }
    const obj = decodeMessage((unknown.raw as Buffer | undefined) ?? Buffer.alloc(0), kind);
    return { apiVersion: tm.apiVersion, kind, ...obj };
  } catch (e) {
    if (e instanceof Error && e.name === 'StatusError') throw e;
    throw badRequest(`unable to decode protobuf body: ${(e as Error).message}`);
  }
}
