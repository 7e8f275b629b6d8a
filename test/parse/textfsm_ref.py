"""python3-textfsm reference for the tests and the bench (run with Debian's /usr/bin/python3).

  textfsm_ref.py cases TEMPLATE_DIR < cases.json   -> JSON list, per case {"records": [...]} or {"error": "..."}
      cases.json: [{"platform": P, "command": C, "raw": PATH}, ...], parsed as ntc-templates' parse_output does
  textfsm_ref.py bench TEMPLATE_DIR PLATFORM COMMAND FILE REPEAT
      -> JSON {"seconds": best of REPEAT, "records": N, "sha256": of the records' compact JSON}
"""
import hashlib
import json
import sys
import time

from textfsm import clitable


def parse(tdir, platform, command, data):
    table = clitable.CliTable('index', tdir)
    table.ParseCmd(data, {'Command': command, 'Platform': platform})
    return [{table.header[i].lower(): el for i, el in enumerate(row)} for row in table]


def main():
    mode, tdir = sys.argv[1], sys.argv[2]
    if mode == 'cases':
        out = []
        for case in json.load(sys.stdin):
            with open(case['raw']) as f:
                data = f.read()
            try:
                out.append({'records': parse(tdir, case['platform'], case['command'], data)})
            except Exception as err:  # noqa: BLE001 - reported to the caller
                out.append({'error': str(err)})
        json.dump(out, sys.stdout)
    elif mode == 'bench':
        platform, command, path, repeat = sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
        with open(path) as f:
            data = f.read()
        best, records = None, []
        for _ in range(repeat):
            start = time.perf_counter()
            records = parse(tdir, platform, command, data)
            took = time.perf_counter() - start
            best = took if best is None else min(best, took)
        digest = hashlib.sha256(
            json.dumps(records, separators=(',', ':'), ensure_ascii=False).encode('utf-8')).hexdigest()
        json.dump({'seconds': best, 'records': len(records), 'sha256': digest}, sys.stdout)


main()
