"""The UAPI corpus: Linux uapi headers as Debian's linux-libc-dev installs them.

Each ABI reads them as its own GCC would, with that architecture's asm/
headers: the host's from linux-libc-dev, every other one's from Debian's
linux-libc-dev-<arch>-cross (which `.ci/run` installs).  Debian's
``gcc -m32`` and ``gcc -mx32`` do not search the i386 and x32 cross
directories, so those two get them with -I.
"""

import os
from typing import Dict, List, Tuple

import layoutcheck as lc
from layoutcheck.abi import all_abis, host_abi_name
from layoutcheck.cfront.preprocess import cross_include_dir

UAPI_DIR = "/usr/include/linux"

UAPI_HEADERS = [
    "perf_event.h", "bpf.h", "ethtool.h", "videodev2.h", "io_uring.h", "kvm.h", "fuse.h",
    "btrfs.h", "btrfs_tree.h", "blkzoned.h", "bsg.h", "cdrom.h", "cec.h", "dm-ioctl.h",
    "elf.h", "fanotify.h", "fb.h", "fiemap.h", "filter.h", "firewire-cdev.h", "fs.h",
    "fscrypt.h", "gpio.h", "hdreg.h", "hiddev.h", "i2c-dev.h", "if_link.h", "if_packet.h",
    "if_tun.h", "if_xdp.h", "inet_diag.h", "input.h", "ip.h", "ipv6.h", "keyctl.h",
    "landlock.h", "loop.h", "media.h", "mount.h", "nbd.h", "netfilter.h", "netlink.h",
    "nl80211.h", "nvme_ioctl.h", "openat2.h", "pkt_cls.h", "pkt_sched.h", "ptp_clock.h",
    "rseq.h", "rtnetlink.h", "seccomp.h", "sed-opal.h", "serial.h", "signalfd.h",
    "taskstats.h", "tcp.h", "tipc.h", "uinput.h", "userfaultfd.h", "vfio.h", "vhost.h",
    "virtio_net.h", "virtio_ring.h", "if_bridge.h", "xfrm.h", "aio_abi.h", "auto_fs.h",
    "capability.h", "dma-buf.h", "eventpoll.h",
]

# Where linux-libc-dev-<arch>-cross puts each foreign ABI's headers.
CROSS_DIR = {abi.name: cross_include_dir(abi) for abi in all_abis()}
# ABIs whose GCC does not search CROSS_DIR by itself.
NEEDS_I = ("i386", "x32")


def corpus_paths():
    return [os.path.join(UAPI_DIR, name) for name in UAPI_HEADERS]


def missing_cross_headers() -> List[str]:
    """The Debian packages of foreign asm/ headers that are not installed."""
    host = host_abi_name()
    out = []
    for abi in all_abis():
        if abi.name != host and not os.path.isdir(os.path.join(CROSS_DIR[abi.name], "asm")):
            arch = {"i386": "i386", "x32": "x32"}.get(abi.name, abi.package.split("-")[-1])
            out.append(f"linux-libc-dev-{arch}-cross ({CROSS_DIR[abi.name]})")
    return out


def corpus_available() -> bool:
    return all(os.path.exists(p) for p in corpus_paths()) and not missing_cross_headers()


def uapi_programs(path: str, abis=None) -> Tuple[List["lc.Program"], Dict[str, "lc.LayoutError"]]:
    """``path`` loaded for ``abis`` (default all), each ABI with its own
    asm/ headers (i386 and x32 given theirs with ``abi_include_dirs``), and
    the ABIs it cannot be read for with the error: a header can be invalid
    on some architectures (no asm/kvm.h on arm)."""
    names = list(abis or lc.abi_names())
    progs, failed = [], {}

    def load(group):
        try:
            progs.append(lc.load(path, abis=group, abi_include_dirs=cross_include_dirs(group)))
        except lc.LayoutError as exc:
            if len(group) == 1:
                failed[group[0]] = exc
            else:
                for name in group:
                    load([name])

    load(names)
    return progs, failed


def cross_include_dirs(names) -> Dict[str, List[str]]:
    """The -I folders of the ABIs among ``names`` whose GCC does not search
    their cross headers (``--abi-include``)."""
    return {name: [CROSS_DIR[name]] for name in names if name in NEEDS_I}


def gcc_rejects(path: str, abi_name: str) -> bool:
    """Whether the ABI's own GCC fails to preprocess ``path`` with the flags
    layoutcheck used (so a refusal agrees with the compiler)."""
    import subprocess

    from layoutcheck.abi import get_abi
    from layoutcheck.cfront.preprocess import PPConfig, compile_flags

    abi = get_abi(abi_name)
    flags = compile_flags(abi, PPConfig.make(abi_include_dirs=cross_include_dirs([abi_name])), {})
    proc = subprocess.run(list(abi.oracle) + ["-E", "-o", os.devnull] + flags + [path],
                          capture_output=True, stdin=subprocess.DEVNULL)
    return proc.returncode != 0
