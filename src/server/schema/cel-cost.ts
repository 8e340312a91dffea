// Static cost estimation for x-kubernetes-validations, after the model
// apiextensions-apiserver applies at CRD write time: a comprehension costs its
// receiver's largest possible size times its body; strings cost a tenth of their
// largest length per traversal. Sizes come from maxItems / maxProperties /
// maxLength, or, when a schema declares none, from the largest request the
// server accepts (3 MiB) divided by the smallest serialized element — which is
// why unbounded nested loops are refused, as on a real cluster.

import { isPlainObject } from '../api/types.js';
import type { SchemaNode } from './prune.js';

export const PER_EXPRESSION_LIMIT = 10_000_000;
export const PER_CRD_LIMIT = 100_000_000;
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const MACROS = new Set(['all', 'exists', 'exists_one', 'filter', 'map']);
const STRING_TRAVERSAL = new Set([
  '__match',
  'matches',
  'contains',
  'startsWith',
  'endsWith',
  'find',
  'findAll',
  'split',
  'replace',
  'lowerAscii',
  'upperAscii',
  'trim',
  'indexOf',
  'lastIndexOf',
  'substring',
  'join',
  'quantity',
  'url',
  'ip',
  'cidr',
  'isURL',
  'isIP',
  'isCIDR',
  'isQuantity',
]);

interface AstNode {
  op: string;
  args: unknown;
}

interface Sym {
  schema?: SchemaNode;
}

/** Smallest JSON serialization of a value of this schema (kube's estimateMinSizeJSON). */
function minSize(s: SchemaNode | undefined): number {
  if (!s) return 1;
  if (s['x-kubernetes-int-or-string'] === true) return 1;
  switch (s.type) {
    case 'string':
      return 2;
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return 4;
    case 'array':
      return 2;
    case 'object':
      return 2;
    default:
      return 1;
  }
}

/** Largest number of elements (lists, maps) or characters (strings) a value can have. */
export function maxSize(s: SchemaNode | undefined): number {
  if (!s) return 1;
  if (s.type === 'array') {
    if (typeof s.maxItems === 'number') return s.maxItems;
    return Math.floor((MAX_REQUEST_BYTES - 2) / (minSize(s.items as SchemaNode | undefined) + 1));
  }
  if (s.type === 'object' && isPlainObject(s.additionalProperties)) {
    if (typeof s.maxProperties === 'number') return s.maxProperties;
    return Math.floor((MAX_REQUEST_BYTES - 2) / (minSize(s.additionalProperties as SchemaNode) + 4));
  }
  if (s.type === 'string') {
    if (typeof s.maxLength === 'number') return s.maxLength;
    if (s.format === 'date-time' || s.format === 'date' || s.format === 'duration') return 64;
    return MAX_REQUEST_BYTES - 2;
  }
  return 1;
}

function child(s: SchemaNode | undefined, key: string | undefined): SchemaNode | undefined {
  if (!s) return undefined;
  if (s.type === 'array') return s.items as SchemaNode | undefined;
  const props = s.properties as Record<string, SchemaNode> | undefined;
  if (key !== undefined && props?.[key]) return props[key];
  if (key !== undefined && props) {
    const unescaped = key.replace(/^__(.*)__$/, '$1');
    if (props[unescaped]) return props[unescaped];
  }
  return isPlainObject(s.additionalProperties) ? (s.additionalProperties as SchemaNode) : undefined;
}

function element(s: SchemaNode | undefined): SchemaNode | undefined {
  if (!s) return undefined;
  if (s.type === 'array') return s.items as SchemaNode | undefined;
  // Macros over a map iterate its keys (strings).
  if (s.type === 'object') return { type: 'string', maxLength: 253 };
  return undefined;
}

class Estimator {
  constructor(private readonly vars: Map<string, Sym>) {}

