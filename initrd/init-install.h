/*
 * init-install.h — the stage-1 init's install mode (init-install.c).
 */
#ifndef KILN_INIT_INSTALL_H
#define KILN_INIT_INSTALL_H

#include "compat.h"

/* Installs the system named by <sysroot>/kiln/installer/manifest (the
 * mounted installer medium) onto the disk its rule picks, printing human
 * lines and KILN-EVENT lines; then powers off or reboots. Never returns. */
_Noreturn void install_main(const char *sysroot);

#endif
