// Validation of a CustomResourceDefinition itself, worded as
// k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation does.
// Schema rules (structural, CEL) come from the strategy's schemaErrors (schema/).

import type { CRD, CRDVersion } from '../../api/apiextensions.js';
import { type FieldError, fieldErrors } from '../../api/errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';
import { isPlainObject } from '../../api/types.js';

const dns1035Fmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035Re = new RegExp(`^${dns1035Fmt}$`);

function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!dns1035Re.test(v)) {
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035Fmt}')`,
    );
  }
  return errs;
}

/** Validates names, group, scope, versions and conversion; `schemaErrors` adds the per-version schema checks. */
export function validateCRDSpec(crd: CRD, schemaErrors: (v: CRDVersion, path: string) => FieldError[]): FieldError[] {
  const errs: FieldError[] = [];
  const spec = isPlainObject(crd.spec) ? crd.spec : ({} as CRD['spec']);
  const names = isPlainObject(spec.names) ? spec.names : ({} as CRD['spec']['names']);
  const name = crd.metadata?.name ?? '';
  if (name && spec.group && names.plural && name !== `${names.plural}.${spec.group}`) {
    errs.push(fieldErrors.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (!spec.group) errs.push(fieldErrors.required('spec.group'));
  else {
    for (const m of isDNS1123Subdomain(spec.group)) errs.push(fieldErrors.invalid('spec.group', spec.group, m));
    if (spec.group.split('.').length < 2)
      errs.push(fieldErrors.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  if (!spec.scope) errs.push(fieldErrors.required('spec.scope'));
  else if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errs.push(fieldErrors.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  if (!names.plural) errs.push(fieldErrors.required('spec.names.plural'));
  else for (const m of isDNS1123Label(names.plural)) errs.push(fieldErrors.invalid('spec.names.plural', names.plural, m));
  if (names.singular)
    for (const m of isDNS1123Label(names.singular)) errs.push(fieldErrors.invalid('spec.names.singular', names.singular, m));
  if (!names.kind) errs.push(fieldErrors.required('spec.names.kind'));
  else for (const m of isDNS1035Label(names.kind.toLowerCase())) errs.push(fieldErrors.invalid('spec.names.kind', names.kind, m));
  if (names.listKind) {
    for (const m of isDNS1035Label(names.listKind.toLowerCase())) errs.push(fieldErrors.invalid('spec.names.listKind', names.listKind, m));
    if (names.kind && names.listKind === names.kind)
      errs.push(fieldErrors.invalid('spec.names.listKind', names.listKind, 'kind and listKind cannot be the same'));
  }
  (names.shortNames ?? []).forEach((s, i) => {
    for (const m of isDNS1123Label(s)) errs.push(fieldErrors.invalid(`spec.names.shortNames[${i}]`, s, m));
  });
  (names.categories ?? []).forEach((s, i) => {
    for (const m of isDNS1123Label(s)) errs.push(fieldErrors.invalid(`spec.names.categories[${i}]`, s, m));
  });

  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    errs.push(fieldErrors.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  else {
    const seen = new Set<string>();
    let storage = 0;
    let served = 0;
    versions.forEach((v, i) => {
      const p = `spec.versions[${i}]`;
      if (!v.name) errs.push(fieldErrors.required(`${p}.name`));
      else {
        for (const m of isDNS1035Label(v.name)) errs.push(fieldErrors.invalid(`${p}.name`, v.name, m));
        if (seen.has(v.name)) errs.push(fieldErrors.invalid('spec.versions', versions, 'must contain unique version names'));
        seen.add(v.name);
      }
      if (v.storage) storage++;
      if (v.served) served++;
      errs.push(...schemaErrors(v, p));
      if (v.subresources?.scale) {
        const s = v.subresources.scale;
        if (!s.specReplicasPath) errs.push(fieldErrors.required(`${p}.subresources.scale.specReplicasPath`));
        if (!s.statusReplicasPath) errs.push(fieldErrors.required(`${p}.subresources.scale.statusReplicasPath`));
      }
      (v.additionalPrinterColumns ?? []).forEach((c, j) => {
        const cp = `${p}.additionalPrinterColumns[${j}]`;
        if (!c.name) errs.push(fieldErrors.required(`${cp}.name`));
        if (!['integer', 'number', 'string', 'boolean', 'date'].includes(c.type)) {
          errs.push(fieldErrors.notSupported(`${cp}.type`, c.type, ['integer', 'number', 'string', 'boolean', 'date']));
        }
        if (!c.jsonPath) errs.push(fieldErrors.required(`${cp}.JSONPath`));
      });
    });
    if (storage !== 1) errs.push(fieldErrors.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
    if (served === 0) errs.push(fieldErrors.invalid('spec.versions', versions, 'must have at least one version marked as served'));
  }

  const conv = spec.conversion;
  if (conv) {
    if (conv.strategy !== 'None' && conv.strategy !== 'Webhook')
      errs.push(fieldErrors.notSupported('spec.conversion.strategy', conv.strategy, ['None', 'Webhook']));
    if (conv.strategy === 'Webhook') {
      if (!conv.webhook?.clientConfig)
        errs.push(fieldErrors.required('spec.conversion.webhook', 'required when strategy is set to Webhook'));
      else {
        const cc = conv.webhook.clientConfig;
        if (!!cc.url === !!cc.service)
          errs.push(fieldErrors.required('spec.conversion.webhook.clientConfig', 'exactly one of url or service is required'));
      }
      if (!conv.webhook?.conversionReviewVersions?.length)
        errs.push(fieldErrors.required('spec.conversion.webhook.conversionReviewVersions'));
      else if (!conv.webhook.conversionReviewVersions.some((v) => v === 'v1' || v === 'v1beta1')) {
        errs.push(
          fieldErrors.invalid(
            'spec.conversion.webhook.conversionReviewVersions',
            conv.webhook.conversionReviewVersions,
            'must include at least one of v1, v1beta1',
          ),
        );
      }
    } else if (conv.strategy === 'None' && conv.webhook) {
      errs.push(fieldErrors.forbidden('spec.conversion.webhook', 'should not be set when strategy is not set to Webhook'));
    }
  }
  return errs;
}
