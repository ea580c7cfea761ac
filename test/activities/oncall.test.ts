import { Value } from '@sinclair/typebox/value';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';

import { onCallAt, RotationNotStartedError, upcomingShifts } from '../../src/activities/oncall.js';
import { ConfigError } from '../../src/config/errors.js';
import {
  checkOncall,
  OncallSection,
  type OncallConfig,
  type OncallOverrideConfig,
  type OncallRotationConfig,
} from '../../src/config/oncall-schema.js';

const PEOPLE: ReadonlySet<string> = new Set(['amira', 'omar', 'lina']);

/**
 * Builds a rotation that hands off on Mondays at 09:00 in Riyadh, which is
 * UTC+3 all year, so at 06:00 UTC. Omar's weeks start on 2026-11-09, 11-30 and 12-21.
 */
function riyadhRotation(changes: Partial<OncallRotationConfig> = {}): OncallRotationConfig {
  return {
    id: 'primary-oncall',
    timeZone: 'Asia/Riyadh',
    handoff: { weekday: 'monday', time: '09:00' },
    start: '2026-11-02',
    members: ['amira', 'omar', 'lina'],
    ...changes,
  };
}

function rotationIn(timeZone: string, weekday: OncallRotationConfig['handoff']['weekday'], time: string, start: string) {
  return riyadhRotation({ timeZone, handoff: { weekday, time }, start });
}

/** Formats an instant as local wall-clock time, to show that hand-offs keep their local time. */
function localTime(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm");
}

function utc(iso: string): Date {
  return new Date(iso);
}

