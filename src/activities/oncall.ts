import { DateTime } from 'luxon';

import {
  matchLocalTime,
  parseLocalDate,
  parseLocalDateTime,
  parseWallClockTime,
  type LocalDateTimeParts,
  type OncallRotationConfig,
} from '../config/oncall-schema.js';

/**
 * One stretch of on-call duty. `from` is inclusive and `to` exclusive. The
 * stretch ends where another rotation week or another override takes over.
 */
export interface OnCallShift {
  personId: string;
  from: Date;
  to: Date;
  /** Present when an override, not the weekly rotation, puts the person on call. */
  override?: { reason?: string };
}

/** An instant before a rotation's first hand-off, when no one is on call in it yet. */
export class RotationNotStartedError extends Error {
  override readonly name = 'RotationNotStartedError';

  constructor(
    readonly rotationId: string,
    readonly firstHandoff: Date,
    readonly at: Date,
  ) {
    super(
      `rotation ${rotationId} has no one on call at ${at.toISOString()} because its first hand-off is at ${firstHandoff.toISOString()}. Request an instant at or after it.`,
    );
  }
}

/**
 * Returns who is on call in `rotation` at the instant `at`, and the shift
 * that contains it.
 *
 * Hand-offs happen every week at `handoff.time` local time in
 * `rotation.timeZone`, so the UTC instant of a hand-off moves when the zone
 * changes its UTC offset. A hand-off time that a clock change skips moves
 * forward by the length of the gap (02:30 becomes 03:30 on the day Berlin
 * moves from 02:00 to 03:00). A hand-off time that a clock change repeats
 * uses its first occurrence, still at the offset before the change.
 *
 * An override puts its person on call from `from` (inclusive) to `to`
 * (exclusive). Where overrides overlap, the one that starts latest applies,
 * and between overrides that start together the one listed last applies.
 *
 * Expects a rotation that passed `checkOncall`. Throws RotationNotStartedError
 * when `at` is before the first hand-off.
 */
export function onCallAt(rotation: OncallRotationConfig, at: Date): OnCallShift {
  const timeline = new RotationTimeline(rotation);
  const instant = requireValidDate(at, 'at');
  if (instant < timeline.firstHandoff) {
    throw new RotationNotStartedError(rotation.id, new Date(timeline.firstHandoff), at);
  }
  return timeline.shiftAt(instant);
}

/**
 * Lists `count` consecutive shifts of `rotation`, starting with the one that
 * contains `from`, or with the first shift when `from` is before the first
 * hand-off. Shifts follow the rules of `onCallAt`.
 */
