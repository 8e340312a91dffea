// Query parameter parsing as Go's strconv.ParseBool reads it (clients send
// `true`, `True`, `1`...; the Python client sends `True`).

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && TRUE.has(v);
}

export function isTrue(v: string | null): boolean {
  return v !== null && TRUE.has(v);
}
