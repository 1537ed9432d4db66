/** The virtual model: physics templates, learned baseline, residual monitoring, online estimation, indicators. */
export * from './statistics.js';
export * from './linear-algebra.js';
export * from './prognostic-features.js';
export * from './control-chart.js';
export * from './health.js';
export * from './templates.js';
export * from './recursive-least-squares.js';
export * from './friction-estimator.js';
export * from './ridge-baseline.js';
export * from './asset-model.js';
export * from './condition-indicators.js';
export * from './window-indicators.js';
