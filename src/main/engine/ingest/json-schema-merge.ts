import { DuckDBDoubleType, DuckDBHugeIntType, DuckDBListType, DuckDBStructType, DuckDBTypeId, DuckDBVarCharType, type DuckDBType } from '@duckdb/node-api';

/**
 * The schema read_json would infer over a whole file, from the schemas it
 * inferred over the file's two halves (ndjson-halves.ts), or null when the
 * halves disagree in a way only the whole file can settle.
 *
 * What merges, as read_json itself merges values within one file:
 * - a column or struct field only one half has is kept, in order of first
 *   appearance (the first half's fields, then the second's new ones);
 * - structs merge field by field, lists by their element type;
 * - BIGINT with DOUBLE is DOUBLE, BIGINT with HUGEINT is HUGEINT, UUID
 *   with VARCHAR is VARCHAR (text that is not all UUIDs).
 *
 * Anything else that differs (a number in one half and text in the other,
 * JSON against anything, an empty list's VARCHAR[] against BIGINT[]) returns
 * null: a half's JSON may stand for "only nulls here", which the other half's
 * type would win over, or for mixed values, which it would not, and the
 * schema cannot tell the two apart. The caller then infers over the whole file.
 */
export interface JsonSchema {
  names: readonly string[];
  types: readonly DuckDBType[];
}

export function mergeJsonSchemas(a: JsonSchema, b: JsonSchema): JsonSchema | null {
  const merged = mergeFields(a.names, a.types, b.names, b.types);
  return merged && { names: merged.names, types: merged.types };
}

function mergeFields(
  aNames: readonly string[],
  aTypes: readonly DuckDBType[],
  bNames: readonly string[],
  bTypes: readonly DuckDBType[],
): { names: string[]; types: DuckDBType[] } | null {
  const names = [...aNames];
  const types = [...aTypes];
  const at = new Map(aNames.map((n, i) => [n, i]));
  for (let j = 0; j < bNames.length; j++) {
    const name = bNames[j] as string;
    const bt = bTypes[j] as DuckDBType;
    const i = at.get(name);
    if (i === undefined) {
      names.push(name);
      types.push(bt);
      continue;
    }
    const m = mergeType(types[i] as DuckDBType, bt);
    if (m === null) return null;
    types[i] = m;
  }
  return { names, types };
}

export function mergeType(a: DuckDBType, b: DuckDBType): DuckDBType | null {
  if (a.alias !== b.alias) return null;
  if (a.typeId === DuckDBTypeId.STRUCT && b.typeId === DuckDBTypeId.STRUCT) {
    const sa = a as DuckDBStructType;
    const sb = b as DuckDBStructType;
    // An empty struct is read_json's JSON; it never reaches here without an alias.
    const m = mergeFields(sa.entryNames, sa.entryTypes, sb.entryNames, sb.entryTypes);
    return m && new DuckDBStructType(m.names, m.types, a.alias);
  }
  if (a.typeId === DuckDBTypeId.LIST && b.typeId === DuckDBTypeId.LIST) {
    const m = mergeType((a as DuckDBListType).valueType, (b as DuckDBListType).valueType);
    return m && new DuckDBListType(m, a.alias);
  }
  if (a.typeId !== b.typeId) return mergeScalars(a, b);
  // Same scalar type (and alias): nested types were handled above.
  return a.typeId === DuckDBTypeId.STRUCT || a.typeId === DuckDBTypeId.LIST || a.typeId === DuckDBTypeId.MAP || a.typeId === DuckDBTypeId.ARRAY || a.typeId === DuckDBTypeId.UNION ? null : a;
}

function mergeScalars(a: DuckDBType, b: DuckDBType): DuckDBType | null {
  if (a.alias !== undefined) return null;
  const ids = new Set([a.typeId, b.typeId]);
  if (ids.has(DuckDBTypeId.VARCHAR) && ids.has(DuckDBTypeId.UUID)) return DuckDBVarCharType.instance;
  if (ids.has(DuckDBTypeId.BIGINT) && ids.has(DuckDBTypeId.DOUBLE)) return DuckDBDoubleType.instance;
  if (ids.has(DuckDBTypeId.BIGINT) && ids.has(DuckDBTypeId.HUGEINT)) return DuckDBHugeIntType.instance;
  return null;
}
