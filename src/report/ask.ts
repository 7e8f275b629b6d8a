/**
 * One question, one answer line, on a terminal or stream. Ctrl-C rejects with E_INTERRUPTED and
 * re-raises SIGINT (so the run's signal handling sees it); closed input rejects too, saying how to
 * approve without a terminal.
 */
import { createInterface } from 'node:readline';
import { RunbookError } from '../errors.js';

export interface AskOptions {
  question: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Treat the input as a terminal (line editing, echo). */
  terminal: boolean;
}

/** The answer line, untrimmed. */
export function askLine(opts: AskOptions): Promise<string> {
  const rl = createInterface({ input: opts.input, output: opts.output, terminal: opts.terminal });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    rl.on('SIGINT', () => {
      reject(new RunbookError('E_INTERRUPTED', 'interrupted while waiting for an answer'));
      rl.close();
      process.kill(process.pid, 'SIGINT');
    });
    rl.on('close', () => {
      if (!answered)
        reject(
          new RunbookError('E_INTERRUPTED', 'no answer: input closed', {
            hint: 'answer on a terminal, or approve up front with --yes',
          }),
        );
    });
    rl.question(opts.question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}
