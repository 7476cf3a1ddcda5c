import type { WireReader, WireWriter } from "./wire.ts";

/**
 * A small description language for Kafka message bodies, after Apache Kafka's JSON message
 * definitions (clients/src/main/resources/common/message): a message is a list of fields, each
 * present in a range of versions and nullable in another; arrays hold a primitive or a struct.
 * Flexible versions use compact lengths and end every struct with a tagged-field section. Tagged
 * fields themselves are not modelled: decoding skips them, encoding writes none (all are optional).
 */

/** A decoded value: int8/16/32 as number, int64 as bigint, uuid/bytes/records as bytes. */
export type KafkaValue = number | bigint | boolean | string | null | Uint8Array | KafkaStruct | readonly KafkaValue[];

/** A decoded struct, by field name. */
export interface KafkaStruct {
  readonly [field: string]: KafkaValue;
}

/** The primitive types. `records` is nullable bytes holding record batches. */
export type Primitive = "int8" | "int16" | "int32" | "int64" | "bool" | "uuid" | "string" | "bytes" | "records";

/** An inclusive version range; `max` may be `Infinity`. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** One field of a message or struct. */
export interface FieldSpec {
  readonly name: string;
  /** A primitive, or the fields of a struct (only as array elements). */
  readonly type: Primitive | readonly FieldSpec[];
  readonly array: boolean;
  readonly versions: VersionRange;
  readonly nullable: VersionRange | null;
  /** Written when the value lacks the field. */
  readonly default: KafkaValue | undefined;
}

/** Parses `"3+"`, `"2-5"` or `"4"`. */
export function versionRange(text: string): VersionRange {
  const plus = /^(\d+)\+$/.exec(text);
  if (plus !== null) return { min: Number(plus[1]), max: Infinity };
  const span = /^(\d+)-(\d+)$/.exec(text);
  if (span !== null) return { min: Number(span[1]), max: Number(span[2]) };
  return { min: Number(text), max: Number(text) };
}

const inRange = (r: VersionRange | null, v: number): boolean => r !== null && v >= r.min && v <= r.max;

/** Options of a field: nullable versions and a default. */
export interface FieldOptions {
  readonly nullable?: string;
  readonly default?: KafkaValue;
}

/** A primitive field (`"int32"`), or an array of primitives (`"[]int32"`). */
export function field(name: string, type: Primitive | `[]${Primitive}`, versions: string, options: FieldOptions = {}): FieldSpec {
  const array = type.startsWith("[]");
  return {
    name,
    type: (array ? type.slice(2) : type) as Primitive,
    array,
    versions: versionRange(versions),
    nullable: options.nullable === undefined ? null : versionRange(options.nullable),
    default: options.default,
  };
}

/** An array of structs. */
export function structs(name: string, versions: string, fields: readonly FieldSpec[], options: FieldOptions = {}): FieldSpec {
  return {
    name,
    type: fields,
    array: true,
    versions: versionRange(versions),
    nullable: options.nullable === undefined ? null : versionRange(options.nullable),
    default: options.default,
  };
}

/** How a message of one version is laid out. */
export interface Layout {
  readonly version: number;
  readonly flexible: boolean;
}

const MAX_DEPTH = 8;

/** Reads a struct of `fields` at `layout`; check `reader.error` afterwards. */
export function decodeStruct(reader: WireReader, fields: readonly FieldSpec[], layout: Layout, depth = 0): KafkaStruct {
  const out: Record<string, KafkaValue> = {};
  if (depth > MAX_DEPTH) {
    reader.fail("structs nest too deeply");
    return out;
  }
  for (const f of fields) {
    if (reader.error !== null) break;
    if (!inRange(f.versions, layout.version)) continue;
    const nullable = inRange(f.nullable, layout.version);
    if (!f.array) {
      out[f.name] = decodePrimitive(reader, f.type as Primitive, nullable, layout.flexible);
      continue;
    }
    const n = reader.arrayLength(layout.flexible, nullable);
    if (n === -1) {
      out[f.name] = null;
      continue;
    }
    const items: KafkaValue[] = [];
    for (let i = 0; i < n && reader.error === null; i++) {
      items.push(
        typeof f.type === "string"
          ? decodePrimitive(reader, f.type, false, layout.flexible)
          : decodeStruct(reader, f.type, layout, depth + 1),
      );
    }
    out[f.name] = items;
  }
  if (layout.flexible) reader.skipTaggedFields();
  return out;
}

function decodePrimitive(reader: WireReader, type: Primitive, nullable: boolean, flexible: boolean): KafkaValue {
  switch (type) {
    case "int8":
      return reader.int8();
    case "int16":
      return reader.int16();
    case "int32":
      return reader.int32();
    case "int64":
      return reader.int64();
    case "bool":
      return reader.bool();
    case "uuid":
      return reader.uuid();
    case "string":
      return reader.string(flexible, nullable);
    case "bytes":
      return reader.bytes(flexible, nullable);
    case "records":
      return reader.bytes(flexible, true);
  }
}

