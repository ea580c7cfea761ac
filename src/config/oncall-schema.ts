import { Type, type Static } from '@sinclair/typebox';
import { DateTime } from 'luxon';

import { ConfigError } from './errors.js';

/** Hand-off weekdays in ISO order, so that index + 1 is the ISO weekday number (Monday is 1). */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export type Weekday = (typeof WEEKDAYS)[number];

const RotationId = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,62}$',
  description: 'a lower-case ID of letters, digits and hyphens, starting with a letter',
});

const PersonId = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,62}$',
  description: 'a lower-case person ID of letters, digits and hyphens, starting with a letter',
});

// The pattern only rejects forms such as "+03:00". checkOncall looks the zone
// up in Intl.
const TimeZone = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
  description: 'an IANA time zone such as Europe/Berlin, Asia/Riyadh or UTC',
});

const LocalDate = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  description: 'a local date in YYYY-MM-DD form',
});

const LocalDateTime = Type.String({
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$',
  description: 'a local date-time in YYYY-MM-DDTHH:MM form, without a UTC offset',
});

const WallClockTime = Type.String({
  pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
  description: 'a local time in 24-hour HH:MM form',
});

const Override = Type.Object(
  {
    person: PersonId,
    /** Start of the override in the rotation's time zone, inclusive. */
    from: LocalDateTime,
    /** End of the override in the rotation's time zone, exclusive. */
    to: LocalDateTime,
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a text of 1 to 200 characters' })),
  },
  { additionalProperties: false },
);

const Rotation = Type.Object(
  {
    id: RotationId,
    timeZone: TimeZone,
    /** Local wall-clock time of the weekly hand-off. */
    handoff: Type.Object(
      {
        weekday: Type.Union(
          WEEKDAYS.map((weekday) => Type.Literal(weekday)),
          { description: `one of ${WEEKDAYS.join(', ')}` },
        ),
        time: WallClockTime,
      },
      { additionalProperties: false },
    ),
    /** Local date of the first hand-off, on which members[0] takes over. It must fall on handoff.weekday. */
    start: LocalDate,
    /** Person IDs in hand-off order. Each is on call for one week, then the list starts again. */
    members: Type.Array(PersonId, { minItems: 1 }),
    /** Shifts that replace the weekly rotation. Where overrides overlap, the one that starts latest applies. */
    overrides: Type.Optional(Type.Array(Override)),
  },
  { additionalProperties: false },
);

/** The optional `oncall` section: weekly on-call rotations in IANA time zones. */
export const OncallSection = Type.Object(
  { rotations: Type.Array(Rotation, { minItems: 1 }) },
  { additionalProperties: false },
);

export type OncallConfig = Static<typeof OncallSection>;
export type OncallRotationConfig = OncallConfig['rotations'][number];
export type OncallOverrideConfig = NonNullable<OncallRotationConfig['overrides']>[number];

/** A calendar date and wall-clock time with no time zone attached. */
export interface LocalDateTimeParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The instants at which a local wall-clock time occurs in a time zone. */
export type LocalTimeMatch =
  | { kind: 'unique'; instant: Date }
  /**
   * A clock change skips the time. `instant` reads it with the UTC offset in
   * force before the change, which moves it forward by the length of the gap.
   */
  | { kind: 'gap'; instant: Date }
  /** A clock change repeats the time. `instants` contains both occurrences, earlier first. */
  | { kind: 'overlap'; instants: [Date, Date] };

/** Parses a `YYYY-MM-DD` date. Returns undefined for another form or a date the calendar lacks, such as 2026-02-30. */
export function parseLocalDate(text: string): Omit<LocalDateTimeParts, 'hour' | 'minute'> | undefined {
  const parts = parseLocalDateTime(`${text}T00:00`);
  if (parts === undefined) return undefined;
  return { year: parts.year, month: parts.month, day: parts.day };
}

