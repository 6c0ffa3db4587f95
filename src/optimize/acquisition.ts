// Acquisition functions, in scikit-optimize's conventions: everything is in the objective's units (xi and
// kappa included), the target is minimisation, and each function is expressed as a cost to minimise
// (−EI, −PI, LCB) so one optimiser serves all of them.

export type AcquisitionName = 'EI' | 'PI' | 'LCB';
export type AcquisitionFunction = AcquisitionName | 'gp_hedge';
/** The portfolio gp_hedge chooses from, in skopt's order. */
export const HEDGE_PORTFOLIO: readonly AcquisitionName[] = ['LCB', 'EI', 'PI'];

export interface AcquisitionParameters {
  /** Best (lowest) observed objective value. */
  bestObserved: number;
  /** Improvement margin for EI and PI, in objective units. */
  xi: number;
  /** Exploration weight for LCB. */
  kappa: number;
}

const INV_SQRT2PI = 1 / Math.sqrt(2 * Math.PI);

export function normalPdf(z: number): number {
  return INV_SQRT2PI * Math.exp(-0.5 * z * z);
}

/** Φ(z) via erfc, accurate to ~1e-7 relative, including far into the tails. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc: fractional error < 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** E[max(bestObserved − xi − f, 0)] for f ~ N(mean, std²). */
export function expectedImprovement(mean: number, std: number, bestObserved: number, xi: number): number {
  const improvement = bestObserved - xi - mean;
  if (!(std > 0)) return Math.max(improvement, 0);
  const z = improvement / std;
  return improvement * normalCdf(z) + std * normalPdf(z);
}

/** P(f < bestObserved − xi) for f ~ N(mean, std²). */
export function probabilityOfImprovement(mean: number, std: number, bestObserved: number, xi: number): number {
  const improvement = bestObserved - xi - mean;
  if (!(std > 0)) return improvement > 0 ? 1 : 0;
  return normalCdf(improvement / std);
}

export function lowerConfidenceBound(mean: number, std: number, kappa: number): number {
  return mean - kappa * std;
}

export interface AcquisitionCost {
  value: number;
  /** ∂value/∂mean */
  dMean: number;
  /** ∂value/∂std */
  dStd: number;
}

/** The cost to minimise for `name` at a predictive N(mean, std²), with its partial derivatives. */
export function acquisitionCost(
  name: AcquisitionName,
  mean: number,
  std: number,
  { bestObserved, xi, kappa }: AcquisitionParameters,
): AcquisitionCost {
  switch (name) {
    case 'LCB':
      return { value: mean - kappa * std, dMean: 1, dStd: -kappa };
    case 'EI': {
      const improvement = bestObserved - xi - mean;
      const z = improvement / std;
      const cdf = normalCdf(z);
      const pdf = normalPdf(z);
      // d EI/d mean = −Φ(z), d EI/d std = φ(z)
      return { value: -(improvement * cdf + std * pdf), dMean: cdf, dStd: -pdf };
    }
    case 'PI': {
      const z = (bestObserved - xi - mean) / std;
      const pdf = normalPdf(z);
      // d Φ(z)/d mean = −φ(z)/std, d Φ(z)/d std = −φ(z) z/std
      return { value: -normalCdf(z), dMean: pdf / std, dStd: (pdf * z) / std };
    }
  }
}

/** Softmax with the max subtracted, so large accumulated gains cannot overflow. */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - max));
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}
