// Validation of optimiser options, shared by Optimizer and ParetoOptimizer: one message shape per rule,
// naming the option ("<owner> option <name> must be …, got …").

import { ServesimError } from '../errors.js';

export function optionChecks<S extends object>(settings: S, owner: string) {
  const fail = (name: keyof S, expected: string): never => {
    throw new ServesimError(`${owner} option ${String(name)} must be ${expected}, got ${String(settings[name])}`);
  };
  const numberAt = (name: keyof S): unknown => settings[name];
  return {
    integer(name: keyof S, minimum: number): void {
      const value = numberAt(name);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) fail(name, `an integer >= ${minimum}`);
    },
    safeInteger(name: keyof S): void {
      if (!Number.isSafeInteger(numberAt(name))) fail(name, 'an integer');
    },
    nonNegative(name: keyof S): void {
      const value = numberAt(name);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(name, 'a finite number >= 0');
    },
    positive(name: keyof S): void {
      const value = numberAt(name);
      if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) fail(name, 'a finite number > 0');
    },
    unitInterval(name: keyof S): void {
      const value = numberAt(name) as number;
      if (!(value >= 0 && value <= 1)) fail(name, 'in [0, 1]');
    },
  };
}