export function upcomingShifts(rotation: OncallRotationConfig, from: Date, count: number): OnCallShift[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count is ${count}, expected a whole number of shifts of 0 or more`);
  }
  const timeline = new RotationTimeline(rotation);
  let instant = Math.max(requireValidDate(from, 'from'), timeline.firstHandoff);

  const shifts: OnCallShift[] = [];
  while (shifts.length < count) {
    const shift = timeline.shiftAt(instant);
    shifts.push(shift);
    instant = shift.to.getTime();
  }
  return shifts;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** Which part of the configuration decides who is on call: a rotation week or an override. */
type Assignment = { kind: 'week'; week: number } | { kind: 'override'; index: number };

interface ResolvedOverride {
  index: number;
  personId: string;
  reason: string | undefined;
  /** Epoch milliseconds, inclusive. */
  from: number;
  /** Epoch milliseconds, exclusive. */
  to: number;
}

/**
 * A rotation's hand-offs and overrides as epoch milliseconds. Week 0 starts
 * at the first hand-off, and week n is on call until the hand-off of week n + 1.
 */
class RotationTimeline {
  readonly firstHandoff: number;
  private readonly startDate: DateTime;
  private readonly time: { hour: number; minute: number };
  private readonly handoffs = new Map<number, number>();
  private readonly overrides: ResolvedOverride[];
  /** Override starts and ends, ascending, without duplicates. */
  private readonly overrideBoundaries: number[];

  constructor(private readonly rotation: OncallRotationConfig) {
    const startDate = parseLocalDate(rotation.start);
    const time = parseWallClockTime(rotation.handoff.time);
    if (startDate === undefined || time === undefined || rotation.members.length === 0) {
      throw new RangeError(
        `rotation ${rotation.id} has an invalid start, hand-off time or member list. Validate the oncall section with checkOncall first.`,
      );
    }
    this.startDate = DateTime.fromObject(startDate, { zone: 'utc' });
    this.time = time;
    this.firstHandoff = this.handoffAt(0);

    this.overrides = (rotation.overrides ?? []).map((override, index) => ({
      index,
      personId: override.person,
      reason: override.reason,
      from: this.resolveOverrideTime(override.from),
      to: this.resolveOverrideTime(override.to),
    }));
    const boundaries = new Set(this.overrides.flatMap((override) => [override.from, override.to]));
    this.overrideBoundaries = [...boundaries].sort((a, b) => a - b);
  }

  /** Builds the shift containing `instant`, which must not be before the first hand-off. */
  shiftAt(instant: number): OnCallShift {
    const assignment = this.assignmentAt(instant);

    // Assignments change only at boundaries, so walk boundary by boundary
    // until the assignment differs on the other side.
    let from = this.boundaryAtOrBefore(instant);
    while (from > this.firstHandoff && sameAssignment(this.assignmentAt(from - 1), assignment)) {
      from = this.boundaryAtOrBefore(from - 1);
    }
    let to = this.boundaryAfter(instant);
    while (sameAssignment(this.assignmentAt(to), assignment)) {
      to = this.boundaryAfter(to);
    }

    if (assignment.kind === 'week') {
      const members = this.rotation.members;
      const personId = members[assignment.week % members.length] as string;
      return { personId, from: new Date(from), to: new Date(to) };
    }
    const override = this.overrides[assignment.index] as ResolvedOverride;
    return {
      personId: override.personId,
      from: new Date(from),
      to: new Date(to),
      override: override.reason === undefined ? {} : { reason: override.reason },
    };
  }

  private assignmentAt(instant: number): Assignment {
    let winner: ResolvedOverride | undefined;
    for (const override of this.overrides) {
      const active = override.from <= instant && instant < override.to;
      // `>=` lets a later-listed override win a tie on its start.
      if (active && (winner === undefined || override.from >= winner.from)) winner = override;
    }
    if (winner !== undefined) return { kind: 'override', index: winner.index };
    return { kind: 'week', week: this.weekAt(instant) };
  }

  /** Latest hand-off or override boundary at or before `instant`. */
  private boundaryAtOrBefore(instant: number): number {
    let latest = this.handoffAt(this.weekAt(instant));
    for (const boundary of this.overrideBoundaries) {
      if (boundary > instant) break;
      latest = Math.max(latest, boundary);
    }
    return latest;
  }

  /** Earliest hand-off or override boundary after `instant`. */
  private boundaryAfter(instant: number): number {
    const nextHandoff = this.handoffAt(this.weekAt(instant) + 1);
    const nextOverrideBoundary = this.overrideBoundaries.find((boundary) => boundary > instant);
    return nextOverrideBoundary === undefined ? nextHandoff : Math.min(nextHandoff, nextOverrideBoundary);
  }

  /** Returns the week whose hand-off is the latest at or before `instant`. */
  private weekAt(instant: number): number {
    // Offset changes move hand-offs by hours, not weeks, so this estimate is
    // at most one week off. The loops correct it.
    let week = Math.max(0, Math.floor((instant - this.firstHandoff) / WEEK_MS));
    while (week > 0 && this.handoffAt(week) > instant) week -= 1;
    while (this.handoffAt(week + 1) <= instant) week += 1;
    return week;
  }

  /** Returns the instant of week `week`'s hand-off, applying the gap and overlap rule of `onCallAt`. */
  private handoffAt(week: number): number {
    const cached = this.handoffs.get(week);
    if (cached !== undefined) return cached;

    const date = this.startDate.plus({ days: 7 * week });
    const local = { year: date.year, month: date.month, day: date.day, ...this.time };
    const instant = this.resolveLocal(local);
    this.handoffs.set(week, instant);
    return instant;
  }

  private resolveOverrideTime(text: string): number {
    const local = parseLocalDateTime(text);
    if (local === undefined) {
      throw new RangeError(
        `rotation ${this.rotation.id} has an override time ${JSON.stringify(text)} that is not a valid YYYY-MM-DDTHH:MM date-time. Validate the oncall section with checkOncall first.`,
      );
    }
    return this.resolveLocal(local);
  }

  /** Places a local date-time in the rotation's zone. A skipped time moves forward by the gap, and a repeated one takes its first occurrence. */
  private resolveLocal(local: LocalDateTimeParts): number {
    const match = matchLocalTime(this.rotation.timeZone, local);
    if (match.kind === 'overlap') return match.instants[0].getTime();
    return match.instant.getTime();
  }
}

function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a.kind === 'week' && b.kind === 'week') return a.week === b.week;
  if (a.kind === 'override' && b.kind === 'override') return a.index === b.index;
  return false;
}

function requireValidDate(value: Date, name: string): number {
  const instant = value.getTime();
  if (Number.isNaN(instant)) throw new RangeError(`${name} is an invalid Date, expected a valid instant`);
  return instant;
}
