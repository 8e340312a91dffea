// kubectl's JSONPath dialect (k8s.io/client-go/util/jsonpath), as printer columns and field paths use it.

import { describe, expect, it } from 'vitest';
import { jsonPathValues, validateJSONPath } from '../../src/server/api/jsonpath.js';

describe('JSONPath (client-go dialect)', () => {
  const obj = {
    a: {
      'b.c': 1,
      list: [
        { n: 1, t: 'x' },
        { n: 2, t: 'y' },
        { n: 3, t: 'x' },
      ],
    },
  };
  it('fields, indexes, slices, wildcards, unions, filters, recursive descent', () => {
    expect(jsonPathValues(obj, "{.a['b.c']}")).toEqual([1]);
    expect(jsonPathValues(obj, '.a.list[-1].n')).toEqual([3]);
    expect(jsonPathValues(obj, '.a.list[0:2].n')).toEqual([1, 2]);
    expect(jsonPathValues(obj, '.a.list[*].n')).toEqual([1, 2, 3]);
    expect(jsonPathValues(obj, '.a.list[0,2].n')).toEqual([1, 3]);
    expect(jsonPathValues(obj, '.a.list[?(@.t == "x")].n')).toEqual([1, 3]);
    expect(jsonPathValues(obj, '.a.list[?(@.n > 1)].t')).toEqual(['y', 'x']);
    expect(jsonPathValues(obj, '.a.list[?(@.missing)].n')).toEqual([]);
    expect(jsonPathValues(obj, '..n')).toEqual([1, 2, 3]);
    expect(jsonPathValues(obj, '.a.nothing.deeper')).toEqual([]);
    expect(validateJSONPath('.a[')).toMatch(/unclosed/);
  });

  it('filters and wildcards as printer columns use them', () => {
    const obj = {
      status: {
        conditions: [
          { type: 'A', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [{ value: '1' }, { value: '2' }],
      },
    };
    expect(jsonPathValues(obj, '.status.conditions[?(@.type == "Ready")].status')).toEqual(['True']);
    expect(jsonPathValues(obj, '.status.addresses[*].value')).toEqual(['1', '2']);
  });
});
