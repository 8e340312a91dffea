// Loading CRDs and manifests into a fresh environment: files or directories of
// YAML/JSON (multi-document, `List` kinds flattened), CRDs first and awaited
// until Established and discoverable, then manifests with namespaces first.

import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RestClient } from './client.js';

export interface FixtureDoc {
  file: string;
  /** 0-based index of the YAML document in its file. */
  index: number;
  object: Record<string, unknown>;
}

export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixtureError';
  }
}

async function listFiles(p: string): Promise<string[]> {
  let st: Stats;
  try {
    st = await stat(p);
  } catch {
    throw new FixtureError(`fixture path ${p} does not exist: pass an existing file or directory`);
  }
  if (st.isFile()) return [p];
  const out: string[] = [];
  for (const e of (await readdir(p, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (/\.(ya?ml|json)$/i.test(e.name)) out.push(full);
  }
  return out;
}

export async function readFixtures(paths: string[]): Promise<FixtureDoc[]> {
  // Loaded here, not with the module: an environment without fixtures never parses YAML.
  const { parseAllDocuments } = await import('yaml');
  const docs: FixtureDoc[] = [];
  for (const p of paths) {
    for (const file of await listFiles(p)) {
      const text = await readFile(file, 'utf8');
      const parsed = parseAllDocuments(text);
      const list = Array.isArray(parsed) ? parsed : [parsed];
      list.forEach((doc, index) => {
        if (doc.errors.length) throw new FixtureError(`${file}: document ${index}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
        const v = doc.toJS({ maxAliasCount: 100 }) as unknown;
        if (v === null || v === undefined) return;
        if (typeof v !== 'object' || Array.isArray(v))
          throw new FixtureError(`${file}: document ${index}: expected a Kubernetes object, got ${Array.isArray(v) ? 'a list' : typeof v}`);
        const obj = v as Record<string, unknown>;
        const kind = obj.kind;
        if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(obj.items)) {
          for (const item of obj.items) docs.push({ file, index, object: item as Record<string, unknown> });
          return;
        }
        if (typeof obj.apiVersion !== 'string' || typeof kind !== 'string') {
          throw new FixtureError(`${file}: document ${index}: missing apiVersion or kind`);
        }
        docs.push({ file, index, object: obj });
      });
    }
  }
  return docs;
}

interface ResourceRef {
  plural: string;
  namespaced: boolean;
}

/** Finds a kind's resource through discovery, as kubectl's RESTMapper does. */
async function resolve(
  client: RestClient,
  apiVersion: string,
  kind: string,
  cache: Map<string, Map<string, ResourceRef>>,
): Promise<ResourceRef | undefined> {
  let kinds = cache.get(apiVersion);
  if (!kinds) {
    const p = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const r = await client.get<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> }>(p);
    kinds = new Map();
    if (r.status === 200) {
      for (const res of r.body.resources ?? [])
        if (!res.name.includes('/')) kinds.set(res.kind, { plural: res.name, namespaced: res.namespaced });
    }
    cache.set(apiVersion, kinds);
  }
  return kinds.get(kind);
}

function fail(doc: FixtureDoc, what: string): never {
  throw new FixtureError(`${doc.file}: document ${doc.index}: ${what}`);
}

async function createDoc(
  client: RestClient,
  doc: FixtureDoc,
  cache: Map<string, Map<string, ResourceRef>>,
  defaultNamespace: string,
): Promise<void> {
  const o = doc.object;
  const apiVersion = o.apiVersion as string;
  const kind = o.kind as string;
  const ref = await resolve(client, apiVersion, kind, cache);
  if (!ref) fail(doc, `no resource for ${kind} in ${apiVersion} is served (is its CRD loaded with --crds?)`);
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  const ns = ref.namespaced ? String(meta.namespace ?? defaultNamespace) : '';
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const p = ref.namespaced ? `${base}/namespaces/${ns}/${ref.plural}` : `${base}/${ref.plural}`;
  const r = await client.post<{ message?: string; reason?: string }>(`${p}?fieldManager=kapi-env`, o);
  if (r.status === 409 && kind === 'Namespace') return;
  if (r.status >= 300) fail(doc, `${kind} ${String(meta.name ?? meta.generateName ?? '')}: ${r.body?.message ?? r.text}`);
}

export async function loadCRDs(client: RestClient, docs: FixtureDoc[], timeoutMs = 30_000): Promise<string[]> {
  const cache = new Map<string, Map<string, ResourceRef>>();
  const names: string[] = [];
  for (const d of docs) {
    if (d.object.kind !== 'CustomResourceDefinition')
      fail(d, `--crds expects CustomResourceDefinitions, found ${String(d.object.kind)} (pass other objects with --manifests)`);
    await createDoc(client, d, cache, 'default');
    names.push(String((d.object.metadata as Record<string, unknown>)?.name));
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const r = await client.get<{
        status?: { conditions?: Array<{ type: string; status: string }> };
        spec?: { group: string; versions: Array<{ name: string; served: boolean }>; names: { plural: string } };
      }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const established = r.status === 200 && r.body.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established && r.body.spec) {
        const served = r.body.spec.versions.filter((v) => v.served);
        let discoverable = true;
        for (const v of served) {
          const dr = await client.get<{ resources?: Array<{ name: string }> }>(`/apis/${r.body.spec.group}/${v.name}`);
          if (dr.status !== 200 || !dr.body.resources?.some((x) => x.name === r.body.spec!.names.plural)) discoverable = false;
        }
        if (discoverable) break;
      }
      if (Date.now() > deadline)
        throw new FixtureError(`CustomResourceDefinition ${name} did not become Established within ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 5));
    }
  }
  return names;
}

export async function loadManifests(client: RestClient, docs: FixtureDoc[]): Promise<number> {
  const cache = new Map<string, Map<string, ResourceRef>>();
  const ordered = [...docs.filter((d) => d.object.kind === 'Namespace'), ...docs.filter((d) => d.object.kind !== 'Namespace')];
  for (const d of ordered) await createDoc(client, d, cache, 'default');
  return ordered.length;
}
