/**
 * The command line: every command, its flags and help text. Handlers are loaded only when their
 * command runs, so a command pays only for what it needs.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';

type Run = (code: Promise<number>) => Promise<void>;

const workspaceOption = (): Option =>
  new Option('-w, --workspace <dir>', 'workspace folder (default: the current folder)');
const jsonOption = (): Option => new Option('--json', 'print clean JSON on stdout and nothing else');

export function buildProgram(run: Run): Command {
  const program = new Command('runforge')
    .description('Local-first run queue for machine-learning training')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Errors are turned into exit codes in one place (errors.ts), for every subcommand too.
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      outputError: (text, write) => write(text),
    });

  addRunCommands(program, run);
  addControlCommands(program, run);
  addViewCommands(program, run);
  return program;
}

/** Describing, checking and running runs and sweeps; queueing them. */
function addRunCommands(program: Command, run: Run): void {
  program
    .command('init')
    .description('scaffold a workspace: data/ with an example CSV, an example plan and run request, the config (keeps existing files)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/init.js').then((m) => m.initCommand(opts))));

  program
    .command('validate')
    .description('check a RunForge file (request, plan, queue, daemon, group, result) against its contract')
    .argument('<file>', 'the JSON file to check')
    .option('--kind <kind>', 'request | plan | queue | daemon | group | result (default: detected)')
    .option('--strict', 'treat warnings (unknown keys, unknown artifact types) as problems')
    .addOption(jsonOption())
    .action((file: string, opts) => run(import('./commands/validate.js').then((m) => m.validateCommand(file, opts))));

  program
    .command('run')
    .description('execute one run in the foreground (the daemon runs every job this way)')
    .requiredOption('--run-dir <dir>', 'the run folder (.ml/runs/<run-id>) holding request.json')
    .option('-w, --workspace <dir>', 'workspace folder (default: the one the run folder is in, else the current folder)')
    .option('--dry-run', 'check request, dataset and label column, train nothing')
    .option('--max-rows <n>', 'train on at most this many rows of the dataset')
    .option('--job-id <id>', 'the queue job this run executes (set by the daemon)')
    .option('--quiet', 'write logs.txt only, print nothing')
    .action((opts) => run(import('./commands/run.js').then((m) => m.runCommand(opts))));

  program
    .command('enqueue-run')
    .description('queue one run (.ml/runs/<run-id>/request.json) for the daemon')
    .requiredOption('--run-id <id>', 'the run folder under .ml/runs/')
    .option('--group-id <id>', 'add the job to this group')
    .option('--priority <n>', 'higher runs first (default 0)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/enqueue.js').then((m) => m.enqueueRunCommand(opts))));

  program
    .command('add')
    .description("queue your own command as one run, with your working directory and environment (like pueue add)")
    .usage('[options] -- <command...>')
    .argument('[command...]', 'the command to run, after --; no shell (argv as given)')
    .option('--name <name>', 'a name for the run (shown by status and history)')
    .option('--group <id>', 'add the job to this group')
    .option('--priority <n>', 'higher runs first (default 0)')
    .option('--timeout <s>', 'stop the run after this many seconds (overrides daemon --job-timeout)')
    .option('--env <NAME=VALUE...>', 'set or override variables of the recorded environment')
    .option('--no-env', "record no environment: the command runs with the daemon's")
    .addOption(workspaceOption())
    .addOption(jsonOption())
    // Unknown options before `--` reach the command's check, which words them in one line; it reads
    // the raw arguments, as commander does not say whether an operand came before or after `--`.
    .allowUnknownOption()
    .action((command: string[], opts) => run(import('./commands/add.js').then((m) => m.addCommand(command, opts, process.argv.slice(2)))));

  addEnqueueSweepCommand(program, run);

  program
    .command('sweep')
    .description("run a sweep in the foreground at the plan's max_parallel; with --enqueue, queue it for the daemon")
    .requiredOption('--plan <file>', 'the sweep plan (plan.json)')
    .option('--enqueue', 'queue the runs for the daemon instead of running them in the foreground')
    .option('--kill-grace <s>', 'on Ctrl-C, seconds between SIGTERM and SIGKILL of running runs', '10')
    .option('--priority <n>', 'with --enqueue: priority of every job (default 0)')
    .addOption(workspaceOption().default(undefined, "the plan's workspace"))
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/sweep.js').then((m) => m.sweepCommand(opts))));
}

