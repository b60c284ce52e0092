/* The offline administration commands of clinicd: init, workstation, user, backup, restore and
 * audit verify. They open the data directory's database directly (next to a running daemon,
 * thanks to WAL and the busy timeout) and write an audit row for every change they make. */
#ifndef CL_ADMIN_H
#define CL_ADMIN_H

/* Runs `clinicd <subcommand> ...`: argv[0] is the program, argv[1] the subcommand (or --help).
 * `serve` is not handled here (main.c hands it to cl_serve_main). Prints results on stdout and
 * one line `clinicd: <what went wrong>` on stderr on failure. Returns the process exit status:
 * 0 ok, 1 failure, 2 usage error. */
int cl_admin_main(int argc, char **argv);

/* Takes the data directory's lock: an exclusive flock(2) on DIR/clinicd.lock (made 0600 if
 * missing), which then holds this process's id. `clinicd serve` holds it for as long as it runs
 * and `clinicd restore` while it works, so that neither starts while the other runs. Returns 0
 * and sets *fd (owned by the caller; the lock lasts until it is closed or the process exits),
 * CL_EBUSY when another process holds it, or CL_EIO; failures are logged with the holder's
 * process id or the reason. */
int cl_admin_lock_data_dir(const char *dir, int *fd);

#endif
