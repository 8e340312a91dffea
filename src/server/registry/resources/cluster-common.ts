// Small pieces the cluster-wide API groups' strategies share: reading plain
// JSON objects, Go's `%#v` rendering of values kube puts in field errors,
// and printer columns whose descriptions
// come from the generated models (the same swagger docs kube's printers use).

import type { TableColumn } from '../../api/descriptor.js';
import { type FieldError, fieldErrors, GoValue } from '../../api/errors.js';
import { isDNS1123Subdomain } from '../../api/names.js';
import { isPlainObject } from '../../api/types.js';
import { readModel } from '../../schema/builtin/models.js';

export type Obj = Record<string, unknown>;

/** The object at `v`, or undefined (a missing or mistyped field). */
export function objOf(v: unknown): Obj | undefined {
  return isPlainObject(v) ? v : undefined;
}

export function arrOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function strOf(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `obj[key]` as an object, created when absent (Go's non-pointer struct fields always exist). */
export function child(obj: Obj, key: string): Obj {
  const v = obj[key];
  if (isPlainObject(v)) return v;
  const c: Obj = {};
  obj[key] = c;
  return c;
}

/** Go's `%#v` of a string slice: `[]string{"a", "b"}` (the type name can be a named string type's). */
export function goStrings(v: unknown, type = 'string'): string {
  return `[]${type}{${arrOf(v)
    .map((s) => JSON.stringify(String(s)))
    .join(', ')}}`;
}

/** Go's `%#v` of a byte slice: `[]byte{0x2d, 0x2d}`. */
export function goBytes(b: Buffer): string {
  return `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`;
}

/** Go's `%#v` of a struct with string fields: `rbac.RoleRef{APIGroup:"x", Kind:"y", Name:"z"}`. */
export function goStruct(type: string, fields: Array<[string, unknown]>): string {
  return `${type}{${fields.map(([k, v]) => `${k}:${JSON.stringify(typeof v === 'string' ? v : '')}`).join(', ')}}`;
}

/** field.Invalid whose bad value is printed as Go prints it (a struct or slice), not as JSON. */
export function invalidGo(field: string, goValue: string, detail: string): FieldError {
  return fieldErrors.invalid(field, new GoValue(goValue), detail);
}

/** validation.IsValidPortNum. */
export function isValidPortNum(port: unknown): string[] {
  return typeof port === 'number' && port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** utilvalidation.IsFullyQualifiedName: a DNS subdomain of at least three segments. */
export function fullyQualifiedNameErrors(field: string, name: string): FieldError[] {
  if (!name) return [fieldErrors.required(field)];
  const errs = isDNS1123Subdomain(name);
  if (errs.length) return [fieldErrors.invalid(field, name, errs.join(','))];
  if (name.split('.').length < 3)
    return [fieldErrors.invalid(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

/** Conditions stay where they were and times are kept when nothing about the condition changed. */
export function setCondition(conditions: unknown, cond: Obj, now: string): Obj[] {
  const list = arrOf(conditions).filter(isPlainObject);
  const i = list.findIndex((c) => c.type === cond.type);
  const prev = i >= 0 ? list[i] : undefined;
  const next = {
    ...cond,
    lastTransitionTime: prev && prev.status === cond.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/**
 * A printer column described by a generated model's field documentation (kube's
 * `storagev1.StorageClass{}.SwaggerDoc()["provisioner"]`), read when a table is first printed.
 */
export function docColumn(name: string, type: TableColumn['type'], model: string, field: string, priority = 0): TableColumn {
  let description: string | undefined;
  return {
    name,
    type,
    format: '',
    priority,
    get description() {
      description ??= readModel(model)?.fields.get(field)?.description ?? '';
      return description;
    },
  };
}
