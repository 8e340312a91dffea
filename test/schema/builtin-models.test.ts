// Built-in OpenAPI schemas from the generated client-library models: read once per process.

import { describe, expect, it } from 'vitest';
import { ModelCatalog, preloadModels, readModel } from '../../src/server/schema/builtin/models.js';

describe('generated models', () => {
  it('are read once per process and shared by every catalog', () => {
    const first = readModel('V1ConfigMap');
    expect(first?.attributes.map((a) => a.baseName)).toContain('data');
    expect(readModel('V1ConfigMap')).toBe(first);
    expect(readModel('V1NoSuchKind')).toBeUndefined();
  });

  it('a preloaded catalog builds the same definitions as a fresh one', () => {
    const fresh = new ModelCatalog();
    const name = fresh.load('V1Lease', 'coordination.k8s.io');
    preloadModels([
      { cls: 'V1Lease', group: 'coordination.k8s.io' },
      { cls: 'V1NoSuchKind', group: '' },
      { cls: 'AppsV1Deployment', group: 'apps' },
    ]);
    const again = new ModelCatalog();
    expect(again.load('V1Lease', 'coordination.k8s.io')).toBe(name);
    expect(name).toBe('io.k8s.api.coordination.v1.Lease');
    expect(again.closure(name)).toEqual(fresh.closure(name));
    // Shared models are never written through a catalog.
    expect(readModel('V1Lease')?.fields.get('spec')?.required).toBe(false);
  });
});
