// Writing responses: one respond() for objects, lists, Tables and Status; encoding (JSON/YAML),
// gzip when asked, the headers kube-apiserver always sets.

import { gzipSync } from 'node:zlib';
import type { Status } from '../api/errors.js';
import { stringifyObject } from '../api/managed-json.js';
import { valueDepth } from './body.js';
import { outputMedia } from './negotiation.js';
import type { AnyResponse, ApiRequest } from './request.js';
import { yaml } from './yaml.js';

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
  return stringifyObject(value);
}

export function setWarnings(res: AnyResponse, warnings: string[]): void {
  if (warnings.length === 0) return;
  // kube's warning recorder (filters/warning.go), replayed: duplicates dropped; messages whole while the total
  // fits in 4096 runes; the first one past it cuts every message so far to 256 runes, and later ones are
  // added, cut, until the total is reached.
  const cut = (w: string[]): string[] => (w.length > WARNING_EACH ? w.slice(0, WARNING_EACH) : w);
  let kept: string[][] = [];
  let total = 0;
  let truncating = false;
  const seen = new Set<string>();
  for (const w of warnings) {
    if (!w || seen.has(w)) continue;
    if (truncating && total >= WARNING_TOTAL) break;
    seen.add(w);
    const runes = truncating ? cut([...w]) : [...w];
    if (truncating || total + runes.length <= WARNING_TOTAL) {
      kept.push(runes);
      total += runes.length;
      continue;
    }
    truncating = true;
    kept = [...kept, runes].map(cut);
    total = kept.reduce((n, x) => n + x.length, 0);
  }
  const out = kept.map((r) => `299 - "${r.join('').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  res.setHeader('Warning', out);
}

/** Sends a complete body with the headers kube-apiserver always sets; gzip above 128 KiB when the client accepts it. */
export function writeBody(res: AnyResponse, code: number, body: string | Buffer, contentType: string, gzip: boolean): void {
  let payload = typeof body === 'string' ? Buffer.from(body) : body;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-cache, private');
  if (gzip && payload.length > GZIP_THRESHOLD) {
    payload = gzipSync(payload, { level: 1 });
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('Content-Length', payload.length);
  res.statusCode = code;
  res.end(payload);
}

function isStatus(value: object): value is Status {
  const v = value as Partial<Status>;
  return v.kind === 'Status' && v.apiVersion === 'v1';
}

export interface Answer {
  /** Builds the meta.k8s.io Table for the value; a Table answers only responses that give one. */
  table?: () => unknown;
  /** A fixed media type, for documents served in one encoding whatever the Accept (discovery, version). */
  contentType?: string;
}

/**
 * Every API response goes out here (kube's transformResponseObject and
 * WriteObjectNegotiated): an object, a list, its Table, or a Status, encoded as
 * the request negotiated, with the request's Warning headers. A failure Status
 * is always JSON, carries Retry-After when it names one, and only ends a
 * response already under way (a watch that has sent its headers). A success
 * Status is never a Table: a client that accepts nothing else gets 406.
 */
export function respond(r: ApiRequest, code: number, value: object, answer: Answer = {}): void {
  const res = r.res;
  r.onRespond?.(code, value);
  r.audit?.responseObject(code, value);
  if (isStatus(value) && value.status === 'Failure') {
    if (res.headersSent) {
      res.end();
      return;
    }
    setWarnings(res, r.warnings);
    const retry = value.details?.retryAfterSeconds;
    if (retry !== undefined) res.setHeader('Retry-After', String(retry));
    writeBody(res, code, JSON.stringify(value), 'application/json', r.output.gzip);
    return;
  }
  let contentType = answer.contentType;
  let body: unknown = value;
  if (contentType === undefined) {
    const media = outputMedia(r.output, answer.table !== undefined && !isStatus(value));
    contentType = media.contentType;
    if (media.format === 'table' && answer.table) body = answer.table();
  }
  setWarnings(res, r.warnings);
  writeBody(res, code, encode(body, contentType), contentType, r.output.gzip);
}

/** Plain text (health checks), compressed as any other body. */
export function writeText(r: ApiRequest, code: number, text: string): void {
  writeBody(r.res, code, text, 'text/plain; charset=utf-8', r.output.gzip);
}
