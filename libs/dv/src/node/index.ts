export { DvNode, type DvNodeLogger, type DvNodeObserver, type DvNodeOptions } from './dv-node.js';
export { InProcessClusterNetwork, type MessageInterceptor } from './in-process-network.js';
