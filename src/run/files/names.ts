/**
 * Every file of a run folder `<ws>/.ml/runs/<run_id>/` by name (SPEC §3, docs/run-folder.md). The
 * readers and writers of each are beside this file in src/run/files/; nothing else spells a name.
 * Pure path arithmetic: no I/O, no zod (status commands import it).
 */
import path from 'node:path';

/** The run as asked for (SPEC §2): written by enqueue and sweeps, read when the run starts. */
export const requestFileOf = (runDir: string): string => path.join(runDir, 'request.json');
/** The run's outcome (SPEC §5): written once per attempt, when the run ends (`writeResult`). */
export const resultFileOf = (runDir: string): string => path.join(runDir, 'result.json');
/** What the daemon decided when it started the run, until the run is concluded (`LaunchRecord`). */
export const launchRecordFile = (runDir: string): string => path.join(runDir, '.launch.json');
/** How the training process ended: its shell's `$?`, or the warm worker's JSON. */
export const exitStatusFileOf = (runDir: string): string => path.join(runDir, '.exit_status');
/** The detached training process's raw stdout and stderr, copied into logs.txt while it runs. */
export const outputFile = (runDir: string): string => path.join(runDir, 'output.log');
/** How far output.log has been copied into logs.txt: `<from> <to> <logSize>`. */
export const outputOffsetFileOf = (runDir: string): string => path.join(runDir, '.output-offset');
/** The human log with RF tokens (SPEC §9), written by RunLog. */
export const logsFileOf = (runDir: string): string => path.join(runDir, 'logs.txt');
/** The output of a direct sweep's runner process (the daemon quotes its last line when it dies). */
export const runnerLogFileOf = (runDir: string): string => path.join(runDir, 'runner.log');
/** The run's metric points, one JSON object a line, appended by the trainer or the user's program. */
export const metricsFileOf = (runDir: string): string => path.join(runDir, 'metrics.jsonl');
/** The built-in trainer's summary: metrics and artifacts, or its error. */
export const trainerSummaryFileOf = (runDir: string): string => path.join(runDir, '.trainer-summary.json');
/** The folder where a run's program leaves its model and other files. */
export const artifactsDirOf = (runDir: string): string => path.join(runDir, 'artifacts');
/** The types a user's program gave its artifacts (`runforge.artifact`), one `{"path","type"}` a line. */
export const artifactTypesFileOf = (runDir: string): string => path.join(runDir, '.artifacts.jsonl');
