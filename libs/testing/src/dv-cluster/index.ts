export { SimulatedCluster, type SimulatedClusterOptions } from './simulated-cluster.js';
