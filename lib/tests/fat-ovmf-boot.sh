#!/bin/sh
# The firmware as oracle: OVMF (x86_64 UEFI, TCG) finds kiln's GPT, reads
# kiln's ESP — FAT16, then FAT32 — and starts EFI/BOOT/BOOTX64.EFI from it: a
# tiny GRUB that prints a marker, reads a file with a long name from the same
# ESP through GRUB's own FAT driver, and powers off. ~10 s per boot.
set -eu
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
for f in "$OVMF_CODE" "$OVMF_VARS" /usr/lib/grub/x86_64-efi/halt.mod; do
	if [ ! -e "$f" ]; then
		echo "skipped: $f is missing (ovmf, grub-efi-amd64-bin)"
		exit 77
	fi
done
for tool in qemu-system-x86_64 grub-mkimage timeout; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skipped: $tool is not installed"
		exit 77
	fi
done
cd "$SCRATCH"
printf 'echo KILN-ESP-BOOTED\nsource /EFI/kiln/long-name.config\nhalt\n' > early.cfg
printf 'echo KILN-ESP-READ-LONG-NAME\n' > long.cfg
grub-mkimage -O x86_64-efi -p /EFI/BOOT -c early.cfg -o bootx64.efi \
	echo halt fat part_gpt configfile

boot() { # FAT-BITS
	rm -f disk.img
	"$KILN" debug-gpt write --seed "ovmf-$1" disk.img 40M esp:1M:38M:ESP
	"$KILN" debug-fat build --fat "$1" --label KILN-ESP --volume-id 0e5f0e5f disk.img 1M 38M \
		EFI/BOOT/BOOTX64.EFI=bootx64.efi EFI/kiln/long-name.config=long.cfg
	cp "$OVMF_VARS" vars.fd
	timeout 120 qemu-system-x86_64 -accel tcg -m 256 -nodefaults -display none \
		-serial stdio -monitor none -no-reboot \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file=vars.fd \
		-drive file=disk.img,format=raw,if=virtio > console.log 2>&1 || true
	if ! tr -d '\033' < console.log | grep -aq 'KILN-ESP-READ-LONG-NAME'; then
		echo "OVMF did not boot from the FAT$1 ESP; console tail:"
		tr -d '\033' < console.log | tail -c 2000
		exit 1
	fi
	echo "FAT$1: booted"
}
boot 16
boot 32
