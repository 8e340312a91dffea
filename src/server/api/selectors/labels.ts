// Label selectors as k8s.io/apimachinery/pkg/labels parses them (selector.go):
// the same lexer (greedy special symbols, `in`/`notin` keywords), the same
// recursive-descent parser and the same error texts, so a bad selector gets
// kube-apiserver's exact 400 message. Requirements are sorted by key and
// values deduplicated and sorted, as labels.Parse does.

import { isQualifiedName, isValidLabelValue } from '../names.js';
import { asBadRequest, SelectorError } from './error.js';

export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  isEmpty(): boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** Canonical form (labels.Selector.String): sorted by key, e.g. `a in (x,y),!b`. */
  toString(): string;
}

type Tok = 'ERR' | 'EOS' | ')' | ',' | '!' | '==' | '=' | '>' | 'ID' | 'in' | '(' | '!=' | 'notin' | '<';
const SYMBOLS = new Set<string>([')', ',', '!', '==', '=', '>', '(', '!=', '<']);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

function lex(s: string): Array<[Tok, string]> {
  const out: Array<[Tok, string]> = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) {
      out.push(['EOS', '']);
      return out;
    }
    if (isSpecial(s[i])) {
      // Longest run of special characters that is still a known symbol.
      let buf = '';
      let last: [Tok, string] | undefined;
      while (i < s.length && isSpecial(s[i])) {
        buf += s[i];
        if (SYMBOLS.has(buf)) last = [buf as Tok, buf];
        else if (last) break;
        i++;
      }
      out.push(last ?? ['ERR', `error expected: keyword found '${buf}'`]);
      continue;
    }
    const start = i;
    while (i < s.length && !isSpace(s[i]) && !isSpecial(s[i])) i++;
    const word = s.slice(start, i);
    out.push([word === 'in' || word === 'notin' ? word : 'ID', word]);
  }
}

const fail = (msg: string): never => {
  throw new SelectorError(msg);
};

class Parser {
  private pos = 0;
  constructor(private readonly items: Array<[Tok, string]>) {}

  /** In value context `in`/`notin` are plain identifiers (labels.Values context). */
  lookahead(values = true): [Tok, string] {
    const [t, l] = this.items[Math.min(this.pos, this.items.length - 1)];
    return values && (t === 'in' || t === 'notin') ? ['ID', l] : [t, l];
  }

