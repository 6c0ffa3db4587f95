// A plugin copy of the built-in `slo-tiered` priority: proof that a plugin runs through exactly the interface the
// built-ins use (its output is byte-identical to `--priority-policy slo-tiered` with the same values).
import type { PriorityModule } from 'servesim';

const tierOf = (sloClass: string): 0 | 1 | 2 =>
  sloClass === 'critical' ? 0 : sloClass === 'standard' || sloClass === '' ? 1 : 2;

const policy: PriorityModule = {
  axis: 'priority',
  name: 'slo-tiered-copy',
  description: 'plugin copy of the built-in slo-tiered priority',
  params: {
    'base-critical': { type: 'float', default: 10, help: 'base priority of critical requests' },
    'base-standard': { type: 'float', default: 5, help: 'base priority of standard requests' },
    'base-sheddable': { type: 'float', default: 1, help: 'base priority of sheddable requests' },
    'age-weight': { type: 'float', default: 1e-5, min: 0, help: 'priority gained per µs of age beyond the class threshold' },
    'threshold-standard': { type: 'int64', default: 100_000, min: 0, help: 'age (µs) after which standard requests gain priority' },
    'threshold-sheddable': { type: 'int64', default: 200_000, min: 0, help: 'age (µs) after which sheddable requests gain priority' },
  },
  create(p) {
    const bases = [p['base-critical'], p['base-standard'], p['base-sheddable']] as number[];
    const thresholds = [0, p['threshold-standard'], p['threshold-sheddable']] as number[];
    const weight = p['age-weight'] as number;
    return {
      compute(req, now) {
        const tier = tierOf(req.sloClass);
        return bases[tier]! + Math.max(0, weight * (now - req.arrivalTime - thresholds[tier]!));
      },
    };
  },
};

export default policy;
