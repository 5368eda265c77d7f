/**
 * The one place where errors become HTTP answers: RelayerError codes map to statuses; input errors
 * of the libs (bad hex, points, addresses) are 400; anything unexpected is a 500 with a generic
 * message (the details go to the log only). Body: {error, message[, rejected, accepted]}.
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { DvtError } from '@dvt/common';
import { type ErrorResponse } from '@dvt/stakewise';
import { type RelayerErrorCode, SharesRejectedError } from '../errors.js';
import { type Logger } from '../logger.js';

const STATUS: Record<RelayerErrorCode, number> = {
  CONFIG_INVALID: 500,
  KEYS_CONFIG_INVALID: 500,
  PROTOCOL_CONFIG_INVALID: 500,
  MANAGER_KEYSTORE_INVALID: 500,
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  UNKNOWN_VALIDATOR: 404,
  KEY_NOT_CONFIGURED: 404,
  BINDING_CHANGED: 409,
  INVALID_SHARE: 422,
  SHARE_INDEX_FILLED: 409,
  SHARE_INDEX_NOT_IN_CLUSTER: 422,
  PUBLIC_KEY_SHARES_INVALID: 422,
  PUBLIC_KEY_SHARES_MISMATCH: 409,
  SHARES_REJECTED: 422,
  BEACON_UNAVAILABLE: 503,
  EXECUTION_UNAVAILABLE: 503,
  PROTOCOL_CONFIG_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Codes of the libs' typed errors that mean "your input is wrong". */
const INPUT_CODE = /^(INVALID|UNKNOWN|DUPLICATE|AMBIGUOUS)_|^INFINITY_POINT$|^THRESHOLD_OUT_OF_RANGE$|^NOT_ENOUGH_SHARES$/;

export function httpStatusOf(err: DvtError): number {
  if (err instanceof SharesRejectedError) {
    const codes = new Set(err.rejected.map((r) => r.code));
    return codes.size === 1 ? STATUS[[...codes][0]!] : 422;
  }
  const known = STATUS[err.code as RelayerErrorCode];
  if (known !== undefined) return known;
  return INPUT_CODE.test(err.code) ? 400 : 500;
}

@Catch()
export class RelayerExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{ status(code: number): { json(body: unknown): void } }>();
    const request = host.switchToHttp().getRequest<{ method: string; url: string }>();
    const { status, body } = this.toAnswer(exception);
    if (status >= 500) {
      this.logger.error('request failed', {
        method: request.method,
        path: request.url,
        status,
        error: exception instanceof Error ? exception.message : String(exception),
        stack: status === 500 && exception instanceof Error ? exception.stack : undefined,
      });
    } else {
      this.logger.debug('request refused', { method: request.method, path: request.url, status, error: body.error, reason: body.message });
    }
    response.status(status).json(body);
  }

  private toAnswer(exception: unknown): { status: number; body: ErrorResponse | Record<string, unknown> } {
    if (exception instanceof SharesRejectedError) {
      return {
        status: httpStatusOf(exception),
        body: { error: exception.code, message: exception.message, rejected: exception.rejected, accepted: exception.accepted },
      };
    }
    if (exception instanceof DvtError) {
      const status = httpStatusOf(exception);
      const message = status === 500 && exception.code === 'INTERNAL' ? 'internal error' : exception.message;
      return { status, body: { error: exception.code, message } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // a failed health check: terminus's report ({status, info, error, details}) is the answer
      const report = exception.getResponse();
      if (typeof report === 'object' && report !== null && 'details' in report) return { status, body: report as Record<string, unknown> };
      if (status === 404) return { status, body: { error: 'NOT_FOUND', message: exception.message } };
      // the JSON body parser's failures reach us wrapped by Nest
      const cause = exception.cause as { type?: string } | undefined;
      const isJson = cause?.type === 'entity.parse.failed' || /JSON/.test(exception.message);
      const message = isJson ? `request body is not valid JSON: ${exception.message}` : exception.message;
      return { status, body: { error: status >= 400 && status < 500 ? 'INVALID_REQUEST' : 'HTTP_ERROR', message } };
    }
    const parserError = exception as { type?: string; status?: number; message?: string };
    if (parserError.type === 'entity.parse.failed') {
      return { status: 400, body: { error: 'INVALID_REQUEST', message: `request body is not valid JSON: ${parserError.message ?? ''}` } };
    }
    if (parserError.type === 'entity.too.large') {
      return { status: 413, body: { error: 'INVALID_REQUEST', message: 'request body too large' } };
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return { status: parserError.status, body: { error: 'INVALID_REQUEST', message: parserError.message ?? 'bad request' } };
    }
    return { status: 500, body: { error: 'INTERNAL', message: 'internal error' } };
  }
}
