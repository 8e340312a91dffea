// Server-side apply's field management (k8s.io/apiserver fieldmanager over
// sigs.k8s.io/structured-merge-diff): field paths and sets, FieldsV1, schema-driven
// typing, apply/update ownership and the conflict Status.

export { applyConflictStatus, printManager } from './conflict.js';
export { decodeFieldsV1, encodeFieldsV1, fieldsV1Object } from './fieldsv1.js';
export {
  ApplyConflicts,
  type ApplyResult,
  apply,
  type Conflict,
  type DecodedManagedFields,
  decodeManagedFields,
  encodeManagedFields,
  type FieldManagerOptions,
  type ManagedFields,
  type ManagedFieldsEntry,
  managerIdentifier,
  retimedEntries,
  STRIPPED_FIELDS,
  timesOf,
  type UpdateResult,
  update,
  updateOperation,
  type VersionedSet,
} from './managers.js';
export {
  compareElements,
  elementString,
  fieldElement,
  indexElement,
  keyElement,
  makePath,
  type Path,
  type PathElement,
  parseElement,
  pathString,
  valueElement,
} from './path.js';
export { FieldSet } from './set.js';
export { type Comparison, compare, ensureNamedFieldsAreMembers, merge, removeItems, TypedValueError, toFieldSet } from './typed.js';
export {
  DEDUCED,
  type DeducedType,
  type ListType,
  listOf,
  type MapType,
  mapOf,
  type OpenAPITypeOptions,
  SCALAR,
  type ScalarType,
  struct,
  type TypeNode,
  typeFromOpenAPI,
} from './typing.js';
export { equalValues } from './value.js';
