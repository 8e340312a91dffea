// Loading CRDs and manifests into an environment, with envtest's rules
// (controller-runtime pkg/envtest/crd.go): a path is a file or a directory read
// without recursion (`.json`, `.yaml`, `.yml`), documents that are not complete
// CRDs are skipped, the last duplicate wins, a missing path is an error unless
// told otherwise (ErrorIfPathMissing), existing CRDs are updated (CreateCRDs).
// A directory holding a kustomization is built first (`kubectl kustomize` when
// kubectl is on PATH, else its `resources:` followed), so a kubebuilder
// project's `config/crd` loads as its manifests would be applied.
//
// Files are read and checked before anything starts: bad input fails at once
// (exit 2), naming the file, the document index and the field; what the server
// refuses fails later (exit 1) with the server's own message.

import { execFile } from 'node:child_process';
import { accessSync, constants, type Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RestClient } from './client.js';

export interface FixtureDoc {
  /** The file the document came from, or `<dir>/kustomization.yaml` for a built kustomization, or `crds[i]` for an object passed in code. */
  file: string;
  /** 0-based index of the YAML document in its file (or in the kustomization's output). */
  index: number;
  object: Record<string, unknown>;
}

export class FixtureError extends Error {
  /** 2: the input is wrong (usage); 1: the server refused it or did not get ready (runtime). */
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'FixtureError';
    this.exitCode = exitCode;
  }
}

export interface ReadOptions {
  /** envtest's ErrorIfPathMissing; here the default is true. When false a missing path is skipped with one line. */
  errorIfPathMissing?: boolean;
  /** Receives one line per skipped path or document, and per kustomization feature not applied. */
  warn?: (line: string) => void;
}

