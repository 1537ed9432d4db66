/** Every node type the package ships, as users' saved flows name them (fixed by the architecture). */
export const NODE_TYPES = ['twin-definition', 'twin-mqtt-broker', 'twin-opcua-endpoint', 'twin-simulator', 'twin-mqtt-in', 'twin-opcua-in', 'twin-sensor', 'twin-state', 'twin-actuator', 'twin-model', 'twin-rul', 'twin-what-if'];
