// The cluster-wide API groups' strategies over the generic Store and the memory
// storage, without HTTP: kube-apiserver's defaults, validation messages, subresource
// scoping, conversions and printers for rbac, storage, scheduling, node,
// certificates, admissionregistration, apiregistration, flowcontrol and events.k8s.io.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { coreToEventsV1, eventsV1ToCore } from '../../src/server/registry/resources/events.js';
import type { Store } from '../../src/server/registry/store.js';
import type { RequestContext } from '../../src/server/registry/strategy.js';
import { makeCSR } from '../helpers/csr.js';
import { catalogRow, rejection as rejects, requestContext, useRowStores } from '../helpers/rows.js';

const row = (group: string, resource: string) => catalogRow(resource, { group });

/** A non-admin user with a uid (CSRs record the requester); no namespace unless given. */
function ctx(over: Partial<RequestContext> = {}): RequestContext {
  return requestContext({
    user: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'] },
    namespace: undefined,
    ...over,
  });
}

const obj = (o: Record<string, unknown>) => o as unknown as KubeObject;

describe('cluster-wide API groups', () => {
  const stores = useRowStores();
  const storeFor = (group: string, resource: string): Promise<Store> => stores.storeFor(row(group, resource));

  describe('rbac.authorization.k8s.io', () => {
    const RBAC = 'rbac.authorization.k8s.io';

    it('defaults subject and roleRef apiGroups and refuses a changed roleRef', async () => {
      const rb = await storeFor(RBAC, 'rolebindings');
      const c = ctx({ namespace: 'default' });
      const created = await rb.create(
        c,
        obj({
          metadata: { name: 'rb' },
          roleRef: { kind: 'Role', name: 'reader' },
          subjects: [
            { kind: 'User', name: 'alice' },
            { kind: 'Group', name: 'devs' },
            { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
          ],
        }),
      );
      expect(created.roleRef).toEqual({ apiGroup: RBAC, kind: 'Role', name: 'reader' });
      expect((created.subjects as Array<{ apiGroup?: string }>).map((s) => s.apiGroup)).toEqual([RBAC, RBAC, undefined]);
      expect(created.metadata?.generation).toBeUndefined();
      const e = await rejects(rb.update(c, 'rb', (cur) => ({ ...cur!, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' } })));
      expect(e.code).toBe(422);
      expect(e.message).toBe(
        'RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"view"}: cannot change roleRef',
      );
      const row = rb.strategy.tableRow!(created);
      expect([row[0], row[1], row[3], row[4], row[5]]).toEqual(['rb', 'Role/reader', 'alice', 'devs', 'default/robot']);
    });

    it('validates rules, subjects and kinds with kube wording', async () => {
      const roles = await storeFor(RBAC, 'roles');
      const c = ctx({ namespace: 'default' });
      const e = await rejects(
        roles.create(
          c,
          obj({
            metadata: { name: 'r' },
            rules: [
              { apiGroups: [''], resources: ['pods'] },
              { nonResourceURLs: ['/x'], verbs: ['get'] },
            ],
          }),
        ),
      );
      expect(e.message).toBe(
        'Role.rbac.authorization.k8s.io "r" is invalid: [rules[0].verbs: Required value: verbs must contain at least one value, rules[1].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot apply to non-resource URLs]',
      );
      const ok = await roles.create(c, obj({ metadata: { name: 'empty' } }));
      expect(ok.rules).toBeNull();
      const crb = await storeFor(RBAC, 'clusterrolebindings');
      const bad = await rejects(
        crb.create(
          ctx(),
          obj({
            metadata: { name: 'x' },
            roleRef: { kind: 'Role', name: 'r' },
            subjects: [
              { kind: 'ServiceAccount', name: 'sa' },
              { kind: 'Robot', name: 'r2' },
            ],
          }),
        ),
      );
      expect(bad.message).toContain('roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"');
      expect(bad.message).toContain('subjects[0].namespace: Required value');
      expect(bad.message).toContain('subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"');
      const cr = await storeFor(RBAC, 'clusterroles');
      const agg = await rejects(cr.create(ctx(), obj({ metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } })));
      expect(agg.message).toContain(
        'aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil',
      );
    });
  });

  describe('storage.k8s.io', () => {
    const S = 'storage.k8s.io';

    it('defaults StorageClasses, keeps provisioner and parameters fixed, marks the default class', async () => {
      const sc = await storeFor(S, 'storageclasses');
      const created = await sc.create(
        ctx(),
        obj({
          metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
          provisioner: 'example.com/ssd',
          parameters: { a: 'b' },
        }),
      );
      expect(created).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
      const e = await rejects(sc.update(ctx(), 'fast', (cur) => ({ ...cur!, provisioner: 'other.io/x', parameters: { a: 'c' } })));
      expect(e.message).toBe(
        'StorageClass.storage.k8s.io "fast" is invalid: [parameters: Forbidden: updates to parameters are forbidden., provisioner: Forbidden: updates to provisioner are forbidden.]',
      );
      expect(sc.strategy.tableRow!(created).slice(0, 5)).toEqual(['fast (default)', 'example.com/ssd', 'Delete', 'Immediate', false]);
      const bad = await rejects(sc.create(ctx(), obj({ metadata: { name: 'b' }, reclaimPolicy: 'Recycle' })));
      expect(bad.message).toContain('provisioner: Required value');
      expect(bad.message).toContain('reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"');
    });

    it('defaults CSIDrivers as 1.32 does and keeps attachRequired immutable', async () => {
      const d = await storeFor(S, 'csidrivers');
      const created = await d.create(ctx(), obj({ metadata: { name: 'csi.example.com' }, spec: {} }));
      expect(created.spec).toEqual({
        attachRequired: true,
        podInfoOnMount: false,
        storageCapacity: false,
        fsGroupPolicy: 'ReadWriteOnceWithFSType',
        volumeLifecycleModes: ['Persistent'],
        requiresRepublish: false,
        seLinuxMount: false,
      });
      expect(created.metadata?.generation).toBe(1);
      const e = await rejects(
        d.update(ctx(), 'csi.example.com', (cur) => ({ ...cur!, spec: { ...(cur!.spec as object), attachRequired: false } })),
      );
      expect(e.message).toBe(
        'CSIDriver.storage.k8s.io "csi.example.com" is invalid: spec.attachedRequired: Invalid value: false: field is immutable',
      );
    });

    it('resets VolumeAttachment status on create and serves it through /status', async () => {
      const va = await storeFor(S, 'volumeattachments');
      const created = await va.create(
        ctx(),
        obj({
          metadata: { name: 'va' },
          spec: { attacher: 'csi.example.com', nodeName: 'n1', source: { persistentVolumeName: 'pv1' } },
          status: { attached: true },
        }),
      );
      expect(created.status).toEqual({ attached: false });
      const { object } = await va.update(ctx({ subresource: 'status' }), 'va', (cur) => ({
        ...cur!,
        status: { attached: true },
        spec: { attacher: 'x' },
      }));
      expect(object.status).toEqual({ attached: true });
      expect((object.spec as { attacher: string }).attacher).toBe('csi.example.com');
    });
  });

  describe('scheduling.k8s.io and node.k8s.io', () => {
    it('defaults the preemption policy, reserves system- names and keeps value fixed', async () => {
      const pc = await storeFor('scheduling.k8s.io', 'priorityclasses');
      const created = await pc.create(ctx(), obj({ metadata: { name: 'high' }, value: 1000 }));
      expect(created).toMatchObject({ preemptionPolicy: 'PreemptLowerPriority', metadata: { generation: 1 } });
      const reserved = await rejects(pc.create(ctx(), obj({ metadata: { name: 'system-mine' }, value: 10 })));
      expect(reserved.message).toBe(
        'PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-mine is not a known system priority class',
      );
      const tooHigh = await rejects(pc.create(ctx(), obj({ metadata: { name: 'huge' }, value: 2_000_000_000 })));
      expect(tooHigh.message).toContain('value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
      const e = await rejects(pc.update(ctx(), 'high', (cur) => ({ ...cur!, value: 5 })));
      expect(e.message).toBe('PriorityClass.scheduling.k8s.io "high" is invalid: value: Forbidden: may not be changed in an update.');
      const sys = row('scheduling.k8s.io', 'priorityclasses').systemObjects!({} as never);
      expect(sys.map((o) => [o.metadata?.name, o.value])).toEqual([
        ['system-node-critical', 2000001000],
        ['system-cluster-critical', 2000000000],
      ]);
    });

    it('requires and fixes a RuntimeClass handler', async () => {
      const rc = await storeFor('node.k8s.io', 'runtimeclasses');
      expect((await rejects(rc.create(ctx(), obj({ metadata: { name: 'x' } })))).message).toContain('handler: Invalid value: ""');
      await rc.create(ctx(), obj({ metadata: { name: 'gvisor' }, handler: 'runsc' }));
      const e = await rejects(rc.update(ctx(), 'gvisor', (cur) => ({ ...cur!, handler: 'other' })));
      expect(e.message).toBe('RuntimeClass.node.k8s.io "gvisor" is invalid: handler: Invalid value: "other": field is immutable');
    });
  });

  describe('certificates.k8s.io', () => {
    const C = 'certificates.k8s.io';
    const request = Buffer.from(makeCSR('alice', ['devs'])).toString('base64');
    const csr = (name: string, extra: Record<string, unknown> = {}) =>
      obj({ metadata: { name }, spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], ...extra } });

    it('sets the requestor from the user and allows approval only through /approval', async () => {
      const s = await storeFor(C, 'certificatesigningrequests');
      const created = await s.create(
        ctx({ user: { username: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } } }),
        obj({
          ...csr('c1'),
          spec: { ...(csr('c1').spec as object), username: 'mallory' },
          status: { conditions: [{ type: 'Approved', status: 'True' }] },
        }),
      );
      expect(created.spec).toMatchObject({ username: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } });
      expect(created.status).toEqual({});
      const approved = { type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'approved' };
      // The main resource ignores status.
      const main = await s.update(ctx(), 'c1', (cur) => ({ ...cur!, status: { conditions: [approved] } }));
      expect(main.object.status).toEqual({});
      const viaStatus = await rejects(
        s.update(ctx({ subresource: 'status' }), 'c1', (cur) => ({ ...cur!, status: { conditions: [approved] } })),
      );
      expect(viaStatus.message).toContain('status.conditions: Forbidden: updates may not add a condition of type "Approved"');
      const { object } = await s.update(ctx({ subresource: 'approval' }), 'c1', (cur) => ({
        ...cur!,
        spec: { ...(cur!.spec as object), usages: ['server auth'] },
        status: { conditions: [approved], certificate: 'Zm9v' },
      }));
      const conds = (object.status as { conditions: Array<Record<string, string>> }).conditions;
      expect(conds[0]).toMatchObject(approved);
      expect(conds[0].lastUpdateTime).toMatch(/Z$/);
      expect(conds[0].lastTransitionTime).toMatch(/Z$/);
      expect((object.status as Record<string, unknown>).certificate).toBeUndefined();
      expect((object.spec as { usages: string[] }).usages).toEqual(['client auth']);
      expect(s.strategy.tableRow!(object).slice(2)).toEqual(['kubernetes.io/kube-apiserver-client', 'alice', '<none>', 'Approved']);
    });

    it('validates the request, signer name and usages', async () => {
      const s = await storeFor(C, 'certificatesigningrequests');
      const e = await rejects(
        s.create(ctx(), obj({ metadata: { name: 'bad' }, spec: { request: Buffer.from('hi').toString('base64'), usages: [] } })),
      );
      expect(e.message).toContain('spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST');
      expect(e.message).toContain('spec.usages: Required value');
      expect(e.message).toContain('spec.signerName: Required value');
      const signer = await rejects(s.create(ctx(), csr('s', { signerName: 'nodomain' })));
      expect(signer.message).toContain(
        'spec.signerName: Invalid value: "nodomain": must be a fully qualified domain and path of the form \'example.com/signer-name\'',
      );
      // The subject changed after signing: the self-signature no longer verifies.
      const pem = Buffer.from(request, 'base64').toString();
      const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      der[der.indexOf(Buffer.from('alice'))] = 0x41;
      const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      const sig = await rejects(s.create(ctx(), csr('t', { request: Buffer.from(tampered).toString('base64') })));
      expect(sig.message).toMatch(
        /^CertificateSigningRequest\.certificates\.k8s\.io "t" is invalid: spec\.request: Invalid value: \[\]byte\{0x2d, .*\}: x509: ECDSA verification failure$/,
      );
    });
  });

  describe('admissionregistration.k8s.io', () => {
    const A = 'admissionregistration.k8s.io';

    it('defaults webhooks and validates them with kube wording', async () => {
      const s = await storeFor(A, 'validatingwebhookconfigurations');
      const created = await s.create(
        ctx(),
        obj({
          metadata: { name: 'v' },
          webhooks: [
            {
              name: 'check.example.com',
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              clientConfig: { service: { namespace: 'default', name: 'svc' } },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            },
          ],
        }),
      );
      expect((created.webhooks as unknown[])[0]).toMatchObject({
        failurePolicy: 'Fail',
        matchPolicy: 'Equivalent',
        namespaceSelector: {},
        objectSelector: {},
        timeoutSeconds: 10,
        clientConfig: { service: { port: 443 } },
        rules: [{ scope: '*' }],
      });
      expect(created.metadata?.generation).toBe(1);
      const e = await rejects(
        s.create(
          ctx(),
          obj({
            metadata: { name: 'bad' },
            webhooks: [
              { name: 'a.b.c', clientConfig: { url: 'https://x', service: { namespace: 'n', name: 's' } } },
              { name: 'a.b.c', sideEffects: 'Some', admissionReviewVersions: ['v1'], clientConfig: {} },
            ],
          }),
        ),
      );
      expect(e.message).toContain('webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun');
      expect(e.message).toContain('webhooks[0].clientConfig: Required value: exactly one of url or service is required');
      expect(e.message).toContain('webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1');
      expect(e.message).toContain('webhooks[1].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"');
      expect(e.message).toContain('webhooks[1].name: Duplicate value: "a.b.c"');
      const m = await storeFor(A, 'mutatingwebhookconfigurations');
      const mc = await m.create(
        ctx(),
        obj({
          metadata: { name: 'm' },
          webhooks: [
            {
              name: 'm.example.com',
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              clientConfig: { url: 'https://hook.example.com/m' },
            },
          ],
        }),
      );
      expect((mc.webhooks as Array<Record<string, unknown>>)[0].reinvocationPolicy).toBe('Never');
    });

    it('defaults policies and validates bindings', async () => {
      const p = await storeFor(A, 'validatingadmissionpolicies');
      const created = await p.create(
        ctx(),
        obj({
          metadata: { name: 'p' },
          spec: {
            matchConstraints: {
              resourceRules: [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }],
            },
            validations: [{ expression: 'object.spec.replicas <= 5' }],
          },
        }),
      );
      expect(created.spec).toMatchObject({
        failurePolicy: 'Fail',
        matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [{ scope: '*' }] },
      });
      expect(created.status).toEqual({});
      const b = await storeFor(A, 'validatingadmissionpolicybindings');
      const e = await rejects(
        b.create(ctx(), obj({ metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Deny', 'Warn'] } })),
      );
      expect(e.message).toContain('must not contain both Deny and Warn');
      const ok = await b.create(ctx(), obj({ metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Deny'] } }));
      expect(b.strategy.tableRow!(ok).slice(0, 3)).toEqual(['b', 'p', '<unset>']);
    });
  });

  describe('apiregistration.k8s.io', () => {
    it('makes local APIServices Available on create and checks the name', async () => {
      const s = await storeFor('apiregistration.k8s.io', 'apiservices');
      const created = await s.create(
        ctx(),
        obj({
          metadata: { name: 'v1.example.com' },
          spec: { group: 'example.com', version: 'v1', groupPriorityMinimum: 1000, versionPriority: 100 },
        }),
      );
      expect((created.status as { conditions: unknown[] }).conditions).toEqual([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' }),
      ]);
      expect(s.strategy.tableRow!(created).slice(0, 3)).toEqual(['v1.example.com', 'Local', 'True']);
      const remote = await s.create(
        ctx(),
        obj({
          metadata: { name: 'v1.remote.io' },
          spec: {
            group: 'remote.io',
            version: 'v1',
            groupPriorityMinimum: 1000,
            versionPriority: 10,
            service: { namespace: 'ns', name: 'api' },
          },
        }),
      );
      expect(remote.status).toEqual({});
      expect((remote.spec as { service: { port: number } }).service.port).toBe(443);
      expect(s.strategy.tableRow!(remote).slice(1, 3)).toEqual(['ns/api', 'Unknown']);
      const e = await rejects(
        s.create(
          ctx(),
          obj({ metadata: { name: 'wrong' }, spec: { group: 'a.io', version: 'v1', groupPriorityMinimum: 0, versionPriority: 1 } }),
        ),
      );
      expect(e.message).toContain('metadata.name: Invalid value: "wrong": must be `spec.version+"."+spec.group`: "v1.a.io"');
      expect(e.message).toContain('spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000');
    });
  });

  describe('flowcontrol.apiserver.k8s.io', () => {
    const F = 'flowcontrol.apiserver.k8s.io';

    it('creates the bootstrap objects valid as they are, with kube defaults for new ones', async () => {
      const pl = await storeFor(F, 'prioritylevelconfigurations');
      const fs = await storeFor(F, 'flowschemas');
      for (const o of row(F, 'prioritylevelconfigurations').systemObjects!({} as never)) await pl.create(ctx(), o);
      for (const o of row(F, 'flowschemas').systemObjects!({} as never)) await fs.create(ctx(), o);
      const exempt = await fs.get(ctx(), 'exempt');
      expect(exempt.metadata?.annotations).toEqual({ 'apf.kubernetes.io/autoupdate-spec': 'true' });
      expect(exempt.metadata?.generation).toBe(1);
      const mine = await pl.create(
        ctx(),
        obj({ metadata: { name: 'mine' }, spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: {} } } } }),
      );
      expect(mine.spec).toEqual({
        type: 'Limited',
        limited: {
          nominalConcurrencyShares: 30,
          lendablePercent: 0,
          limitResponse: { type: 'Queue', queuing: { queues: 64, handSize: 8, queueLengthLimit: 50 } },
        },
      });
      expect(pl.strategy.tableRow!(mine).slice(0, 6)).toEqual(['mine', 'Limited', 30, 64, 8, 50]);
      const defaulted = await fs.create(
        ctx(),
        obj({
          metadata: { name: 'fs' },
          spec: {
            priorityLevelConfiguration: { name: 'mine' },
            rules: [
              { subjects: [{ kind: 'Group', group: { name: 'g' } }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] },
            ],
          },
        }),
      );
      expect((defaulted.spec as { matchingPrecedence: number }).matchingPrecedence).toBe(1000);
      const fixed = await rejects(
        fs.update(ctx(), 'catch-all', (cur) => ({ ...cur!, spec: { ...(cur!.spec as object), matchingPrecedence: 9000 } })),
      );
      expect(fixed.message).toContain("spec of 'catch-all' must equal the fixed value");
      const one = await rejects(fs.update(ctx(), 'fs', (cur) => ({ ...cur!, spec: { ...(cur!.spec as object), matchingPrecedence: 1 } })));
      expect(one.message).toContain(
        "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
      );
      const list = await stores.listers[1].list({ namespace: '' });
      const names = [...list.items].sort(fs.strategy.tableRowOrder).map((o) => o.metadata?.name);
      expect(names.slice(0, 4)).toEqual(['exempt', 'probes', 'system-leader-election', 'endpoint-controller']);
      expect(names.at(-1)).toBe('catch-all');
    });
  });

  describe('events.k8s.io', () => {
    const newStyle = {
      metadata: { name: 'e1', namespace: 'default' },
      eventTime: '2024-01-02T03:04:05.000000Z',
      reportingController: 'example.com/ctl',
      reportingInstance: 'ctl-1',
      action: 'Reconcile',
      reason: 'Synced',
      regarding: { kind: 'Pod', namespace: 'default', name: 'p1' },
      note: 'all good',
      type: 'Normal',
    };

    it('stores events.k8s.io writes as core Events and presents core Events in the new shape', async () => {
      const ev = await storeFor('events.k8s.io', 'events');
      const created = await ev.create(ctx({ namespace: 'default' }), obj({ ...newStyle }));
      expect(created).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'all good', regarding: { name: 'p1' }, deprecatedSource: {} });
      expect(created.deprecatedFirstTimestamp).toBeNull();
      const stored = await stores.storage.get('/events/default/e1');
      expect(stored).toMatchObject({
        apiVersion: 'v1',
        message: 'all good',
        involvedObject: { name: 'p1' },
        reportingComponent: 'example.com/ctl',
        source: {},
      });
      const legacy = obj({
        metadata: { name: 'old' },
        involvedObject: { kind: 'Node', name: 'n' },
        reason: 'Up',
        message: 'hi',
        source: { component: 'kubelet' },
        count: 3,
      });
      expect(coreToEventsV1(legacy)).toMatchObject({
        regarding: { kind: 'Node' },
        note: 'hi',
        deprecatedSource: { component: 'kubelet' },
        deprecatedCount: 3,
        eventTime: null,
      });
      expect(eventsV1ToCore(coreToEventsV1(legacy))).toMatchObject({ involvedObject: { kind: 'Node' }, message: 'hi', count: 3 });
      const rowCells = ev.strategy.tableRow!(created);
      expect(rowCells.slice(1, 4)).toEqual(['Normal', 'Synced', 'pod/p1']);
    });

    it('applies the strict new-style validation and the events.k8s.io field labels', async () => {
      const ev = await storeFor('events.k8s.io', 'events');
      const c = ctx({ namespace: 'default' });
      const e = await rejects(
        ev.create(c, obj({ metadata: { name: 'bad' }, regarding: { kind: 'Pod', name: 'p' }, type: 'Odd', deprecatedCount: 2 })),
      );
      expect(e.message).toBe(
        'Event.events.k8s.io "bad" is invalid: [eventTime: Required value, type: Invalid value: "": has invalid value: Odd, count: Invalid value: "": needs to be unset]',
      );
      const noController = await rejects(ev.create(c, obj({ ...newStyle, metadata: { name: 'nc' }, reportingController: '' })));
      expect(noController.message).toContain('reportingController: Required value');
      await ev.create(c, obj({ ...newStyle }));
      const lister = stores.listers[0];
      expect(
        (await lister.list({ namespace: 'default', fieldSelector: 'regarding.name=p1,reportingController=example.com/ctl' })).items,
      ).toHaveLength(1);
      expect((await lister.list({ namespace: 'default', fieldSelector: 'regarding.name=other' })).items).toHaveLength(0);
      const unsupported = await rejects(lister.list({ namespace: 'default', fieldSelector: 'involvedObject.name=p1' }));
      expect(unsupported.message).toBe('field label not supported: involvedObject.name');
      const immutable = await rejects(ev.update(c, 'e1', (cur) => ({ ...cur!, note: 'changed' })));
      expect(immutable.message).toBe('Event.events.k8s.io "e1" is invalid: message: Invalid value: "changed": field is immutable');
    });
  });
});
