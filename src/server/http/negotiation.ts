// Content negotiation as k8s.io/apiserver/pkg/endpoints/handlers/negotiation does it for the media types we speak.

import { notAcceptable, unsupportedMediaType } from '../api/errors.js';

export type OutputFormat = 'json' | 'yaml' | 'table';

export interface MediaRange {
  type: string; // e.g. application/json
  params: Record<string, string>;
  q: number;
}

export function parseMediaRanges(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"|"$/g, '');
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    out.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 1 });
  }
  return out.filter((m) => m.q > 0).sort((a, b) => b.q - a.q);
}

export const SUPPORTED_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

export interface Negotiated {
  format: OutputFormat;
  contentType: string;
}

const JSON_OUTPUT: Negotiated = { format: 'json', contentType: 'application/json' };
const YAML_OUTPUT: Negotiated = { format: 'yaml', contentType: 'application/yaml' };
const TABLE_OUTPUT: Negotiated = { format: 'table', contentType: 'application/json' };

/** The Accept header's answer, for responses that may be a Table and for those that may not. */
interface MediaNegotiation {
  /** Objects and lists: a Table when the first acceptable range asks for one; undefined when nothing is acceptable. */
  readonly object: Negotiated | undefined;
  /** Status bodies and other responses never served as a Table: the first acceptable plain range. */
  readonly plain: Negotiated | undefined;
}

/**
 * The response encoding a request accepts, negotiated once right after
 * RequestInfo (kube's NegotiateOutputMediaType, which handlers call first):
 * JSON, YAML, or a meta.k8s.io Table for `as=Table;g=meta.k8s.io`; protobuf is
 * not served as output. A request nothing suits fails with 406 only when a
 * response needs the encoding (outputMedia), so authentication, authorization
 * and routing errors come first as in kube.
 */
export interface OutputNegotiation extends MediaNegotiation {
  /** Accept-Encoding names gzip: large responses are compressed (kube's compression filter). */
  readonly gzip: boolean;
}

function negotiateMedia(accept: string | undefined): MediaNegotiation {
  const ranges = parseMediaRanges(accept);
  if (ranges.length === 0) return { object: JSON_OUTPUT, plain: JSON_OUTPUT };
  let object: Negotiated | undefined;
  for (const r of ranges) {
    const as = r.params.as;
    if (as) {
      if (
        as === 'Table' &&
        r.params.g === 'meta.k8s.io' &&
        (r.params.v === 'v1' || r.params.v === 'v1beta1') &&
        (r.type === 'application/json' || r.type === '*/*')
      ) {
        object ??= TABLE_OUTPUT;
      }
      continue; // other transformations (PartialObjectMetadata) are not served; fall through to the next range
    }
    let plain: Negotiated | undefined;
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*') plain = JSON_OUTPUT;
    else if (r.type === 'application/yaml') plain = YAML_OUTPUT;
    if (plain) return { object: object ?? plain, plain };
  }
  return { object, plain: undefined };
}

/**
 * Clients send a handful of distinct Accept headers: each is parsed once per
 * server, not once per request. Only short headers are kept, so that hostile
 * ones (up to the 1 MiB header limit) cannot fill memory.
 */
const MEDIA_CACHE_SIZE = 128;
const MEDIA_CACHE_KEY_MAX = 512;
const mediaCache = new Map<string, MediaNegotiation>();

export function negotiateOutputs(accept: string | undefined, acceptEncoding: string | undefined): OutputNegotiation {
  const key = accept ?? '';
  let media = mediaCache.get(key);
  if (!media) {
    media = negotiateMedia(accept);
    if (key.length <= MEDIA_CACHE_KEY_MAX) {
      if (mediaCache.size >= MEDIA_CACHE_SIZE) mediaCache.clear();
      mediaCache.set(key, media);
    }
  }
  return { object: media.object, plain: media.plain, gzip: acceptEncoding !== undefined && /\bgzip\b/.test(acceptEncoding) };
}

/** The encoding of one response: `table` when a Table may answer it; 406 Not Acceptable when the client accepts nothing we serve. */
export function outputMedia(out: MediaNegotiation, table: boolean): Negotiated {
  const media = table ? out.object : out.plain;
  if (!media) throw notAcceptable(SUPPORTED_MEDIA_TYPES);
  return media;
}

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** Decodes the request Content-Type for create/update. */
export function requestBodyFormat(contentType: string | undefined): BodyFormat {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (t === '' || t === 'application/json' || t === '*/*') return 'json';
  if (t === 'application/yaml') return 'yaml';
  if (t === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw unsupportedMediaType(t, SUPPORTED_MEDIA_TYPES);
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export const PATCH_MEDIA_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};
