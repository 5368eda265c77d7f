export { MockIpfsGateway } from './mock-ipfs-gateway.js';
