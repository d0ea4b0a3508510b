/** Types shared by the workflows, activities, API and web app. Type-only: safe inside workflow code. */
import type { ErrorCode, FileType, LoanType } from './columns.ts';

export type SyncStatus = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'ABORTED' | 'FAILED';
export type SyncTrigger = 'SCHEDULE' | 'MANUAL';
export type SyncPhase = 'starting' | 'claiming' | 'validating' | 'deciding' | 'committing' | 'cleaning_up' | 'recording' | 'done';

export interface SyncInput {
  tenantId: string;
  loanType: LoanType;
  syncId: string;
  trigger: SyncTrigger;
}

export interface ClaimedFile {
  rows: number;
  bytes: number;
  sha256: string;
  originalName: string;
}
export type ClaimedFiles = Partial<Record<FileType, ClaimedFile>>;

export interface FileValidation {
  rowsTotal: number;
  rowsValid: number;
  rowsInvalid: number;
  errorsByCode: Partial<Record<ErrorCode, number>>;
  /** keyed "<file_type>.<column>" as in the sync log */
  errorsByField: Record<string, number>;
}

export interface FileProgress {
  rowsTotal: number;
  rowsProcessed: number;
  rowsInvalid: number;
  errors: number;
}

export interface SyncProgress {
  syncId: string;
  tenantId: string;
  loanType: LoanType;
  phase: SyncPhase;
  status: SyncStatus;
  files: Partial<Record<FileType, FileProgress>>;
  errorsSoFar: number;
  /** Steps completed so far, for the timeline. */
  steps: { name: string; startedAt: string; finishedAt: string | null }[];
  message: string;
}

export interface SyncOutcome {
  status: 'SUCCESS' | 'ABORTED' | 'FAILED';
  files: Partial<Record<FileType, ClaimedFile & FileValidation>>;
  errorRate: number;
  rowsWritten: Partial<Record<FileType, number>>;
  rowsRemoved: { payment_plan: number };
  message: string;
}

export const syncWorkflowId = (tenantId: string, loanType: LoanType) => `sync-${tenantId}-${loanType}`;
export const tenantScheduleId = (tenantId: string) => `tenant-sync-${tenantId}`;
export const tenantSyncWorkflowId = (tenantId: string) => `tenant-sync-${tenantId}`;
/** One per recorded sync that did not fail (the sync id makes it unique). */
export const profilesWorkflowId = (tenantId: string, loanType: LoanType, syncId: string) => `profiles-${tenantId}-${loanType}-${syncId}`;

export const PROGRESS_QUERY = 'progress';
export const PROGRESS_SIGNAL = 'fileProgress';
