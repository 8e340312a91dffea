// Regular expressions as kube-apiserver runs them: Go's regexp package (RE2
// syntax, linear-time matching) for OpenAPI `pattern` (kube-openapi
// validate.Pattern, regexp.MatchString: an unanchored search) and for CEL
// matches() / find() / findAll(). JavaScript's RegExp backtracks, so a pattern
// such as ^(a+)+$ on a 100-byte value would stall the event loop for minutes;
// re2js is a port of the same RE2 design (the parser follows Go's
// regexp/syntax, errors included) and matches in time linear in the input.
//
// Where re2js departs from Go the difference is undone here: Go accepts
// repeated group names, and Go's syntax errors always end in ": `expr`".

import { createRequire } from 'node:module';
import type { RE2JS, RE2JSSyntaxException } from 're2js';

// Loaded on the first pattern compiled: a start that compiles none does not pay its load.
let re2: typeof import('re2js') | undefined;
const lib = (): typeof import('re2js') => (re2 ??= createRequire(import.meta.url)('re2js') as typeof import('re2js'));

/** A pattern Go's regexp.Compile refuses; `message` is Go's err.Error() text. */
export class GoRegexpError extends Error {}

// Compiled patterns are reused across requests (kube-openapi caches them the
// same way); the bound keeps patterns taken from object values (CEL
// `self.a.matches(self.b)`) from growing it without limit.
const CACHE_LIMIT = 2048;
const cache = new Map<string, RE2JS | GoRegexpError>();

/** Go's message for a syntax error: "error parsing regexp: <code>: `<expr>`". */
function goMessage(e: RE2JSSyntaxException, pattern: string): string {
  if (e.input !== null) return e.message;
  // Go reports a trailing backslash with an empty expression, and the size and
  // nesting limits with the whole pattern (regexp/syntax parse's recover).
  const expr = e.error === 'trailing backslash at end of expression' ? '' : pattern;
  return `error parsing regexp: ${e.error}: \`${expr}\``;
}

/**
 * The same pattern with named groups made plain: Go allows one name on several
 * groups (SubexpIndex returns the first), re2js refuses it. Names play no part
 * in matching, and re2js has already checked each name's syntax.
 */
const NAMED_GROUP = /\(\?P?<[A-Za-z0-9_]+>/y;

function withoutGroupNames(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      // \Q...\E quotes everything up to \E.
      if (!inClass && pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop - 1;
        continue;
      }
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ] right after [ or [^ is a literal.
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    NAMED_GROUP.lastIndex = i;
    const named = c === '(' ? NAMED_GROUP.exec(pattern) : null;
    if (named) {
      out += '(';
      i += named[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

function compileUncached(pattern: string, source = pattern): RE2JS | GoRegexpError {
  try {
    return lib().RE2JS.compile(source);
  } catch (e) {
    if (!(e instanceof lib().RE2JSSyntaxException)) return new GoRegexpError(`error parsing regexp: ${(e as Error).message}`);
    if (e.error === 'duplicate capture group name' && source === pattern) return compileUncached(pattern, withoutGroupNames(pattern));
    // Errors quoting the whole expression quote it as written.
    return new GoRegexpError(source === pattern ? goMessage(e, pattern) : goMessage(e, pattern).split(source).join(pattern));
  }
}

/** Compiles with Go's regexp syntax, or returns the error Go's regexp.Compile gives. Cached. */
export function compileRegexp(pattern: string): RE2JS | GoRegexpError {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compileUncached(pattern);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, re);
  }
  return re;
}

/** Go's regexp.Compile(pattern) error text, or undefined when the pattern is valid. */
export function regexpError(pattern: string): string | undefined {
  const re = compileRegexp(pattern);
  return re instanceof GoRegexpError ? re.message : undefined;
}

/** regexp.MatchString: whether the pattern matches anywhere in `s` (not anchored). */
export function matchString(re: RE2JS, s: string): boolean {
  return re.test(s);
}

/** (*Regexp).FindString: the leftmost match, or "" when there is none. */
export function findString(re: RE2JS, s: string): string {
  return (re.re2().find(s) as string | null) ?? '';
}

/**
 * (*Regexp).FindAllString(s, n): successive non-overlapping matches, at most
 * n of them when n >= 0; an empty match right after a match is skipped.
 */
export function findAllString(re: RE2JS, s: string, n: number): string[] {
  if (n === 0) return [];
  return (re.re2().findAll(s, n < 0 ? -1 : n) as string[] | null) ?? [];
}
