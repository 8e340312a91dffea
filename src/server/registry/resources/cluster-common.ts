// Small pieces the cluster-wide API groups' strategies share: kube's port and
// qualified-name checks, conditions, and printer columns whose descriptions
// come from the generated models (the same swagger docs kube's printers use).

import type { TableColumn } from '../../api/descriptor.js';
import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Subdomain } from '../../api/names.js';
import { isPlainObject } from '../../api/types.js';
import { readModel } from '../../schema/builtin/models.js';
import { type BuiltinResource, builtinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { arrOf, type Obj } from './values.js';

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
export function docColumn(name: string, type: TableColumn['type'], model: string, field: string, priority = 0, format = ''): TableColumn {
  let description: string | undefined;
  return {
    name,
    type,
    format,
    priority,
    get description() {
      description ??= readModel(model)?.fields.get(field)?.description ?? '';
      return description;
    },
  };
}

export interface GroupV1Options {
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  /** A status subresource. */
  status?: boolean;
  extra?: Parameters<typeof builtinResource>[4];
}

/** A kind of a cluster API group served at `v1` only: singular the lower-cased kind, model `V1<Kind>`. */
export function groupV1Resource(
  group: string,
  resource: string,
  kind: string,
  strategy: Strategy,
  o: GroupV1Options = {},
): BuiltinResource {
  return builtinResource(
    {
      group,
      version: 'v1',
      resource,
      singular: kind.toLowerCase(),
      kind,
      namespaced: o.namespaced ?? false,
      ...(o.shortNames ? { shortNames: o.shortNames } : {}),
      ...(o.categories ? { categories: o.categories } : {}),
      ...(o.status ? { subresources: { status: true } } : {}),
    },
    strategy,
    `V1${kind}`,
    undefined,
    o.extra,
  );
}
