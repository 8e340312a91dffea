// Label and field selectors: grammar, matching, canonical strings and
// kube-apiserver's exact 400 messages.

import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/server/api/errors.js';
import { assertSupportedFields, parseFieldSelector } from '../../src/server/api/selectors/fields.js';
import { parseLabelSelector } from '../../src/server/api/selectors/labels.js';

function labelError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
    return (e as StatusError).message;
  }
  throw new Error(`selector ${s} parsed`);
}

function fieldError(s: string): string {
  try {
    parseFieldSelector(s);
  } catch (e) {
    expect((e as StatusError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
    return (e as StatusError).message;
  }
  throw new Error(`selector ${s} parsed`);
}

describe('label selectors', () => {
  const l = { app: 'web', tier: 'front', n: '5' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['app notin (web)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['n>4', true],
    ['n>5', false],
    ['n<6', true],
    ['missing>1', false],
    ['app>1', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    [' app = web , tier in ( front ) ', true],
    ['', true],
    ['app=', false],
    ['app in ()', false],
  ])('%s matches: %s', (sel, want) => {
    expect(parseLabelSelector(sel).matches(l)).toBe(want);
  });

  it('treats "in"/"notin" as plain values', () => {
    expect(parseLabelSelector('a=in').matches({ a: 'in' })).toBe(true);
    expect(parseLabelSelector('a in (notin)').matches({ a: 'notin' })).toBe(true);
  });

  it('canonicalises like labels.Selector.String', () => {
    expect(parseLabelSelector('z=1,a in (y,x,x),!m,k').toString()).toBe('a in (x,y),k,!m,z=1');
    expect(parseLabelSelector('b==2,a!=1,c>3,d<4').toString()).toBe('a!=1,b==2,c>3,d<4');
    expect(parseLabelSelector('').isEmpty()).toBe(true);
    expect(parseLabelSelector('a').isEmpty()).toBe(false);
  });

  it('reports kube messages', () => {
    expect(labelError('a=b c')).toBe("found 'c', expected: ',' or 'end of string'");
    expect(labelError('=b')).toBe("found '=', expected: !, identifier, or 'end of string'");
    expect(labelError('a,')).toBe("found '', expected: identifier after ','");
    expect(labelError('a in b')).toBe("unable to parse requirement: found 'b' expected: '('");
    expect(labelError('a in (b c)')).toBe("unable to parse requirement: found 'c', expected: ',' or ')'");
    expect(labelError('a in (=)')).toBe("unable to parse requirement: found '=', expected: ',', ')' or identifier");
    expect(labelError('a foo b')).toBe("unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt");
    expect(labelError('a=(')).toBe("unable to parse requirement: found '(', expected: identifier");
    expect(labelError('!=a')).toBe("found '!=', expected: !, identifier, or 'end of string'");
    expect(labelError('!(a')).toBe("unable to parse requirement: found '(', expected: identifier");
    expect(labelError('a>b')).toBe(
      `unable to parse requirement: values[0]: Invalid value: "b": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    expect(labelError('a=b=c')).toBe("found '=', expected: ',' or 'end of string'");
    expect(labelError('k@y=v')).toBe(
      `unable to parse requirement: <nil>: Invalid value: "k@y": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
    expect(labelError('k=v@l')).toBe(
      `unable to parse requirement: values[0][k]: Invalid value: "v@l": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  });
});

describe('field selectors', () => {
  const f = { 'metadata.name': 'a,b=c', 'metadata.namespace': 'ns', type: 'Opaque' };
  it('matches =, ==, != with AND and escapes', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c').matches(f)).toBe(true);
    expect(parseFieldSelector('metadata.namespace==ns,type!=kubernetes.io/tls').matches(f)).toBe(true);
    expect(parseFieldSelector('metadata.namespace=ns,type=x').matches(f)).toBe(false);
    expect(parseFieldSelector('missing=').matches(f)).toBe(true);
    expect(parseFieldSelector('x=a\\\\b').requirements[0]).toEqual({ field: 'x', op: '=', value: 'a\\b' });
    expect(parseFieldSelector('').isEmpty()).toBe(true);
  });

  it('canonicalises sorted and escaped', () => {
    expect(parseFieldSelector('b==2,a!=x\\,y').toString()).toBe('a!=x\\,y,b=2');
  });

  it('reports kube messages', () => {
    expect(fieldError('abc')).toBe("invalid selector: 'abc'; can't understand 'abc'");
    expect(fieldError('a=b,c')).toBe("invalid selector: 'a=b,c'; can't understand 'c'");
    expect(fieldError('a=b\\x')).toBe('invalid field selector: invalid escape sequence: \\x');
    expect(fieldError('a=b\\')).toBe('invalid field selector: invalid escape sequence: \\');
    expect(fieldError('a=b=c')).toBe('invalid field selector: unescaped character in value: 61');
  });

  it('names the first unsupported field label', () => {
    const s = parseFieldSelector('spec.x=1,metadata.name=a');
    expect(() => assertSupportedFields(s, ['metadata.name'])).toThrow('field label not supported: spec.x');
    expect(() => assertSupportedFields(parseFieldSelector('metadata.name=a'), new Set(['metadata.name']))).not.toThrow();
  });
});

describe('selector grammar', () => {
  it('matches the full label grammar', () => {
    const sel = parseLabelSelector('a=1,b!=2,c in (x, y),d notin (z),e,!f,g>3');
    expect(sel.matches({ a: '1', b: '3', c: 'x', d: 'q', e: '', g: '4' })).toBe(true);
    expect(sel.matches({ a: '1', b: '3', c: 'x', d: 'q', e: '', g: '4', f: 'x' })).toBe(false);
    expect(sel.matches({ a: '1', c: 'y', e: '', g: '2' })).toBe(false);
    expect(() => parseLabelSelector('a in x')).toThrow(/expected: '\('/);
  });
  it('parses field selectors with escapes', () => {
    const f = parseFieldSelector('metadata.name=a\\,b,type!=x');
    expect(f.requirements).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b' },
      { field: 'type', op: '!=', value: 'x' },
    ]);
    expect(() => parseFieldSelector('nonsense')).toThrow("invalid selector: 'nonsense'; can't understand 'nonsense'");
  });
});
