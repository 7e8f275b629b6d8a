/**
 * A platform file (snake_case YAML, schema-checked, `extends` resolved) -> the PlatformProfile the
 * rest of the code reads. Defaults are filled here, once.
 */
import type { CliWord, PlatformProfile, ReadOnlyRules } from './types.js';

interface RawWord {
  word: string;
  min?: number;
  sub?: RawWord[];
  args?: string;
  deny?: string[];
}

interface RawShellCommand {
  name: string;
  args?: string;
  deny?: string[];
}

/** The YAML shape of schemas/platform.schema.json. */
export interface RawProfile {
  platform: string;
  extends?: string;
  description: string;
  session?: 'shell' | 'exec';
  ntc_platform?: string;
  ansible_network_os?: string[];
  prompts?: { any: string; config?: string[] };
  privilege?: {
    unprivileged_prompt: string;
    escalate_command: string;
    password_prompt: string;
    failure_patterns: string[];
  };
  paging?: { commands?: string[]; width?: string[]; pager?: string };
  errors?: { pattern: string; message: string }[];
  read_only?: {
    style: 'cli' | 'shell';
    abbreviations?: boolean;
    commands: (RawWord | RawShellCommand)[];
    pipe_reads?: { word: string; min?: number; regex?: boolean }[];
    pipe_writes?: string[];
    separators?: string[];
    never?: string[];
  };
  values?: { unsafe?: string; ascii_only?: boolean; leading_dash?: 'refuse' | 'allow' };
  dialogs?: string[];
  strip_ansi?: boolean;
}

function word(w: RawWord): CliWord {
  return {
    word: w.word,
    min: w.min ?? w.word.length,
    ...(w.sub ? { sub: w.sub.map(word) } : {}),
    ...(w.args !== undefined ? { args: w.args } : {}),
    deny: w.deny ?? [],
  };
}

function readOnly(raw: NonNullable<RawProfile['read_only']>): ReadOnlyRules {
  if (raw.style === 'shell') {
    return {
      style: 'shell',
      commands: (raw.commands as RawShellCommand[]).map((c) => ({
        name: c.name,
        ...(c.args !== undefined ? { args: c.args } : {}),
        deny: c.deny ?? [],
      })),
      never: raw.never ?? [],
    };
  }
  return {
    style: 'cli',
    abbreviations: raw.abbreviations ?? false,
    commands: (raw.commands as RawWord[]).map(word),
    pipeReads: (raw.pipe_reads ?? []).map((p) => ({
      word: p.word,
      min: p.min ?? p.word.length,
      regex: p.regex ?? false,
    })),
    pipeWrites: raw.pipe_writes ?? [],
    separators: raw.separators ?? [],
    never: raw.never ?? [],
  };
}

/** Map a complete raw profile (its required sections present: the loader checked). */
export function mapProfile(raw: RawProfile, file: string): PlatformProfile {
  const p: PlatformProfile = {
    name: raw.platform,
    description: raw.description,
    session: raw.session ?? 'shell',
    prompt: raw.prompts?.any ?? '[>#$]\\s*$',
    configPrompts: raw.prompts?.config ?? [],
    errorPatterns: raw.errors ?? [],
    pagingCommands: raw.paging?.commands ?? [],
    widthCommands: raw.paging?.width ?? [],
    readOnly: readOnly(raw.read_only ?? { style: 'cli', commands: [] }),
    unsafeValue: raw.values?.unsafe ?? '',
    asciiOnly: raw.values?.ascii_only ?? false,
    refuseLeadingDash: raw.values?.leading_dash === 'refuse',
    dialogPrompts: raw.dialogs ?? [],
    stripAnsi: raw.strip_ansi ?? false,
    ansibleNetworkOs: raw.ansible_network_os ?? [],
    file,
  };
  if (raw.paging?.pager !== undefined) p.pager = raw.paging.pager;
  if (raw.ntc_platform !== undefined) p.ntcPlatform = raw.ntc_platform;
  if (raw.privilege) {
    p.privilege = {
      unprivilegedPrompt: raw.privilege.unprivileged_prompt,
      escalateCommand: raw.privilege.escalate_command,
      passwordPrompt: raw.privilege.password_prompt,
      failurePatterns: raw.privilege.failure_patterns,
    };
  }
  return Object.freeze(p);
}
