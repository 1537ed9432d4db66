export * from './bearing-wear.js';
export * from './scenario.js';
export * from './pump-scenario.js';
export * from './what-if.js';
export * from './optimise.js';
