/* SPDX-License-Identifier: MIT */
#pragma once

/* devpass's own modules (devpass-net.so, devpass-systemd.so): code that
 * pulls in a heavy library, loaded with dlopen() the first time it is
 * needed, so that an agent that never needs it does not carry it.
 *
 * Which file: programs run from the build tree load the build tree's
 * module, installed ones the installed module; never one found through the
 * environment. As root we load only a file, and a directory holding it,
 * that nobody but root (or our own user) can change. */

/* Loads the module (installed path, or build when the program runs from
 * the build tree) and resolves n symbols into syms[]. what: for the error
 * message ("move NICs"). -ELIBACC: missing, untrusted or not loadable;
 * -ELIBBAD: a symbol is missing. Once loaded a module stays. */
int dp_module_load(const char *installed, const char *build, const char *what,
                   const char *const *names, void **syms, unsigned n);
