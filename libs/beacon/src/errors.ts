import { DvtError } from '@dvt/common';

export type BeaconErrorCode =
  /** connection refused, DNS failure, reset */
  | 'BEACON_UNREACHABLE'
  | 'BEACON_TIMEOUT'
  /** the node answered with a status other than 2xx (and other than a 404 the caller handles) */
  | 'BEACON_HTTP_ERROR'
  /** 2xx with a body that is not the documented shape */
  | 'BEACON_INVALID_RESPONSE'
  /** the route does not exist on this node (e.g. pending_deposits before Electra) */
  | 'BEACON_ROUTE_NOT_FOUND';

/** Every failure of the beacon-API client; `details` carries the URL and HTTP status. */
export class BeaconError extends DvtError<BeaconErrorCode> {
  constructor(code: BeaconErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
