// Writing responses: encoding (JSON/YAML), gzip when asked, the headers kube-apiserver always sets.

import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { yaml } from './yaml.js';
import type { Status } from '../api/errors.js';
import { valueDepth, type ServerRequest } from './body.js';

export type AnyResponse = ServerResponse | Http2ServerResponse;

/** kube-apiserver compresses responses over 128 KiB when the client accepts gzip. */
const GZIP_THRESHOLD = 128 * 1024;
/** Warning header limits (k8s.io/apiserver/pkg/warning): 4096 runes in total, 256 per message. */
const WARNING_TOTAL = 4096;
const WARNING_EACH = 256;

/**
 * Nesting beyond which YAML output is written in flow style as JSON (itself
 * valid YAML, and what Go's yaml.JSONToYAML readers accept): the `yaml`
 * stringifier recurses and overflows Node's stack near 620 levels, below the
 * depth bodies may have (body.ts MAX_NESTING_DEPTH).
 */
const YAML_BLOCK_MAX_DEPTH = 200;

export function encode(value: unknown, contentType: string): string {
  if (contentType === 'application/yaml') {
    if (valueDepth(value, YAML_BLOCK_MAX_DEPTH) > YAML_BLOCK_MAX_DEPTH) return `${JSON.stringify(value)}\n`;
    return yaml().stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 });
  }
  return JSON.stringify(value);
}

export function setWarnings(res: AnyResponse, warnings: string[]): void {
  if (warnings.length === 0) return;
  const out: string[] = [];
  let total = 0;
  for (const w of warnings) {
    let text = w.length > WARNING_EACH ? w.slice(0, WARNING_EACH) : w;
    if (total + text.length > WARNING_TOTAL) break;
    total += text.length;
    text = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    out.push(`299 - "${text}"`);
  }
  res.setHeader('Warning', out);
}

export function writeBody(req: ServerRequest, res: AnyResponse, code: number, body: string | Buffer, contentType: string): void {
  let payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-cache, private');
  const ae = req.headers['accept-encoding'];
  if (payload.length > GZIP_THRESHOLD && typeof ae === 'string' && /\bgzip\b/.test(ae)) {
    payload = gzipSync(payload, { level: 1 });
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('Content-Length', payload.length);
  res.statusCode = code;
  res.end(payload);
}

export function writeObject(req: ServerRequest, res: AnyResponse, code: number, value: unknown, contentType = 'application/json'): void {
  writeBody(req, res, code, encode(value, contentType), contentType);
}

export function writeStatus(req: ServerRequest, res: AnyResponse, status: Status, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const retry = status.details?.retryAfterSeconds;
  if (retry !== undefined) res.setHeader('Retry-After', String(retry));
  writeObject(req, res, status.code, status, contentType === 'application/yaml' ? contentType : 'application/json');
}

export function writeText(req: ServerRequest, res: AnyResponse, code: number, text: string): void {
  writeBody(req, res, code, text, 'text/plain; charset=utf-8');
}
