// Booleans as Go's strconv.ParseBool reads them, for query parameters and kube-apiserver flags.

import { describe, expect, it } from 'vitest';
import { parseServeFlags } from '../../src/server/config.js';
import { isTrue, parseBool, queryBool } from '../../src/server/http/query.js';

describe('strconv.ParseBool', () => {
  it('reads Go spellings and nothing else', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseBool(t), t).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseBool(f), f).toBe(false);
    for (const x of ['', 'yes', 'tRUE', ' true']) expect(parseBool(x), x).toBeUndefined();
  });

  it('query parameters: absent or unparsable is false', () => {
    const q = new URLSearchParams('watch=True&allowWatchBookmarks=yes');
    expect(queryBool(q, 'watch')).toBe(true);
    expect(queryBool(q, 'allowWatchBookmarks')).toBe(false);
    expect(queryBool(q, 'missing')).toBe(false);
    expect(isTrue(null)).toBe(false);
  });

  it('flags: a bad value is refused with pflag wording', () => {
    expect(parseServeFlags(['--watch-cache=F']).watchCache).toBe(false);
    expect(() => parseServeFlags(['--watch-cache=yes'])).toThrow(
      'invalid argument "yes" for "--watch-cache" flag: strconv.ParseBool: parsing "yes": invalid syntax',
    );
  });
});
