// RequestInfo: what a URL asks for, parsed as k8s.io/apiserver/pkg/endpoints/request/requestinfo.go does.

import type { RequestTarget } from '../api/authorization.js';
import { isTrue } from './query.js';

/** `verb`: get, list, watch, create, update, patch, delete, deletecollection; for non-resource requests the lower-case HTTP method. */
export interface RequestInfo extends RequestTarget {
  apiPrefix: string;
  parts: string[];
}

const apiPrefixes = new Set(['api', 'apis']);
const grouplessPrefixes = new Set(['api']);
// Subresources of a namespace that are addressed as namespaces/<name>/<subresource>.
const namespaceSubresources = new Set(['status', 'finalize']);

function methodVerb(method: string): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = path
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((p, _i, all) => p !== '' || all.length === 1);
  if (parts.length < 3 || !apiPrefixes.has(parts[0])) return info;
  info.apiPrefix = parts[0];
  parts = parts.slice(1);
  if (!grouplessPrefixes.has(info.apiPrefix)) {
    if (parts.length < 3) return info; // /apis/group/version is discovery
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.apiVersion = parts[0];
  parts = parts.slice(1);
  info.isResourceRequest = true;
  info.verb = methodVerb(method);
  if (!info.verb) {
    info.verb = method.toLowerCase();
  }
  // The legacy /watch/ prefix turns a get/list into a watch.
  if (parts[0] === 'watch') {
    parts = parts.slice(1);
    if (info.verb === 'get') info.verb = 'watch';
  }
  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      if (parts.length > 2 && !namespaceSubresources.has(parts[2])) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3) info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];
  // namespaces/<name> names the namespace itself, which is cluster scoped.
  if (info.resource === 'namespaces') info.namespace = '';
  if (!info.name && info.verb === 'get') {
    const watch = query.get('watch');
    info.verb = isTrue(watch) ? 'watch' : 'list';
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  if (info.verb === 'get' && info.name) {
    // A single-object get with ?watch=true is a watch on that name (legacy clients).
    const watch = query.get('watch');
    if (isTrue(watch)) info.verb = 'watch';
  }
  return info;
}