function checkError(section: OncallConfig): ConfigError {
  try {
    checkOncall(section, PEOPLE, 'oncall.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('checkOncall accepted the section');
}

describe('onCallAt weekly rotation', () => {
  it.each([
    { name: 'week 1 at hand-off', at: '2026-11-02T06:00:00.000Z', personId: 'amira', from: '2026-11-02T06:00:00.000Z', to: '2026-11-09T06:00:00.000Z' },
    { name: 'week 1 one ms before hand-off', at: '2026-11-09T05:59:59.999Z', personId: 'amira', from: '2026-11-02T06:00:00.000Z', to: '2026-11-09T06:00:00.000Z' },
    { name: 'week 2 at hand-off', at: '2026-11-09T06:00:00.000Z', personId: 'omar', from: '2026-11-09T06:00:00.000Z', to: '2026-11-16T06:00:00.000Z' },
    { name: 'week 3 mid-week', at: '2026-11-18T12:00:00.000Z', personId: 'lina', from: '2026-11-16T06:00:00.000Z', to: '2026-11-23T06:00:00.000Z' },
    { name: 'week 4 wraps to first member', at: '2026-11-23T06:00:00.000Z', personId: 'amira', from: '2026-11-23T06:00:00.000Z', to: '2026-11-30T06:00:00.000Z' },
    { name: 'week 8 after wrapping twice', at: '2026-12-23T00:00:00.000Z', personId: 'omar', from: '2026-12-21T06:00:00.000Z', to: '2026-12-28T06:00:00.000Z' },
    { name: 'week 53 a year later', at: '2027-11-01T06:00:00.000Z', personId: 'omar', from: '2027-11-01T06:00:00.000Z', to: '2027-11-08T06:00:00.000Z' },
  ])('$name', ({ at, personId, from, to }) => {
    const shift = onCallAt(riyadhRotation(), utc(at));

    expect(shift.personId).toBe(personId);
    expect(shift.from).toEqual(utc(from));
    expect(shift.to).toEqual(utc(to));
    expect(shift).not.toHaveProperty('override');
  });

  it('rejects an instant before start', () => {
    const at = utc('2026-11-02T05:59:59.999Z');

    const call = () => onCallAt(riyadhRotation(), at);

    expect(call).toThrow(RotationNotStartedError);
    expect(call).toThrow('rotation primary-oncall has no one on call at 2026-11-02T05:59:59.999Z');
    try {
      call();
    } catch (error) {
      expect((error as RotationNotStartedError).firstHandoff).toEqual(utc('2026-11-02T06:00:00.000Z'));
      expect((error as RotationNotStartedError).at).toBe(at);
    }
  });

  it('rejects an invalid Date', () => {
    expect(() => onCallAt(riyadhRotation(), new Date('not a date'))).toThrow(RangeError);
  });

  it('keeps 06:00 UTC in Riyadh all year', () => {
    const shifts = upcomingShifts(riyadhRotation(), utc('2026-11-02T06:00:00.000Z'), 53);

    for (const shift of shifts) {
      expect(shift.from.toISOString()).toMatch(/T06:00:00\.000Z$/);
      expect(localTime(shift.from, 'Asia/Riyadh')).toMatch(/T09:00$/);
    }
    expect(shifts.at(-1)?.from).toEqual(utc('2027-11-01T06:00:00.000Z'));
    expect(onCallAt(riyadhRotation(), utc('2027-07-05T06:00:00.000Z')).personId).toBe('lina');
  });
});

describe('onCallAt across clock changes', () => {
  // Monday 09:00 hand-offs. Berlin goes to UTC+2 on 2026-03-29 and back to
  // UTC+1 on 2026-10-25. New York goes to UTC-4 on 2026-03-08 and back to
  // UTC-5 on 2026-11-01.
  const berlin = rotationIn('Europe/Berlin', 'monday', '09:00', '2026-03-16');
  const newYork = rotationIn('America/New_York', 'monday', '09:00', '2026-03-02');

  it.each([
    { name: 'Berlin week before spring change', rotation: berlin, at: '2026-03-29T12:00:00.000Z', personId: 'omar', from: '2026-03-23T08:00:00.000Z', to: '2026-03-30T07:00:00.000Z' },
    { name: 'Berlin one ms before spring hand-off', rotation: berlin, at: '2026-03-30T06:59:59.999Z', personId: 'omar', from: '2026-03-23T08:00:00.000Z', to: '2026-03-30T07:00:00.000Z' },
    { name: 'Berlin first hand-off on summer time', rotation: berlin, at: '2026-03-30T07:00:00.000Z', personId: 'lina', from: '2026-03-30T07:00:00.000Z', to: '2026-04-06T07:00:00.000Z' },
    { name: 'Berlin week before autumn change', rotation: berlin, at: '2026-10-25T12:00:00.000Z', personId: 'omar', from: '2026-10-19T07:00:00.000Z', to: '2026-10-26T08:00:00.000Z' },
    { name: 'Berlin one ms before autumn hand-off', rotation: berlin, at: '2026-10-26T07:59:59.999Z', personId: 'omar', from: '2026-10-19T07:00:00.000Z', to: '2026-10-26T08:00:00.000Z' },
    { name: 'Berlin first hand-off on winter time', rotation: berlin, at: '2026-10-26T08:00:00.000Z', personId: 'lina', from: '2026-10-26T08:00:00.000Z', to: '2026-11-02T08:00:00.000Z' },
    { name: 'New York week before spring change', rotation: newYork, at: '2026-03-08T12:00:00.000Z', personId: 'amira', from: '2026-03-02T14:00:00.000Z', to: '2026-03-09T13:00:00.000Z' },
    { name: 'New York one ms before spring hand-off', rotation: newYork, at: '2026-03-09T12:59:59.999Z', personId: 'amira', from: '2026-03-02T14:00:00.000Z', to: '2026-03-09T13:00:00.000Z' },
    { name: 'New York first hand-off on summer time', rotation: newYork, at: '2026-03-09T13:00:00.000Z', personId: 'omar', from: '2026-03-09T13:00:00.000Z', to: '2026-03-16T13:00:00.000Z' },
    { name: 'New York week before autumn change', rotation: newYork, at: '2026-11-01T12:00:00.000Z', personId: 'omar', from: '2026-10-26T13:00:00.000Z', to: '2026-11-02T14:00:00.000Z' },
    { name: 'New York one ms before autumn hand-off', rotation: newYork, at: '2026-11-02T13:59:59.999Z', personId: 'omar', from: '2026-10-26T13:00:00.000Z', to: '2026-11-02T14:00:00.000Z' },
    { name: 'New York first hand-off on winter time', rotation: newYork, at: '2026-11-02T14:00:00.000Z', personId: 'lina', from: '2026-11-02T14:00:00.000Z', to: '2026-11-09T14:00:00.000Z' },
  ])('$name', ({ rotation, at, personId, from, to }) => {
    const shift = onCallAt(rotation, utc(at));

    expect(shift.personId).toBe(personId);
    expect(shift.from).toEqual(utc(from));
    expect(shift.to).toEqual(utc(to));
    expect(localTime(shift.from, rotation.timeZone)).toMatch(/T09:00$/);
    expect(localTime(shift.to, rotation.timeZone)).toMatch(/T09:00$/);
  });

  // Sunday 02:30 hand-offs, 01:30 for the New York overlap. Berlin skips
  // 02:00-03:00 on 2026-03-29 and repeats 02:00-03:00 on 2026-10-25. New York
  // skips 02:00-03:00 on 2026-03-08 and repeats 01:00-02:00 on 2026-11-01.
  const berlinGap = rotationIn('Europe/Berlin', 'sunday', '02:30', '2026-03-22');
  const berlinOverlap = rotationIn('Europe/Berlin', 'sunday', '02:30', '2026-10-18');
  const newYorkGap = rotationIn('America/New_York', 'sunday', '02:30', '2026-03-01');
  const newYorkOverlap = rotationIn('America/New_York', 'sunday', '01:30', '2026-10-25');

  it.each([
    { name: 'Berlin gap one ms before', rotation: berlinGap, at: '2026-03-29T01:29:59.999Z', personId: 'amira', from: '2026-03-22T01:30:00.000Z', to: '2026-03-29T01:30:00.000Z', localFrom: '2026-03-22T02:30' },
    { name: 'Berlin gap moves to 03:30', rotation: berlinGap, at: '2026-03-29T01:30:00.000Z', personId: 'omar', from: '2026-03-29T01:30:00.000Z', to: '2026-04-05T00:30:00.000Z', localFrom: '2026-03-29T03:30' },
    { name: 'Berlin overlap one ms before', rotation: berlinOverlap, at: '2026-10-25T00:29:59.999Z', personId: 'amira', from: '2026-10-18T00:30:00.000Z', to: '2026-10-25T00:30:00.000Z', localFrom: '2026-10-18T02:30' },
    { name: 'Berlin overlap uses first 02:30', rotation: berlinOverlap, at: '2026-10-25T00:30:00.000Z', personId: 'omar', from: '2026-10-25T00:30:00.000Z', to: '2026-11-01T01:30:00.000Z', localFrom: '2026-10-25T02:30' },
    { name: 'Berlin overlap second 02:30 no hand-off', rotation: berlinOverlap, at: '2026-10-25T01:30:00.000Z', personId: 'omar', from: '2026-10-25T00:30:00.000Z', to: '2026-11-01T01:30:00.000Z', localFrom: '2026-10-25T02:30' },
    { name: 'New York gap moves to 03:30', rotation: newYorkGap, at: '2026-03-08T07:30:00.000Z', personId: 'omar', from: '2026-03-08T07:30:00.000Z', to: '2026-03-15T06:30:00.000Z', localFrom: '2026-03-08T03:30' },
    { name: 'New York overlap uses first 01:30', rotation: newYorkOverlap, at: '2026-11-01T05:30:00.000Z', personId: 'omar', from: '2026-11-01T05:30:00.000Z', to: '2026-11-08T06:30:00.000Z', localFrom: '2026-11-01T01:30' },
    { name: 'New York overlap one ms before', rotation: newYorkOverlap, at: '2026-11-01T05:29:59.999Z', personId: 'amira', from: '2026-10-25T05:30:00.000Z', to: '2026-11-01T05:30:00.000Z', localFrom: '2026-10-25T01:30' },
  ])('$name', ({ rotation, at, personId, from, to, localFrom }) => {
    const shift = onCallAt(rotation, utc(at));

    expect(shift.personId).toBe(personId);
    expect(shift.from).toEqual(utc(from));
    expect(shift.to).toEqual(utc(to));
    expect(localTime(shift.from, rotation.timeZone)).toBe(localFrom);
  });
});

describe('onCallAt with overrides', () => {
  // Omar's week runs from 2026-12-21T06:00Z to 2026-12-28T06:00Z. Riyadh local
  // time is UTC+3, so 2026-12-24T18:00 local is 15:00Z.
  const christmas: OncallOverrideConfig = {
    person: 'lina',
    from: '2026-12-24T18:00',
    to: '2026-12-27T09:00',
    reason: 'covering for Omar',
  };
  const withChristmas = riyadhRotation({ overrides: [christmas] });

  it.each([
    { name: 'one ms before override', at: '2026-12-24T14:59:59.999Z', personId: 'omar', from: '2026-12-21T06:00:00.000Z', to: '2026-12-24T15:00:00.000Z', override: undefined },
    { name: 'override at its start', at: '2026-12-24T15:00:00.000Z', personId: 'lina', from: '2026-12-24T15:00:00.000Z', to: '2026-12-27T06:00:00.000Z', override: { reason: 'covering for Omar' } },
    { name: 'inside override', at: '2026-12-25T12:00:00.000Z', personId: 'lina', from: '2026-12-24T15:00:00.000Z', to: '2026-12-27T06:00:00.000Z', override: { reason: 'covering for Omar' } },
    { name: 'override one ms before end', at: '2026-12-27T05:59:59.999Z', personId: 'lina', from: '2026-12-24T15:00:00.000Z', to: '2026-12-27T06:00:00.000Z', override: { reason: 'covering for Omar' } },
    { name: 'rotation resumes at override end', at: '2026-12-27T06:00:00.000Z', personId: 'omar', from: '2026-12-27T06:00:00.000Z', to: '2026-12-28T06:00:00.000Z', override: undefined },
  ])('$name', ({ at, personId, from, to, override }) => {
    const shift = onCallAt(withChristmas, utc(at));

    expect(shift.personId).toBe(personId);
    expect(shift.from).toEqual(utc(from));
    expect(shift.to).toEqual(utc(to));
    expect(shift.override).toEqual(override);
  });

  // Listed with the inner one first, to show the later start decides and not the order.
  const nested = riyadhRotation({
    overrides: [
      { person: 'lina', from: '2026-12-05T00:00', to: '2026-12-07T00:00', reason: 'inner' },
      { person: 'amira', from: '2026-12-01T00:00', to: '2026-12-10T00:00', reason: 'outer' },
    ],
  });

  it.each([
    { name: 'outer override before inner', at: '2026-12-03T12:00:00.000Z', personId: 'amira', from: '2026-11-30T21:00:00.000Z', to: '2026-12-04T21:00:00.000Z', reason: 'outer' },
    { name: 'later-starting inner override wins', at: '2026-12-06T12:00:00.000Z', personId: 'lina', from: '2026-12-04T21:00:00.000Z', to: '2026-12-06T21:00:00.000Z', reason: 'inner' },
    { name: 'outer resumes across hand-off', at: '2026-12-08T12:00:00.000Z', personId: 'amira', from: '2026-12-06T21:00:00.000Z', to: '2026-12-09T21:00:00.000Z', reason: 'outer' },
    { name: 'rotation after both end', at: '2026-12-10T12:00:00.000Z', personId: 'lina', from: '2026-12-09T21:00:00.000Z', to: '2026-12-14T06:00:00.000Z', reason: undefined },
  ])('$name', ({ at, personId, from, to, reason }) => {
    const shift = onCallAt(nested, utc(at));

    expect(shift.personId).toBe(personId);
    expect(shift.from).toEqual(utc(from));
    expect(shift.to).toEqual(utc(to));
    expect(shift.override?.reason).toBe(reason);
  });

  it('later-starting overlapping override wins', () => {
    const rotation = riyadhRotation({
      overrides: [
        { person: 'amira', from: '2026-12-01T00:00', to: '2026-12-05T00:00' },
        { person: 'lina', from: '2026-12-03T00:00', to: '2026-12-08T00:00' },
      ],
    });

    const first = onCallAt(rotation, utc('2026-12-02T12:00:00.000Z'));
    const second = onCallAt(rotation, utc('2026-12-04T12:00:00.000Z'));

    expect(first.personId).toBe('amira');
    expect(first.to).toEqual(utc('2026-12-02T21:00:00.000Z'));
    expect(second.personId).toBe('lina');
    expect(second.from).toEqual(utc('2026-12-02T21:00:00.000Z'));
    expect(second.to).toEqual(utc('2026-12-07T21:00:00.000Z'));
  });

  it('later-listed override wins a tie', () => {
    const rotation = riyadhRotation({
      overrides: [
        { person: 'omar', from: '2026-12-15T00:00', to: '2026-12-16T00:00' },
        { person: 'lina', from: '2026-12-15T00:00', to: '2026-12-17T00:00' },
      ],
    });

    const shift = onCallAt(rotation, utc('2026-12-15T12:00:00.000Z'));

    expect(shift.personId).toBe('lina');
    expect(shift.from).toEqual(utc('2026-12-14T21:00:00.000Z'));
    expect(shift.to).toEqual(utc('2026-12-16T21:00:00.000Z'));
  });

  it('override without reason', () => {
    const rotation = riyadhRotation({ overrides: [{ person: 'lina', from: '2026-11-03T00:00', to: '2026-11-04T00:00' }] });

    const shift = onCallAt(rotation, utc('2026-11-03T12:00:00.000Z'));

    expect(shift.personId).toBe('lina');
    expect(shift.override).toEqual({});
    expect(shift.override).not.toHaveProperty('reason');
  });
});

describe('upcomingShifts', () => {
  it('lists shifts around an override', () => {
    const rotation = riyadhRotation({
      overrides: [{ person: 'lina', from: '2026-12-24T18:00', to: '2026-12-27T09:00', reason: 'covering for Omar' }],
    });

    const shifts = upcomingShifts(rotation, utc('2026-12-22T00:00:00.000Z'), 4);

    expect(shifts).toEqual([
      { personId: 'omar', from: utc('2026-12-21T06:00:00.000Z'), to: utc('2026-12-24T15:00:00.000Z') },
      { personId: 'lina', from: utc('2026-12-24T15:00:00.000Z'), to: utc('2026-12-27T06:00:00.000Z'), override: { reason: 'covering for Omar' } },
      { personId: 'omar', from: utc('2026-12-27T06:00:00.000Z'), to: utc('2026-12-28T06:00:00.000Z') },
      { personId: 'lina', from: utc('2026-12-28T06:00:00.000Z'), to: utc('2027-01-04T06:00:00.000Z') },
    ]);
  });

  it('starts at first hand-off', () => {
    const shifts = upcomingShifts(riyadhRotation(), utc('2026-10-01T00:00:00.000Z'), 2);

    expect(shifts.map((shift) => shift.personId)).toEqual(['amira', 'omar']);
    expect(shifts[0]?.from).toEqual(utc('2026-11-02T06:00:00.000Z'));
    expect(shifts[1]?.from).toEqual(utc('2026-11-09T06:00:00.000Z'));
  });

  it('returns nothing for count 0', () => {
    expect(upcomingShifts(riyadhRotation(), utc('2026-11-02T06:00:00.000Z'), 0)).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN])('rejects count %s', (count) => {
    expect(() => upcomingShifts(riyadhRotation(), utc('2026-11-02T06:00:00.000Z'), count)).toThrow(RangeError);
  });
});

describe('checkOncall', () => {
  function validSection(): OncallConfig {
    return {
      rotations: [
        riyadhRotation({
          overrides: [{ person: 'omar', from: '2026-12-24T18:00', to: '2026-12-27T09:00', reason: 'covering for Amira' }],
        }),
        { ...rotationIn('Europe/Berlin', 'sunday', '02:30', '2026-03-22'), id: 'secondary-oncall' },
      ],
    };
  }

  function berlinWithOverride(override: OncallOverrideConfig): OncallConfig {
    return { rotations: [{ ...rotationIn('Europe/Berlin', 'monday', '09:00', '2026-03-16'), overrides: [override] }] };
  }

  it('accepts a valid section', () => {
    expect(() => checkOncall(validSection(), PEOPLE, 'oncall.yaml')).not.toThrow();
  });

  it.each([
    {
      name: 'unknown time zone',
      section: { rotations: [riyadhRotation({ timeZone: 'Mars/Olympus_Mons' })] },
      key: 'oncall.rotations.0.timeZone',
      value: 'Mars/Olympus_Mons',
      message: 'an IANA time zone',
    },
    {
      name: 'start not on hand-off weekday',
      section: { rotations: [riyadhRotation({ start: '2026-11-03' })] },
      key: 'oncall.rotations.0.start',
      value: '2026-11-03',
      message: '2026-11-03 is a tuesday',
    },
    {
      name: 'invalid start date',
      section: { rotations: [riyadhRotation({ start: '2026-02-30' })] },
      key: 'oncall.rotations.0.start',
      value: '2026-02-30',
      message: 'a calendar date',
    },
    {
      name: 'duplicate rotation ID',
      section: { rotations: [riyadhRotation(), riyadhRotation()] },
      key: 'oncall.rotations.1.id',
      value: 'primary-oncall',
      message: 'an ID not used by another rotation',
    },
    {
      name: 'empty members',
      section: { rotations: [riyadhRotation({ members: [] })] },
      key: 'oncall.rotations.0.members',
      value: [],
      message: 'at least one person ID',
    },
    {
      name: 'unknown member',
      section: { rotations: [riyadhRotation({ members: ['amira', 'zaid'] })] },
      key: 'oncall.rotations.0.members.1',
      value: 'zaid',
      message: 'a person ID (amira, lina, omar)',
    },
    {
      name: 'unknown override person',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'zaid', from: '2026-12-24T18:00', to: '2026-12-27T09:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.person',
      value: 'zaid',
      message: 'a person ID',
    },
    {
      name: 'override to equal to from',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'omar', from: '2026-12-24T18:00', to: '2026-12-24T18:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.to',
      value: '2026-12-24T18:00',
      message: 'a date-time after from (2026-12-24T18:00)',
    },
    {
      name: 'override to before from',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'omar', from: '2026-12-24T18:00', to: '2026-12-20T09:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.to',
      value: '2026-12-20T09:00',
      message: 'a date-time after from',
    },
    {
      name: 'invalid override from date',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'omar', from: '2026-02-30T10:00', to: '2026-12-27T09:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.from',
      value: '2026-02-30T10:00',
      message: 'a valid local date-time',
    },
    {
      name: 'invalid override to time',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'omar', from: '2026-12-24T18:00', to: '2026-12-27T24:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.to',
      value: '2026-12-27T24:00',
      message: 'a valid local date-time',
    },
    {
      name: 'override before first hand-off',
      section: { rotations: [riyadhRotation({ overrides: [{ person: 'omar', from: '2026-11-02T08:59', to: '2026-11-03T09:00' }] })] },
      key: 'oncall.rotations.0.overrides.0.from',
      value: '2026-11-02T08:59',
      message: 'at or after the first hand-off, 2026-11-02T09:00 in Asia/Riyadh',
    },
    {
      name: 'first hand-off in Berlin gap',
      section: { rotations: [rotationIn('Europe/Berlin', 'sunday', '02:30', '2026-03-29')] },
      key: 'oncall.rotations.0.handoff.time',
      value: '02:30',
      message: 'a clock change skips 2026-03-29T02:30',
    },
    {
      name: 'first hand-off in Berlin overlap',
      section: { rotations: [rotationIn('Europe/Berlin', 'sunday', '02:30', '2026-10-25')] },
      key: 'oncall.rotations.0.handoff.time',
      value: '02:30',
      message: 'a clock change repeats 2026-10-25T02:30',
    },
    {
      name: 'first hand-off in New York gap',
      section: { rotations: [rotationIn('America/New_York', 'sunday', '02:30', '2026-03-08')] },
      key: 'oncall.rotations.0.handoff.time',
      value: '02:30',
      message: 'a clock change skips 2026-03-08T02:30',
    },
    {
      name: 'override from in gap',
      section: berlinWithOverride({ person: 'omar', from: '2026-03-29T02:30', to: '2026-03-30T09:00' }),
      key: 'oncall.rotations.0.overrides.0.from',
      value: '2026-03-29T02:30',
      message: 'a clock change skips 2026-03-29T02:30',
    },
    {
      name: 'override to in overlap',
      section: berlinWithOverride({ person: 'omar', from: '2026-10-24T09:00', to: '2026-10-25T02:30' }),
      key: 'oncall.rotations.0.overrides.0.to',
      value: '2026-10-25T02:30',
      message: 'a clock change repeats 2026-10-25T02:30',
    },
  ])('rejects $name', ({ section, key, value, message }) => {
    const error = checkError(section);

    expect(error.key).toBe(key);
    expect(error.value).toEqual(value);
    expect(error.source).toBe('oncall.yaml');
    expect(error.message).toContain(`${key} is ${JSON.stringify(value)}`);
    expect(error.message).toContain(message);
  });
});

describe('OncallSection schema', () => {
  const example = {
    rotations: [
      {
        id: 'primary-oncall',
        timeZone: 'Asia/Riyadh',
        handoff: { weekday: 'monday', time: '09:00' },
        start: '2026-11-02',
        members: ['amira', 'omar', 'lina'],
        overrides: [{ person: 'omar', from: '2026-12-24T18:00', to: '2026-12-27T09:00', reason: 'covering for Amira' }],
      },
    ],
  };

  it('accepts the documented example', () => {
    expect(Value.Check(OncallSection, example)).toBe(true);
  });

  it.each([
    { name: 'unknown key', change: (rotation: any) => { rotation.owner = 'amira'; } },
    { name: 'capitalised weekday', change: (rotation: any) => { rotation.handoff.weekday = 'Monday'; } },
    { name: 'time without leading zero', change: (rotation: any) => { rotation.handoff.time = '9:00'; } },
    { name: 'time 24:00', change: (rotation: any) => { rotation.handoff.time = '24:00'; } },
    { name: 'empty members', change: (rotation: any) => { rotation.members = []; } },
    { name: 'upper-case member', change: (rotation: any) => { rotation.members = ['Amira']; } },
    { name: 'offset as time zone', change: (rotation: any) => { rotation.timeZone = '+03:00'; } },
    { name: 'from with seconds', change: (rotation: any) => { rotation.overrides[0].from = '2026-12-24T18:00:00'; } },
  ])('rejects $name', ({ change }) => {
    const section = structuredClone(example);
    change(section.rotations[0]);

    expect(Value.Check(OncallSection, section)).toBe(false);
  });
});