/**
 * Writes a struct of `fields` at `layout`. A missing field takes its default, else null when
 * nullable, else the type's zero. A value of the wrong type is a caller bug and throws.
 */
export function encodeStruct(writer: WireWriter, fields: readonly FieldSpec[], layout: Layout, value: KafkaStruct): void {
  for (const f of fields) {
    if (!inRange(f.versions, layout.version)) continue;
    const nullable = inRange(f.nullable, layout.version);
    const given = value[f.name];
    const v = given !== undefined ? given : f.default !== undefined ? f.default : nullable ? null : f.array ? [] : zero(f.type);
    if (!f.array) {
      encodePrimitive(writer, f.type as Primitive, v, nullable, layout.flexible, f.name);
      continue;
    }
    if (v === null && nullable) {
      writer.arrayLength(-1, layout.flexible);
      continue;
    }
    if (!Array.isArray(v)) throw new TypeError(`field ${f.name} must be an array`);
    const items = v as readonly KafkaValue[];
    writer.arrayLength(items.length, layout.flexible);
    for (const item of items) {
      if (typeof f.type === "string") encodePrimitive(writer, f.type, item, false, layout.flexible, f.name);
      else encodeStruct(writer, f.type, layout, asStruct(item, f.name));
    }
  }
  if (layout.flexible) writer.noTaggedFields();
}

function zero(type: Primitive | readonly FieldSpec[]): KafkaValue {
  switch (type) {
    case "int8":
    case "int16":
    case "int32":
      return 0;
    case "int64":
      return 0n;
    case "bool":
      return false;
    case "uuid":
      return new Uint8Array(16);
    case "string":
      return "";
    case "bytes":
    case "records":
      return new Uint8Array(0);
    default:
      return {};
  }
}

function encodePrimitive(writer: WireWriter, type: Primitive, v: KafkaValue, nullable: boolean, flexible: boolean, name: string): void {
  const wrong = (): never => {
    throw new TypeError(`field ${name} must be ${nullable ? "a nullable " : ""}${type}`);
  };
  switch (type) {
    case "int8":
    case "int16":
    case "int32":
      if (typeof v !== "number") return wrong();
      writer[type](v);
      return;
    case "int64":
      if (typeof v !== "bigint") return wrong();
      writer.int64(v);
      return;
    case "bool":
      if (typeof v !== "boolean") return wrong();
      writer.bool(v);
      return;
    case "uuid":
      if (!(v instanceof Uint8Array) || v.length !== 16) return wrong();
      writer.raw(v);
      return;
    case "string":
      if (!(typeof v === "string" || (v === null && nullable))) return wrong();
      writer.string(v, flexible);
      return;
    case "bytes":
    case "records":
      if (!(v instanceof Uint8Array || (v === null && (nullable || type === "records")))) return wrong();
      writer.bytes(v, flexible);
      return;
  }
}

/** The value as a struct (a caller bug otherwise). */
function asStruct(v: KafkaValue, name: string): KafkaStruct {
  if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Uint8Array)
    throw new TypeError(`${name} items must be structs`);
  return v as KafkaStruct;
}

/* Typed reads of decoded structs: a field of another type reads as the fallback. */

/** The field as an array of structs; `null` when the array is null or absent. */
export function structsOf(s: KafkaStruct, name: string): readonly KafkaStruct[] | null {
  const v = s[name];
  if (!Array.isArray(v)) return null;
  return (v as readonly KafkaValue[]).filter(
    (x): x is KafkaStruct => x !== null && typeof x === "object" && !Array.isArray(x) && !(x instanceof Uint8Array),
  );
}

/** The field as a string, or `null`. */
export function stringOf(s: KafkaStruct, name: string): string | null {
  const v = s[name];
  return typeof v === "string" ? v : null;
}

/** The field as a number (int8/16/32), or `fallback`. */
export function numberOf(s: KafkaStruct, name: string, fallback = 0): number {
  const v = s[name];
  return typeof v === "number" ? v : fallback;
}

/** The field as an int64, or `fallback`. */
export function bigintOf(s: KafkaStruct, name: string, fallback = 0n): bigint {
  const v = s[name];
  return typeof v === "bigint" ? v : fallback;
}

/** The field as bytes, or `null`. */
export function bytesOf(s: KafkaStruct, name: string): Uint8Array | null {
  const v = s[name];
  return v instanceof Uint8Array ? v : null;
}

/** The field as an array of primitives, or `null`. */
export function valuesOf(s: KafkaStruct, name: string): readonly KafkaValue[] | null {
  const v = s[name];
  return Array.isArray(v) ? (v as readonly KafkaValue[]) : null;
}
