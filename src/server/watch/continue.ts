// Continue tokens for paged lists (k8s.io/apiserver/pkg/storage/continue.go):
// base64url JSON {v, rv, start} where start is the last key returned,
// relative to the resource prefix, and rv the revision the first page was
// read at. Pages after the first read at that revision.

import { badRequest, type StatusError } from '../api/errors.js';
import { isPlainObject } from '../api/types.js';

export interface ContinueToken {
  /** The list's revision; negative: continue at the latest revision (the token a 410 Expired carries). */
  rv: number;
  /** The last key returned, relative to the resource prefix. */
  start: string;
}

/** The 410 message of a continue token whose revision was compacted (the etcd3 store's). */
export const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

/** POSIX path.Clean, as Go's path package: the continue start key must already be clean. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/**
 * DecodeContinue, and the etcd3 store's 400 around it (`invalid continue token: ...`). A zero revision is
 * invalid; a negative one means "continue at the latest revision", so it is accepted.
 */
export function decodeContinue(token: string): ContinueToken {
  const invalidToken = (why: string): StatusError => badRequest(`invalid continue token: continue key is not valid${why}`);
  const bad = /[^A-Za-z0-9_-]/.exec(token);
  if (bad || token.length % 4 === 1) throw invalidToken(`: illegal base64 data at input byte ${bad ? bad.index : token.length - 1}`);
  let t: unknown;
  try {
    t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken(': invalid character in encoded continue token');
  }
  if (!isPlainObject(t)) throw invalidToken(': json: cannot unmarshal encoded continue token into Go value of type storage.continueToken');
  const v = typeof t.v === 'string' ? t.v : '';
  if (v !== 'meta.k8s.io/v1') throw invalidToken(`: server does not recognize this encoded version ${v}`);
  const rv = t.rv ?? 0;
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv))
    throw invalidToken(`: json: cannot unmarshal ${JSON.stringify(rv)} into Go struct field continueToken.rv of type int64`);
  if (rv === 0) throw invalidToken(': incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  const start = typeof t.start === 'string' ? t.start : '';
  if (start === '') throw invalidToken(': encoded start key empty (version meta.k8s.io/v1)');
  // Defends against ranging outside the resource's key prefix: the key must already be clean.
  const key = start.startsWith('/') ? start : `/${start}`;
  if (cleanPath(key) !== key) throw invalidToken(`: ${start}`);
  return { rv, start: key.slice(1) };
}
