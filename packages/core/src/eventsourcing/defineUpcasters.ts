/**
 * Event versioning. Each upcaster lifts one event type from schemaVersion N to N+1; a registry
 * chains them so an event stored as v1 is read as the latest version. Stored events are never
 * rewritten: upcasting happens on every read (see `withUpcasting`).
 */
import type { JsonValue, RecordedEvent } from '../envelope.js';
import { EventfoldError, InvalidInputError } from '../errors.js';

export interface Upcaster {
  /** Event type as stored at `fromVersion`. */
  type: string;
  fromVersion: number;
  /** Returns the data at `fromVersion + 1`. Must be pure and total for every stored event of this version. */
  upcast(data: JsonValue, event: RecordedEvent): JsonValue;
  /** New type name at `fromVersion + 1` when the event was renamed. */
  renameTo?: string;
}

export interface UpcasterRegistry {
  /** The schemaVersion new events of `type` are written with (1 for types without upcasters). */
  currentVersion(type: string): number;
  /** The event lifted to the current version of its type; the same object when nothing applies. */
  upcast<TEvent extends RecordedEvent>(event: TEvent): TEvent;
  /**
   * Whether `upcast` would do anything for an event of this type and version (lift it, rename it, or
   * fail because a step is missing). Lets loaders read lean and fetch whole events only when needed;
   * a registry without it is treated as "always".
   */
  needsUpcast?(event: { type: string; schemaVersion: number }): boolean;
}

/** An upcaster was missing or threw: the event cannot be read safely, so reading stops here. */
export class UpcastFailedError extends EventfoldError {
  override readonly name = 'UpcastFailedError';
  constructor(event: RecordedEvent, message: string, cause?: unknown) {
    super('EVENTFOLD_UPCAST_FAILED', message, {
      cause,
      context: { type: event.type, schemaVersion: event.schemaVersion, eventId: event.eventId, streamId: event.streamId },
    });
  }
}

/**
 * Builds a registry from upcasters. Per type the chain must be contiguous (v1→v2, v2→v3…).
 *
 * @example
 * const upcasters = defineUpcasters([
 *   { type: 'MoneyDeposited', fromVersion: 1, upcast: (d) => ({ ...(d as object), currency: 'EUR' }) },
 * ]);
 */
export function defineUpcasters(upcasters: readonly Upcaster[]): UpcasterRegistry {
  const byKey = new Map<string, Upcaster>();
  const latest = new Map<string, number>();
  upcasters.forEach((u, i) => {
    const path = `upcasters[${i}]`;
    if (typeof u.type !== 'string' || u.type.length === 0) throw new InvalidInputError(`${path}.type`, 'must be the stored event type.');
    if (!Number.isSafeInteger(u.fromVersion) || u.fromVersion < 1) throw new InvalidInputError(`${path}.fromVersion`, 'must be a whole number ≥ 1.');
    if (typeof u.upcast !== 'function') throw new InvalidInputError(`${path}.upcast`, 'must be a function (data, event) => newData.');
    const key = `${u.type}@${u.fromVersion}`;
    if (byKey.has(key)) throw new InvalidInputError(path, `a second upcaster for ${u.type} v${u.fromVersion}; keep one per version step.`);
    byKey.set(key, u);
  });
  // The current version of a type is reached by walking its chain (including renames) to the end.
  const walk = (type: string, version: number): { type: string; version: number } => {
    let t = type;
    let v = version;
    for (let guard = 0; guard < 10_000; guard++) {
      const step = byKey.get(`${t}@${v}`);
      if (!step) return { type: t, version: v };
      t = step.renameTo ?? t;
      v += 1;
    }
    throw new InvalidInputError('upcasters', `the chain for ${type} does not end; check renameTo cycles.`);
  };
  const versionsByType = new Map<string, number[]>();
  for (const u of byKey.values()) versionsByType.set(u.type, [...(versionsByType.get(u.type) ?? []), u.fromVersion]);
  for (const [type, versions] of versionsByType) {
    versions.sort((a, b) => a - b);
    versions.forEach((v, i) => {
      if (i > 0 && v !== (versions[i - 1] as number) + 1) {
        throw new InvalidInputError('upcasters', `${type} has no upcaster from v${(versions[i - 1] as number) + 1}; the chain must have no gaps.`);
      }
    });
  }
  for (const u of byKey.values()) {
    const end = walk(u.type, u.fromVersion);
    latest.set(end.type, Math.max(latest.get(end.type) ?? 1, end.version));
  }

  return {
    currentVersion: (type) => latest.get(type) ?? 1,
    needsUpcast(event) {
      if (byKey.has(`${event.type}@${event.schemaVersion}`)) return true;
      const target = latest.get(event.type);
      return target !== undefined && event.schemaVersion < target && versionsByType.has(event.type);
    },
    upcast(event) {
      let step = byKey.get(`${event.type}@${event.schemaVersion}`);
      if (!step) {
        const target = latest.get(event.type);
        if (target !== undefined && event.schemaVersion < target && versionsByType.has(event.type)) {
          throw new UpcastFailedError(
            event,
            `${event.type} v${event.schemaVersion} cannot be lifted to v${target}: there is no upcaster from v${event.schemaVersion}. Add one to the registry.`,
          );
        }
        return event;
      }
      let type = event.type;
      let version = event.schemaVersion;
      let data = event.data as JsonValue;
      while (step) {
        try {
          data = step.upcast(data, { ...event, type, schemaVersion: version, data });
        } catch (error) {
          throw new UpcastFailedError(event, `Upcasting ${type} v${version} → v${version + 1} threw: ${(error as Error).message}. Fix the upcaster.`, error);
        }
        type = step.renameTo ?? type;
        version += 1;
        step = byKey.get(`${type}@${version}`);
      }
      return { ...event, type, schemaVersion: version, data };
    },
  };
}

/** A registry without upcasters: every event is read as stored. */
export const noUpcasters: UpcasterRegistry = { currentVersion: () => 1, upcast: (event) => event, needsUpcast: () => false };