  /** Returns [cost, symbol of the value]. */
  walk(node: unknown): [number, Sym] {
    if (!isPlainObject(node)) return [0, {}];
    const n = node as unknown as AstNode;
    const args = n.args;
    switch (n.op) {
      case 'value':
        return [0, {}];
      case 'id':
        return [1, this.vars.get(String(args)) ?? {}];
      case '.':
      case '.?': {
        const [obj, field] = args as [unknown, string];
        const [c, sym] = this.walk(obj);
        return [c + 1, { schema: child(sym.schema, field) }];
      }
      case '[]':
      case '[?]': {
        const [obj, idx] = args as [unknown, unknown];
        const [c1, sym] = this.walk(obj);
        const [c2] = this.walk(idx);
        const key = isPlainObject(idx) && (idx as unknown as AstNode).op === 'value' ? String((idx as unknown as AstNode).args) : undefined;
        return [c1 + c2 + 1, { schema: child(sym.schema, key) }];
      }
      case 'rcall': {
        const [name, receiver, callArgs] = args as [string, unknown, unknown[]];
        const [rc, rsym] = this.walk(receiver);
        if (MACROS.has(name) && Array.isArray(callArgs) && callArgs.length >= 2) {
          const iterVar = String((callArgs[0] as AstNode).args);
          const inner = new Estimator(new Map(this.vars).set(iterVar, { schema: element(rsym.schema) }));
          const bodyCost = callArgs.slice(1).reduce<number>((sum, a) => sum + inner.walk(a)[0], 0);
          const iterations = maxSize(rsym.schema);
          const resultSchema = name === 'filter' ? rsym.schema : name === 'map' ? { type: 'array', maxItems: iterations } : undefined;
          return [rc + iterations * (bodyCost + 1), { schema: resultSchema }];
        }
        let cost = rc + 1;
        for (const a of callArgs ?? []) cost += this.walk(a)[0];
        if (STRING_TRAVERSAL.has(name)) cost += Math.ceil(maxSize(rsym.schema) * 0.1);
        return [cost, {}];
      }
      case 'call': {
        const [, callArgs] = args as [string, unknown[]];
        let cost = 1;
        for (const a of callArgs ?? []) cost += this.walk(a)[0];
        return [cost, {}];
      }
      case '==':
      case '!=': {
        const [a, b] = args as [unknown, unknown];
        const [ca, sa] = this.walk(a);
        const [cb, sb] = this.walk(b);
        const strings = sa.schema?.type === 'string' || sb.schema?.type === 'string';
        const traversal = strings ? Math.ceil(Math.min(maxSize(sa.schema), maxSize(sb.schema)) * 0.1) : 0;
        return [ca + cb + 1 + traversal, {}];
      }
      case 'in': {
        const [a, b] = args as [unknown, unknown];
        const [ca] = this.walk(a);
        const [cb, sb] = this.walk(b);
        return [ca + cb + 1 + (sb.schema ? maxSize(sb.schema) : 0), {}];
      }
      default: {
        let cost = 1;
        const list = Array.isArray(args) ? args : [args];
        for (const a of list) {
          if (Array.isArray(a)) for (const x of a) cost += this.walk(x)[0];
          else cost += this.walk(a)[0];
        }
        return [cost, {}];
      }
    }
  }
}

/** The estimated cost of one rule evaluated at `schema` (self); oldSelf has the same shape. */
export function estimateCost(ast: unknown, schema: SchemaNode): number {
  const vars = new Map<string, Sym>([
    ['self', { schema }],
    ['oldSelf', { schema }],
    ['__old', { schema }],
  ]);
  return new Estimator(vars).walk(ast)[0];
}

export function exceedsMessage(cost: number, limit: number): string {
  // Worded as apiextensions-apiserver's getCostErrorMessage.
  const f = cost / limit;
  const factor = f > 100 ? 'more than 100x' : f < 1.5 ? `${f.toFixed(6)}x` : `${f.toFixed(1)}x`;
  return `estimated rule cost exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

export const PER_CALL_LIMIT = 1_000_000;

/**
 * The schema narrowed to the sizes a concrete value has: estimating against it
 * gives the cost of evaluating the rule on that value (the runtime budget).
 */
export function sizedTo(value: unknown, s: SchemaNode | undefined): SchemaNode | undefined {
  if (!s) return s;
  if (Array.isArray(value)) {
    let largest: unknown;
    let largestLen = -1;
    for (const v of value) {
      const len = JSON.stringify(v)?.length ?? 0;
      if (len > largestLen) {
        largest = v;
        largestLen = len;
      }
    }
    return { ...s, maxItems: value.length, items: sizedTo(largest, s.items as SchemaNode | undefined) };
  }
  if (typeof value === 'string') return { ...s, maxLength: value.length };
  if (isPlainObject(value)) {
    const props = s.properties as Record<string, SchemaNode> | undefined;
    const out: SchemaNode = { ...s, maxProperties: Object.keys(value).length };
    if (props) out.properties = Object.fromEntries(Object.entries(props).map(([k, ps]) => [k, sizedTo(value[k], ps) ?? ps]));
    if (isPlainObject(s.additionalProperties)) {
      const vals = Object.values(value);
      out.additionalProperties =
        sizedTo(
          vals.sort((a, b) => (JSON.stringify(b)?.length ?? 0) - (JSON.stringify(a)?.length ?? 0))[0],
          s.additionalProperties as SchemaNode,
        ) ?? s.additionalProperties;
    }
    return out;
  }
  return s;
}
