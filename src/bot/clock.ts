// Time is injected so tests can stand at "Friday 17:59 before a holiday".
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
