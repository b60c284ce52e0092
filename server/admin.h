/* The offline administration commands of clinicd: init, workstation, user, backup and audit
 * verify. They open the data directory's database directly (next to a running daemon, thanks to
 * WAL and the busy timeout) and write an audit row for every change they make. */
#ifndef CL_ADMIN_H
#define CL_ADMIN_H

/* Runs `clinicd <subcommand> ...`: argv[0] is the program, argv[1] the subcommand (or --help).
 * `serve` is not handled here (main.c hands it to cl_serve_main). Prints results on stdout and
 * one line `clinicd: <what went wrong>` on stderr on failure. Returns the process exit status:
 * 0 ok, 1 failure, 2 usage error. */
int cl_admin_main(int argc, char **argv);

#endif
