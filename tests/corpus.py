"""The UAPI corpus: Linux uapi headers as Debian's linux-libc-dev installs them.

Each is preprocessed once as for x86_64 (the headers include the host's
asm/ headers and glibc bits) and laid out for every ABI.
"""

import os

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


def corpus_paths():
    return [os.path.join(UAPI_DIR, name) for name in UAPI_HEADERS]


def corpus_available() -> bool:
    return all(os.path.exists(p) for p in corpus_paths())