/** Parses a `YYYY-MM-DDTHH:MM` date-time. Returns undefined for another form or a date or time that does not exist. */
export function parseLocalDateTime(text: string): LocalDateTimeParts | undefined {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})$/.exec(text);
  if (match === null) return undefined;

  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  const parts = { year, month, day, hour, minute };
  // UTC has no clock changes, so a result that is invalid or reads differently
  // means an invalid date or time. The comparison is needed because luxon
  // accepts hour 24 as midnight of the next day.
  const utc = DateTime.fromObject(parts, { zone: 'utc' });
  const same = utc.isValid && utc.day === day && utc.hour === hour && utc.minute === minute;
  return same ? parts : undefined;
}

/** Parses an `HH:MM` wall-clock time. Returns undefined for another form or a time past 23:59. */
export function parseWallClockTime(text: string): { hour: number; minute: number } | undefined {
  const parts = parseLocalDateTime(`2000-01-01T${text}`);
  if (parts === undefined) return undefined;
  return { hour: parts.hour, minute: parts.minute };
}

/** Returns whether Intl, which luxon relies on, supports the IANA time zone. Aliases such as US/Eastern count. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/**
 * Finds the instants at which a local date-time occurs in `timeZone`.
 * Throws RangeError for an unknown zone or invalid parts.
 */
export function matchLocalTime(timeZone: string, local: LocalDateTimeParts): LocalTimeMatch {
  const candidate = DateTime.fromObject(local, { zone: timeZone });
  if (!candidate.isValid) {
    throw new RangeError(`cannot place ${formatLocal(local)} in time zone ${timeZone}: ${candidate.invalidExplanation ?? candidate.invalidReason}`);
  }

  // For a skipped time luxon 3.7 uses the offset in force before the clock
  // change, so the fields come out later than requested. The gap tests in
  // test/activities/oncall.test.ts pin this behaviour.
  const unchanged = candidate.day === local.day && candidate.hour === local.hour && candidate.minute === local.minute;
  if (!unchanged) return { kind: 'gap', instant: candidate.toJSDate() };

  const occurrences = candidate
    .getPossibleOffsets()
    .map((occurrence) => occurrence.toJSDate())
    .sort((a, b) => a.getTime() - b.getTime());
  const [first, second] = occurrences;
  if (first !== undefined && second !== undefined) return { kind: 'overlap', instants: [first, second] };
  return { kind: 'unique', instant: candidate.toJSDate() };
}

