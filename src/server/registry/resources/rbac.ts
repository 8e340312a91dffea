// rbac.authorization.k8s.io/v1: Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings as pkg/registry/rbac/* store them: defaults
// (pkg/apis/rbac/v1/defaults.go), validation (pkg/apis/rbac/validation) and
// the binding printers; the bootstrap policy and the escalation checks are in
// rbac-policy.ts, enforcement in the authorizer (authz/rbac).

import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Subdomain, nameIsPathSegment } from '../../api/names.js';
import { isPlainObject, type KubeObject } from '../../api/types.js';
import type { BuiltinResource } from '../builtin.js';
import type { Strategy } from '../strategy.js';
import { validateLabelSelector } from '../validation/labelselector.js';
import { groupV1Resource } from './cluster-common.js';
import { goStrings, goStruct, invalidGo } from './go-values.js';
import { age, ageColumn, column, nameColumn, objName } from './printers.js';
import { bindingEscalationChecks, bootstrapPolicy, roleEscalationChecks } from './rbac-policy.js';
import { arrOf, type Obj, objOf, strOf } from './values.js';

const GROUP = 'rbac.authorization.k8s.io';

/** SetDefaults_Subject and SetDefaults_(Cluster)RoleBinding. */
function defaultBinding(obj: KubeObject): void {
  const ref = objOf(obj.roleRef);
  if (ref && !ref.apiGroup) ref.apiGroup = GROUP;
  for (const s of arrOf(obj.subjects)) {
    if (!isPlainObject(s) || s.apiGroup) continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = GROUP;
  }
}

