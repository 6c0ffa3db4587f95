// Cluster control plane and instance scheduling policies: one self-describing module per policy, collected in a
// catalog (built-ins, extended by plugins).
export { BUILTIN_CATALOG, BUILTIN_MODULES, PolicyCatalog, paramFlag, type CatalogEntry, type CatalogParam } from './catalog.js';
export * from './params.js';
export * from './policy.js';
export { effectiveLoad } from './router-state.js';
export { SloTier, sloTier, isNamedSheddableClass } from './slo-class.js';
export { SLO_TIER_PARAMS, ageBonus, tierBases } from './priority/slo-tier-params.js';
