// Cluster control plane and instance scheduling policies (policies.md). One registry per axis.
export * from './admission/index.js';
export * from './routing/index.js';
export * from './scorers/index.js';
export * from './priority/index.js';
export * from './scheduler/index.js';
export { createRouterState, effectiveLoad, type RouterState } from './router-state.js';
export { SloTier, sloTier, isSheddableClass } from './slo-class.js';
