/**
 * Flows the MQTT tests share, against aedes and against Mosquitto.
 */
import { onTab } from './red.mts';

/**
 * Readings on <anything>/<asset>/<signal> into a twin, and a live actuator whose commands go to cmnd/<asset>/<point>:
 * the readings filter matches the commands too. The actuator's results go to the helper `results`.
 */
export function commandsOnAReadingsTopic(brokerNode: Record<string, unknown>, def: string) {
  return onTab([
    brokerNode,
    { id: def, type: 'twin-definition', assetClass: 'pump', historyPoints: '10', acceptUndeclared: true, signals: [], actuationPoints: [{ name: 'speed', min: 0, max: 1800, tolerance: 5, settleS: 0 }] },
    { id: 'in', type: 'twin-mqtt-in', broker: 'broker', topic: '+/{assetId}/{signal}', qos: '1', format: 'auto', wires: [['state']] },
    { id: 'state', type: 'twin-state', definition: def, throttleMs: '0', wires: [[], []] },
    { id: 'act', type: 'twin-actuator', definition: def, broker: 'broker', mode: 'live', topic: 'cmnd/{assetId}/{point}', qos: '0', readBackTimeoutS: '1.5', ttlS: '10', wires: [['results'], []] },
    { id: 'results', type: 'helper' },
  ]);
}
