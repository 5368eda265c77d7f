export { DutyDb, DutyDbError, type DutyDbErrorCode, type DutyDbOptions } from './duty-db.js';