  consume(values = true): [Tok, string] {
    const r = this.lookahead(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return r;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const [tok, lit] = this.lookahead();
      if (tok === 'EOS') return reqs;
      if (tok !== 'ID' && tok !== '!') fail(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorError) fail(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const [t, l] = this.consume();
      if (t === 'EOS') return reqs;
      if (t !== ',') fail(`found '${l}', expected: ',' or 'end of string'`);
      const [t2, l2] = this.lookahead();
      if (t2 !== 'ID' && t2 !== '!') fail(`found '${l2}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let [tok, key] = this.consume();
    let op: LabelOperator | undefined;
    if (tok === '!') {
      op = '!';
      [tok, key] = this.consume();
    }
    if (tok !== 'ID') fail(`found '${key}', expected: identifier`);
    keyErrors(key, '<nil>');
    const [next] = this.lookahead();
    if (op === '!' || next === 'EOS' || next === ',') return newRequirement(key, op ?? 'exists', []);
    const [opTok, opLit] = this.consume(false);
    switch (opTok) {
      case 'in':
      case 'notin':
        return newRequirement(key, opTok, this.valueSet());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, opTok, this.exactValue());
      case '>':
        return newRequirement(key, 'gt', this.exactValue());
      case '<':
        return newRequirement(key, 'lt', this.exactValue());
      default:
        return fail(`found '${opLit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string[] {
    const [t] = this.lookahead();
    if (t === 'EOS' || t === ',') return [''];
    const [tok, lit] = this.consume();
    if (tok !== 'ID') fail(`found '${lit}', expected: identifier`);
    return [lit];
  }

  private valueSet(): string[] {
    const [open, openLit] = this.consume();
    if (open !== '(') fail(`found '${openLit}' expected: '('`);
    const [t, lit] = this.lookahead();
    if (t === ')') {
      this.consume();
      return [''];
    }
    if (t !== 'ID' && t !== ',') fail(`found '${lit}', expected: ',', ')' or identifier`);
    const set = this.identifiers();
    // kube reports the literal seen before the list here, not the offending one.
    if (this.consume()[0] !== ')') fail(`found '${lit}', expected: ')'`);
    return set;
  }

  private identifiers(): string[] {
    const set = new Set<string>();
    for (;;) {
      const [tok, lit] = this.consume();
      if (tok === 'ID') {
        set.add(lit);
        const [t2, l2] = this.lookahead();
        if (t2 === ',') continue;
        if (t2 === ')') return [...set];
        fail(`found '${l2}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (set.size === 0) set.add('');
        const [t2] = this.lookahead();
        if (t2 === ')') {
          set.add('');
          return [...set];
        }
        if (t2 === ',') {
          this.consume();
          set.add('');
        }
      } else {
        fail(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }
}

function keyErrors(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  const msg = errs.length ? `${path}: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}` : undefined;
  if (msg && path === '<nil>') fail(msg);
  return msg;
}

const goStrings = (vals: string[]): string => `[]string{${vals.map((v) => JSON.stringify(v)).join(', ')}}`;
const INT64_RE = /^[+-]?\d+$/;
const INT64_MAX = 2n ** 63n - 1n;
/** strconv.ParseInt(v, 10, 64) succeeds. */
function isInt64(v: string): boolean {
  if (!INT64_RE.test(v)) return false;
  const n = BigInt(v);
  return n <= INT64_MAX && n >= -INT64_MAX - 1n;
}

/** labels.NewRequirement: every validation error, aggregated as kube's field.ErrorList. */
function newRequirement(key: string, operator: LabelOperator, raw: string[]): LabelRequirement {
  const values = [...new Set(raw)].sort();
  const errs: string[] = [];
  const k = keyErrors(key, 'key');
  if (k) errs.push(k);
  if (operator === 'gt' || operator === 'lt') {
    if (values.length !== 1)
      errs.push(`values: Invalid value: ${goStrings(values)}: for 'Gt', 'Lt' operators, exactly one value is required`);
    values.forEach((v, i) => {
      if (!isInt64(v))
        errs.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    });
  }
  values.forEach((v, i) => {
    const e = isValidLabelValue(v);
    if (e.length) errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${e.join('; ')}`);
  });
  const unique = [...new Set(errs)];
  if (unique.length === 1) fail(unique[0]);
  if (unique.length > 1) fail(`[${unique.join(', ')}]`);
  return { key, operator, values };
}

function matchOne(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(labels[r.key]);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(labels[r.key]);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      const v = labels[r.key];
      if (!has || !isInt64(v)) return false;
      const a = BigInt(v);
      const b = BigInt(r.values[0]);
      return r.operator === 'gt' ? a > b : a < b;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

class Selector implements LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}
  isEmpty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    for (const r of this.requirements) if (!matchOne(r, l)) return false;
    return true;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

export const everythingLabels: LabelSelector = new Selector([]);

/**
 * Parses a labelSelector query value. Throws a 400 BadRequest StatusError with
 * labels.Parse's message (e.g. `unable to parse requirement: <nil>: Invalid value: ...`).
 */
export function parseLabelSelector(s: string | undefined | null): LabelSelector {
  if (!s) return everythingLabels;
  const reqs = asBadRequest(() => new Parser(lex(s)).parse());
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.length ? new Selector(reqs) : everythingLabels;
}

/** labels.Nothing(): what an absent LabelSelector selects. */
const nothingLabels: LabelSelector = {
  requirements: [],
  isEmpty: () => false,
  matches: () => false,
  toString: () => '',
};

const LABEL_SELECTOR_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: a LabelSelector object (`matchLabels`, `matchExpressions`) as a
 * selector. Absent selects nothing, empty selects everything. An unknown operator or a requirement
 * labels.NewRequirement refuses throws SelectorError with kube's text.
 */
export function labelSelectorAsSelector(ps: unknown): LabelSelector {
  if (ps === undefined || ps === null) return nothingLabels;
  const sel = ps as { matchLabels?: Record<string, unknown> | null; matchExpressions?: unknown[] | null };
  const matchLabels = sel.matchLabels ?? {};
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  if (Object.keys(matchLabels).length + exprs.length === 0) return everythingLabels;
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(matchLabels)) reqs.push(newRequirement(k, '=', [String(v ?? '')]));
  for (const raw of exprs) {
    const e = (raw ?? {}) as { key?: unknown; operator?: unknown; values?: unknown };
    const op = LABEL_SELECTOR_OPERATORS[String(e.operator ?? '')];
    if (!op) fail(`${JSON.stringify(String(e.operator ?? ''))} is not a valid label selector operator`);
    const values = Array.isArray(e.values) ? e.values.map((x) => String(x)) : [];
    if ((op === 'in' || op === 'notin') && values.length === 0) fail("for 'in', 'notin' operators, values set can't be empty");
    if ((op === 'exists' || op === '!') && values.length > 0) fail('values set must be empty for exists and does not exist');
    reqs.push(newRequirement(String(e.key ?? ''), op!, values));
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new Selector(reqs);
}
