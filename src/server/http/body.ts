// Request bodies: size limit (kube-apiserver's 3 MiB MaxRequestBodyBytes) and decoding.

import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { parse as parseYaml } from 'yaml';
import { badRequest, requestEntityTooLarge } from '../api/errors.js';
import type { BodyFormat } from './negotiation.js';
import { decodeProtobuf } from './protobuf.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;
/** JSON nesting deeper than this is refused instead of risking the stack (kube's json decoder limits depth too). */
export const MAX_JSON_DEPTH = 10_000;

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
    req.on('end', () => { if (!failed) resolve(Buffer.concat(chunks)); });
    req.on('error', (e) => { if (!failed) { failed = true; reject(e); } });
  });
}

function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) throw badRequest('the object provided is unrecognized: exceeded max depth of ' + MAX_JSON_DEPTH);
    } else if (c === 125 || c === 93) depth--;
  }
}

/** Decodes a JSON or YAML body into a value; malformed input is a 400 worded like kube's decoder errors. */
export function decodeBody(buf: Buffer, format: BodyFormat): unknown {
  if (format === 'protobuf') return decodeProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request is empty');
  if (format === 'json') {
    checkDepth(text);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
  }
  try {
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: false });
  } catch (e) {
    throw badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}
