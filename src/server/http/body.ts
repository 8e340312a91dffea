// Request bodies: size limit (kube-apiserver's 3 MiB MaxRequestBodyBytes),
// nesting depth, and decoding.

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { badRequest, requestEntityTooLarge, type StatusError } from '../api/errors.js';
import type { BodyFormat } from './negotiation.js';
import { decodeProtobuf } from './protobuf.js';
import { yaml } from './yaml.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a body may have. kube's decoders
 * stop at 10,000 (encoding/json's maxNestingDepth, go-yaml's max depth,
 * k8s.io/apimachinery/pkg/util/json maxDepth), and every later stage in Go
 * grows its stack as needed. Here several stages recurse on Node's fixed
 * stack: measured on Node 20 from a shallow stack, structuredClone overflows
 * near 1,900 levels, JSON.stringify near 4,100, the `yaml` parser near 1,250
 * (flow) and its stringifier near 620. A write whose object could not be
 * encoded back would be stored and then fail every read, so the bound is
 * chosen for every stage to survive it with room to spare; real objects are
 * a few dozen levels deep.
 */
export const MAX_NESTING_DEPTH = 1_000;

export type ServerRequest = IncomingMessage | Http2ServerRequest;

export function readBody(req: ServerRequest, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > limit) {
    req.resume();
    return Promise.reject(requestEntityTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(requestEntityTooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

/**
 * The first '{' or '[' of `text` (outside strings) that opens a level deeper
 * than `limit`, or undefined. A linear scan that never recurses, so it is
 * safe on any input; brackets inside JSON strings are skipped. On YAML text
 * it counts flow collections the same way (an overcount at worst, for
 * brackets inside plain scalars).
 */
export function tooDeepAt(text: string, limit = MAX_NESTING_DEPTH): '{' | '[' | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash escapes the next character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return c === 123 ? '{' : '[';
    } else if (c === 125 || c === 93) depth--;
  }
  return undefined;
}

/** Nesting depth of a decoded value (a scalar is 0, `{}` is 1), measured without recursion; stops counting past `limit`. */
export function valueDepth(value: unknown, limit = MAX_NESTING_DEPTH): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth]);
    }
  }
  return max;
}

/**
 * The start of a body as kube's transformDecodeError shows it
 * (k8s.io/apiserver/pkg/endpoints/handlers/rest.go summarizeData): JSON
 * objects as text, anything else in hex, cut at 30 bytes.
 */
export function summarizeData(buf: Buffer, maxLength = 30): string {
  if (buf.length === 0) return '<empty>';
  const cut = buf.length > maxLength;
  const head = cut ? buf.subarray(0, maxLength) : buf;
  const text = buf[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return cut ? `${text} ...` : text;
}

/** What the body is decoded into: names the kind in kube's "unrecognized" message. */
export interface DecodeTarget {
  kind: string;
}

/**
 * A body nested too deep. kube's serializer fails in its first pass
 * (json.Unmarshal of apiVersion/kind with encoding/json, whose scanner stops
 * at its max depth) and the handler reports it through transformDecodeError:
 * `the object provided is unrecognized (must be of type ConfigMap): couldn't
 * get version/kind; json parse error: invalid character '{' exceeded max
 * depth ({"apiVersion":"v1","kind":"Con ...)`.
 */
function tooDeep(buf: Buffer, format: 'json' | 'yaml', at: '{' | '[', target?: DecodeTarget): StatusError {
  const scanner = `invalid character '${at}' exceeded max depth`;
  // Without a target (patch documents, options) kube reports the decoder's own error.
  if (!target) return badRequest(format === 'json' ? scanner : `yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`);
  const cause =
    format === 'json'
      ? `couldn't get version/kind; json parse error: ${scanner}`
      : `error converting YAML to JSON: yaml: exceeded max depth of ${MAX_NESTING_DEPTH}`;
  return badRequest(`the object provided is unrecognized (must be of type ${target.kind}): ${cause} (${summarizeData(buf)})`);
}

/** The `yaml` parser reports its own stack overflow as a parse error naming the position. */
function isStackOverflow(e: unknown): boolean {
  return e instanceof Error && /Maximum call stack size exceeded/.test(e.message);
}

/** Decodes a JSON or YAML body into a value; malformed or too deep input is a 400 worded like kube's decoder errors. */
export function decodeBody(buf: Buffer, format: BodyFormat, target?: DecodeTarget): unknown {
  // Protobuf bodies decode only the known, non-recursive messages in protobuf.ts, so their depth is bounded by construction.
  if (format === 'protobuf') return decodeProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request is empty');
  if (format === 'json') {
    const at = tooDeepAt(text);
    if (at) throw tooDeep(buf, 'json', at, target);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
  }
  const flowAt = tooDeepAt(text);
  if (flowAt) throw tooDeep(buf, 'yaml', flowAt, target);
  let value: unknown;
  try {
    value = yaml().parse(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (e) {
    // Block nesting is not visible to the bracket scan and the parser recurses on it (it overflows
    // near 900 block levels inside the server): refused as too deep, like kube's go-yaml max depth.
    if (isStackOverflow(e)) throw tooDeep(buf, 'yaml', '{', target);
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (valueDepth(value) > MAX_NESTING_DEPTH) throw tooDeep(buf, 'yaml', '{', target);
  return value;
}
