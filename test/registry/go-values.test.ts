// Go's %#v rendering of field errors' bad values, one module for every built-in kind:
// the two struct shapes (a whole JSON value, recursively; a fixed list of string fields)
// and the string slice's named-type and nil forms.

import { describe, expect, it } from 'vitest';
import { formatBadValue } from '../../src/server/api/errors.js';
import { goLabelSelector, goStrings, goStruct, invalidGo } from '../../src/server/registry/resources/go-values.js';

describe('Go value rendering', () => {
  it('renders a whole struct from its JSON: ObjectMeta first, maps as maps, unset fields left out', () => {
    const template = {
      spec: { containers: [{ name: 'c', image: 'i' }], nodeSelector: { b: '2', a: '1' } },
      metadata: { labels: { app: 'web' } },
    };
    expect(goStruct('core.PodTemplateSpec', template).text).toBe(
      'core.PodTemplateSpec{ObjectMeta:{Labels:map[string]string{"app":"web"}}, Spec:{Containers:[]interface {}{{Name:"c", Image:"i"}}, NodeSelector:map[string]string{"a":"1", "b":"2"}}}',
    );
    expect(goStruct('batch.SuccessPolicy', undefined).text).toBe('batch.SuccessPolicy{}');
  });

  it('renders a struct of string fields in Go field order, an absent or non-string field as ""', () => {
    const fields = [
      ['APIGroup', 'apiGroup'],
      ['Kind', 'kind'],
      ['Name', 'name'],
    ] as const;
    expect(
      goStruct('rbac.RoleRef', { name: 'view', kind: 'ClusterRole', apiGroup: 'rbac.authorization.k8s.io' }, { stringFields: fields }).text,
    ).toBe('rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}');
    expect(goStruct('rbac.RoleRef', { kind: 3 }, { stringFields: fields }).text).toBe('rbac.RoleRef{APIGroup:"", Kind:"", Name:""}');
  });

  it('renders string slices with a named element type, and absent ones as empty or nil', () => {
    expect(goStrings(['*', 'pods'])).toBe('[]string{"*", "pods"}');
    expect(goStrings(['CREATE'], { type: 'admissionregistration.OperationType' })).toBe('[]admissionregistration.OperationType{"CREATE"}');
    expect(goStrings(undefined)).toBe('[]string{}');
    expect(goStrings(undefined, { nilWhenAbsent: true })).toBe('[]string(nil)');
    expect(goStrings([], { nilWhenAbsent: true })).toBe('[]string{}');
  });

  it('prints a label selector with nil and set fields', () => {
    expect(goLabelSelector({ matchExpressions: [{ key: 'k', operator: 'Exists' }] })?.text).toBe(
      'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"Exists", Values:[]string(nil)}}}',
    );
  });

  it('field.Invalid takes Go text or a rendered value', () => {
    expect(formatBadValue(invalidGo('spec', '[]string{}', 'd').badValue)).toBe('[]string{}');
    expect(formatBadValue(invalidGo('spec', goStruct('x.Y', {}), 'd').badValue)).toBe('x.Y{}');
  });
});
