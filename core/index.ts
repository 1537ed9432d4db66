/** The pure core, usable from a plain script: `require('@twinflow/node-red-digital-twin/dist/core')`. */
export * from './clock.js';
export * from './telemetry.js';
export * from './signal-history.js';
export * from './twin-definition.js';
export * from './twin-store.js';
export * from './centrifugal-pump.js';
export * from './pump-simulator.js';
export * from './random.js';
export * from './mqtt-mapping.js';
export * from './opcua-quality.js';
export * from './opcua-node-id.js';
export * from './units.js';
export * from './sensor-mapping.js';
export * from './cmapss.js';
export * from './fault-injection.js';
export * from './rul/index.js';