/** Formats local parts as `YYYY-MM-DDTHH:MM`. */
export function formatLocal(local: LocalDateTimeParts): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}T${pad(local.hour)}:${pad(local.minute)}`;
}

/**
 * Checks what the schema cannot: unique rotation IDs, known time zones and
 * people, valid dates, a start on the hand-off weekday, and overrides that
 * start at or after the first hand-off and end after they start. A first
 * hand-off or an override's from or to that falls in a skipped or repeated
 * hour is rejected. Later weekly hand-offs in a clock change follow the rule of `onCallAt`
 * in src/activities/oncall.ts. Throws ConfigError naming the first bad key.
 */
export function checkOncall(section: OncallConfig, personIds: ReadonlySet<string>, source: string): void {
  const knownPeople = [...personIds].sort().join(', ') || 'none configured';
  const requirePerson = (key: string, id: string) => {
    if (!personIds.has(id)) throw new ConfigError(key, id, `a person ID (${knownPeople})`, source);
  };

  const rotationIds = new Set<string>();
  section.rotations.forEach((rotation, index) => {
    const prefix = `oncall.rotations.${index}`;
    if (rotationIds.has(rotation.id)) {
      throw new ConfigError(`${prefix}.id`, rotation.id, 'an ID not used by another rotation', source);
    }
    rotationIds.add(rotation.id);

    const firstHandoff = checkRotation(rotation, prefix, requirePerson, source);
    (rotation.overrides ?? []).forEach((override, overrideIndex) => {
      const overridePrefix = `${prefix}.overrides.${overrideIndex}`;
      checkOverride(override, overridePrefix, rotation.timeZone, firstHandoff, requirePerson, source);
    });
  });
}

/** Checks a rotation apart from its overrides. Returns its first hand-off. */
function checkRotation(
  rotation: OncallRotationConfig,
  prefix: string,
  requirePerson: (key: string, id: string) => void,
  source: string,
): { instant: Date; local: LocalDateTimeParts } {
  const zone = rotation.timeZone;
  if (!isKnownTimeZone(zone)) {
    throw new ConfigError(`${prefix}.timeZone`, zone, 'an IANA time zone such as Europe/Berlin, Asia/Riyadh or UTC', source);
  }

  if (rotation.members.length === 0) {
    throw new ConfigError(`${prefix}.members`, rotation.members, 'a list of at least one person ID', source);
  }
  rotation.members.forEach((member, index) => requirePerson(`${prefix}.members.${index}`, member));

  const startDate = parseLocalDate(rotation.start);
  if (startDate === undefined) {
    throw new ConfigError(`${prefix}.start`, rotation.start, 'a calendar date in YYYY-MM-DD form', source);
  }
  const startWeekday = WEEKDAYS[DateTime.fromObject(startDate, { zone: 'utc' }).weekday - 1];
  if (startWeekday !== rotation.handoff.weekday) {
    const expected = `a date on a ${rotation.handoff.weekday}, the hand-off weekday, but ${rotation.start} is a ${startWeekday}`;
    throw new ConfigError(`${prefix}.start`, rotation.start, expected, source);
  }

  const time = parseWallClockTime(rotation.handoff.time);
  if (time === undefined) {
    throw new ConfigError(`${prefix}.handoff.time`, rotation.handoff.time, 'a local time in 24-hour HH:MM form', source);
  }
  const local = { ...startDate, ...time };
  const instant = uniqueInstant(zone, local, (problem) => {
    const expected = `a time that occurs exactly once on the start date in ${zone}, but ${problem}, so choose another start date or time`;
    return new ConfigError(`${prefix}.handoff.time`, rotation.handoff.time, expected, source);
  });
  return { instant, local };
}

function checkOverride(
  override: OncallOverrideConfig,
  prefix: string,
  zone: string,
  firstHandoff: { instant: Date; local: LocalDateTimeParts },
  requirePerson: (key: string, id: string) => void,
  source: string,
): void {
  requirePerson(`${prefix}.person`, override.person);
  const from = checkOverrideTime(`${prefix}.from`, override.from, zone, source);
  const to = checkOverrideTime(`${prefix}.to`, override.to, zone, source);

  if (from.getTime() < firstHandoff.instant.getTime()) {
    const expected = `a date-time at or after the first hand-off, ${formatLocal(firstHandoff.local)} in ${zone}`;
    throw new ConfigError(`${prefix}.from`, override.from, expected, source);
  }
  if (to.getTime() <= from.getTime()) {
    throw new ConfigError(`${prefix}.to`, override.to, `a date-time after from (${override.from})`, source);
  }
}

/** Parses one end of an override into its instant. Throws ConfigError for an invalid date-time or one a clock change skips or repeats. */
function checkOverrideTime(key: string, text: string, zone: string, source: string): Date {
  const local = parseLocalDateTime(text);
  if (local === undefined) {
    throw new ConfigError(key, text, 'a valid local date-time in YYYY-MM-DDTHH:MM form, such as 2026-12-24T18:00', source);
  }
  return uniqueInstant(zone, local, (problem) => {
    return new ConfigError(key, text, `a local date-time that occurs exactly once in ${zone}, but ${problem}`, source);
  });
}

/** Returns the one instant of a local date-time, or throws the error `reject` builds when a clock change skips or repeats it. */
function uniqueInstant(zone: string, local: LocalDateTimeParts, reject: (problem: string) => ConfigError): Date {
  const match = matchLocalTime(zone, local);
  if (match.kind === 'unique') return match.instant;

  const change = match.kind === 'gap' ? 'skips' : 'repeats';
  throw reject(`a clock change ${change} ${formatLocal(local)} there`);
}
