// Go's regexp (RE2) for CRD `pattern` and CEL matches()/find()/findAll():
// the syntax Go accepts and refuses with Go's error text, Go's matching
// semantics, linear time on patterns that make a backtracking engine explode,
// and the checks kube-apiserver makes when a CRD is written.

import type { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import type { FieldError } from '../../src/server/api/errors.js';
import { compileRule, evaluateRules, RuleCompileError } from '../../src/server/schema/cel.js';
import { compileRegexp, findAllString, findString, GoRegexpError, matchString, regexpError } from '../../src/server/schema/regex.js';
import { validateStructural } from '../../src/server/schema/structural.js';
import { validateValue } from '../../src/server/schema/validate.js';

function re(pattern: string): RE2JS {
  const r = compileRegexp(pattern);
  if (r instanceof GoRegexpError) throw r;
  return r;
}

const matches = (pattern: string, s: string): boolean => matchString(re(pattern), s);

describe('Go regexp syntax', () => {
  it('accepts what Go accepts', () => {
    for (const p of [
      '\\pL',
      '\\p{Greek}',
      '\\PN',
      '[[:alpha:]]',
      '[^[:space:]]',
      '(?i)abc',
      'a(?i:b)c',
      '(?s).',
      '(?m)^a$',
      '(?U)a+',
      '\\Aab\\z',
      '(?P<name>a)',
      '(?<name>a)',
      '(?P<n>a)(?P<n>b)',
      '\\Qa.b\\E',
      '\\x{41}\\x41\\101',
      'a{,5}',
      'x{2,}',
      '\\_',
      '[\\d-z]',
      '\\v',
      'a{1000}',
    ]) {
      expect(regexpError(p), p).toBeUndefined();
    }
  });

  it('refuses what Go refuses, with Go error text', () => {
    const cases: Array<[string, string]> = [
      ['(?=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
      ['(?!x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?!`'],
      ['(a', 'error parsing regexp: missing closing ): `(a`'],
      ['a)', 'error parsing regexp: unexpected ): `a)`'],
      ['(?<=a)b', 'error parsing regexp: invalid named capture: `(?<=a)b`'],
      ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
      ['\\k<n>', 'error parsing regexp: invalid escape sequence: `\\k`'],
      ['a\\Z', 'error parsing regexp: invalid escape sequence: `\\Z`'],
      ['\\u0041', 'error parsing regexp: invalid escape sequence: `\\u`'],
      ['[a', 'error parsing regexp: missing closing ]: `[a`'],
      ['[z-a]', 'error parsing regexp: invalid character class range: `z-a`'],
      ['\\p{Foo}', 'error parsing regexp: invalid character class range: `\\p{Foo}`'],
      ['[[:foo:]]', 'error parsing regexp: invalid character class range: `[:foo:]`'],
      ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
      ['a++', 'error parsing regexp: invalid nested repetition operator: `++`'],
      ['*a', 'error parsing regexp: missing argument to repetition operator: `*`'],
      ['a{1001}', 'error parsing regexp: invalid repeat count: `{1001}`'],
      ['(a{100}){100}', 'error parsing regexp: invalid repeat count: `{100}`'],
      ['(?i', 'error parsing regexp: invalid or unsupported Perl syntax: `(?i`'],
      ['(?>a)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?>`'],
      ['a\\', 'error parsing regexp: trailing backslash at end of expression: ``'],
    ];
    for (const [p, msg] of cases) expect(regexpError(p), p).toBe(msg);
    const deep = `${'('.repeat(1001)}a${')'.repeat(1001)}`;
    expect(regexpError(deep)).toBe(`error parsing regexp: expression nests too deeply: \`${deep}\``);
  });
});

describe('Go regexp matching', () => {
  it('searches unanchored, as regexp.MatchString', () => {
    expect(matches('b', 'abc')).toBe(true);
    expect(matches('^b', 'abc')).toBe(false);
    expect(matches('', 'anything')).toBe(true);
  });

  it('follows Go semantics where JavaScript differs', () => {
    expect(matches('a$', 'a\n')).toBe(false);
    expect(matches('(?m)a$', 'a\nb')).toBe(true);
    expect(matches('a\\z', 'a\n')).toBe(false);
    expect(matches('^\\s$', '\u00a0')).toBe(false);
    expect(matches('^\\s$', '\v')).toBe(false);
    expect(matches('^\\w$', 'é')).toBe(false);
    expect(matches('^\\pL+$', 'héllo')).toBe(true);
    expect(matches('^[[:upper:]]+$', 'ABC')).toBe(true);
    // Inline flags apply from where they stand to the end of their group.
    expect(matches('^a(?i)b$', 'aB')).toBe(true);
    expect(matches('^a(?i)b$', 'AB')).toBe(false);
    expect(matches('^(?i:a)b$', 'Ab')).toBe(true);
    expect(matches('^(?i:a)b$', 'AB')).toBe(false);
    expect(matches('^(?i)k$', '\u212a')).toBe(true);
    // A rune, not a UTF-16 code unit.
    expect(matches('^.$', '😀')).toBe(true);
    expect(matches('^(?P<n>a)(?P<n>b)$', 'ab')).toBe(true);
  });

  it('finds as FindString and FindAllString', () => {
    expect(findString(re('[0-9]+'), 'abc 123 4')).toBe('123');
    expect(findString(re('x'), 'abc')).toBe('');
    expect(findString(re('a|ab'), 'ab')).toBe('a');
    expect(findAllString(re('[0-9]*'), '123 abc 456', -1)).toEqual(['123', '', '', '', '', '456']);
    expect(findAllString(re('b*'), 'abc', -1)).toEqual(['', 'b', '']);
    expect(findAllString(re('[0-9]+'), '1 2 3', 2)).toEqual(['1', '2']);
    expect(findAllString(re('[0-9]+'), '1 2 3', 0)).toEqual([]);
    expect(findAllString(re('x'), 'abc', -1)).toEqual([]);
  });

  it('matches in linear time where a backtracking engine explodes', () => {
    const hostile = `${'a'.repeat(100_000)}!`;
    const t0 = performance.now();
    expect(matches('^(a+)+$', hostile)).toBe(false);
    expect(matches('^(a|a)*$', hostile)).toBe(false);
    expect(matches('^(a|aa)+$', hostile)).toBe(false);
    expect(matches('(x+x+)+y', 'x'.repeat(100_000))).toBe(false);
    const took = performance.now() - t0;
    expect(took, `took ${took.toFixed(0)} ms`).toBeLessThan(5_000);
  });

  it('caches compiled patterns', () => {
    expect(compileRegexp('^[a-z]+$')).toBe(compileRegexp('^[a-z]+$'));
    expect(compileRegexp('(a')).toBe(compileRegexp('(a'));
  });
});

describe('OpenAPI pattern', () => {
  const errs = (schema: Record<string, unknown>, v: unknown): string[] => {
    const out: FieldError[] = [];
    validateValue(v, schema, 'spec.x', out);
    return out.map((e) => e.detail ?? '');
  };

  it('is an unanchored Go match with kube-openapi wording', () => {
    expect(errs({ type: 'string', pattern: 'b' }, 'abc')).toEqual([]);
    expect(errs({ type: 'string', pattern: '^[a-z]+$' }, 'Abc')).toEqual(["spec.x in body should match '^[a-z]+$'"]);
    expect(errs({ type: 'string', pattern: '^\\s$' }, '\u00a0')).toEqual(["spec.x in body should match '^\\s$'"]);
    expect(errs({ type: 'string', pattern: '^(a+)+$' }, `${'a'.repeat(99)}!`)).toEqual(["spec.x in body should match '^(a+)+$'"]);
    expect(errs({ type: 'string', pattern: '(a' }, 'a')).toEqual([
      "spec.x in body should match '(a, but pattern is invalid: error parsing regexp: missing closing ): `(a`'",
    ]);
  });

  it('is refused at CRD write time when Go cannot compile it, at its field path', () => {
    const root = 'spec.versions[0].schema.openAPIV3Schema';
    const schema = {
      type: 'object',
      properties: {
        look: { type: 'string', pattern: '(?=x)' },
        open: { type: 'string', pattern: '(a' },
        ok: { type: 'string', pattern: '^(a+)+$' },
        nested: { type: 'string', allOf: [{ pattern: '\\1' }] },
        list: { type: 'array', items: { type: 'string', pattern: '[z-a]' } },
      },
    };
    expect(validateStructural(schema, root).map((e) => `${e.field}: ${e.detail}`)).toEqual([
      `${root}.properties[look].pattern: must be a valid regular expression, but isn't: error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``,
      `${root}.properties[open].pattern: must be a valid regular expression, but isn't: error parsing regexp: missing closing ): \`(a\``,
      `${root}.properties[nested].allOf[0].pattern: must be a valid regular expression, but isn't: error parsing regexp: invalid escape sequence: \`\\1\``,
      `${root}.properties[list].items.pattern: must be a valid regular expression, but isn't: error parsing regexp: invalid character class range: \`z-a\``,
    ]);
  });
});

describe('CEL regex functions', () => {
  const schema = { type: 'object', properties: { s: { type: 'string', maxLength: 200_000 }, p: { type: 'string', maxLength: 64 } } };
  const evaluate = (rule: string, value: Record<string, unknown>): string[] => {
    const out: FieldError[] = [];
    evaluateRules([{ rule }], value, undefined, false, schema, '', out);
    return out.map((e) => e.detail ?? '');
  };
  const compileDetail = (rule: string): string | undefined => {
    const p = compileRule(rule);
    return p instanceof RuleCompileError ? p.message : undefined;
  };

  it('match, find and findAll with Go semantics', () => {
    expect(evaluate("self.s.matches('b')", { s: 'abc' })).toEqual([]);
    expect(evaluate("matches(self.s, '^a+$')", { s: 'aaa' })).toEqual([]);
    expect(evaluate("self.s.matches('^a$')", { s: 'a\n' })).toEqual(["failed rule: self.s.matches('^a$')"]);
    expect(evaluate("self.s.matches(r'^\\pL+$') && self.s.matches('^(?i)H')", { s: 'héllo' })).toEqual([]);
    expect(evaluate("self.s.find('[0-9]+') == '123' && self.s.find('x') == ''", { s: 'ab 123' })).toEqual([]);
    expect(evaluate("self.s.findAll('[0-9]*') == ['123', '', '', '', '', '456']", { s: '123 abc 456' })).toEqual([]);
    expect(evaluate("self.s.findAll('[0-9]+', 1) == ['123'] && self.s.findAll('[0-9]+', 0) == []", { s: '123 abc 456' })).toEqual([]);
    // A string literal that reads like a call is left alone.
    expect(evaluate("'x.matches(y)' == 'x.matches(' + 'y)' && self.s.matches('a')", { s: 'a' })).toEqual([]);
  });

  it('evaluates a hostile pattern on a hostile value in linear time', () => {
    const t0 = performance.now();
    expect(evaluate("self.s.matches('^(a+)+$')", { s: `${'a'.repeat(100_000)}!` })).toEqual(["failed rule: self.s.matches('^(a+)+$')"]);
    expect(evaluate("self.s.find('^(a|aa)+$') == ''", { s: `${'a'.repeat(100_000)}!` })).toEqual([]);
    const took = performance.now() - t0;
    expect(took, `took ${took.toFixed(0)} ms`).toBeLessThan(5_000);
  });

  it('reports a bad pattern from the object as cel-go and the regex library do', () => {
    expect(evaluate('self.s.matches(self.p)', { s: 'a', p: '(a' })).toEqual([
      'error parsing regexp: missing closing ): `(a` evaluating rule: self.s.matches(self.p)',
    ]);
    expect(evaluate("self.s.find(self.p) == ''", { s: 'a', p: '(?=a)' })).toEqual([
      "Illegal regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=` evaluating rule: self.s.find(self.p) == ''",
    ]);
    expect(evaluate('self.s.findAll(self.p).size() == 0', { s: 'a', p: '[' })).toEqual([
      'Illegal regex: error parsing regexp: missing closing ]: `[` evaluating rule: self.s.findAll(self.p).size() == 0',
    ]);
  });

  it('refuses constant patterns Go cannot compile when the rule is compiled', () => {
    expect(compileDetail("self.matches('(a')")).toBe(
      "compilation failed: ERROR: <input>:1:14: invalid matches argument\n | self.matches('(a')\n | .............^",
    );
    expect(compileDetail("self.matches('(?=x)') || self.matches('ok') || self.matches('a)')")).toBe(
      "compilation failed: ERROR: <input>:1:14: invalid matches argument\n | self.matches('(?=x)') || self.matches('ok') || self.matches('a)')\n | .............^\n" +
        "ERROR: <input>:1:61: invalid matches argument\n | self.matches('(?=x)') || self.matches('ok') || self.matches('a)')\n | ............................................................^",
    );
    expect(compileDetail("has(self.s) &&\n  self.s.matches('é(')")).toBe(
      "compilation failed: ERROR: <input>:2:18: invalid matches argument\n |   self.s.matches('é(')\n | .................^",
    );
    expect(compileDetail("self.find('(a') == ''")).toBe('program instantiation failed: error parsing regexp: missing closing ): `(a`');
    expect(compileDetail("self.findAll('[', 2) == []")).toBe('program instantiation failed: error parsing regexp: missing closing ]: `[`');
    // The global form: cel-go's literal check looks at its first argument, the pattern is compiled with the program.
    expect(compileDetail("matches(self, '(')")).toBe('program instantiation failed: error parsing regexp: missing closing ): `(`');
    expect(compileDetail("self.matches('^(a+)+$') && self.find('[0-9]+') != ''")).toBeUndefined();
  });
});