/** `enqueue-sweep`: a plan file, or a sweep of the user's command from flags (docs/cli.md). */
function addEnqueueSweepCommand(program: Command, run: Run): void {
  // The parameter flags are numbered as typed: a random sweep draws its parameters in that order.
  let typed = 0;
  const inOrder = (value: string, previous: { value: string; order: number }[] = []) => [...previous, { value, order: typed++ }];
  program
    .command('enqueue-sweep')
    .description('queue a sweep as one group: a plan file, or your command swept over --grid / --random values')
    .usage('--plan <file> | (--grid NAME=V1,V2… | --random N --uniform NAME=LOW:HIGH…) [options] -- <command...>')
    .argument('[command...]', 'with --grid/--random: the command to run, after --; {NAME} takes each run\'s value')
    .option('--plan <file>', 'the sweep plan (plan.json)')
    .option('--grid <NAME=V1,V2,...>', 'sweep every combination of these values (repeatable; JSON values)', inOrder)
    .option('--random <n>', 'draw n runs from the distributions below')
    .option('--seed <s>', 'with --random: the seed (the same seed draws the same runs; default 0)')
    .option('--choice <NAME=A,B,...>', 'with --random: one of these values', inOrder)
    .option('--uniform <NAME=LOW:HIGH>', 'with --random: a number in [LOW, HIGH)', inOrder)
    .option('--loguniform <NAME=LOW:HIGH>', 'with --random: a number in [LOW, HIGH), uniform in log scale', inOrder)
    .option('--int <NAME=LOW:HIGH>', 'with --random: an integer in [LOW, HIGH]', inOrder)
    .option('--name <name>', "the group's name (default: the script and the swept names)")
    .option('--max-parallel <n>', "runs of the group at once at most (the plan's execution.max_parallel; default 2)")
    .option('--priority <n>', 'priority of every job of the sweep (default 0)')
    .option('--env <NAME=VALUE...>', 'set or override variables of the recorded environment (as add)')
    .option('--no-env', "record no environment: the command runs with the daemon's")
    .option('--dry-run', 'list the runs with their commands; write nothing')
    .addOption(workspaceOption().default(undefined, "the plan's workspace, else the current folder"))
    .addOption(jsonOption())
    // As `add`: the command's own check words a stray option or operand before `--` in one line.
    .allowUnknownOption()
    .action((command: string[], opts) =>
      run(import('./commands/enqueue-sweep.js').then((m) => m.enqueueSweepCliCommand(command, opts, process.argv.slice(2)))),
    );
}

/** The daemon, and controlling what it runs. */
function addControlCommands(program: Command, run: Run): void {
  program
    .command('daemon')
    .description('run jobs from the queue (one daemon per workspace)')
    .addOption(workspaceOption())
    .option('--max-parallel <n>', 'jobs running at once at most', '2')
    .option('--gpu-slots <n>', 'of them, GPU jobs at most', '1')
    .option('--jobs-per-gpu <n>', 'GPU jobs per device at most', '1')
    .option('--job-timeout <s>', 'kill a job running longer than this many seconds', '3600')
    .option('--kill-grace <s>', 'seconds between SIGTERM and SIGKILL when stopping a job', '10')
    .option('--shutdown-grace <s>', 'on SIGINT/SIGTERM, seconds to wait for running jobs before stopping them', '60')
    .option('--heartbeat-interval <s>', 'seconds between heartbeats (daemon.json)', '5')
    .option('--stale-after <s>', "a daemon whose heartbeat is older is dead and its lock is taken over", '30')
    .option('--poll-interval <s>', 'safety-net queue poll besides file watching, seconds', '10')
    .option('--orphan-policy <policy>', 'jobs a dead daemon left running: requeue (new attempt) or fail', 'requeue')
    .option('--max-attempts <n>', 'attempts of a run at most when re-queued', '3')
    .option('--no-warm-trainer', 'start every built-in trainer run as a fresh Python (no warm worker that forks per run)')
    .action((opts) => run(import('./commands/daemon.js').then((m) => m.daemonCommand(opts))));

  program
    .command('daemon-stop')
    .description("stop this workspace's daemon gracefully and wait for it")
    .addOption(workspaceOption())
    .option('--timeout <s>', 'seconds to wait for the daemon to stop', '120')
    .action((opts) => run(import('./commands/daemon-stop.js').then((m) => m.daemonStopCommand(opts))));

  program
    .command('cancel-run')
    .description('cancel one job: a queued job at once, a running one is stopped by the daemon')
    .option('--run-id <id>', "the run whose queued or running job to cancel")
    .option('--job-id <id>', 'the job to cancel')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/control.js').then((m) => m.cancelRunCommand(opts))));

  const groupCommand = (name: string, description: string, handler: string): void => {
    program
      .command(name)
      .description(description)
      .requiredOption('--group-id <id>', 'the group')
      .addOption(workspaceOption())
      .addOption(jsonOption())
      .action((opts) =>
        run(
          import('./commands/control.js').then((m) =>
            (m as unknown as Record<string, (o: unknown) => Promise<number>>)[handler]!(opts),
          ),
        ),
      );
  };
  groupCommand('pause-group', 'start no new job of a group until it is resumed', 'pauseGroupCommand');
  groupCommand('resume-group', 'let the daemon start jobs of a paused group again', 'resumeGroupCommand');
  groupCommand('retry-failed', 'queue one new attempt of every failed run of a group', 'retryFailedCommand');
  groupCommand('cancel-group', "cancel a group's queued jobs and stop its running ones", 'cancelGroupCommand');
}

