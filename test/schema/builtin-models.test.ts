// Built-in OpenAPI schemas from the generated client-library models: read once per process.

import { isAscii } from 'node:buffer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lazyIndexedTable, readText } from '../../src/server/api/generated-json.js';
import { ModelCatalog, preloadModels, readModel } from '../../src/server/schema/builtin/models.js';

describe('generated models', () => {
  it('models.json is what scripts/gen/models.mjs reads from the installed @kubernetes/client-node', async () => {
    const generator = new URL('../../scripts/gen/models.mjs', import.meta.url).href;
    const { buildModels, formatModels } = (await import(generator)) as { buildModels(): unknown; formatModels(t: unknown): string };
    const committed = readFileSync(new URL('../../src/server/schema/builtin/models.json', import.meta.url), 'utf8');
    expect(committed).toBe(formatModels(buildModels()));
    // One JSON array: the index, then the rows at its offsets.
    const [index, ...rows] = JSON.parse(committed) as [{ rows: Record<string, [number, number]> }, ...unknown[]];
    const base = committed.indexOf('\n') + 1;
    const classes = Object.keys(index.rows);
    expect(classes).toHaveLength(rows.length);
    classes.forEach((cls, i) => {
      const [at, length] = index.rows[cls];
      expect(JSON.parse(committed.slice(base + at, base + at + length))).toEqual(rows[i]);
    });
    // Read by its offsets, or whole when another tool wrote it again (tsc re-emits the JSON it copies).
    const again = path.join(mkdtempSync(path.join(os.tmpdir(), 'kapi-env-models-')), 'models.json');
    writeFileSync(again, JSON.stringify(JSON.parse(committed), null, 2));
    const url = pathToFileURL(again).href;
    const [fast, slow] = [committed, again].map((f) =>
      lazyIndexedTable<{ rows: Record<string, [number, number]> }, unknown>(
        f === again ? url : new URL('../../src/server/schema/builtin/', import.meta.url).href,
        './models.json',
        './models.json',
      ),
    );
    for (const cls of ['V1ConfigMap', 'V1PodSpec', 'AppsV1Deployment', 'V1NoSuchKind'])
      expect([fast.has(cls), slow.row(cls)]).toEqual([slow.has(cls), fast.row(cls)]);
    rmSync(path.dirname(again), { recursive: true, force: true });
  });

  it('the generated tables are ASCII, read a byte a character; other text is read as UTF-8', () => {
    const dir = new URL('../../src/server/schema/builtin/', import.meta.url);
    for (const f of ['models.json', 'field-docs.json', 'patch-meta.json']) expect(isAscii(readFileSync(new URL(f, dir))), f).toBe(true);
    // A description beyond ASCII is escaped in the file and the same text once parsed.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-text-'));
    const file = path.join(tmp, 't.json');
    writeFileSync(file, '{"d":"n\\u00b5s \\u2014 \\u201cquoted\\u201d"}');
    expect(isAscii(readFileSync(file))).toBe(true);
    expect(JSON.parse(readText(file))).toEqual({ d: 'nµs — “quoted”' });
    writeFileSync(file, JSON.stringify({ d: 'nµs — “quoted”' }));
    expect(isAscii(readFileSync(file))).toBe(false);
    expect(JSON.parse(readText(file))).toEqual({ d: 'nµs — “quoted”' });
    // An indexed table read by its offsets: ASCII (bytes kept, rows decoded when asked for) or not (offsets in characters).
    const table = (rows: Record<string, unknown>): string => {
      const index: Record<string, [number, number]> = {};
      let text = '';
      Object.entries(rows).forEach(([k, v], i, all) => {
        const row = JSON.stringify(v);
        index[k] = [text.length, row.length];
        text += row + (i < all.length - 1 ? ',\n' : ']\n');
      });
      return `[${JSON.stringify({ rows: index })},\n${text}`;
    };
    for (const rows of [
      { a: ['plain'], b: { x: 1 } },
      { a: ['nµs — “quoted”'], b: { x: '€' } },
    ]) {
      writeFileSync(path.join(tmp, 'table.json'), table(rows));
      const t = lazyIndexedTable<{ rows: Record<string, [number, number]> }, unknown>(
        pathToFileURL(`${tmp}/`).href,
        './table.json',
        './table.json',
      );
      expect([t.has('a'), t.has('c'), t.row('a'), t.row('b'), t.row('c')]).toEqual([true, false, rows.a, rows.b, undefined]);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

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

  it("carries kube's descriptions of referenced-type fields and its enums (k8s.io/api's swagger docs, +enum)", () => {
    const catalog = new ModelCatalog();
    catalog.load('V1Deployment', 'apps');
    const defs = catalog.definitions;
    expect(defs['io.k8s.api.apps.v1.DeploymentSpec'].properties).toMatchObject({
      strategy: {
        $ref: 'io.k8s.api.apps.v1.DeploymentStrategy',
        description: 'The deployment strategy to use to replace existing pods with new ones.',
      },
    });
    const strategy = defs['io.k8s.api.apps.v1.DeploymentStrategy'] as { description: string; properties: Record<string, unknown> };
    expect(strategy.description).toBe('DeploymentStrategy describes how to replace existing pods with new ones.');
    expect(strategy.properties.rollingUpdate).toEqual({
      $ref: 'io.k8s.api.apps.v1.RollingUpdateDeployment',
      description: 'Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.',
    });
    // As kube 1.32's /openapi/v3 publishes DeploymentStrategy.type.
    expect(strategy.properties.type).toEqual({
      type: 'string',
      description:
        'Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.\n\nPossible enum values:\n - `"Recreate"` Kill all existing pods before creating new ones.\n - `"RollingUpdate"` Replace the old ReplicaSets by new one using rolling update i.e gradually scale down the old ReplicaSets and scale up the new one.',
      enum: ['Recreate', 'RollingUpdate'],
    });
    // Core types reached from another group, and a model's own description kept where it has one.
    const container = defs['io.k8s.api.core.v1.Container'] as { properties: Record<string, { description?: string; enum?: string[] }> };
    expect(container.properties.imagePullPolicy.enum).toEqual(['Always', 'IfNotPresent', 'Never']);
    expect(container.properties.resources.description).toMatch(/^Compute Resources required by this container\./);
    expect(container.properties.image.description).toMatch(/^Container image name\./);
    expect(defs['io.k8s.api.apps.v1.Deployment'].properties).toMatchObject({
      metadata: { description: expect.stringMatching(/^Standard object's metadata\./) },
    });
  });
});
