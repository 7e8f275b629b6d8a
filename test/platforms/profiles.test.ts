/**
 * Every shipped platform file is schema-valid, and its prompt, privilege, error, dialog and pager
 * patterns work on samples captured from real sessions (test/fixtures/platforms/<platform>.yaml).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  findDeviceError,
  getProfile,
  platformForNetworkOs,
  platformNames,
  shippedProfilesDir,
} from '../../src/platforms/index.js';
import { isReadOnlyCommand } from '../../src/platforms/readonly.js';

interface Samples {
  prompts: string[];
  not_prompts: string[];
  config_prompts?: string[];
  unprivileged_prompts?: string[];
  privileged_not_unprivileged?: string[];
  password_prompts?: string[];
  privilege_failures?: string[];
  errors: { output: string; message: string }[];
  clean: string[];
  dialogs?: string[];
  pager?: string;
}

const SHIPPED = [
  'arista-eos',
  'cisco-iosxe',
  'cisco-iosxe-sdwan',
  'cisco-iosxr',
  'cisco-nxos',
  'juniper-junos',
  'linux',
];
const fixtures = 'test/fixtures/platforms';
const any = (res: string[], s: string): boolean => res.some((r) => new RegExp(r).test(s));

describe('shipped platform files', () => {
  it('are the seven platforms, each valid against schemas/platform.schema.json', () => {
    const schema = JSON.parse(readFileSync('schemas/platform.schema.json', 'utf8'));
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
    const files = readdirSync(shippedProfilesDir()).filter((f) => f.endsWith('.yaml'));
    expect(files.map((f) => f.replace(/\.yaml$/, '')).sort()).toEqual(SHIPPED);
    for (const f of files) {
      const ok = validate(parse(readFileSync(join(shippedProfilesDir(), f), 'utf8')));
      expect(validate.errors ?? [], f).toEqual([]);
      expect(ok).toBe(true);
    }
    expect(platformNames()).toEqual(SHIPPED);
  });

  it('ship in the package: package.json files lists their dir, which resolves from dist/ too', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('src/platforms/profiles');
    expect(shippedProfilesDir()).toBe(join(process.cwd(), 'src', 'platforms', 'profiles'));
  });

  it('map ansible_network_os and ntc-templates names', () => {
    expect(platformForNetworkOs('cisco.ios.ios')).toBe('cisco-iosxe');
    expect(platformForNetworkOs('ios')).toBe('cisco-iosxe');
    expect(platformForNetworkOs('cisco.nxos.nxos')).toBe('cisco-nxos');
    expect(platformForNetworkOs('cisco.iosxr.iosxr')).toBe('cisco-iosxr');
    expect(platformForNetworkOs('arista.eos.eos')).toBe('arista-eos');
    expect(platformForNetworkOs('junipernetworks.junos.junos')).toBe('juniper-junos');
    expect(platformForNetworkOs('vyos.vyos.vyos')).toBeUndefined();
    expect(SHIPPED.map((p) => getProfile(p).ntcPlatform)).toEqual([
      'arista_eos',
      'cisco_ios',
      'cisco_ios',
      'cisco_xr',
      'cisco_nxos',
      'juniper_junos',
      'linux',
    ]);
  });

  it('SD-WAN extends IOS XE: same prompts and errors, its own paging fallback', () => {
    const ios = getProfile('cisco-iosxe');
    const sdwan = getProfile('cisco-iosxe-sdwan');
    expect(sdwan.prompt).toBe(ios.prompt);
    expect(sdwan.errorPatterns).toEqual(ios.errorPatterns);
    expect(sdwan.privilege).toEqual(ios.privilege);
    expect(sdwan.pagingCommands).toEqual(['terminal length 0', 'screen-length 0']);
    expect(sdwan.ansibleNetworkOs).toEqual([]);
  });
});

describe.each(SHIPPED)('%s on captured samples', (name) => {
  const p = getProfile(name);
  const s = parse(readFileSync(join(fixtures, `${name}.yaml`), 'utf8')) as Samples;

  it('detects its prompts and nothing else', () => {
    const prompt = new RegExp(p.prompt);
    for (const x of s.prompts) expect(prompt.test(x), JSON.stringify(x)).toBe(true);
    for (const x of s.not_prompts) expect(prompt.test(x), JSON.stringify(x)).toBe(false);
    for (const x of s.config_prompts ?? []) expect(any(p.configPrompts, x), JSON.stringify(x)).toBe(true);
    for (const x of s.prompts) expect(any(p.configPrompts, x), JSON.stringify(x)).toBe(false);
  });

  it('tells the privilege levels apart and knows a wrong secret', () => {
    if (!s.unprivileged_prompts) {
      expect(p.privilege).toBeUndefined();
      return;
    }
    const priv = p.privilege!;
    expect(priv.escalateCommand).toBe('enable');
    const unpriv = new RegExp(priv.unprivilegedPrompt);
    for (const x of s.unprivileged_prompts) expect(unpriv.test(x), x).toBe(true);
    for (const x of s.privileged_not_unprivileged ?? []) expect(unpriv.test(x), x).toBe(false);
    for (const x of s.password_prompts ?? []) expect(new RegExp(priv.passwordPrompt).test(x), x).toBe(true);
    for (const x of s.privilege_failures ?? []) expect(any(priv.failurePatterns, x), x).toBe(true);
  });

  it('finds device errors with their message, and none in clean output', () => {
    for (const e of s.errors) expect(findDeviceError(p, e.output)?.message, e.output).toBe(e.message);
    for (const c of s.clean) expect(findDeviceError(p, c), c).toBeUndefined();
  });

  it('recognises its dialogs and pager', () => {
    for (const d of s.dialogs ?? []) expect(any(p.dialogPrompts, d), d).toBe(true);
    for (const x of s.prompts) expect(any(p.dialogPrompts, x), x).toBe(false);
    if (s.pager) expect(new RegExp(p.pager!).test(s.pager)).toBe(true);
  });

  it('sends only read-only commands at login (paging and width)', () => {
    for (const c of [...p.pagingCommands, ...p.widthCommands]) expect(isReadOnlyCommand(p, c), c).toBe(true);
  });
});