/** Looking at the workspace: demo, doctor, status, history, logs, watch, the dashboard. */
function addViewCommands(program: Command, run: Run): void {
  program
    .command('demo')
    .description('train a real sweep on a small dataset with a daemon, and print its leaderboard')
    .option('--dir <dir>', 'folder for the demo workspace (new or empty; default: a temp folder)')
    .option('--max-parallel <n>', 'daemon --max-parallel', '2')
    .option('--gpu-slots <n>', 'daemon --gpu-slots', '1')
    .action((opts) => run(import('./commands/demo.js').then((m) => m.demoCommand(opts))));

  program
    .command('doctor')
    .description('check Node, Python and its modules, torch/CUDA, nvidia-smi, the workspace files and the daemon')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/doctor.js').then((m) => m.doctorCommand(opts))));

  program
    .command('gpu')
    .description('list the GPUs RunForge detects (PyTorch first, then nvidia-smi)')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/gpu.js').then((m) => m.gpuCommand(opts))));

  program
    .command('queue-status')
    .description('show the queue: jobs per state, slots in use, daemon health, groups')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/status.js').then((m) => m.queueStatusCommand(opts))));

  program
    .command('groups')
    .description('list every group with its progress and best run; `groups show <group-id>`: its leaderboard')
    .argument('[action]', '`show` for one group')
    .argument('[group-id]', 'the group to show')
    .option('--all-metrics', 'with `show`: a column for every metric the runs reported, not only the ranking one')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((action: string | undefined, gid: string | undefined, opts) =>
      run(import('./commands/groups.js').then((m) => m.groupsCommand(action, gid, opts))),
    );

  program
    .command('history')
    .description('every run, newest first, with outcome, duration, device and primary metric')
    .option('--group <id>', 'only runs of this group')
    .option('--state <state>', 'only runs whose newest job is in this state')
    .option('--sort <order>', '`time` (newest first) or `metric` (best first, in the direction of its goal)', 'time')
    .option('--metrics', 'show every final metric of each run')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action((opts) => run(import('./commands/history.js').then((m) => m.historyCommand(opts))));

  program
    .command('logs')
    .description("print a run's log; -f follows it until the run ends")
    .argument('<run-id>', 'the run')
    .option('-f, --follow', 'keep printing new lines until the run has ended')
    .option('--interval <s>', 'with -f, seconds between looks at the log', '0.5')
    .addOption(workspaceOption())
    .action((runId: string, opts) => run(import('./commands/logs.js').then((m) => m.logsCommand(runId, opts))));

  program
    .command('watch')
    .description('a live view of slots, groups and running jobs (plain snapshots when not on a terminal)')
    .option('--once', 'print one snapshot and exit')
    .option('--interval <s>', 'seconds between redraws', '1')
    .addOption(workspaceOption())
    .action((opts) => run(import('./commands/watch.js').then((m) => m.watchCommand(opts))));

  program
    .command('ui')
    .description('a local web dashboard (127.0.0.1 only) with live updates and controls')
    .option('--port <n>', 'port (0: any free one)', '8765')
    .option('--open', 'open it in the browser')
    .option('--stale-after <s>', 'heartbeat age after which the daemon is shown as gone', '30')
    .addOption(workspaceOption())
    .action((opts) => run(import('./commands/ui.js').then((m) => m.uiCommand(opts))));
}
