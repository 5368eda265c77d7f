export { Scheduler, type SchedulerLogger, type SchedulerObserver, type SchedulerOptions } from './scheduler.js';
