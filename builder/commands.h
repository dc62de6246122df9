/* commands.h — every kiln command, each defined in its own builder/cmd-*.c. */
#ifndef KILN_COMMANDS_H
#define KILN_COMMANDS_H

int cmd_lock(int argc, char **argv);       /* cmd-lock.c */
int cmd_build(int argc, char **argv);      /* cmd-build.c */
int cmd_path_info(int argc, char **argv);  /* cmd-store.c */
int cmd_closure(int argc, char **argv);    /* cmd-store.c */
int cmd_verify(int argc, char **argv);     /* cmd-store.c */
int cmd_verify_image(int argc, char **argv); /* cmd-verify-image.c (kiln verify --image) */
int cmd_add(int argc, char **argv);         /* cmd-store.c */
int cmd_nar(int argc, char **argv);         /* cmd-nar.c */
int cmd_config(int argc, char **argv);      /* cmd-config.c */
int cmd_qemu(int argc, char **argv);        /* cmd-qemu.c */
int cmd_image(int argc, char **argv);       /* cmd-image.c */
int cmd_installer(int argc, char **argv);   /* cmd-installer.c */
int cmd_debug_gpt(int argc, char **argv);   /* cmd-disktest.c (internal) */
int cmd_debug_fat(int argc, char **argv);   /* cmd-disktest.c (internal) */
int cmd_deb_unpack(int argc, char **argv);  /* cmd-deb.c */
int cmd_fetch(int argc, char **argv);       /* cmd-deb.c */
int cmd_debug_initrd(int argc, char **argv); /* cmd-debug-initrd.c (internal) */
int cmd_debug_ext4(int argc, char **argv);   /* cmd-debug-ext4.c (internal) */

int cmd_switch(int argc, char **argv);       /* cmd-switch.c */
int cmd_generations(int argc, char **argv);  /* cmd-generations.c */
int cmd_rollback(int argc, char **argv);     /* cmd-rollback.c */
int cmd_gc(int argc, char **argv);           /* cmd-gc.c */
int cmd_diff(int argc, char **argv);         /* cmd-diff.c */
#endif
