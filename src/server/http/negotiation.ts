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

/**
 * Picks the response encoding for an object or list. Tables are chosen when the
 * client asks for `as=Table;g=meta.k8s.io` and the request can produce one.
 */
export function negotiateOutput(accept: string | undefined, opts: { tableAllowed: boolean }): Negotiated {
  const ranges = parseMediaRanges(accept);
  if (ranges.length === 0) return { format: 'json', contentType: 'application/json' };
  for (const r of ranges) {
    const as = r.params.as;
    if (as) {
      if (
        as === 'Table' &&
        opts.tableAllowed &&
        r.params.g === 'meta.k8s.io' &&
        (r.params.v === 'v1' || r.params.v === 'v1beta1') &&
        (r.type === 'application/json' || r.type === '*/*')
      ) {
        return { format: 'table', contentType: 'application/json' };
      }
      continue; // other transformations (PartialObjectMetadata) are not served; fall through to the next range
    }
    if (r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*')
      return { format: 'json', contentType: 'application/json' };
    if (r.type === 'application/yaml') return { format: 'yaml', contentType: 'application/yaml' };
  }
  throw notAcceptable(SUPPORTED_MEDIA_TYPES);
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