const EXTENSIONS = new Set(['.json', '.yaml', '.yml']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

type Parsed = { value: unknown; index: number }[];

async function parseDocuments(file: string, text: string): Promise<Parsed> {
  // Loaded here, not with the module: an environment without fixtures never parses YAML.
  const { parseAllDocuments } = await import('yaml');
  const parsed = parseAllDocuments(text);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((doc, index) => {
    if (doc.errors.length) throw new FixtureError(`${file}: document ${index}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
    return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, index };
  });
}

/** The documents of one file's text as objects (`List` kinds flattened); empty documents dropped. */
async function docsOf(file: string, text: string): Promise<FixtureDoc[]> {
  const out: FixtureDoc[] = [];
  for (const { value, index } of await parseDocuments(file, text)) {
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value))
      throw new FixtureError(
        `${file}: document ${index}: expected a Kubernetes object, got ${Array.isArray(value) ? 'a list' : typeof value}`,
      );
    const obj = value as Record<string, unknown>;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      obj.items.forEach((item, i) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item))
          throw new FixtureError(`${file}: document ${index}: field items[${i}]: expected a Kubernetes object`);
        out.push({ file, index, object: item as Record<string, unknown> });
      });
    } else out.push({ file, index, object: obj });
  }
  return out;
}

function kustomizationIn(dir: string, entries: string[]): string | undefined {
  const name = KUSTOMIZATION_FILES.find((f) => entries.includes(f));
  return name && path.join(dir, name);
}

/** kubectl on PATH (kubectl's built-in kustomize builds the kustomization exactly as `kubectl apply -k` would). */
function kubectlOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, 'kubectl');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {}
  }
  return undefined;
}

function runKustomize(kubectl: string, dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(kubectl, ['kustomize', dir], { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const why = (stderr || err.message).trim().split('\n')[0];
      reject(new FixtureError(`${dir}: kubectl kustomize failed: ${why}`));
    });
  });
}

/** What a kustomization does beyond listing resources: not applied without kubectl, said in one line. */
const KUSTOMIZE_LISTS = new Set(['apiVersion', 'kind', 'resources', 'bases', 'configurations']);

/** Without kubectl: the kustomization's `resources:` (files, and directories with their own kustomization), in order. */
async function followResources(file: string, opts: ReadOptions, seen: Set<string>): Promise<FixtureDoc[]> {
  if (seen.has(file)) throw new FixtureError(`${file}: kustomization cycle`);
  seen.add(file);
  const [doc] = await parseDocuments(file, await readFile(file, 'utf8'));
  const k = (doc?.value ?? {}) as Record<string, unknown>;
  if (typeof k !== 'object' || Array.isArray(k)) throw new FixtureError(`${file}: document 0: expected a kustomization`);
  const ignored = Object.keys(k).filter((f) => !KUSTOMIZE_LISTS.has(f));
  if (ignored.length) opts.warn?.(`${file}: ${ignored.join(', ')} not applied (kubectl is not on PATH; only resources: are followed)`);
  const dir = path.dirname(file);
  const out: FixtureDoc[] = [];
  for (const field of ['resources', 'bases'] as const) {
    const list = k[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new FixtureError(`${file}: document 0: field ${field}: expected a list of paths`);
    for (const [i, entry] of list.entries()) {
      if (typeof entry !== 'string') throw new FixtureError(`${file}: document 0: field ${field}[${i}]: expected a path`);
      if (/^[a-z]+:\/\//i.test(entry) || entry.startsWith('github.com/'))
        throw new FixtureError(`${file}: document 0: field ${field}[${i}]: remote resource ${entry} needs kubectl on PATH`);
      const target = path.resolve(dir, entry);
      let st: Stats;
      try {
        st = await stat(target);
      } catch {
        throw new FixtureError(`${file}: document 0: field ${field}[${i}]: ${entry} does not exist`);
      }
      if (st.isFile()) out.push(...(await docsOf(target, await readFile(target, 'utf8'))));
      else {
        const sub = kustomizationIn(target, await readdir(target));
        if (!sub) throw new FixtureError(`${file}: document 0: field ${field}[${i}]: directory ${entry} has no kustomization.yaml`);
        out.push(...(await followResources(sub, opts, seen)));
      }
    }
  }
  return out;
}

async function readPath(p: string, opts: ReadOptions): Promise<FixtureDoc[]> {
  let st: Stats;
  try {
    st = await stat(p);
  } catch {
    if (opts.errorIfPathMissing === false) {
      opts.warn?.(`${p}: does not exist, skipped`);
      return [];
    }
    throw new FixtureError(`fixture path ${p} does not exist: pass an existing file or directory (or --crds-error-if-missing=false)`);
  }
  if (st.isFile()) return docsOf(p, await readFile(p, 'utf8'));
  const entries = (await readdir(p)).sort();
  const kustomization = kustomizationIn(p, entries);
  if (kustomization) {
    const kubectl = kubectlOnPath();
    if (kubectl) return docsOf(kustomization, await runKustomize(kubectl, p));
    return followResources(kustomization, opts, new Set());
  }
  // envtest reads a directory's own files only: subdirectories (kubebuilder's patches/) are not entered.
  const out: FixtureDoc[] = [];
  for (const name of entries) {
    if (!EXTENSIONS.has(path.extname(name))) continue;
    const full = path.join(p, name);
    if (!(await stat(full)).isFile()) continue;
    out.push(...(await docsOf(full, await readFile(full, 'utf8'))));
  }
  return out;
}

/** Every object the paths hold (objects passed in code as they are), in order. */
export async function readFixtures(paths: Array<string | Record<string, unknown>>, opts: ReadOptions = {}): Promise<FixtureDoc[]> {
  const docs: FixtureDoc[] = [];
  for (const [i, p] of paths.entries()) {
    if (typeof p === 'string') docs.push(...(await readPath(p, opts)));
    else if (p && typeof p === 'object' && !Array.isArray(p)) docs.push({ file: `crds[${i}]`, index: 0, object: p });
    else throw new FixtureError(`crds[${i}]: expected a path or an object`);
  }
  return docs;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * The CustomResourceDefinitions among the documents, as envtest's readCRDs picks them: anything else, or a CRD
 * without metadata.name, spec.group or spec.names.kind (a kustomize patch), is skipped with one line; of two
 * with one name the last wins.
 */
export function selectCRDs(docs: FixtureDoc[], warn?: (line: string) => void): FixtureDoc[] {
  const byName = new Map<string, FixtureDoc>();
  for (const d of docs) {
    const o = d.object;
    const where = `${d.file}: document ${d.index}`;
    if (o.kind !== 'CustomResourceDefinition') {
      warn?.(`${where}: skipped: kind ${str(o.kind) || '(none)'} is not a CustomResourceDefinition`);
      continue;
    }
    const spec = rec(o.spec);
    const missing = [
      !str(rec(o.metadata).name) && 'metadata.name',
      !str(spec.group) && 'spec.group',
      !str(rec(spec.names).kind) && 'spec.names.kind',
    ].filter(Boolean);
    if (missing.length) {
      warn?.(`${where}: skipped: not a complete CustomResourceDefinition (no ${missing.join(', ')})`);
      continue;
    }
    if (!str(o.apiVersion).startsWith('apiextensions.k8s.io/'))
      throw new FixtureError(`${where}: field apiVersion: "${str(o.apiVersion)}" is not apiextensions.k8s.io/v1`);
    const name = str(rec(o.metadata).name);
    const prev = byName.get(name);
    if (prev) {
      warn?.(`${where}: CustomResourceDefinition ${name} also in ${prev.file} document ${prev.index}: the last one wins`);
      byName.delete(name);
    }
    byName.set(name, d);
  }
  return [...byName.values()];
}

/** Manifests must each name their apiVersion and kind. */
export function checkManifests(docs: FixtureDoc[]): FixtureDoc[] {
  for (const d of docs) {
    for (const field of ['apiVersion', 'kind'] as const) {
      if (typeof d.object[field] !== 'string' || !d.object[field])
        throw new FixtureError(`${d.file}: document ${d.index}: field ${field}: Required value`);
    }
    const meta = d.object.metadata;
    if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta)))
      throw new FixtureError(`${d.file}: document ${d.index}: field metadata: expected an object`);
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
  throw new FixtureError(`${doc.file}: document ${doc.index}: ${what}`, 1);
}

/** Creates the object, or updates it when it exists (envtest's CreateCRDs: get, take its resourceVersion, update). */
async function createOrUpdate(
  client: RestClient,
  doc: FixtureDoc,
  cache: Map<string, Map<string, ResourceRef>>,
  defaultNamespace: string,
): Promise<'created' | 'updated'> {
  const o = doc.object;
  const apiVersion = o.apiVersion as string;
  const kind = o.kind as string;
  const ref = await resolve(client, apiVersion, kind, cache);
  if (!ref) fail(doc, `no resource for ${kind} in ${apiVersion} is served (is its CRD loaded with --crds?)`);
  const meta = rec(o.metadata);
  const ns = ref.namespaced ? String(meta.namespace ?? defaultNamespace) : '';
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const p = ref.namespaced ? `${base}/namespaces/${ns}/${ref.plural}` : `${base}/${ref.plural}`;
  const label = `${kind} ${String(meta.name ?? meta.generateName ?? '')}`;
  const r = await client.post<{ message?: string; reason?: string }>(`${p}?fieldManager=kapi-env`, o);
  if (r.status < 300) return 'created';
  if (r.status !== 409 || r.body?.reason !== 'AlreadyExists' || typeof meta.name !== 'string')
    fail(doc, `${label}: ${r.body?.message ?? r.text}`);
  const item = `${p}/${encodeURIComponent(meta.name)}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await client.get<{ metadata?: { resourceVersion?: string } }>(item);
    if (cur.status !== 200) fail(doc, `${label}: ${(cur.body as { message?: string })?.message ?? cur.text}`);
    const next = { ...o, metadata: { ...meta, resourceVersion: cur.body.metadata?.resourceVersion } };
    const u = await client.call<{ message?: string; reason?: string }>('PUT', `${item}?fieldManager=kapi-env`, next);
    if (u.status < 300) return 'updated';
    if (u.status !== 409 || u.body?.reason !== 'Conflict') fail(doc, `${label}: ${u.body?.message ?? u.text}`);
  }
  fail(doc, `${label}: kept conflicting with concurrent updates`);
}

export interface CrdWaitOptions {
  /** How long CRDs may take to be Established and discoverable (envtest's MaxTime). */
  timeoutMs?: number;
  /** How often to look (envtest's PollInterval). */
  pollIntervalMs?: number;
}

export const DEFAULT_CRD_WAIT_MS = 30_000;
export const DEFAULT_CRD_POLL_MS = 5;

/** Creates or updates the CRDs, then waits until each is Established and its served versions are in discovery. */
export async function loadCRDs(
  client: RestClient,
  docs: FixtureDoc[],
  wait: CrdWaitOptions = {},
): Promise<{ created: string[]; updated: string[] }> {
  const timeoutMs = wait.timeoutMs ?? DEFAULT_CRD_WAIT_MS;
  const pollMs = wait.pollIntervalMs ?? DEFAULT_CRD_POLL_MS;
  const cache = new Map<string, Map<string, ResourceRef>>();
  const created: string[] = [];
  const updated: string[] = [];
  for (const d of docs) {
    const outcome = await createOrUpdate(client, d, cache, 'default');
    (outcome === 'created' ? created : updated).push(str(rec(d.object.metadata).name));
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of [...created, ...updated]) {
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
        throw new FixtureError(`CustomResourceDefinition ${name} did not become Established within ${timeoutMs} ms`, 1);
      await new Promise((res) => setTimeout(res, pollMs));
    }
  }
  return { created, updated };
}

/** Creates (or updates) the objects, namespaces first. */
export async function loadManifests(client: RestClient, docs: FixtureDoc[]): Promise<number> {
  const cache = new Map<string, Map<string, ResourceRef>>();
  const ordered = [...docs.filter((d) => d.object.kind === 'Namespace'), ...docs.filter((d) => d.object.kind !== 'Namespace')];
  for (const d of ordered) await createOrUpdate(client, d, cache, 'default');
  return ordered.length;
}

/** What an environment loads: read and checked before anything starts. */
export interface PreparedFixtures {
  crds: FixtureDoc[];
  manifests: FixtureDoc[];
}

export interface FixtureOptions extends CrdWaitOptions {
  crds?: Array<string | Record<string, unknown>>;
  manifests?: string[];
  /** envtest's ErrorIfPathMissing (default true): false skips a missing --crds/--manifests path with one line. */
  errorIfPathMissing?: boolean;
  warn?: (line: string) => void;
}

export async function prepareFixtures(o: FixtureOptions): Promise<PreparedFixtures> {
  const read = { errorIfPathMissing: o.errorIfPathMissing, warn: o.warn };
  return {
    crds: o.crds?.length ? selectCRDs(await readFixtures(o.crds, read), o.warn) : [],
    manifests: o.manifests?.length ? checkManifests(await readFixtures(o.manifests, read)) : [],
  };
}

/** Loads prepared fixtures through a client; progress gets one line per phase. */
export async function applyFixtures(
  client: RestClient,
  f: PreparedFixtures,
  wait: CrdWaitOptions,
  progress: (phase: 'crds' | 'manifests', message: string) => void,
): Promise<void> {
  if (f.crds.length) {
    const { created, updated } = await loadCRDs(client, f.crds, wait);
    progress('crds', `${created.length + updated.length} CRDs established${updated.length ? ` (${updated.length} updated)` : ''}`);
  }
  if (f.manifests.length) progress('manifests', `${await loadManifests(client, f.manifests)} objects created`);
}