/** ValidatePolicyRule. */
function validatePolicyRule(raw: unknown, namespaced: boolean, p: string): FieldError[] {
  const rule = objOf(raw) ?? {};
  const errs: FieldError[] = [];
  const len = (f: string) => arrOf(rule[f]).length;
  if (len('verbs') === 0) errs.push(fieldErrors.required(`${p}.verbs`, 'verbs must contain at least one value'));
  if (len('nonResourceURLs') > 0) {
    const urls = goStrings(rule.nonResourceURLs);
    if (namespaced) errs.push(invalidGo(`${p}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    if (len('apiGroups') > 0 || len('resources') > 0 || len('resourceNames') > 0) {
      errs.push(invalidGo(`${p}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (len('apiGroups') === 0) errs.push(fieldErrors.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
  if (len('resources') === 0) errs.push(fieldErrors.required(`${p}.resources`, 'resource rules must supply at least one resource'));
  if (len('resourceNames') > 0 && len('resources') > 1) {
    errs.push(fieldErrors.required(`${p}.resourceNames`, 'resource names cannot apply to multiple resources'));
  }
  return errs;
}

function validateRules(obj: KubeObject, namespaced: boolean): FieldError[] {
  return arrOf(obj.rules).flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));
}

/** ValidateClusterRole's aggregationRule part. */
function validateAggregationRule(obj: KubeObject): FieldError[] {
  const rule = objOf(obj.aggregationRule);
  if (!rule) return [];
  const selectors = arrOf(rule.clusterRoleSelectors);
  const errs: FieldError[] = [];
  if (selectors.length === 0) {
    errs.push(
      fieldErrors.required(
        'aggregationRule.clusterRoleSelectors',
        'at least one clusterRoleSelector required if aggregationRule is non-nil',
      ),
    );
  }
  selectors.forEach((s, i) => {
    errs.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`));
  });
  return errs;
}

/** validateRoleBindingSubject. */
function validateSubject(raw: unknown, namespaced: boolean, p: string): FieldError[] {
  const s = objOf(raw) ?? {};
  const name = strOf(s.name);
  const apiGroup = strOf(s.apiGroup);
  const errs: FieldError[] = [];
  if (!name) errs.push(fieldErrors.required(`${p}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const m of isDNS1123Subdomain(name)) errs.push(fieldErrors.invalid(`${p}.name`, name, m));
      if (apiGroup) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !strOf(s.namespace)) errs.push(fieldErrors.required(`${p}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (!name) errs.push(fieldErrors.invalid(`${p}.name`, name, `${s.kind === 'User' ? 'user' : 'group'} name cannot be empty`));
      if (apiGroup !== GROUP) errs.push(fieldErrors.notSupported(`${p}.apiGroup`, apiGroup, [GROUP]));
      break;
    default:
      errs.push(fieldErrors.notSupported(`${p}.kind`, strOf(s.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

/** ValidateRoleBinding / ValidateClusterRoleBinding. */
function validateBinding(obj: KubeObject, namespaced: boolean): FieldError[] {
  const ref = objOf(obj.roleRef) ?? {};
  const errs: FieldError[] = [];
  if (ref.apiGroup !== GROUP) errs.push(fieldErrors.notSupported('roleRef.apiGroup', strOf(ref.apiGroup), [GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(strOf(ref.kind))) errs.push(fieldErrors.notSupported('roleRef.kind', strOf(ref.kind), kinds));
  const name = strOf(ref.name);
  if (!name) errs.push(fieldErrors.required('roleRef.name'));
  else for (const m of nameIsPathSegment(name, false)) errs.push(fieldErrors.invalid('roleRef.name', name, m));
  arrOf(obj.subjects).forEach((s, i) => {
    errs.push(...validateSubject(s, namespaced, `subjects[${i}]`));
  });
  return errs;
}

function roleRefOf(obj: KubeObject): Obj {
  return objOf(obj.roleRef) ?? {};
}

/** ValidateRoleBindingUpdate: the roleRef never changes (`cannot change roleRef`). */
function validateRoleRefUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const ref = roleRefOf(obj);
  const oldRef = roleRefOf(old);
  const same = ['apiGroup', 'kind', 'name'].every((k) => strOf(ref[k]) === strOf(oldRef[k]));
  if (same) return [];
  const repr = goStruct('rbac.RoleRef', ref, {
    stringFields: [
      ['APIGroup', 'apiGroup'],
      ['Kind', 'kind'],
      ['Name', 'name'],
    ],
  });
  return [invalidGo('roleRef', repr, 'cannot change roleRef')];
}

/** Role.rules and a binding's roleRef have no omitempty: Go always writes them (`null`, `{...}`). */
function roleWireFields(obj: KubeObject): void {
  if (obj.rules === undefined) obj.rules = null;
  for (const r of arrOf(obj.rules)) if (isPlainObject(r) && r.verbs === undefined) r.verbs = null;
}

function bindingWireFields(obj: KubeObject): void {
  const ref = (obj.roleRef = objOf(obj.roleRef) ?? {});
  for (const k of ['apiGroup', 'kind', 'name']) ref[k] ??= '';
  for (const s of arrOf(obj.subjects)) {
    if (!isPlainObject(s)) continue;
    for (const k of ['kind', 'name']) s[k] ??= '';
    // apiGroup and namespace are omitempty: a ServiceAccount's defaulted "" apiGroup is not written.
    for (const k of ['apiGroup', 'namespace']) if (s[k] === '') delete s[k];
  }
}

/** pkg/apis/rbac SubjectsStrings: users, groups and `namespace/name` service accounts. */
function subjectsStrings(obj: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const raw of arrOf(obj.subjects)) {
    const s = objOf(raw) ?? {};
    if (s.kind === 'ServiceAccount') sas.push(`${strOf(s.namespace)}/${strOf(s.name)}`);
    else if (s.kind === 'User') users.push(strOf(s.name));
    else if (s.kind === 'Group') groups.push(strOf(s.name));
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const rbacBase = {
  hasGeneration: false,
  allowUnconditionalUpdate: true,
  hasStatusSubresource: false,
  allowCreateOnUpdate: true,
  nameValidator: nameIsPathSegment,
} as const;

function roleStrategy(namespaced: boolean): Strategy {
  const validate = (obj: KubeObject): FieldError[] => [
    ...validateRules(obj, namespaced),
    ...(namespaced ? [] : validateAggregationRule(obj)),
  ];
  return {
    ...rbacBase,
    namespaced,
    validate,
    // kube's strategies run ValidateRole and then ValidateRoleUpdate, which validates the role again.
    validateUpdate: (obj) => [...validate(obj), ...validate(obj)],
    canonicalize: roleWireFields,
  };
}

function bindingStrategy(namespaced: boolean): Strategy {
  const roleRefDoc = namespaced
    ? 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.'
    : 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.';
  const what = namespaced ? 'roleBinding' : 'clusterRoleBinding';
  return {
    ...rbacBase,
    namespaced,
    prepareForCreate: defaultBinding,
    prepareForUpdate: defaultBinding,
    validate: (obj) => validateBinding(obj, namespaced),
    // As ValidateRoleBinding then ValidateRoleBindingUpdate (which validates the binding again), plus the roleRef check.
    validateUpdate: (obj, old) => [
      ...validateBinding(obj, namespaced),
      ...validateBinding(obj, namespaced),
      ...validateRoleRefUpdate(obj, old),
    ],
    canonicalize: bindingWireFields,
    tableColumns: [
      nameColumn,
      column('Role', 'string', roleRefDoc),
      ageColumn,
      column('Users', 'string', `Users in the ${what}`, 1),
      column('Groups', 'string', `Groups in the ${what}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    tableRow: (obj) => {
      const ref = roleRefOf(obj);
      return [objName(obj), `${strOf(ref.kind)}/${strOf(ref.name)}`, age(obj.metadata?.creationTimestamp), ...subjectsStrings(obj)];
    },
  };
}

/** kube's post-start hook that stores the bootstrap policy. */
export const RBAC_BOOTSTRAP_HOOK = 'rbac/bootstrap-roles';

type RBACResource = 'roles' | 'rolebindings' | 'clusterroles' | 'clusterrolebindings';

/**
 * A row: its strategy with the escalation checks bound to the server's authorization, and the
 * bootstrap policy's objects of its kind as system objects.
 */
function rbac(resource: RBACResource, kind: string, namespaced: boolean, strategy: Strategy): BuiltinResource {
  const isBinding = resource === 'rolebindings' || resource === 'clusterrolebindings';
  const table = {
    roles: 'roles',
    rolebindings: 'roleBindings',
    clusterroles: 'clusterRoles',
    clusterrolebindings: 'clusterRoleBindings',
  } as const;
  return groupV1Resource(GROUP, resource, kind, strategy, {
    namespaced,
    extra: {
      configure: (_storage, options) =>
        isBinding
          ? bindingEscalationChecks(strategy, resource, options.authorization)
          : roleEscalationChecks(strategy, resource, options.authorization),
      systemObjects: () => bootstrapPolicy()[table[resource]],
      // Stored once the server serves; the authorizer has them in memory from the start.
      postStartHook: RBAC_BOOTSTRAP_HOOK,
    },
  });
}

export const rbacResources: BuiltinResource[] = [
  rbac('roles', 'Role', true, roleStrategy(true)),
  rbac('rolebindings', 'RoleBinding', true, bindingStrategy(true)),
  rbac('clusterroles', 'ClusterRole', false, roleStrategy(false)),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false, bindingStrategy(false)),
];
