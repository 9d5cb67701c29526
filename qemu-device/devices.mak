# SPDX-License-Identifier: GPL-2.0-or-later
# x86_64 devices for the vnpu QEMU build (--without-default-devices):
# the q35 machine, the vnpu device and a few devices handy for tests.
CONFIG_Q35=y
CONFIG_SERIAL_ISA=y
CONFIG_VNPU=y
CONFIG_PCIE_PORT=y
CONFIG_ISA_DEBUG=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_SERIAL=y
