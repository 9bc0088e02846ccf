#!/usr/bin/env python3
"""Check that generated WSGI modules build their application exactly once.

Usage:
    python3 check_imports.py ROOT MODULE=TARGET [MODULE=TARGET ...]

ROOT is a project tree (for example a generated ``after/`` tree). MODULE is
the dotted path of a generated module, e.g. ``nova.wsgi.osapi_compute``.
TARGET is the entry point target that module should call, in
``pkg.mod:func`` or ``pkg.mod:Class.method`` form.

The module defining TARGET must follow the fixture stub convention: it holds
a module-level list ``CALLS`` and every call of the factory appends the app it
returns. For each pair, a fresh interpreter imports MODULE, then the target's
module, and checks that ``CALLS`` holds exactly one app and that
``MODULE.application is CALLS[0]``.

Prints ``ok MODULE`` or ``FAIL MODULE: reason`` per pair. Exits 0 if every
pair passed, 1 if any failed, 2 on usage errors. Uses only the stdlib, and
never writes bytecode into ROOT.
"""

import json
import os
import shutil
import subprocess
import sys

SENTINEL = '@@check_imports@@ '
TIMEOUT = 60

# Runs inside the child interpreter: argv[1] = MODULE, argv[2] = TARGET.
CHILD = r'''
import importlib
import json
import sys
import traceback

SENTINEL = %r


def report(ok, reason=''):
    sys.stdout.flush()
    sys.stdout.write('\n' + SENTINEL + json.dumps({'ok': ok, 'reason': reason}) + '\n')
    sys.stdout.flush()
    sys.exit(0)


def exc_reason(what):
    etype, value = sys.exc_info()[:2]
    tb = traceback.extract_tb(sys.exc_info()[2])
    where = ''
    if tb:
        where = ' (at %%s:%%s)' %% (tb[-1].filename, tb[-1].lineno)
    return '%%s raised %%s: %%s%%s' %% (what, etype.__name__, value, where)


mod_name, target = sys.argv[1], sys.argv[2]
target_mod_name, _, attr_path = target.partition(':')

try:
    mod = importlib.import_module(mod_name)
except BaseException:
    report(False, exc_reason('import %%s' %% mod_name))

try:
    target_mod = importlib.import_module(target_mod_name)
except BaseException:
    report(False, exc_reason('import %%s' %% target_mod_name))

obj = target_mod
for part in attr_path.split('.'):
    if not hasattr(obj, part):
        report(False, 'target %%s: %%r has no attribute %%r'
               %% (target, obj.__name__ if hasattr(obj, '__name__') else obj, part))
    obj = getattr(obj, part)
if not callable(obj):
    report(False, 'target %%s is not callable' %% target)

if not hasattr(target_mod, 'CALLS'):
    report(False, 'target module %%s has no CALLS list (not a stub fixture?)'
           %% target_mod_name)
calls = target_mod.CALLS
if not isinstance(calls, list):
    report(False, '%%s.CALLS is %%s, not a list'
           %% (target_mod_name, type(calls).__name__))
if len(calls) != 1:
    report(False, 'factory %%s was called %%d times on import, expected exactly 1'
           %% (target, len(calls)))
if not hasattr(mod, 'application'):
    report(False, '%%s has no attribute application' %% mod_name)
if mod.application is not calls[0]:
    report(False, '%%s.application is %%r, not the object returned by %%s'
           %% (mod_name, mod.application, target))
report(True)
''' % SENTINEL


def check(root, module, target):
    env = dict(os.environ)
    env['PYTHONPATH'] = root
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    env.pop('PYTHONSTARTUP', None)
    env.pop('PYTHONHOME', None)
    try:
        proc = subprocess.run(
            [sys.executable, '-B', '-c', CHILD, module, target],
            cwd=root, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, 'timed out after %ds' % TIMEOUT
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(SENTINEL):
            try:
                result = json.loads(line[len(SENTINEL):])
            except ValueError:
                result = None
    if result is None:
        tail = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        return False, 'child exited with status %d without a result: %s' % (
            proc.returncode, tail)
    return bool(result['ok']), result.get('reason', '')


def pycache_dirs(root):
    found = set()
    for dirpath, dirnames, _ in os.walk(root):
        if '__pycache__' in dirnames:
            found.add(os.path.join(dirpath, '__pycache__'))
    return found


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    root = os.path.abspath(argv[1])
    if not os.path.isdir(root):
        sys.stderr.write('check_imports: ROOT %s is not a directory\n' % root)
        return 2
    pairs = []
    for arg in argv[2:]:
        module, sep, target = arg.partition('=')
        module, target = module.strip(), target.strip()
        if not sep or not module or ':' not in target \
                or not target.partition(':')[0] or not target.partition(':')[2]:
            sys.stderr.write(
                'check_imports: bad argument %r, expected MODULE=pkg.mod:attr\n'
                % arg)
            return 2
        pairs.append((module, target))

    before = pycache_dirs(root)
    failed = False
    for module, target in pairs:
        ok, reason = check(root, module, target)
        if ok:
            print('ok %s' % module)
        else:
            failed = True
            print('FAIL %s: %s' % (module, reason))
        sys.stdout.flush()

    # -B and PYTHONDONTWRITEBYTECODE should make this a no-op; remove any
    # __pycache__ that appeared anyway so the tree is left as it was found.
    for path in sorted(pycache_dirs(root) - before, reverse=True):
        shutil.rmtree(path, ignore_errors=True)

    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
